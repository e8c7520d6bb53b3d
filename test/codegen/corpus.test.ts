/**
 * The corpus of mistakes: every file in corpus/ must produce exactly the diagnostics listed here (line:col: message;
 * a few files are valid and hold a warning), so a regression in a message or a position fails.
 */
import { readdirSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { analyzeFile } from "../../codegen/index.ts"

const dir = join(import.meta.dirname, "corpus")

const expected: Record<string, ReadonlyArray<string>> = 
{
  "input-default-type.yaml": [
    "3:35: the default of input \"topic\" must be string, got 3"
  ],
  "schema-and-semantic-errors.yaml": [
    "5:20: unknown step type \"lm\" (did you mean \"llm\"?); expected one of llm, embed, vector_search, chunk, ingest, rerank, context, parallel, transform, branch, action, map, loop, workflow, wait, approval",
    "6:78: unknown name \"secnd\" (did you mean \"second\"?); not an output or input",
    "12:63: unknown field \"temprature\" in llm step (did you mean \"temperature\"?)",
    "13:41: unknown provider \"opnai\" (did you mean \"openai\"?); known: openai, anthropic, cohere, ollama, vllm, llamacpp, lmstudio"
  ],
  "workflow-input-type.yaml": [
    "6:71: input \"n\" of workflow \"sub/typed-sub.yaml\" expects integer, but string was given"
  ],
  "nested-map-in-map.yaml": [
    "10:15: a map inside the body of map \"outer\" is not supported; move it into a sub-workflow (type: workflow)"
  ],
  "loop-until-unknown-name.yaml": [
    "6:13: unknown name \"reviw\" (did you mean \"review\"?); not an output or input"
  ],
  "action-param-unknown-ref.yaml": [
    "10:15: unknown name \"tgs\"; not an output or input"
  ],
  "embed-missing-model.yaml": [
    "3:5: embed step \"e\" needs a model (or defaults.embedding_model)"
  ],
  "multiple-documents.yaml": [
    "4:1: YAML syntax: a workflow file holds one YAML document; remove the \"---\" separator"
  ],
  "ambiguous-name.yaml": [
    "6:66: \"summary\" is ambiguous: both a workflow input and the output of step \"a\"; write {{ input.summary }} or rename the output"
  ],
  "bad-id.yaml": [
    "3:9: field \"id\": must be an identifier (letters, digits, _; not starting with a digit)"
  ],
  "bad-input-type.yaml": [
    "3:9: field \"text\": expected \"string\" | \"number\" | \"integer\" | \"boolean\" | \"array\" | \"object\" | \"unknown\" (did you mean \"string\"?)"
  ],
  "bad-retry.yaml": [
    "3:85: field \"times\": expected a value between 0 and 100"
  ],
  "bad-template-expression.yaml": [
    "7:20: unexpected \"+ 1\" in {{ input.name + 1 }}"
  ],
  "bad-timeout.yaml": [
    "3:78: field \"timeout\": must be a duration like \"500 millis\", \"30 seconds\" or \"2m\""
  ],
  "boolean-branch-bad-case.yaml": [
    "13:5: branch \"route\" is not exhaustive: no case for \"false\" (add the case(s) or a default)",
    "15:7: branch case \"yes\" is not a possible value of {{ score }} (\"true\" | \"false\")"
  ],
  "branch-bad-condition.yaml": [
    "5:17: expected a condition like \"{{ name }}\" or \"{{ name }} >= 8\", got \"label\""
  ],
  "branch-case-not-in-enum.yaml": [
    "13:5: branch \"route\" is not exhaustive: no case for \"review\" (add the case(s) or a default)",
    "15:7: branch case \"reveiw\" is not a possible value of {{ label }} (\"safe\" | \"review\" | \"block\") (did you mean \"review\"?)"
  ],
  "branch-inner-output-outside.yaml": [
    "6:17: warning: branch \"route\" routes on free text ({{ label }} is the text answer of llm step \"c\"): a value that is not exactly \"a\" fails the run with UnknownBranchCase; give \"c\" output_schema: { enum: [a] } so the answer is one of the cases and the router is exhaustive",
    "9:70: \"inner\" is defined inside case \"a\" of branch \"route\" and is not visible here"
  ],
  "branch-not-exhaustive.yaml": [
    "13:5: branch \"route\" is not exhaustive: no case for \"review\", \"block\" (add the case(s) or a default)"
  ],
  "cycle.yaml": [
    "3:11: dependency cycle: a -> c -> b -> a"
  ],
  "depends-on-cycle.yaml": [
    "3:11: dependency cycle: a -> b -> a"
  ],
  "depends-on-into-branch.yaml": [
    "6:17: warning: branch \"route\" routes on free text ({{ label }} is the text answer of llm step \"c\"): a value that is not exactly \"a\" fails the run with UnknownBranchCase; give \"c\" output_schema: { enum: [a] } so the answer is one of the cases and the router is exhaustive",
    "9:58: depends_on: step \"inner\" is inside another branch, map or loop and is not visible here"
  ],
  "depends-on-unknown.yaml": [
    "4:82: depends_on: unknown step \"frist\" (did you mean \"first\"?)"
  ],
  "duplicate-id.yaml": [
    "4:11: duplicate step id \"a\""
  ],
  "duplicate-output.yaml": [
    "4:77: duplicate output name \"same\" (also the output of step \"a\")"
  ],
  "empty-steps.yaml": [
    "2:8: field \"steps\": expected a value with a length of at least 1"
  ],
  "field-on-string.yaml": [
    "4:66: sentiment: string has no field \"label\""
  ],
  "join-on-string.yaml": [
    "9:14: filter join needs a list, but text is string"
  ],
  "loop-compare-string.yaml": [
    "6:13: cannot compare string with >=: {{ review }} is not a number"
  ],
  "loop-max-iterations-zero.yaml": [
    "5:21: field \"max_iterations\": expected a value between 1 and 1000"
  ],
  "loop-unknown-field-in-until.yaml": [
    "6:13: review: no field \"scor\" in { score: number } (did you mean \"score\"?)"
  ],
  "loop-without-max.yaml": [
    "3:5: loop \"refine\" needs max_iterations (a loop must be bounded)"
  ],
  "map-concurrency-zero.yaml": [
    "8:18: field \"concurrency\": expected a value between 1 and 1000"
  ],
  "map-empty-body-output.yaml": [
    "9:7: the map body of \"m\" produces no output: give a step an output or set result"
  ],
  "map-over-string.yaml": [
    "6:12: map over needs a list, but got string"
  ],
  "missing-id.yaml": [
    "3:5: missing required field \"id\""
  ],
  "missing-name.yaml": [
    "1:1: missing required field \"name\""
  ],
  "missing-prompt.yaml": [
    "3:5: missing required field \"prompt\" in llm step \"a\""
  ],
  "missing-provider.yaml": [
    "3:5: llm step \"a\" needs a provider (or defaults.provider)"
  ],
  "missing-steps.yaml": [
    "1:1: missing required field \"steps\""
  ],
  "missing-type.yaml": [
    "3:5: missing required field \"type\" (one of llm, embed, vector_search, chunk, ingest, rerank, context, parallel, transform, branch, action, map, loop, workflow, wait, approval)"
  ],
  "not-a-mapping.yaml": [
    "1:1: a workflow file must be a mapping with name and steps"
  ],
  "outputs-unknown-ref.yaml": [
    "3:12: unknown name \"answr\"; not an output or input",
    "5:77: warning: output \"answer_text\" of step \"a\" is never used (not referenced and not in outputs)"
  ],
  "prompt-not-string.yaml": [
    "7:13: field \"prompt\": expected string"
  ],
  "reserved-output-name.yaml": [
    "3:77: \"input\" is reserved and cannot be an output name"
  ],
  "self-reference.yaml": [
    "3:66: step \"a\" references its own output \"ao\""
  ],
  "temperature-out-of-range.yaml": [
    "3:82: field \"temperature\": expected a value between 0 and 2"
  ],
  "two-errors-one-file.yaml": [
    "3:35: unknown provider \"opnai\" (did you mean \"openai\"?); known: openai, anthropic, cohere, ollama, vllm, llamacpp, lmstudio",
    "4:41: unknown transform function \"nope\"; known: concat, merge, template, json_parse, length, first, identity",
    "4:55: warning: \"a\" is not an output (\"a\" is a step id; give step \"a\" an output name to read its result), so it becomes a required input of the workflow (the file has no inputs: block). If it is an input, write {{ input.a }} or declare it under inputs:"
  ],
  "unclosed-template.yaml": [
    "7:20: unclosed \"{{\" (missing \"}}\")"
  ],
  "unknown-defaults-provider.yaml": [
    "3:13: unknown provider \"gemini\"; known: openai, anthropic, cohere, ollama, vllm, llamacpp, lmstudio"
  ],
  "unknown-embed-provider.yaml": [
    "5:15: unknown provider \"anthropic\"; known: openai, cohere, ollama, vllm, llamacpp, lmstudio, offline",
    "7:13: warning: \"text\" is not an output, so it becomes a required input of the workflow (the file has no inputs: block). If it is an input, write {{ input.text }} or declare it under inputs:"
  ],
  "unknown-fallback-provider.yaml": [
    "9:19: unknown provider \"opneai\" (did you mean \"openai\"?); known: openai, anthropic, cohere, ollama, vllm, llamacpp, lmstudio"
  ],
  "unknown-field-of-object.yaml": [
    "10:66: verdict: no field \"lable\" in { label: string, score: number } (did you mean \"label\"?)"
  ],
  "unknown-filter.yaml": [
    "9:21: unknown filter \"jion\" (did you mean \"json\"?); known: json, join, default, upper, lower, trim, length"
  ],
  "unknown-input-field.yaml": [
    "9:14: unknown input \"txt\" (did you mean \"text\"?); declared inputs: text"
  ],
  "unknown-name-near-output.yaml": [
    "8:14: unknown name \"sentimnt\" (did you mean \"sentiment\"?); not an output or input"
  ],
  "unknown-name.yaml": [
    "9:14: unknown name \"txt\" (did you mean \"text\"?); not an output or input"
  ],
  "unknown-provider.yaml": [
    "5:15: unknown provider \"anthropc\" (did you mean \"anthropic\"?); known: openai, anthropic, cohere, ollama, vllm, llamacpp, lmstudio"
  ],
  "unknown-step-field.yaml": [
    "7:5: unknown field \"promt\" in llm step (did you mean \"prompt\"?)"
  ],
  "unknown-step-type.yaml": [
    "4:11: unknown step type \"lm\" (did you mean \"llm\"?); expected one of llm, embed, vector_search, chunk, ingest, rerank, context, parallel, transform, branch, action, map, loop, workflow, wait, approval"
  ],
  "unknown-top-field.yaml": [
    "2:1: unknown field \"stepz\" (did you mean \"steps\"?)"
  ],
  "unknown-transform-function.yaml": [
    "5:41: unknown transform function \"concatt\" (did you mean \"concat\"?); known: concat, merge, template, json_parse, length, first, identity"
  ],
  "vector-query-is-text.yaml": [
    "7:13: query of vector_search must be a vector (number[]), but string was given; embed the text first"
  ],
  "branch-condition-unknown-name.yaml": [
    "6:17: unknown name \"verdict\" in the condition of branch \"route\"; not an output or input (a branch routes on a step's output or a declared input)"
  ],
  "branch-on-free-text.yaml": [
    "8:17: warning: branch \"route\" routes on free text ({{ verdict }} is the text answer of llm step \"judge\"): a value that is not exactly \"yes\" or \"no\" fails the run with UnknownBranchCase; give \"judge\" output_schema: { enum: [yes, no] } so the answer is one of the cases and the router is exhaustive"
  ],
  "inferred-input-typo.yaml": [
    "4:89: warning: \"the_summary\" is not an output (did you mean \"summary\"?), so it becomes a required input of the workflow (the file has no inputs: block); outputs here: summary, headline, tags. If it is an input, write {{ input.the_summary }} or declare it under inputs:",
    "5:99: warning: \"nothere\" is not an output, so it becomes a required input of the workflow (the file has no inputs: block); outputs here: summary, headline, tags. If it is an input, write {{ input.nothere }} or declare it under inputs:"
  ],
  "workflow-missing-file.yaml": [
    "3:38: cannot read workflow file \"./does-not-exist.yaml\": no such file"
  ],
  "workflow-file-absolute.yaml": [
    "3:42: workflow file \"/proc/self/environ\" is outside the workflow's directory <corpus>; sub-workflow files must be inside it"
  ],
  "workflow-file-device.yaml": [
    "3:39: workflow file \"/dev/zero\" is outside the workflow's directory <corpus>; sub-workflow files must be inside it",
    "4:40: workflow file \"/dev/urandom\" is outside the workflow's directory <corpus>; sub-workflow files must be inside it"
  ],
  "workflow-file-escapes.yaml": [
    "5:11: workflow file \"../../../../../../../../../../etc/passwd\" resolves to /etc/passwd, outside the workflow's directory <corpus>; sub-workflow files must be inside it"
  ],
  "yaml-recursive-alias.yaml": [
    "5:12: YAML: alias *steps is inside the value of its own anchor &steps (a recursive value); a workflow file must be a tree: repeat the value or move it into a sub-workflow"
  ],
  "yaml-duplicate-key.yaml": [
    "2:1: YAML syntax: Map keys must be unique"
  ],
  "yaml-syntax-bad-indent.yaml": [
    "4:1: YAML syntax: Sequence item without - indicator"
  ],
  "yaml-syntax-unclosed-quote.yaml": [
    "3:1: YAML syntax: Missing closing \"quote"
  ]
}

describe("invalid corpus", () => {
  const files = readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort()

  it("has at least 40 files, each with expectations", () => {
    assert.isAtLeast(files.length, 40)
    assert.deepStrictEqual(files, Object.keys(expected).sort())
  })

  for (const file of files) {
    it(file, () => {
      const a = analyzeFile(join(dir, file))
      // Messages that name a directory show the corpus directory as <corpus>, wherever the checkout is.
      const got = a.diagnostics.map((d) => `${d.line}:${d.column}: ${d.severity === "warning" ? "warning: " : ""}${d.message.replaceAll(dir, "<corpus>")}`)
      assert.deepStrictEqual(got, expected[file])
      assert.isAbove(a.diagnostics.length, 0, `${file} must have a diagnostic`)
      for (const d of a.diagnostics) assert.strictEqual(d.file, join(dir, file))
    })
  }
})

import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { analyzeFile, analyzeSource, closest, didYouMean, formatDiagnostic, parseCondition, parseTemplate, showType } from "../../codegen/index.ts"

const examples = join(import.meta.dirname, "..", "..", "examples")
const errors = (text: string) =>
  analyzeSource("t.yaml", text).diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic)
const llm = (id: string, prompt: string, extra = "") =>
  `  - { id: ${id}, type: llm, provider: openai, model: gpt-4, prompt: "${prompt}"${extra} }\n`

describe("templates", () => {
  it("parse names, paths, indexes and filters with arguments", () => {
    const { template, errors } = parseTemplate(`Hi {{ input.user.name }} {{ docs[0].title | default("none") | upper }}`)
    assert.deepStrictEqual(errors, [])
    assert.strictEqual(template.whole, undefined)
    const [a, b] = template.refs
    assert.deepStrictEqual([a!.head, a!.path], ["input", ["user", "name"]])
    assert.deepStrictEqual([b!.head, b!.path, b!.filters], ["docs", [0, "title"], [{ name: "default", args: ["none"] }, { name: "upper", args: [] }]])
  })

  it("a single reference (with whitespace around) keeps its value", () => {
    assert.strictEqual(parseTemplate("  {{ hits }}\n").template.whole?.head, "hits")
  })

  it("conditions: a reference, or a comparison with a literal or a reference", () => {
    const c = parseCondition("{{ review.score }} >= 8")
    assert.isTrue("left" in c && c.op === ">=" && c.right?.kind === "literal" && c.right.value === 8)
    const d = parseCondition("{{ a }} == {{ b }}")
    assert.isTrue("left" in d && d.right?.kind === "ref")
    assert.isTrue("message" in parseCondition("score > 8"))
  })
})

describe("did you mean", () => {
  it("suggests the closest name within a third of the name's length; a much longer or shorter name gets none", () => {
    assert.strictEqual(didYouMean("anthropc", ["openai", "anthropic"]), ' (did you mean "anthropic"?)')
    assert.strictEqual(closest("lable", ["label", "labels"]), "label")
    assert.strictEqual(closest("ab", ["abcdef"]), undefined)
    // a 3,000-character unknown provider (the CLI pipe test's file has 300 of them): no suggestion, and cheap
    assert.strictEqual(didYouMean(`p${"x".repeat(3000)}`, ["openai", "anthropic"]), "")
    assert.strictEqual(closest(`${"a".repeat(30)}b`, [`${"a".repeat(30)}c`, "a"]), `${"a".repeat(30)}c`)
  })
})

describe("analysis", () => {
  it("the seed files validate as written; what they leave to chance is a warning (inferred input, free-text router)", () => {
    const warnings = ["content-moderation.yaml", "parallel-rag.yaml", "sentiment-analysis.yaml"].flatMap((f) =>
      analyzeFile(join(examples, f)).diagnostics.map((d) => `${f}:${d.line}:${d.column}: ${d.severity}: ${d.message.slice(0, 40)}`)
    )
    assert.deepStrictEqual(warnings, [
      "content-moderation.yaml:16:17: warning: branch \"route_based_on_moderation\" route",
      "parallel-rag.yaml:9:13: warning: \"query\" is not an output, so it becomes "
    ])
  })

  it("seed parallel-rag: dependencies from references, parallel tasks visible after the group, inferred input", () => {
    const a = analyzeFile(join(examples, "parallel-rag.yaml"))
    // Valid; the inferred input is pointed out (a bare name that is no output is often a typo).
    assert.deepStrictEqual(a.diagnostics.map((d) => [d.severity, d.line, d.column]), [["warning", 9, 13]])
    assert.match(a.diagnostics[0]!.message, /^"query" is not an output, so it becomes a required input of the workflow/)
    const needs = Object.fromEntries([...a.nodes.values()].map((n) => [n.id, [...n.needs].sort()]))
    assert.deepStrictEqual(needs, {
      embed_query: [],
      parallel_search: ["search_code", "search_docs"],
      search_docs: ["embed_query"],
      search_code: ["embed_query"],
      merge_context: ["search_code", "search_docs"],
      generate_answer: ["merge_context"]
    })
    assert.deepStrictEqual([...a.inputs.keys()], ["query"])
    assert.strictEqual(showType(a.nodes.get("merge_context")!.type!), "{ id: unknown, score: number, payload: object, ... }[]".replace(", ... }", " }"))
    assert.deepStrictEqual([...a.resources.stores], ["pinecone"])
    assert.deepStrictEqual([...a.resources.providers].sort(), ["anthropic", "openai"])
  })

  it("enum output_schema makes the branch exhaustive and types the output", () => {
    const a = analyzeFile(join(examples, "provider-failover.yaml"))
    assert.deepStrictEqual(a.diagnostics.filter((d) => d.severity === "error"), [])
    assert.strictEqual(showType(a.nodes.get("classify")!.type!), `"confident" | "hedged"`)
    assert.deepStrictEqual([...a.nodes.get("route")!.needs].sort(), ["answer_question", "classify"])
  })

  it("steps inside a branch case that read outer outputs make the branch wait for them", () => {
    const a = analyzeFile(join(examples, "content-moderation.yaml"))
    assert.deepStrictEqual([...a.nodes.get("route_based_on_moderation")!.needs], ["moderate_content"])
    assert.deepStrictEqual([...a.nodes.get("notify_user")!.needs], ["generate_explanation"])
  })

  it("loop until reads its own body without creating a dependency", () => {
    const a = analyzeFile(join(examples, "iterative-refinement.yaml"))
    assert.deepStrictEqual(a.diagnostics, [])
    assert.deepStrictEqual([...a.nodes.get("refine")!.needs], ["draft"])
    assert.deepStrictEqual([...a.nodes.get("refine")!.ext], [])
  })

  it("depends_on on a parallel group waits for the group", () => {
    const a = analyzeSource("t.yaml", `name: x\nsteps:\n  - id: g\n    type: parallel\n    tasks:\n  ${llm("a", "1").trimEnd().replace("  - ", "    - ")}\n  ${llm("b", "2").trimEnd().replace("  - ", "    - ")}\n${llm("c", "3", ", depends_on: [g]")}`)
    assert.deepStrictEqual(a.diagnostics.filter((d) => d.severity === "error"), [])
    assert.deepStrictEqual([...a.nodes.get("c")!.needs], ["g"])
    assert.deepStrictEqual([...a.nodes.get("g")!.needs].sort(), ["a", "b"])
  })

  it("depends_on on a parallel group makes its tasks wait", () => {
    const a = analyzeSource("t.yaml", `name: x\nsteps:\n${llm("first", "1")}  - id: g\n    type: parallel\n    depends_on: [first]\n    tasks:\n  ${llm("a", "1").trimEnd().replace("  - ", "    - ")}\n  ${llm("b", "2").trimEnd().replace("  - ", "    - ")}\n`)
    assert.deepStrictEqual(a.diagnostics.filter((d) => d.severity === "error"), [])
    assert.deepStrictEqual([...a.nodes.get("a")!.needs], ["first"])
    assert.deepStrictEqual([...a.nodes.get("b")!.needs], ["first"])
  })

  it("several errors in one file are all reported with line:col", () => {
    const es = errors(`name: x\ninputs:\n  x: string\nsteps:\n${llm("a", "{{ nope1 }}")}${llm("b", "{{ input.x | jion }}")}  - { id: c, type: llm, provider: opneai, model: gpt-4, prompt: hi }\n`)
    assert.deepStrictEqual(es, [
      `t.yaml:5:66: unknown name "nope1"; not an output or input`,
      `t.yaml:6:66: unknown filter "jion" (did you mean "json"?); known: json, join, default, upper, lower, trim, length`,
      `t.yaml:7:35: unknown provider "opneai" (did you mean "openai"?); known: openai, anthropic, cohere, ollama, vllm, llamacpp, lmstudio`
    ])
  })

  it("unknown names are errors when inputs are declared, with did-you-mean", () => {
    const es = errors(`name: x\ninputs:\n  question: string\nsteps:\n${llm("a", "{{ questoin }}")}`)
    assert.deepStrictEqual(es, [`t.yaml:5:66: unknown name "questoin" (did you mean "question"?); not an output or input`])
  })

  it("warns about unused outputs when outputs are declared", () => {
    const a = analyzeSource("t.yaml", `name: x\noutputs:\n  final: "{{ b_out }}"\nsteps:\n${llm("a", "hi", ", output: a_out")}${llm("b", "hi", ", output: b_out")}`)
    assert.deepStrictEqual(a.diagnostics.map(formatDiagnostic), [`t.yaml:5:79: warning: output "a_out" of step "a" is never used (not referenced and not in outputs)`])
  })

  it("sub-workflow calls check the callee's inputs and detect call cycles", () => {
    const files: Record<string, string> = {
      "/w/main.yaml": `name: main\nsteps:\n  - { id: s, type: workflow, file: ./sub.yaml, input: { txt: "x" }, output: r }\n`,
      "/w/sub.yaml": `name: sub\ninputs:\n  text: string\nsteps:\n${llm("a", "{{ text }}", ", output: o")}`,
      "/w/loop.yaml": `name: l\nsteps:\n  - { id: s, type: workflow, file: ./loop.yaml }\n`
    }
    const readFile = (p: string) => files[p]
    const main = analyzeFile("/w/main.yaml", { readFile })
    assert.deepStrictEqual(main.diagnostics.map((d) => d.message), [
      `missing input "text" for workflow "./sub.yaml"`,
      `workflow "./sub.yaml" has no input "txt" (did you mean "text"?)`
    ])
    const loop = analyzeFile("/w/loop.yaml", { readFile })
    assert.match(loop.diagnostics[0]!.message, /call each other in a cycle: \/w\/loop\.yaml -> \/w\/loop\.yaml/)
  })
})

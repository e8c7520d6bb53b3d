import { readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { readdirSync } from "node:fs"
import { JsonSchema, Schema, SchemaRepresentation } from "effect"
import { parse } from "yaml"
import { workflowJsonSchema, workflowJsonSchemaText, WorkflowFile } from "../../codegen/index.ts"

const committed = join(import.meta.dirname, "..", "..", "codegen", "schema", "workflow.schema.json")

describe("workflow JSON Schema", () => {
  it("the committed file is what the Effect Schema generates (run `npx tsx codegen/jsonSchema.ts` to refresh)", () => {
    assert.strictEqual(readFileSync(committed, "utf8"), workflowJsonSchemaText())
  })

  it("is draft 2020-12, rooted at WorkflowFile, strict about unknown keys, and knows every step type", () => {
    const doc = workflowJsonSchema() as { $schema: string; $ref: string; $defs: Record<string, any> }
    assert.strictEqual(doc.$schema, "https://json-schema.org/draft/2020-12/schema")
    assert.strictEqual(doc.$ref, "#/$defs/WorkflowFile")
    assert.strictEqual(doc.$defs["WorkflowFile"].additionalProperties, false)
    assert.deepStrictEqual(doc.$defs["WorkflowFile"].required.sort(), ["name", "steps"])
    const stepTypes = ["LlmStep", "EmbedStep", "VectorSearchStep", "ChunkStep", "IngestStep", "RerankStep", "ContextStep", "TransformStep", "ActionStep", "ParallelStep", "BranchStep", "MapStep", "LoopStep", "WorkflowStep", "WaitStep", "ApprovalStep"]
    for (const t of stepTypes) assert.property(doc.$defs, t)
    assert.deepStrictEqual(doc.$defs["LlmStep"].properties.type, { type: "string", enum: ["llm"] })
  })

  it("the parser's Schema accepts a seed file and rejects a step without id", () => {
    const ok = Schema.decodeUnknownResult(WorkflowFile)({ name: "x", steps: [{ id: "a", type: "llm", prompt: "hi" }] })
    assert.strictEqual(ok._tag, "Success")
    const bad = Schema.decodeUnknownResult(WorkflowFile)({ name: "x", steps: [{ type: "llm", prompt: "hi" }] })
    assert.strictEqual(bad._tag, "Failure")
  })

  it("read back as a validator (what an editor does), it accepts every example and rejects invalid files", () => {
    const raw = JSON.parse(readFileSync(committed, "utf8")) as Record<string, unknown>
    const validator = SchemaRepresentation.fromJsonSchemaDocument(
      JsonSchema.fromSchemaDraft2020_12(raw as never),
      { patterns: "apply" }
    ) as unknown as Schema.Codec<unknown>
    const check = (file: string) =>
      Schema.decodeUnknownResult(validator)(parse(readFileSync(file, "utf8")), { onExcessProperty: "error" })._tag
    const examples = join(import.meta.dirname, "..", "..", "examples")
    const workflows = readdirSync(examples).filter((f) => f.endsWith(".yaml") && !/\.(test|mock|input)\.yaml$/.test(f))
    assert.isAtLeast(workflows.length, 6)
    for (const f of workflows) assert.strictEqual(check(join(examples, f)), "Success", f)
    const corpus = join(import.meta.dirname, "corpus")
    for (const f of ["bad-id.yaml", "unknown-step-field.yaml", "missing-prompt.yaml", "bad-timeout.yaml", "unknown-step-type.yaml"]) {
      assert.strictEqual(check(join(corpus, f)), "Failure", f)
    }
  })
})

/**
 * The JSON Schema (draft 2020-12) of the workflow format, generated from {@link WorkflowFile} so the file editors use
 * and the parser never disagree. `codegen/schema/workflow.schema.json` is this value; regenerate it with
 * `npx tsx codegen/jsonSchema.ts` (a test fails when it is stale).
 *
 * @example
 * ```ts
 * const schema = workflowJsonSchema()
 * schema["$ref"] // "#/$defs/WorkflowFile"
 * ```
 */
import { JsonSchema, Schema } from "effect"
import { WorkflowFile } from "./WorkflowFile.ts"

/**
 * The JSON Schema document of the format, with `$schema`, a title and `$defs` (no `$id`: it is used from the package).
 *
 * @example
 * ```ts
 * const schema = workflowJsonSchema()
 * Object.keys(schema.$defs as object).includes("LlmStep") // true
 * ```
 */
export const workflowJsonSchema = (): Record<string, unknown> => {
  const doc = Schema.toJsonSchemaDocument(WorkflowFile, { onExcessProperty: "error" })
  return {
    $schema: JsonSchema.META_SCHEMA_URI_DRAFT_2020_12,
    ...doc.schema,
    $defs: doc.definitions
  }
}

/**
 * The file content: pretty JSON with a final newline.
 *
 * @example
 * ```ts
 * writeFileSync("workflow.schema.json", workflowJsonSchemaText())
 * ```
 */
export const workflowJsonSchemaText = (): string => `${JSON.stringify(workflowJsonSchema(), null, 2)}\n`

if (import.meta.main) {
  const { writeFileSync } = await import("node:fs")
  const target = new URL("./schema/workflow.schema.json", import.meta.url)
  writeFileSync(target, workflowJsonSchemaText())
  console.log(`wrote ${target.pathname}`)
}

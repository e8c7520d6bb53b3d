/**
 * Errors a run fails with, besides the definition errors of the DSL.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Workflow } from "llm-orchestrator"
 * Workflow.run(wf, input).pipe(
 *   Effect.catchTag("StepFailed", (e) => Effect.logError(`${e.stepId} failed on attempt ${e.attempt}: ${e.message}`))
 * )
 * ```
 */
import { Schema, SchemaIssue } from "effect"

/**
 * One problem in a run input: the field path (`text`, `items[2].id`) and what is wrong there.
 *
 * @example
 * ```ts
 * new WorkflowInputError({ workflow: "rag", message: "bad input", issues: [{ path: "query", message: "Expected string, got 1" }] })
 * ```
 */
export const InputIssue = Schema.Struct({ path: Schema.String, message: Schema.String })
/**
 * The decoded type of {@link InputIssue}.
 *
 * @example
 * ```ts
 * const issue: InputIssue = { path: "items[2].id", message: "Missing key" }
 * ```
 */
export type InputIssue = typeof InputIssue.Type

/**
 * The run input did not decode with the workflow's input Schema; `issues` name each bad field.
 *
 * @example
 * ```ts
 * Workflow.run(wf, { query: 1 }).pipe(
 *   Effect.catchTag("WorkflowInputError", (e) => Effect.logError(e.issues.map((i) => `${i.path}: ${i.message}`).join("; ")))
 * )
 * ```
 */
export class WorkflowInputError extends Schema.TaggedError<WorkflowInputError>()("WorkflowInputError", {
  workflow: Schema.String,
  message: Schema.String,
  issues: Schema.Array(InputIssue)
}) {}

/**
 * A step failed after its retries. `stepId` is the path of the step (`route/safe/publish` inside a branch case),
 * `attempt` the number of the last attempt, `error` the step's own (typed) error.
 *
 * @example
 * ```ts
 * Workflow.run(wf, input).pipe(Effect.catchTag("StepFailed", (e) => Effect.logError(`${e.stepId} (attempt ${e.attempt}): ${e.message}`)))
 * ```
 */
export class StepFailed extends Schema.TaggedError<StepFailed>()("StepFailed", {
  workflow: Schema.String,
  stepId: Schema.String,
  attempt: Schema.Number,
  message: Schema.String,
  error: Schema.Unknown
}) {}

/**
 * {@link StepFailed} with its `error` typed as the union of the workflow's step errors.
 *
 * @example
 * ```ts
 * const handle = (e: StepFailedWith<LlmError>) => (e.error._tag === "RateLimited" ? "retry later" : e.message)
 * ```
 */
export interface StepFailedWith<E> extends StepFailed {
  readonly error: E
}

const issueFormatter = SchemaIssue.makeFormatterStandardSchemaV1()

const pathOf = (path: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined): string => {
  if (path === undefined || path.length === 0) return "(root)"
  let out = ""
  for (const segment of path) {
    const key = typeof segment === "object" ? segment.key : segment
    out += typeof key === "number" ? `[${key}]` : out === "" ? String(key) : `.${String(key)}`
  }
  return out
}

/**
 * The problems of a Schema decoding failure, one per bad field (`items[2].id: Missing key`).
 *
 * @example
 * ```ts
 * Effect.mapError(Schema.decodeUnknownEffect(schema)(value, { errors: "all" }), (e) => issuesOf(e))
 * ```
 */
export const issuesOf = (error: Schema.SchemaError): Array<InputIssue> =>
  issueFormatter(error.issue).issues.map((issue) => ({ path: pathOf(issue.path), message: issue.message }))

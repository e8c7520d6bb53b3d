/**
 * The errors of the REST API. Every error body is JSON with `_tag` (the error class), a stable machine-readable
 * `code` and a `message` for people, plus what the error is about (`errors` with field paths, `problems` with
 * line:col, `retryAfterSeconds`). No body ever carries a stack trace, a credential or a provider key.
 *
 * | status | `_tag` | `code` |
 * |---|---|---|
 * | 400 | `BadRequest` | `invalid_request` (malformed JSON, wrong types: `errors[].path`), `invalid_input` (the run input against the workflow's input Schema), `invalid_definition` (YAML/JSON: `problems[]` with line and column) |
 * | 401 | `Unauthorized` | `missing_credentials`, `invalid_key`, `revoked_key`, `expired_key`, `invalid_token`, `expired_token`, `missing_role` |
 * | 403 | `Forbidden` | `forbidden` (role lacks the permission), `workflow_not_allowed` (the key's allow list) |
 * | 404 | `NotFound` | `workflow_not_found`, `run_not_found`, `key_not_found`, `step_not_found` |
 * | 409 | `Conflict` | `run_finished`, `already_signalled`, `not_a_wait`, `runner_active`, `idempotency_conflict` |
 * | 413 | `PayloadTooLarge` | `payload_too_large` |
 * | 422 | `Unprocessable` | `services_missing`, `not_durable`, `definition_changed` |
 * | 429 | `TooManyRequests` | `rate_limited` (with `Retry-After`), `too_many_runs` |
 * | 500 | `InternalError` | `internal` |
 * | 503 | `Unavailable` | `store_unavailable`, `timeout`, `shutting_down` |
 *
 * @example
 * ```ts
 * import { ApiError } from "llm-orchestrator/server"
 * new ApiError.NotFound({ code: "run_not_found", message: "No run 'run-1'" })
 * ```
 */
import { Schema } from "effect"

/**
 * One bad field of a request: its path (`payload.input.query`, `query.limit`) and what is wrong.
 *
 * @example
 * ```ts
 * const issue: ApiError.FieldIssue = { path: "input.query", message: "Expected string, got 1" }
 * ```
 */
export const FieldIssue = Schema.Struct({ path: Schema.String, message: Schema.String })
/**
 * The type of {@link FieldIssue}.
 *
 * @example
 * ```ts
 * issues.map((i: ApiError.FieldIssue) => `${i.path}: ${i.message}`)
 * ```
 */
export type FieldIssue = typeof FieldIssue.Type

/**
 * One problem of a workflow definition, with its place in the submitted text.
 *
 * @example
 * ```ts
 * const p: ApiError.DefinitionProblem = { line: 4, column: 7, message: "unknown step type 'lm'", text: "wf.yaml:4:7: error: ..." }
 * ```
 */
export const DefinitionProblem = Schema.Struct({
  line: Schema.Number,
  column: Schema.Number,
  message: Schema.String,
  /** The whole diagnostic as the CLI prints it (`name.yaml:4:7: error: ...`). */
  text: Schema.String
})
/**
 * The type of {@link DefinitionProblem}.
 *
 * @example
 * ```ts
 * problems.map((p: ApiError.DefinitionProblem) => `${p.line}:${p.column} ${p.message}`)
 * ```
 */
export type DefinitionProblem = typeof DefinitionProblem.Type

/**
 * 400: the request is malformed, its input does not match the workflow, or the definition is invalid.
 *
 * @example
 * ```ts
 * new ApiError.BadRequest({ code: "invalid_input", message: "input.query: Expected string", errors: [{ path: "input.query", message: "Expected string" }] })
 * ```
 */
export class BadRequest extends Schema.TaggedError<BadRequest>()("BadRequest", {
  code: Schema.Literals(["invalid_request", "invalid_input", "invalid_definition"]),
  message: Schema.String,
  errors: Schema.optionalKey(Schema.Array(FieldIssue)),
  problems: Schema.optionalKey(Schema.Array(DefinitionProblem))
}, { httpApiStatus: 400 }) {}

/**
 * 401: no credentials, or credentials that do not authenticate.
 *
 * @example
 * ```ts
 * new ApiError.Unauthorized({ code: "revoked_key", message: "This API key was revoked" })
 * ```
 */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", {
  code: Schema.Literals(["missing_credentials", "invalid_key", "revoked_key", "expired_key", "invalid_token", "expired_token", "missing_role"]),
  message: Schema.String
}, { httpApiStatus: 401 }) {}

/**
 * 403: authenticated, but the role lacks the endpoint's permission, or the workflow is not on the caller's allow list.
 *
 * @example
 * ```ts
 * new ApiError.Forbidden({ code: "forbidden", message: "runs:write needs role runner; this key is viewer", permission: "runs:write" })
 * ```
 */
export class Forbidden extends Schema.TaggedError<Forbidden>()("Forbidden", {
  code: Schema.Literals(["forbidden", "workflow_not_allowed", "self_approval", "not_deployed"]),
  message: Schema.String,
  permission: Schema.optionalKey(Schema.String),
  workflow: Schema.optionalKey(Schema.String)
}, { httpApiStatus: 403 }) {}

/**
 * 404: no such workflow, run, key or step.
 *
 * @example
 * ```ts
 * new ApiError.NotFound({ code: "workflow_not_found", message: "No workflow 'rag'" })
 * ```
 */
export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", {
  code: Schema.Literals(["workflow_not_found", "run_not_found", "key_not_found", "step_not_found", "route_not_found"]),
  message: Schema.String
}, { httpApiStatus: 404 }) {}

/**
 * 409: the request conflicts with the state of the run (finished, already signalled, not waiting there).
 *
 * @example
 * ```ts
 * new ApiError.Conflict({ code: "run_finished", message: "Run 'run-1' already succeeded" })
 * ```
 */
export class Conflict extends Schema.TaggedError<Conflict>()("Conflict", {
  code: Schema.Literals(["run_finished", "already_signalled", "not_a_wait", "runner_active", "idempotency_conflict", "invalid_transition", "deprecated"]),
  message: Schema.String
}, { httpApiStatus: 409 }) {}

/**
 * 413: the body is larger than the server's limit.
 *
 * @example
 * ```ts
 * new ApiError.PayloadTooLarge({ code: "payload_too_large", message: "Body over 1048576 bytes", limitBytes: 1048576 })
 * ```
 */
export class PayloadTooLarge extends Schema.TaggedError<PayloadTooLarge>()("PayloadTooLarge", {
  code: Schema.Literal("payload_too_large"),
  message: Schema.String,
  limitBytes: Schema.Number
}, { httpApiStatus: 413 }) {}

/**
 * 422: the definition is valid but cannot run here (providers not configured, not durable, changed since the run).
 *
 * @example
 * ```ts
 * new ApiError.Unprocessable({ code: "services_missing", message: "step \"answer\" needs provider \"openai\": set OPENAI_API_KEY" })
 * ```
 */
export class Unprocessable extends Schema.TaggedError<Unprocessable>()("Unprocessable", {
  code: Schema.Literals(["services_missing", "not_durable", "definition_changed"]),
  message: Schema.String,
  problems: Schema.optionalKey(Schema.Array(Schema.String))
}, { httpApiStatus: 422 }) {}

/**
 * 429: over the caller's request rate (`rate_limited`, with `Retry-After`) or its limit of runs at once
 * (`too_many_runs`).
 *
 * @example
 * ```ts
 * new ApiError.TooManyRequests({ code: "rate_limited", message: "Over 600 requests per minute", retryAfterSeconds: 12 })
 * ```
 */
export class TooManyRequests extends Schema.TaggedError<TooManyRequests>()("TooManyRequests", {
  code: Schema.Literals(["rate_limited", "too_many_runs"]),
  message: Schema.String,
  retryAfterSeconds: Schema.optionalKey(Schema.Number)
}, { httpApiStatus: 429 }) {}

/**
 * 500: a bug. The body says only that; the details go to the server log (without secrets).
 *
 * @example
 * ```ts
 * new ApiError.InternalError({ code: "internal", message: "Internal error (request req-1)" })
 * ```
 */
export class InternalError extends Schema.TaggedError<InternalError>()("InternalError", {
  code: Schema.Literal("internal"),
  message: Schema.String
}, { httpApiStatus: 500 }) {}

/**
 * 503: the store does not answer, the request took longer than the server's timeout, or the server is shutting down.
 *
 * @example
 * ```ts
 * new ApiError.Unavailable({ code: "timeout", message: "Request took longer than 30s" })
 * ```
 */
export class Unavailable extends Schema.TaggedError<Unavailable>()("Unavailable", {
  code: Schema.Literals(["store_unavailable", "timeout", "shutting_down"]),
  message: Schema.String
}, { httpApiStatus: 503 }) {}

/**
 * Every error of the API.
 *
 * @example
 * ```ts
 * const handle = (e: ApiError.ApiError) => e.code
 * ```
 */
export type ApiError = BadRequest | Unauthorized | Forbidden | NotFound | Conflict | PayloadTooLarge | Unprocessable | TooManyRequests | InternalError | Unavailable

/**
 * The error classes, for declaring on endpoints and groups.
 *
 * @example
 * ```ts
 * HttpApiEndpoint.get("x", "/x", { error: ApiError.all })
 * ```
 */
export const all = [BadRequest, Unauthorized, Forbidden, NotFound, Conflict, PayloadTooLarge, Unprocessable, TooManyRequests, InternalError, Unavailable] as const

/**
 * The REST API of `llm-orchestrator serve`, defined once with effect's HttpApi: the server implements it
 * (`Server.ts`), the typed client is derived from it (`Client.ts`), and `/openapi.json` is generated from it. Each
 * endpoint declares the permission it requires ({@link Permission}) and its errors ({@link ApiError}).
 *
 * | method | path | permission |
 * |---|---|---|
 * | GET | /health | public |
 * | GET | /ready | ops:read |
 * | GET | /metrics | ops:read |
 * | GET | /workflows | workflows:read |
 * | POST | /workflows | workflows:write |
 * | GET | /workflows/{name} | workflows:read |
 * | DELETE | /workflows/{name} | workflows:write |
 * | GET | /workflows/{name}/versions | workflows:read |
 * | GET | /workflows/{name}/versions/{version} | workflows:read |
 * | POST | /workflows/{name}/versions/{version}/submit | workflows:write |
 * | POST | /workflows/{name}/versions/{version}/approve | workflows:approve |
 * | POST | /workflows/{name}/versions/{version}/reject | workflows:approve |
 * | POST | /workflows/{name}/versions/{version}/deploy | workflows:write |
 * | POST | /workflows/{name}/versions/{version}/deprecate | workflows:write |
 * | GET | /templates | workflows:read |
 * | POST | /templates | workflows:write |
 * | GET | /templates/{name} | workflows:read |
 * | POST | /templates/{name}/instantiate | workflows:write |
 * | POST | /workflows/{name}/runs | runs:write |
 * | GET | /runs | runs:read |
 * | GET | /runs/{id} | runs:read |
 * | GET | /runs/{id}/events | runs:read (SSE) |
 * | POST | /runs/{id}/cancel | runs:write |
 * | POST | /runs/{id}/signal | runs:write |
 * | POST | /runs/{id}/resume | runs:write |
 * | POST | /runs/prune | runs:admin |
 * | GET | /keys | keys:admin |
 * | POST | /keys | keys:admin |
 * | DELETE | /keys/{id} | keys:admin |
 * | GET | /audit | audit:read |
 *
 * `/openapi.json` and the docs page `/docs` are public too (they describe the API, nothing more).
 *
 * @example
 * ```ts
 * import { OpenApi } from "effect/http-api"
 * import { Api } from "llm-orchestrator/server"
 * const spec = OpenApi.fromApi(Api.Api)
 * ```
 */
import { Schema } from "effect"
import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiMiddleware, HttpApiSchema, HttpApiSecurity, OpenApi } from "effect/http-api"
import { CurrentPrincipal } from "../auth/Principal.ts"
import { Role } from "../auth/Role.ts"
import * as ApiError from "./ApiError.ts"
import * as Model from "./Model.ts"
import { Required } from "./Permission.ts"
import * as WorkflowTemplates from "./WorkflowTemplates.ts"

/**
 * Authentication: a bearer token (an API key `llmo_...` or a JWT) in `Authorization`, or an API key in `X-API-Key`.
 * Provides the caller ({@link CurrentPrincipal}); checks the endpoint's permission, the caller's request rate, and
 * records mutating requests in the audit log.
 *
 * @example
 * ```ts
 * HttpApiMiddleware.layerClient(Api.Authentication, ({ next, request }) => next(HttpClientRequest.bearerToken(request, token)))
 * ```
 */
export class Authentication extends HttpApiMiddleware.Service<Authentication, { provides: CurrentPrincipal }>()(
  "llm-orchestrator/server/Authentication",
  {
    requiredForClient: true,
    security: {
      bearer: HttpApiSecurity.bearer.pipe(HttpApiSecurity.annotate(OpenApi.Description, "An API key (llmo_...) or a JWT")),
      apiKey: HttpApiSecurity.apiKey({ in: "header", key: "X-API-Key" })
    },
    error: [ApiError.Unauthorized, ApiError.Forbidden, ApiError.TooManyRequests]
  }
) {}

/**
 * Request errors as typed bodies: a body or parameter that fails its Schema becomes a `BadRequest` with the field
 * paths (`invalid_request`), a body over the limit a `PayloadTooLarge`, a handler over the timeout an `Unavailable`.
 *
 * @example
 * ```ts
 * group.middleware(Api.RequestErrors)
 * ```
 */
export class RequestErrors extends HttpApiMiddleware.Service<RequestErrors>()("llm-orchestrator/server/RequestErrors", {
  error: [ApiError.BadRequest, ApiError.PayloadTooLarge, ApiError.Unavailable, ApiError.InternalError]
}) {}

const limitQuery = Schema.optionalKey(Schema.FiniteFromString.check(Schema.isInt(), Schema.isBetween({ minimum: 1, maximum: 1000 })))

/**
 * `/health`, `/ready`, `/metrics`.
 *
 * @example
 * ```ts
 * yield* client.health()
 * ```
 */
export class SystemGroup extends HttpApiGroup.make("system", { topLevel: true })
  .add(
    HttpApiEndpoint.get("health", "/health", {
      success: Schema.Struct({ status: Schema.Literal("ok"), version: Schema.String })
    }).annotate(Required, "public"),
    HttpApiEndpoint.get("ready", "/ready", {
      success: Schema.Struct({ status: Schema.Literal("ready"), store: Schema.String, role: Schema.String }),
      error: ApiError.Unavailable
    }).annotate(Required, "ops:read").middleware(Authentication),
    HttpApiEndpoint.get("metrics", "/metrics", {
      success: Schema.String.pipe(HttpApiSchema.asText({ contentType: "text/plain; version=0.0.4; charset=utf-8" }))
    }).annotate(Required, "ops:read").middleware(Authentication)
  )
  .middleware(RequestErrors)
  .annotateMerge(OpenApi.annotations({ title: "System", description: "Liveness, readiness and Prometheus metrics" }))
{}

const workflowName = { name: Schema.String }
const versionParam = Schema.optionalKey(Schema.FiniteFromString.check(Schema.isInt(), Schema.isGreaterThan(0)))
const workflowVersion = { name: Schema.String, version: Schema.FiniteFromString.check(Schema.isInt(), Schema.isGreaterThan(0)) }

const transitionEndpoint = <const N extends string>(name: N, permission: "workflows:write" | "workflows:approve") =>
  HttpApiEndpoint.post(name, `/workflows/:name/versions/:version/${name}`, {
    params: workflowVersion,
    success: Model.WorkflowSummary,
    error: [ApiError.NotFound, ApiError.Conflict]
  }).annotate(Required, permission)

/**
 * Versions of a workflow and their lifecycle (draft -> pending approval -> approved -> deployed -> deprecated; see
 * `Lifecycle`). Each transition is audited; approval needs an admin other than the author.
 *
 * @example
 * ```ts
 * yield* client.versions.approve({ params: { name: "rag", version: 3 } })
 * ```
 */
export class VersionsGroup extends HttpApiGroup.make("versions")
  .add(
    HttpApiEndpoint.get("list", "/workflows/:name/versions", {
      params: workflowName,
      success: Schema.Struct({ versions: Schema.Array(Model.WorkflowSummary) }),
      error: ApiError.NotFound
    }).annotate(Required, "workflows:read"),
    HttpApiEndpoint.get("get", "/workflows/:name/versions/:version", {
      params: workflowVersion,
      success: Model.WorkflowDetail,
      error: ApiError.NotFound
    }).annotate(Required, "workflows:read"),
    transitionEndpoint("submit", "workflows:write"),
    transitionEndpoint("approve", "workflows:approve"),
    transitionEndpoint("reject", "workflows:approve"),
    transitionEndpoint("deploy", "workflows:write"),
    transitionEndpoint("deprecate", "workflows:write")
  )
  .middleware(RequestErrors)
  .middleware(Authentication)
  .annotateMerge(OpenApi.annotations({ title: "Versions", description: "Versions of a workflow and their approval lifecycle" }))
{}

/**
 * Registered workflows.
 *
 * @example
 * ```ts
 * yield* client.workflows.list()
 * ```
 */
export class WorkflowsGroup extends HttpApiGroup.make("workflows")
  .add(
    HttpApiEndpoint.get("list", "/workflows", {
      success: Schema.Struct({ workflows: Schema.Array(Model.WorkflowSummary) })
    }).annotate(Required, "workflows:read"),
    HttpApiEndpoint.post("register", "/workflows", {
      payload: [
        Model.RegisterWorkflow,
        Schema.String.pipe(HttpApiSchema.asText({ contentType: "application/yaml" }))
      ],
      success: Model.WorkflowDetail.pipe(HttpApiSchema.status(201)),
      error: [ApiError.BadRequest, ApiError.Conflict]
    }).annotate(Required, "workflows:write"),
    HttpApiEndpoint.get("get", "/workflows/:name", {
      params: workflowName,
      success: Model.WorkflowDetail,
      error: ApiError.NotFound
    }).annotate(Required, "workflows:read"),
    HttpApiEndpoint.delete("remove", "/workflows/:name", {
      params: workflowName,
      success: HttpApiSchema.NoContent,
      error: [ApiError.NotFound, ApiError.Conflict]
    }).annotate(Required, "workflows:write")
  )
  .middleware(RequestErrors)
  .middleware(Authentication)
  .annotateMerge(OpenApi.annotations({ title: "Workflows", description: "Register (YAML/JSON), list, read and delete workflows" }))
{}

const templateName = { name: Schema.String }

/**
 * Workflow templates: YAML/JSON texts with declared parameters (`${{ params.NAME }}`), instantiated into new
 * workflows (registered, validated and versioned like any other).
 *
 * @example
 * ```ts
 * yield* client.templates.instantiate({ params: { name: "summarize" }, payload: { name: "summarize-news", parameters: { model: "gpt-4o" } } })
 * ```
 */
export class TemplatesGroup extends HttpApiGroup.make("templates")
  .add(
    HttpApiEndpoint.get("list", "/templates", {
      success: Schema.Struct({ templates: Schema.Array(WorkflowTemplates.Template) })
    }).annotate(Required, "workflows:read"),
    HttpApiEndpoint.post("register", "/templates", {
      payload: Schema.Struct({
        name: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200)),
        description: Schema.optionalKey(Schema.String),
        parameters: Schema.optionalKey(Schema.Record(Schema.String, WorkflowTemplates.Parameter)),
        source: Schema.String
      }),
      success: WorkflowTemplates.Template.pipe(HttpApiSchema.status(201)),
      error: ApiError.BadRequest
    }).annotate(Required, "workflows:write"),
    HttpApiEndpoint.get("get", "/templates/:name", {
      params: templateName,
      success: WorkflowTemplates.Template,
      error: ApiError.NotFound
    }).annotate(Required, "workflows:read"),
    HttpApiEndpoint.post("instantiate", "/templates/:name/instantiate", {
      params: templateName,
      payload: Schema.Struct({ name: Schema.String, parameters: Schema.optionalKey(Schema.Record(Schema.String, Schema.Unknown)) }),
      success: Model.WorkflowDetail.pipe(HttpApiSchema.status(201)),
      error: [ApiError.NotFound, ApiError.BadRequest, ApiError.Conflict]
    }).annotate(Required, "workflows:write")
  )
  .middleware(RequestErrors)
  .middleware(Authentication)
  .annotateMerge(OpenApi.annotations({ title: "Templates", description: "Workflow templates with parameters, instantiated into workflows" }))
{}

/**
 * Runs: start, list, read, cancel, signal, resume, prune, and the live event stream.
 *
 * @example
 * ```ts
 * const run = yield* client.runs.get({ params: { id: "run-1" } })
 * ```
 */
export class RunsGroup extends HttpApiGroup.make("runs")
  .add(
    HttpApiEndpoint.post("start", "/workflows/:name/runs", {
      params: workflowName,
      query: {
        /** `true`: answer when the run has finished (200 with the outputs), or after `timeout` seconds (202). */
        wait: Schema.optionalKey(Schema.Literals(["true", "false"])),
        timeout: Schema.optionalKey(Schema.FiniteFromString.check(Schema.isGreaterThan(0), Schema.isLessThanOrEqualTo(3600))),
        /** A version number other than the deployed one (admins only; see `Lifecycle`). */
        version: versionParam
      },
      headers: { "idempotency-key": Schema.optionalKey(Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200))) },
      payload: Schema.Struct({ input: Schema.optionalKey(Schema.Unknown) }),
      success: [Model.Run, Model.RunAccepted.pipe(HttpApiSchema.status(202))],
      error: [ApiError.NotFound, ApiError.BadRequest, ApiError.Unprocessable, ApiError.TooManyRequests, ApiError.Conflict]
    }).annotate(Required, "runs:write"),
    HttpApiEndpoint.get("list", "/runs", {
      query: {
        workflow: Schema.optionalKey(Schema.String),
        status: Schema.optionalKey(Model.RunStatus),
        /** Created at or after (epoch millis). */
        since: Schema.optionalKey(Schema.FiniteFromString),
        limit: limitQuery,
        cursor: Schema.optionalKey(Schema.String)
      },
      success: Model.RunPage,
      error: ApiError.BadRequest
    }).annotate(Required, "runs:read"),
    HttpApiEndpoint.get("get", "/runs/:id", {
      params: { id: Schema.String },
      success: Model.Run,
      error: ApiError.NotFound
    }).annotate(Required, "runs:read"),
    HttpApiEndpoint.get("events", "/runs/:id/events", {
      params: { id: Schema.String },
      query: {
        /** Comma-separated event types to send (`step.delta,run`); all when absent. */
        types: Schema.optionalKey(Schema.String),
        /** Comma-separated step ids whose step events to send; all when absent. */
        steps: Schema.optionalKey(Schema.String),
        /** Start after this event id (like `Last-Event-ID`, for clients that cannot set headers). */
        after: Schema.optionalKey(Schema.FiniteFromString)
      },
      headers: { "last-event-id": Schema.optionalKey(Schema.String) },
      success: HttpApiSchema.StreamSse({
        events: Schema.Struct({ id: Schema.optional(Schema.String), event: Schema.String, data: Schema.String })
      }),
      error: [ApiError.NotFound, ApiError.BadRequest]
    }).annotate(Required, "runs:read"),
    HttpApiEndpoint.post("cancel", "/runs/:id/cancel", {
      params: { id: Schema.String },
      success: Model.RunSummary,
      error: [ApiError.NotFound, ApiError.Conflict]
    }).annotate(Required, "runs:write"),
    HttpApiEndpoint.post("signal", "/runs/:id/signal", {
      params: { id: Schema.String },
      payload: Schema.Struct({ step: Schema.String, value: Schema.optionalKey(Schema.Unknown) }),
      success: Model.RunSummary,
      error: [ApiError.NotFound, ApiError.Conflict, ApiError.BadRequest]
    }).annotate(Required, "runs:write"),
    HttpApiEndpoint.post("resume", "/runs/:id/resume", {
      params: { id: Schema.String },
      payload: Schema.Struct({ force: Schema.optionalKey(Schema.Boolean) }),
      success: Model.RunSummary,
      error: [ApiError.NotFound, ApiError.Conflict, ApiError.Unprocessable]
    }).annotate(Required, "runs:write"),
    HttpApiEndpoint.post("prune", "/runs/prune", {
      payload: Schema.Struct({ olderThanDays: Schema.Number.check(Schema.isGreaterThanOrEqualTo(0)) }),
      success: Schema.Struct({ deleted: Schema.Array(Schema.String) })
    }).annotate(Required, "runs:admin")
  )
  .middleware(RequestErrors)
  .middleware(Authentication)
  .annotateMerge(OpenApi.annotations({ title: "Runs", description: "Start, inspect, cancel, signal and resume runs; live events over SSE" }))
{}

/**
 * API keys (admin).
 *
 * @example
 * ```ts
 * const { token } = yield* client.keys.create({ payload: { name: "ci", role: "runner", workflows: ["nightly"] } })
 * ```
 */
export class KeysGroup extends HttpApiGroup.make("keys")
  .add(
    HttpApiEndpoint.get("list", "/keys", { success: Schema.Struct({ keys: Schema.Array(Model.KeyInfo) }) }).annotate(Required, "keys:admin"),
    HttpApiEndpoint.post("create", "/keys", {
      payload: Schema.Struct({
        name: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(100)),
        role: Role,
        workflows: Schema.optionalKey(Schema.Array(Schema.String)),
        expiresAt: Schema.optionalKey(Schema.Number)
      }),
      success: Model.CreatedKey.pipe(HttpApiSchema.status(201))
    }).annotate(Required, "keys:admin"),
    HttpApiEndpoint.delete("revoke", "/keys/:id", {
      params: { id: Schema.String },
      success: Model.KeyInfo,
      error: ApiError.NotFound
    }).annotate(Required, "keys:admin")
  )
  .middleware(RequestErrors)
  .middleware(Authentication)
  .annotateMerge(OpenApi.annotations({ title: "Keys", description: "Create, list and revoke API keys" }))
{}

/**
 * The audit log (admin, read only: nothing in the API alters an entry).
 *
 * @example
 * ```ts
 * const page = yield* client.audit.list({ query: { limit: 100 } })
 * ```
 */
export class AuditGroup extends HttpApiGroup.make("audit")
  .add(
    HttpApiEndpoint.get("list", "/audit", {
      query: {
        action: Schema.optionalKey(Schema.String),
        actor: Schema.optionalKey(Schema.String),
        since: Schema.optionalKey(Schema.FiniteFromString),
        limit: limitQuery,
        cursor: Schema.optionalKey(Schema.String)
      },
      success: Model.AuditPage
    }).annotate(Required, "audit:read")
  )
  .middleware(RequestErrors)
  .middleware(Authentication)
  .annotateMerge(OpenApi.annotations({ title: "Audit", description: "Who did what, when, with which outcome" }))
{}

/**
 * The whole API.
 *
 * @example
 * ```ts
 * const client = yield* HttpApiClient.make(Api.Api, { baseUrl })
 * ```
 */
export class Api extends HttpApi.make("llm-orchestrator")
  .add(SystemGroup)
  .add(WorkflowsGroup)
  .add(VersionsGroup)
  .add(TemplatesGroup)
  .add(RunsGroup)
  .add(KeysGroup)
  .add(AuditGroup)
  .annotateMerge(OpenApi.annotations({
    title: "llm-orchestrator",
    description: "Run typed LLM workflows remotely: register workflows, start and follow runs, signal and resume them, with API keys or JWTs, roles and an audit log."
  }))
{}

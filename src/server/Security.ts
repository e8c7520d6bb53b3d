/**
 * The server side of {@link Api.Authentication}: who is calling (an API key from the key store, or a JWT), whether
 * the endpoint's declared permission is in the caller's role, the caller's request rate, and the audit entry of every
 * mutating request (allowed or not). An endpoint that declares no permission is refused to everybody.
 *
 * Credentials are read as `Redacted` values and never logged or stored; audit entries name the key id or the token's
 * subject.
 *
 * @example
 * ```ts
 * const auth = Security.layer({ limits: Limits.defaults })   // needs KeyStore, AuditLog, RateLimiter
 * ```
 */
import { Cause, Context, Duration, Effect, Exit, Layer, Redacted } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import type { HttpApiEndpoint, HttpApiGroup } from "effect/http-api"
import { RateLimiter } from "effect/persistence"
import * as Jwt from "../auth/Jwt.ts"
import { KeyStore } from "../auth/KeyStore.ts"
import { CurrentPrincipal, type Principal } from "../auth/Principal.ts"
import * as Role from "../auth/Role.ts"
import { Authentication } from "./Api.ts"
import * as ApiError from "./ApiError.ts"
import { AuditLog } from "./AuditLog.ts"
import type { Limits } from "./Limits.ts"
import type { Actor } from "./Model.ts"
import * as Permission from "./Permission.ts"

/**
 * What a handler adds to its audit entry: the target it acted on (`run:run-1` for a started run) and a detail.
 *
 * @example
 * ```ts
 * const note = yield* Security.AuditNote
 * note.target = `run:${run.runId}`
 * ```
 */
export const AuditNote = Context.Reference<{ target: string | undefined; detail: string | undefined }>("llm-orchestrator/server/AuditNote", {
  defaultValue: () => ({ target: undefined, detail: undefined })
})

/**
 * The request id of a request (`X-Request-Id` as sent, or one the server made up).
 *
 * @example
 * ```ts
 * const id = Security.requestIdOf(request)
 * ```
 */
export const requestIdOf = (request: HttpServerRequest.HttpServerRequest): string => request.headers["x-request-id"] ?? "unknown"

const statusOf = (error: unknown): number => {
  const tag = (error as { _tag?: unknown } | null)?._tag
  switch (tag) {
    case "BadRequest":
    case "HttpApiSchemaError":
      return 400
    case "Unauthorized":
      return 401
    case "Forbidden":
      return 403
    case "NotFound":
      return 404
    case "Conflict":
      return 409
    case "PayloadTooLarge":
      return 413
    case "Unprocessable":
      return 422
    case "TooManyRequests":
      return 429
    case "Unavailable":
      return 503
    default:
      return 500
  }
}

const mutating = (method: string) => method !== "GET" && method !== "HEAD" && method !== "OPTIONS"

const actorOf = (p: Principal | undefined): Actor =>
  p === undefined ? { kind: "anonymous", id: "anonymous", name: "anonymous" } : { kind: p.kind, id: p.id, name: p.name, role: p.role }

/** The default target of an entry: the resource in the path. */
const targetOf = (group: string, params: Readonly<Record<string, string | undefined>>): string | undefined => {
  if (params["name"] !== undefined) return `workflow:${params["name"]}`
  if (params["id"] !== undefined) return `${group === "keys" ? "key" : "run"}:${params["id"]}`
  return undefined
}

/**
 * Options of the middleware.
 *
 * @example
 * ```ts
 * Security.layer({ limits, jwt: yield* Jwt.make({ secret }) })
 * ```
 */
export interface Options {
  readonly limits: Limits
  /** JWT verification (no JWTs are accepted without it). */
  readonly jwt?: Jwt.Verifier | undefined
}

/**
 * The middleware's implementation.
 *
 * @example
 * ```ts
 * HandlersLive.pipe(Layer.provide(Security.layer({ limits: Limits.defaults })))
 * ```
 */
export const layer = (options: Options): Layer.Layer<Authentication, never, KeyStore | AuditLog | RateLimiter.RateLimiter> =>
  Layer.effect(Authentication, Effect.gen(function*() {
    const keys = yield* KeyStore
    const audit = yield* AuditLog
    const limiter = yield* RateLimiter.RateLimiter
    const windowMillis = Duration.toMillis(options.limits.window)
    // The bearer scheme does the whole check; the X-API-Key scheme only runs when it failed, and repeats its answer.
    const failures = new WeakMap<object, unknown>()

    const record = (request: HttpServerRequest.HttpServerRequest, principal: Principal | undefined, action: string, target: string | undefined, status: number, detail?: string) =>
      audit.append({
        actor: actorOf(principal),
        action,
        target,
        requestId: requestIdOf(request),
        outcome: status < 400 ? "ok" : status === 401 || status === 403 || status === 429 ? "denied" : "error",
        status,
        detail
      }).pipe(Effect.catchCause((cause) => Effect.logError("audit log append failed", cause)))

    const authenticate = (credential: Redacted.Redacted<string>): Effect.Effect<Principal, ApiError.Unauthorized> =>
      Effect.gen(function*() {
        const token = Redacted.value(credential)
        if (token === "") return yield* new ApiError.Unauthorized({ code: "missing_credentials", message: "Send an API key (Authorization: Bearer llmo_... or X-API-Key) or a JWT bearer token" })
        if (token.startsWith("llmo_")) {
          const result = yield* keys.verify(token).pipe(Effect.orElseSucceed(() => ({ _tag: "Rejected", reason: "invalid_key" }) as const))
          if (result._tag === "Accepted") {
            const k = result.key
            return { kind: "key", id: k.id, name: k.name, role: k.role, workflows: k.workflows } satisfies Principal
          }
          const messages = { invalid_key: "Unknown API key", revoked_key: "This API key was revoked", expired_key: "This API key has expired" } as const
          return yield* new ApiError.Unauthorized({ code: result.reason, message: messages[result.reason] })
        }
        if (options.jwt !== undefined && Jwt.looksLikeJwt(token)) {
          const result = yield* options.jwt.verify(token)
          if (result._tag === "Accepted") return result.principal
          const messages = { invalid_token: "The token's signature, issuer or audience is not accepted", expired_token: "The token has expired", missing_role: "The token has no role claim (viewer, runner or admin) or no subject" } as const
          return yield* new ApiError.Unauthorized({ code: result.reason, message: messages[result.reason] })
        }
        return yield* new ApiError.Unauthorized({ code: Jwt.looksLikeJwt(token) ? "invalid_token" : "invalid_key", message: Jwt.looksLikeJwt(token) ? "This server accepts no JWTs (no JWT verification configured)" : "Not an API key of this server" })
      })

    const handle = <E>(
      httpEffect: Effect.Effect<HttpServerResponse.HttpServerResponse, E, CurrentPrincipal>,
      endpoint: HttpApiEndpoint.Top,
      group: HttpApiGroup.Top
    ) =>
      Effect.gen(function*(): Effect.fn.Return<HttpServerResponse.HttpServerResponse, E | ApiError.Unauthorized | ApiError.Forbidden, HttpServerRequest.HttpServerRequest | HttpRouter.RouteContext> {
        const request = yield* HttpServerRequest.HttpServerRequest
        const params = yield* HttpRouter.params
        const action = `${group.identifier}.${endpoint.identifier}`
        const defaultTarget = targetOf(group.identifier, params)
        const audited = mutating(request.method)
        const refuse = (principal: Principal | undefined, error: ApiError.Unauthorized | ApiError.Forbidden) =>
          Effect.gen(function*() {
            if (audited) yield* record(request, principal, action, defaultTarget, statusOf(error), error.code)
            failures.set(request, error)
            return yield* Effect.fail(error)
          })

        const requirement = Permission.of(endpoint)
        const header = request.headers["authorization"]
        const bearer = header !== undefined && /^bearer\s+/i.test(header) ? header.replace(/^bearer\s+/i, "").trim() : undefined
        // Held as Redacted from here on: printed, it shows <redacted>.
        const credential = Redacted.make(bearer ?? request.headers["x-api-key"]?.trim() ?? "")
        const principal = yield* Effect.result(authenticate(credential))
        if (principal._tag === "Failure") return yield* refuse(undefined, principal.failure)
        const who = principal.success
        if (requirement === undefined || requirement === "public") {
          // "public" endpoints carry no Authentication middleware; reaching here without a permission is a definition bug.
          return yield* refuse(who, new ApiError.Forbidden({ code: "forbidden", message: `Endpoint ${action} declares no permission; it is refused to everybody` }))
        }
        if (!Role.can(who.role, requirement)) {
          return yield* refuse(who, new ApiError.Forbidden({
            code: "forbidden",
            message: `${requirement} needs role ${Role.weakestWith(requirement)} or above; this ${who.kind === "key" ? "key" : "token"} has role ${who.role}`,
            permission: requirement
          }))
        }
        const rate = yield* Effect.result(limiter.consume({
          key: `llmo:rate:${who.kind}:${who.id}`,
          limit: options.limits.requestsPerWindow,
          window: options.limits.window,
          onExceeded: "fail"
        }))
        if (rate._tag === "Failure") {
          const reason = rate.failure.reason
          const retryAfter = reason._tag === "RateLimitExceeded" ? Math.max(1, Math.ceil(Duration.toMillis(reason.retryAfter) / 1000)) : Math.ceil(windowMillis / 1000)
          const error = new ApiError.TooManyRequests({
            code: "rate_limited",
            message: `Over ${options.limits.requestsPerWindow} requests per ${Duration.format(options.limits.window)} for this ${who.kind === "key" ? "key" : "subject"}; retry after ${retryAfter}s`,
            retryAfterSeconds: retryAfter
          })
          if (audited) yield* record(request, who, action, defaultTarget, 429, "rate_limited")
          return HttpServerResponse.jsonUnsafe(error, { status: 429, headers: { "retry-after": String(retryAfter) } })
        }
        const note = { target: defaultTarget, detail: undefined as string | undefined }
        const run = httpEffect.pipe(
          Effect.provideService(CurrentPrincipal, who),
          Effect.provideService(AuditNote, note)
        )
        if (!audited) return yield* run
        return yield* run.pipe(
          Effect.onExit((exit) => {
            if (Exit.isSuccess(exit)) return record(request, who, action, note.target, exit.value.status, note.detail)
            const failure = Cause.findErrorOption(exit.cause)
            const error = failure._tag === "Some" ? ((failure.value as { error?: unknown }).error ?? failure.value) : undefined
            const code = (error as { code?: unknown } | undefined)?.code
            return record(request, who, action, note.target, Cause.hasInterruptsOnly(exit.cause) ? 499 : statusOf(error), typeof code === "string" ? code : note.detail)
          })
        )
      })

    return Authentication.of({
      bearer: (httpEffect, { endpoint, group }) => handle(httpEffect, endpoint, group),
      apiKey: (_httpEffect, _options) =>
        Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
          const failure = failures.get(request)
          return Effect.fail((failure ?? new ApiError.Unauthorized({ code: "missing_credentials", message: "No credentials" })) as ApiError.Unauthorized)
        })
    })
  }))


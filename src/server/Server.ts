/**
 * `llm-orchestrator serve` as a layer: the HttpApi routes with their handlers, authentication and audit, `/openapi.json`
 * and the docs page, global limits (body size, request timeout), request ids, CORS when configured, TLS when given a
 * certificate, on the run service, workflow registry, key store and audit log in context.
 *
 * Shutting down (closing the layer, e.g. on SIGTERM): event streams end, the server stops accepting connections and
 * lets requests in flight finish (up to `gracePeriod`), and the run service checkpoints what is still running.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { Server } from "llm-orchestrator/server"
 * const main = Layer.launch(Server.layer({ port: 8080 }).pipe(Layer.provide(Backend.layer({ store: "sqlite:runs.db" }))))
 * ```
 */
import { createServer as createHttpServer } from "node:http"
import { createServer as createHttpsServer } from "node:https"
import { readFileSync } from "node:fs"
// The deep import: the package index also loads the Redis client, WebSocket and cluster socket modules.
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Cause, Clock, Deferred, Duration, Effect, Layer, SchemaIssue, type Types } from "effect"
import { HttpIncomingMessage, HttpRouter, HttpServer, HttpServerRequest, HttpServerResponse } from "effect/http"
import { HttpApiBuilder, HttpApiError } from "effect/http-api"
import { RateLimiter } from "effect/persistence"
import { randomUUID } from "node:crypto"
import * as Jwt from "../auth/Jwt.ts"
import type { KeyStore } from "../auth/KeyStore.ts"
import { Api, RequestErrors } from "./Api.ts"
import * as ApiError from "./ApiError.ts"
import * as Docs from "./Docs.ts"
import type { AuditLog } from "./AuditLog.ts"
import * as Handlers from "./Handlers.ts"
import * as Limits from "./Limits.ts"
import type { RunService } from "./RunService.ts"
import * as Security from "./Security.ts"
import * as ServerMetrics from "./ServerMetrics.ts"
import type { WorkflowRegistry } from "./WorkflowRegistry.ts"
import type { WorkflowTemplates } from "./WorkflowTemplates.ts"
import type { WorkflowVersions } from "./WorkflowVersions.ts"
import type { WorkflowServices } from "./WorkflowServices.ts"

/**
 * Options of the server.
 *
 * @example
 * ```ts
 * const options: Server.Options = { host: "0.0.0.0", port: 8443, tls: { certFile: "cert.pem", keyFile: "key.pem" }, limits: { requestsPerWindow: 120 } }
 * ```
 */
export interface Options {
  /** Default 127.0.0.1 (only this machine); `0.0.0.0` to listen on every interface. */
  readonly host?: string | undefined
  /** Default 8080; 0 picks a free port (`HttpServer.address` tells which). */
  readonly port?: number | undefined
  /** Serve HTTPS with this certificate and key (PEM files). */
  readonly tls?: { readonly certFile: string; readonly keyFile: string } | undefined
  readonly limits?: Parameters<typeof Limits.make>[0] | undefined
  /** Origins allowed to call the API from a browser; CORS is off without it. */
  readonly cors?: { readonly origins: ReadonlyArray<string> } | undefined
  /** JWT bearer tokens (HS256 secret or JWKS); without it only API keys authenticate. */
  readonly jwt?: Jwt.Options | undefined
  /** The API docs page at `/docs` (default true). */
  readonly docs?: boolean | undefined
  /** How long shutting down waits for requests in flight (default 10 s). */
  readonly gracePeriod?: Duration.Input | undefined
  /** How often event streams read the store (default 100 ms). */
  readonly pollInterval?: Duration.Input | undefined
}

/**
 * How long shutting down waits for requests in flight by default, before the run service's own grace period (see
 * `Backend.defaultGracePeriod`); a container's stop timeout must exceed the two together.
 *
 * @example
 * ```ts
 * Server.defaultGracePeriod // "10 seconds"
 * ```
 */
export const defaultGracePeriod = "10 seconds"

const formatIssues = SchemaIssue.makeFormatterStandardSchemaV1()

const pathOf = (slot: string, path: ReadonlyArray<unknown> | undefined) =>
  [slot, ...(path ?? []).map((p) => String(typeof p === "object" && p !== null && "key" in p ? (p as { key: unknown }).key : p))].join(".")

/** Request decoding failures as `BadRequest` with field paths; a body over the limit as `PayloadTooLarge`. */
const layerRequestErrors = (limits: Limits.Limits): Layer.Layer<RequestErrors> =>
  Layer.succeed(RequestErrors, (httpEffect) =>
    Effect.catch(httpEffect, (error: unknown) => {
      if (HttpApiError.HttpApiSchemaError.is(error)) {
        if (error.kind === "Body" || error.kind === "ResponseHeaders") return Effect.die(error)
        const slot = error.kind === "Payload" ? "payload" : error.kind.toLowerCase()
        const issues = formatIssues(error.cause.issue).issues.map((i) => ({ path: pathOf(slot, i.path as ReadonlyArray<unknown>), message: i.message }))
        return Effect.fail(new ApiError.BadRequest({
          code: "invalid_request",
          message: issues.length === 0 ? `Invalid ${slot}` : issues.map((i) => `${i.path}: ${i.message}`).join("; "),
          errors: issues
        }))
      }
      const e = error as { _tag?: string; reason?: { _tag?: string; reason?: string; cause?: unknown } }
      if (e?._tag === "HttpServerError" && e.reason?._tag === "RequestParseError") {
        if (e.reason.reason === "BodyTooLarge") {
          return Effect.fail(new ApiError.PayloadTooLarge({ code: "payload_too_large", message: `The request body is over the limit of ${limits.bodyBytes} bytes`, limitBytes: limits.bodyBytes }))
        }
        const detail = e.reason.cause instanceof Error ? e.reason.cause.message : "the body could not be read"
        return Effect.fail(new ApiError.BadRequest({ code: "invalid_request", message: `Malformed request body: ${detail}`, errors: [{ path: "payload", message: detail }] }))
      }
      return Effect.fail(error)
    }) as never)

const json = (status: number, body: unknown, headers: Record<string, string> = {}) => HttpServerResponse.jsonUnsafe(body, { status, headers })

/**
 * Global middleware: a request id on every request and response, the body limit, the request timeout (event streams
 * excepted), JSON bodies for unknown routes and internal errors.
 */
const layerGlobal = (limits: Limits.Limits) =>
  HttpRouter.middleware((httpEffect) =>
    // Every failure becomes a JSON response here; the cast keeps the router's "unhandled" marker in the type.
    (Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const startedAt = yield* Clock.currentTimeNanos
      const given = request.headers["x-request-id"]
      const requestId = given !== undefined && /^[A-Za-z0-9._:-]{1,100}$/.test(given) ? given : `req-${randomUUID()}`
      const streaming = /\/events(\?|$)/.test(request.url)
      let effect = httpEffect.pipe(
        Effect.provideService(HttpServerRequest.HttpServerRequest, request.modify({ headers: { ...request.headers, "x-request-id": requestId } })),
        Effect.provideService(HttpIncomingMessage.MaxBodySize, limits.bodyBytes as never)
      )
      if (!streaming) {
        effect = effect.pipe(
          Effect.timeoutOrElse({
            duration: limits.requestTimeout,
            orElse: () => Effect.succeed(json(503, new ApiError.Unavailable({ code: "timeout", message: `The request took longer than ${Duration.format(limits.requestTimeout)}` })))
          })
        )
      }
      const response = yield* effect.pipe(
        Effect.catchCause((cause) =>
          Effect.gen(function*() {
            const error = Cause.squash(cause) as { _tag?: string; message?: unknown; reason?: { _tag?: string; reason?: string } } | undefined
            if (error?._tag === "HttpServerError" && error.reason?._tag === "RequestParseError" && error.reason.reason === "BodyTooLarge") {
              return json(413, new ApiError.PayloadTooLarge({ code: "payload_too_large", message: `The request body is over the limit of ${limits.bodyBytes} bytes`, limitBytes: limits.bodyBytes }))
            }
            if (error?._tag === "HttpServerError" && error.reason?._tag === "RouteNotFound") {
              return json(404, new ApiError.NotFound({ code: "route_not_found", message: `No route ${request.method} ${request.url.split("?")[0]}` }))
            }
            // Only the tag and message: the cause holds the request, whose headers hold the caller's credentials.
            yield* Effect.logError(`request ${requestId} (${request.method} ${request.url.split("?")[0]}) failed: ${error?._tag ?? "Defect"}: ${String(error?.message ?? error)}`)
            return json(500, new ApiError.InternalError({ code: "internal", message: `Internal error (request ${requestId})` }))
          })
        )
      )
      const seconds = Number((yield* Clock.currentTimeNanos) - startedAt) / 1e9
      ServerMetrics.recordUnsafe(request.method, ServerMetrics.routeOf(request.method, request.url.split("?")[0]!), response.status, seconds, yield* Effect.context<never>())
      return HttpServerResponse.setHeader(response, "x-request-id", requestId)
    }) as Effect.Effect<HttpServerResponse.HttpServerResponse, Types.unhandled, HttpServerRequest.HttpServerRequest>), { global: true })

/**
 * The HTTP routes of the API, without a listening server (for `HttpRouter.serve`, `toWebHandler`, tests).
 *
 * @example
 * ```ts
 * HttpRouter.serve(Server.routes(options))
 * ```
 */
export const routes = (options: Options, stop: Effect.Effect<void>) => {
  const limits = Limits.make(options.limits)
  const security = Layer.unwrap(Effect.gen(function*() {
    const jwt = options.jwt === undefined ? undefined : yield* Jwt.make(options.jwt)
    return Security.layer({ limits, jwt })
  }))
  const handlers = Handlers.layer({ limits, stop, pollInterval: options.pollInterval }).pipe(
    Layer.provide([security, layerRequestErrors(limits)]),
    Layer.provide(RateLimiter.layer.pipe(Layer.provide(RateLimiter.layerStoreMemory)))
  )
  const api = HttpApiBuilder.layer(Api, { openapiPath: "/openapi.json" }).pipe(Layer.provide(handlers))
  return Layer.mergeAll(
    api,
    layerGlobal(limits),
    ...(options.docs === false ? [] : [Docs.layer(Api, "/docs")]),
    ...(options.cors === undefined ? [] : [HttpRouter.cors({ allowedOrigins: options.cors.origins, allowedHeaders: ["authorization", "x-api-key", "content-type", "idempotency-key", "last-event-id", "x-request-id"], exposedHeaders: ["x-request-id", "retry-after"] })])
  )
}

/**
 * The listening server (and `HttpServer` for its address) on the services in context.
 *
 * @example
 * ```ts
 * const address = yield* HttpServer.HttpServer.pipe(Effect.map((s) => s.address))
 * ```
 */
export const layer = (options: Options = {}): Layer.Layer<
  HttpServer.HttpServer,
  unknown,
  RunService | WorkflowRegistry | WorkflowVersions | WorkflowTemplates | WorkflowServices | KeyStore | AuditLog
> =>
  Layer.unwrap(Effect.gen(function*() {
    const stop = yield* Deferred.make<void>()
    // Runs first on shutdown (finalizers run in reverse): event streams end, so the server can close.
    yield* Effect.addFinalizer(() => Deferred.succeed(stop, undefined))
    const tls = options.tls
    const make = tls === undefined
      ? () => createHttpServer()
      : () => createHttpsServer({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) })
    const server = NodeHttpServer.layer(make, {
      port: options.port ?? 8080,
      host: options.host ?? "127.0.0.1",
      // Node's default listen backlog (511) resets connections of a burst of clients; the kernel caps this at somaxconn.
      backlog: 4096,
      gracefulShutdownTimeout: options.gracePeriod ?? defaultGracePeriod
    })
    return Layer.merge(
      HttpRouter.serve(routes(options, Deferred.await(stop)), { disableLogger: true, disableListenLog: true }),
      Layer.effect(HttpServer.HttpServer, HttpServer.HttpServer)
    ).pipe(Layer.provide(server))
  }))


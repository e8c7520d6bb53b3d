/**
 * Prometheus text exposition of every effect metric in the process (workflow runs and steps, GenAI calls, the
 * reliability layer's retries, breaker state, cache and rate-limiter metrics, adapter tokens and cost), with GenAI
 * metrics under their Prometheus names (`gen_ai_client_operation_duration_seconds`, ...). Three pieces: the text
 * ({@link format}), a handler to mount on any router ({@link handler}, {@link layerRoute}: the REST server's `/metrics`
 * uses it), and a standalone server for long-running processes ({@link layerServer}, the CLI's `--metrics-port`).
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { Prometheus } from "llm-orchestrator/telemetry"
 * // a worker serving http://0.0.0.0:9464/metrics while it runs
 * const main = runWorker.pipe(Effect.provide(Prometheus.layerServer({ port: 9464 })))
 * ```
 */
import { createServer } from "node:http"
// The deep import: the package index also loads the Redis client, WebSocket and cluster socket modules.
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Effect, Layer } from "effect"
import { HttpRouter, HttpServer, type HttpServerError, HttpServerResponse } from "effect/http"
import { PrometheusMetrics } from "effect/observability"
import { latest, type Names, v1_41 } from "./Semconv.ts"
import { Enabled } from "./WorkflowMetrics.ts"

const genAiNames = new Map<string, string>()
for (const table of [v1_41, latest] satisfies ReadonlyArray<Names>) {
  for (const m of Object.values(table.metrics)) if (m !== undefined) genAiNames.set(m.name, m.prometheus)
}

/**
 * The Prometheus name of a metric id: GenAI metrics get their convention names (with unit suffix and `_total`), other
 * metrics are named as they are already.
 *
 * @example
 * ```ts
 * Prometheus.metricName("gen_ai.client.token.usage") // "gen_ai_client_token_usage"
 * Prometheus.metricName("workflow_runs_started_total") // "workflow_runs_started_total"
 * ```
 */
export const metricName = (id: string): string => genAiNames.get(id) ?? id

/**
 * The content type of the text exposition format.
 *
 * @example
 * ```ts
 * HttpServerResponse.text(body, { contentType: Prometheus.contentType })
 * ```
 */
export const contentType = "text/plain; version=0.0.4; charset=utf-8"

/**
 * Every metric of the current registry in the Prometheus text format.
 *
 * @example
 * ```ts
 * const text = yield* Prometheus.format
 * ```
 */
export const format: Effect.Effect<string> = PrometheusMetrics.format({ metricNameMapper: metricName })

/**
 * A response with the current metrics: mount it wherever the process serves HTTP.
 *
 * @example
 * ```ts
 * HttpRouter.add("GET", "/metrics", Prometheus.handler)
 * ```
 */
export const handler: Effect.Effect<HttpServerResponse.HttpServerResponse> = Effect.map(
  format,
  (body) => HttpServerResponse.text(body, { contentType })
)

/**
 * Adds `GET /metrics` (or `path`) to the `HttpRouter` in context.
 *
 * @example
 * ```ts
 * HttpRouter.serve(Layer.mergeAll(ApiRoutes, Prometheus.layerRoute()))
 * ```
 */
export const layerRoute = (path: HttpRouter.PathInput = "/metrics"): Layer.Layer<never, never, HttpRouter.HttpRouter> =>
  HttpRouter.add("GET", path, handler)

/**
 * A layer that turns workflow metrics on for everything it is provided to (see `WorkflowMetrics.Enabled`).
 *
 * @example
 * ```ts
 * Workflow.run(wf, input).pipe(Effect.provide(Prometheus.layerEnabled))
 * ```
 */
export const layerEnabled: Layer.Layer<never> = Layer.succeed(Enabled, true)

/**
 * Serves `GET /metrics` on `port` (0 for a random one; `HttpServer.address` tells which) while the layer is alive, and
 * turns workflow metrics on.
 *
 * @example
 * ```ts
 * program.pipe(Effect.provide(Prometheus.layerServer({ port: 9464 })))
 * ```
 */
export const layerServer = (
  options: { readonly port: number; readonly host?: string | undefined }
): Layer.Layer<HttpServer.HttpServer, HttpServerError.ServeError> =>
  Layer.mergeAll(
    HttpRouter.serve(layerRoute(), { disableLogger: true, disableListenLog: true }),
    Layer.effect(HttpServer.HttpServer, HttpServer.HttpServer),
    layerEnabled
  ).pipe(Layer.provide(NodeHttpServer.layer(createServer, { port: options.port, host: options.host ?? "0.0.0.0" })))

/**
 * {@link layerServer} providing nothing to the program (the server is only a side effect of the layer).
 *
 * @example
 * ```ts
 * Layer.mergeAll(Tracing.layer(), Prometheus.layerServerOnly({ port: 9464 }))
 * ```
 */
export const layerServerOnly = (
  options: { readonly port: number; readonly host?: string | undefined }
): Layer.Layer<never, HttpServerError.ServeError> =>
  Layer.merge(HttpRouter.serve(layerRoute(), { disableLogger: true, disableListenLog: true }), layerEnabled).pipe(
    Layer.provide(NodeHttpServer.layer(createServer, { port: options.port, host: options.host ?? "0.0.0.0" }))
  )

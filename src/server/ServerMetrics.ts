/**
 * The server's own Prometheus metrics, beside the engine's on `GET /metrics`: requests by route (the API
 * definition's path pattern, so ids do not explode the series), method and status, their latency, and the runs of
 * the store that have not finished, by status. `llmo_runs_active{status="pending"}` is the queue (runs waiting for a
 * runner) and `{status="running"}` the runs in flight: what an autoscaler scales workers on.
 *
 * @example
 * ```ts
 * import { Metric } from "effect"
 * import { ServerMetrics } from "llm-orchestrator/server"
 * const inFlight = Metric.value(ServerMetrics.runsActive.pipe(Metric.withAttributes({ status: "running" })))
 * ```
 */
import { type Context, Metric } from "effect"
import { Api } from "./Api.ts"

/**
 * Requests answered, by `route` (`/runs/:id`; `unmatched` for a path of no route), `method` and `status`.
 *
 * @example
 * ```ts
 * Metric.value(ServerMetrics.requests.pipe(Metric.withAttributes({ route: "/health", method: "GET", status: "200" })))
 * ```
 */
export const requests = Metric.counter("llmo_http_requests_total", { description: "HTTP requests answered by the REST server", incremental: true })

/**
 * Time to the response's head (an event stream counts until its headers), by `route` and `method`.
 *
 * @example
 * ```ts
 * Metric.value(ServerMetrics.requestDuration.pipe(Metric.withAttributes({ route: "/runs/:id", method: "GET" })))
 * ```
 */
export const requestDuration = Metric.histogram("llmo_http_request_duration_seconds", {
  description: "REST server request duration until the response head (seconds)",
  boundaries: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
})

/**
 * Runs of the store that have not finished, by `status` (`pending`: queued for a runner, `running`, `suspended`);
 * read from the store when `/metrics` is scraped, so it counts the runs of every process on the store.
 *
 * @example
 * ```ts
 * Metric.value(ServerMetrics.runsActive.pipe(Metric.withAttributes({ status: "pending" })))
 * ```
 */
export const runsActive = Metric.gauge("llmo_runs_active", { description: "Unfinished runs in the store, by status (pending = queued)" })

/**
 * The statuses {@link runsActive} reports (each scrape sets all of them, 0 included).
 *
 * @example
 * ```ts
 * ServerMetrics.activeStatuses // ["pending", "running", "suspended"]
 * ```
 */
export const activeStatuses = ["pending", "running", "suspended"] as const

/**
 * The metric names this module defines (for dashboards, autoscalers and their tests).
 *
 * @example
 * ```ts
 * ServerMetrics.names.includes("llmo_runs_active") // true
 * ```
 */
export const names: ReadonlyArray<string> = ["llmo_http_requests_total", "llmo_http_request_duration_seconds", "llmo_runs_active"]

interface Route {
  readonly method: string
  readonly path: string
  readonly pattern: RegExp
}

const routesOf = (): ReadonlyArray<Route> => {
  const out: Array<Route> = []
  for (const group of Object.values(Api.groups)) {
    for (const endpoint of Object.values(group.endpoints) as ReadonlyArray<{ readonly method: string; readonly path: string }>) {
      const source = endpoint.path.split("/").map((part) => (part.startsWith(":") ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))).join("/")
      out.push({ method: endpoint.method, path: endpoint.path, pattern: new RegExp(`^${source}$`) })
    }
  }
  // Literal segments before parameters: `/runs/prune` is its own route, not `/runs/:id`.
  return out.sort((a, b) => (a.path.includes(":") ? 1 : 0) - (b.path.includes(":") ? 1 : 0))
}

const fixed = new Set(["/openapi.json", "/docs"])

/**
 * The route pattern of a request path (`/runs/run-1/events` -> `/runs/:id/events`), or `unmatched`.
 *
 * @example
 * ```ts
 * ServerMetrics.routeOf("GET", "/runs/run-1") // "/runs/:id"
 * ```
 */
export const routeOf: (method: string, path: string) => string = (() => {
  let routes: ReadonlyArray<Route> | undefined
  return (method, path) => {
    if (fixed.has(path)) return path
    routes ??= routesOf()
    for (const r of routes) if (r.method === method && r.pattern.test(path)) return r.path
    return "unmatched"
  }
})()

type Tagged = Metric.Metric<number, unknown>
const requestSeries = new Map<string, Tagged>()
const durationSeries = new Map<string, Tagged>()

/**
 * Counts one answered request (hot path: the labelled series are made once).
 *
 * @example
 * ```ts
 * ServerMetrics.recordUnsafe("GET", "/health", 200, 0.002, context)
 * ```
 */
export const recordUnsafe = (method: string, route: string, status: number, seconds: number, context: Context.Context<never>): void => {
  const key = `${method} ${route} ${status}`
  let counter = requestSeries.get(key)
  if (counter === undefined) {
    counter = Metric.withAttributes(requests, { route, method, status: String(status) })
    requestSeries.set(key, counter)
  }
  counter.updateUnsafe(1, context)
  const dkey = `${method} ${route}`
  let histogram = durationSeries.get(dkey)
  if (histogram === undefined) {
    histogram = Metric.withAttributes(requestDuration, { route, method })
    durationSeries.set(dkey, histogram)
  }
  histogram.updateUnsafe(seconds, context)
}

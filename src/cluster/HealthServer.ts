/**
 * The health endpoints of a worker, for container HEALTHCHECKs and Kubernetes probes: `GET /health` answers 200 while
 * the process serves requests at all (liveness), `GET /ready` 200 once the worker has joined the cluster and
 * registered its workflows, and 503 from the moment it starts shutting down (readiness). Plain `node:http`, no
 * authentication: it says nothing but up or not.
 *
 * @example
 * ```ts
 * const health = yield* HealthServer.listen({ host: "0.0.0.0", port: 9090 })
 * health.setReady(true)
 * ```
 */
import { Effect, type Scope } from "effect"
import { createServer } from "node:http"

/**
 * A listening health server.
 *
 * @example
 * ```ts
 * health.port // the port it listens on (an ephemeral one when 0 was asked)
 * ```
 */
export interface HealthServer {
  readonly port: number
  readonly setReady: (ready: boolean) => void
}

/**
 * Listens on `host:port` for the lifetime of the scope.
 *
 * @example
 * ```ts
 * const health = yield* HealthServer.listen({ host: "127.0.0.1", port: 0 })
 * ```
 */
export const listen = (options: { readonly host: string; readonly port: number }): Effect.Effect<HealthServer, Error, Scope.Scope> =>
  Effect.gen(function*() {
    let ready = false
    const server = createServer((req, res) => {
      const path = (req.url ?? "/").split("?")[0]
      const send = (status: number, body: object) => {
        res.writeHead(status, { "content-type": "application/json" })
        res.end(JSON.stringify(body))
      }
      if (req.method !== "GET" && req.method !== "HEAD") return send(405, { error: "method not allowed" })
      if (path === "/health") return send(200, { status: "ok" })
      if (path === "/ready") return ready ? send(200, { status: "ready" }) : send(503, { status: "not ready" })
      return send(404, { error: "not found" })
    })
    const port = yield* Effect.acquireRelease(
      Effect.callback<number, Error>((resume) => {
        server.once("error", (e) => resume(Effect.fail(e)))
        server.listen(options.port, options.host, () => {
          const address = server.address()
          resume(Effect.succeed(typeof address === "object" && address !== null ? address.port : options.port))
        })
      }),
      () => Effect.callback<void>((resume) => {
        server.close(() => resume(Effect.void))
        server.closeAllConnections()
      })
    )
    return { port, setReady: (value: boolean) => void (ready = value) }
  })

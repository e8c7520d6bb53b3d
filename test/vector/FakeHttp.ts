// The plumbing shared by the fake vector-database servers (Pinecone, Chroma, Weaviate, Milvus): an in-process HTTP
// server on 127.0.0.1 (port 0) that records requests, can fail or delay the next one, and hands JSON to a router.
import { createServer, type IncomingHttpHeaders } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect, type Scope } from "effect"

export interface Request {
  readonly method: string
  readonly path: string
  readonly query: Readonly<Record<string, string>>
  /** Repeated query parameters (e.g. `ids=a&ids=b`). */
  readonly queryAll: Readonly<Record<string, ReadonlyArray<string>>>
  readonly headers: IncomingHttpHeaders
  readonly body: any
}

export interface Reply {
  readonly status?: number
  readonly body?: unknown
}

export interface FakeServer {
  readonly url: string
  readonly requests: Array<Request>
  /** The next request is answered with this status and body instead of being served. */
  readonly failNext: (status: number, body: unknown) => void
  /** The next request is answered only after this many milliseconds. */
  readonly delayNext: (millis: number) => void
}

export const startFake = (route: (request: Request, base: string) => Reply): Effect.Effect<FakeServer, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.callback<{ server: ReturnType<typeof createServer>; fake: FakeServer }>((resume) => {
      const requests: Array<Request> = []
      const failures: Array<Reply> = []
      const delays: Array<number> = []
      let base = ""
      const server = createServer((req, res) => {
        const chunks: Array<Buffer> = []
        req.on("data", (c: Buffer) => chunks.push(c))
        req.on("end", () => {
          const url = new URL(req.url ?? "/", "http://localhost")
          const text = Buffer.concat(chunks).toString("utf8")
          let body: any = undefined
          try {
            body = text.length > 0 ? JSON.parse(text) : undefined
          } catch {
            body = text
          }
          const queryAll: Record<string, Array<string>> = {}
          for (const [k, v] of url.searchParams) (queryAll[k] ??= []).push(v)
          const request: Request = {
            method: req.method ?? "GET",
            path: url.pathname,
            query: Object.fromEntries(url.searchParams),
            queryAll,
            headers: req.headers,
            body
          }
          requests.push(request)
          const send = () => {
            let reply: Reply
            try {
              reply = failures.shift() ?? route(request, base)
            } catch (e) {
              reply = { status: 500, body: { error: String(e) } }
            }
            if (res.destroyed) return
            res.writeHead(reply.status ?? 200, { "content-type": "application/json" })
            res.end(reply.body === undefined ? "" : JSON.stringify(reply.body))
          }
          const delay = delays.shift()
          if (delay === undefined) send()
          else setTimeout(send, delay)
        })
      })
      server.listen(0, "127.0.0.1", () => {
        base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
        resume(Effect.succeed({
          server,
          fake: {
            url: base,
            requests,
            failNext: (status, body) => void failures.push({ status, body }),
            delayNext: (millis) => void delays.push(millis)
          }
        }))
      })
    }),
    ({ server }) =>
      Effect.callback<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ fake }) => fake))

// ---------------------------------------------------------------------------------------------------------------------
// Vector maths and JSON path helpers the fakes share (written independently of src/vector, so they are oracles).

export const dot = (a: ReadonlyArray<number>, b: ReadonlyArray<number>) => a.reduce((s, x, i) => s + x * (b[i] ?? 0), 0)
export const norm = (a: ReadonlyArray<number>) => Math.sqrt(dot(a, a))
export const cosine = (a: ReadonlyArray<number>, b: ReadonlyArray<number>) => {
  const n = norm(a) * norm(b)
  return n === 0 ? 0 : dot(a, b) / n
}
export const squaredL2 = (a: ReadonlyArray<number>, b: ReadonlyArray<number>) => a.reduce((s, x, i) => s + (x - (b[i] ?? 0)) ** 2, 0)
// Vectors are stored as float32 by every real database.
export const float32 = (v: ReadonlyArray<number>) => Array.from(new Float32Array(v))

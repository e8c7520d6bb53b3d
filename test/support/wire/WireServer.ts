/**
 * A tiny in-process HTTP server on 127.0.0.1 (port 0) for wire-level adapter tests: records every request and answers
 * with scripted replies (JSON, raw text, SSE with optional mid-stream drop or stall, delays, hangs, dropped sockets).
 */
import { Effect, type Scope } from "effect"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"

export interface RecordedRequest {
  readonly method: string
  readonly path: string
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly rawBody: string
  readonly body: any
}

export type Reply =
  | { readonly kind: "json"; readonly status?: number; readonly headers?: Record<string, string>; readonly body: unknown; readonly delayMillis?: number }
  | { readonly kind: "raw"; readonly status?: number; readonly headers?: Record<string, string>; readonly body: string }
  | {
    readonly kind: "sse"
    readonly events: ReadonlyArray<{ readonly event?: string; readonly data: unknown }>
    /** destroy the socket after this many events (a connection drop mid-stream) */
    readonly dropAfter?: number
    /** stop writing after this many events but keep the connection open (a stream that stalls mid-answer) */
    readonly stallAfter?: number
    readonly delayMillis?: number
  }
  | { readonly kind: "hang" }
  | { readonly kind: "destroy" }

export type Handler = (request: RecordedRequest, index: number) => Reply

export interface WireServer {
  readonly url: string
  readonly requests: Array<RecordedRequest>
  /** Indexes of the requests whose client closed the connection before the reply ended (an aborted call). */
  readonly aborted: Array<number>
  setHandler(handler: Handler): void
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

const answer = async (res: ServerResponse, reply: Reply): Promise<void> => {
  switch (reply.kind) {
    case "json":
      if (reply.delayMillis) await sleep(reply.delayMillis)
      res.writeHead(reply.status ?? 200, { "content-type": "application/json", ...reply.headers })
      res.end(JSON.stringify(reply.body))
      return
    case "raw":
      res.writeHead(reply.status ?? 200, { "content-type": "application/json", ...reply.headers })
      res.end(reply.body)
      return
    case "sse": {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" })
      let n = 0
      for (const e of reply.events) {
        if (reply.dropAfter !== undefined && n >= reply.dropAfter) {
          res.socket?.destroy()
          return
        }
        if (reply.stallAfter !== undefined && n >= reply.stallAfter) return
        if (reply.delayMillis) await sleep(reply.delayMillis)
        const data = typeof e.data === "string" ? e.data : JSON.stringify(e.data)
        res.write(`${e.event === undefined ? "" : `event: ${e.event}\n`}data: ${data}\n\n`)
        n++
      }
      if (reply.dropAfter !== undefined && n >= reply.dropAfter) {
        res.socket?.destroy()
        return
      }
      res.end()
      return
    }
    case "hang":
      return
    case "destroy":
      res.socket?.destroy()
      return
  }
}

/** Starts a server for the enclosing scope; `handler` answers each request (its index counts from 0). */
export const start = (handler: Handler): Effect.Effect<WireServer, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() =>
      new Promise<WireServer & { close(): Promise<void> }>((resolve) => {
        let current = handler
        const requests: Array<RecordedRequest> = []
        const aborted: Array<number> = []
        const server = createServer((req: IncomingMessage, res: ServerResponse) => {
          const chunks: Array<Buffer> = []
          req.on("data", (c: Buffer) => chunks.push(c))
          req.on("end", () => {
            const rawBody = Buffer.concat(chunks).toString("utf8")
            let body: unknown = undefined
            try {
              body = rawBody === "" ? undefined : JSON.parse(rawBody)
            } catch {
              body = rawBody
            }
            const headers: Record<string, string | undefined> = {}
            for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(",") : v
            const recorded: RecordedRequest = { method: req.method ?? "GET", path: req.url ?? "/", headers, rawBody, body }
            const index = requests.length
            requests.push(recorded)
            res.on("close", () => {
              if (!res.writableEnded) aborted.push(index)
            })
            void answer(res, current(recorded, index)).catch(() => res.socket?.destroy())
          })
        })
        server.listen(0, "127.0.0.1", () => {
          const { port } = server.address() as AddressInfo
          resolve({
            url: `http://127.0.0.1:${port}`,
            requests,
            aborted,
            setHandler: (h) => {
              current = h
            },
            close: () =>
              new Promise<void>((done) => {
                server.closeAllConnections()
                server.close(() => done())
              })
          })
        })
      })
    ),
    (server) => Effect.promise(() => server.close())
  )

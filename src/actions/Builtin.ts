/**
 * The built-in actions: `http` (any request, typed JSON or text response, status checks, timeout, retries),
 * `webhook` (POST JSON signed with HMAC-SHA256), `file_read` / `file_write` (confined to one directory), and `log`.
 *
 * @example
 * ```yaml
 * - id: fetch_user
 *   type: action
 *   action: http
 *   method: GET
 *   url: "https://api.example.com/users/{{ input.id }}"
 *   expect_status: [200]
 * ```
 */
import { createHmac } from "node:crypto"
import { mkdir, readFile, realpath, writeFile, appendFile } from "node:fs/promises"
import { dirname, isAbsolute, relative, resolve, sep } from "node:path"
import { Duration, Effect, Redacted, Schedule, Schema } from "effect"
import { toMillis } from "../../codegen/duration.ts"
import { type Action, ActionFailed, make } from "./Action.ts"

const DurationText = Schema.String.check(Schema.makeFilter((s: string) => {
  try {
    toMillis(s)
    return true
  } catch {
    return `not a duration: "${s}" (e.g. 500ms, 10s)`
  }
}))

const Retry = Schema.Struct({ times: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)), base: Schema.optionalKey(DurationText) })

/** Parameters of `http`. */
export const HttpParams = Schema.Struct({
  method: Schema.optionalKey(Schema.Literals(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"])),
  url: Schema.String,
  headers: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
  /** A JSON body (sent with content-type application/json). */
  json: Schema.optionalKey(Schema.Unknown),
  /** A text body. */
  body: Schema.optionalKey(Schema.String),
  timeout: Schema.optionalKey(DurationText),
  retry: Schema.optionalKey(Retry),
  /** `json` (default when the response says so), `text`. */
  response: Schema.optionalKey(Schema.Literals(["json", "text"])),
  /** Accepted statuses (default: any 2xx). */
  expect_status: Schema.optionalKey(Schema.Array(Schema.Int))
})

/** What `http` and `webhook` return. */
export interface HttpResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: unknown
}

const transient = (status: number) => status === 408 || status === 425 || status === 429 || status >= 500

const request = (
  action: string,
  p: {
    readonly method: string
    readonly url: string
    readonly headers: Record<string, string>
    readonly body: string | undefined
    readonly timeoutMillis: number
    readonly response?: "json" | "text" | undefined
    readonly expect?: ReadonlyArray<number> | undefined
  }
): Effect.Effect<HttpResponse, ActionFailed> =>
  Effect.tryPromise({
    try: async (signal) => {
      const res = await fetch(p.url, {
        method: p.method,
        headers: p.headers,
        ...(p.body !== undefined ? { body: p.body } : {}),
        signal: AbortSignal.any([signal, AbortSignal.timeout(p.timeoutMillis)])
      })
      const text = await res.text()
      const headers = Object.fromEntries(res.headers.entries())
      const asJson = p.response === "json" || (p.response === undefined && (headers["content-type"] ?? "").includes("json"))
      let body: unknown = text
      if (asJson && text !== "") {
        try {
          body = JSON.parse(text)
        } catch {
          throw new ActionFailed({ action, message: `${p.method} ${p.url}: response is not JSON: ${text.slice(0, 200)}`, status: res.status, retryable: false })
        }
      }
      const ok = p.expect !== undefined ? p.expect.includes(res.status) : res.status >= 200 && res.status < 300
      if (!ok) {
        throw new ActionFailed({
          action,
          message: `${p.method} ${p.url}: status ${res.status}${p.expect !== undefined ? ` (expected ${p.expect.join(", ")})` : ""}: ${text.slice(0, 200)}`,
          status: res.status,
          retryable: transient(res.status)
        })
      }
      return { status: res.status, headers, body }
    },
    catch: (e) =>
      e instanceof ActionFailed
        ? e
        : new ActionFailed({
          action,
          message: `${p.method} ${p.url}: ${e instanceof Error && e.name === "TimeoutError" ? `no response after ${p.timeoutMillis}ms` : e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)}`,
          retryable: true
        })
  })

const withRetry = (retry: { readonly times: number; readonly base?: string } | undefined) => <A>(e: Effect.Effect<A, ActionFailed>) =>
  retry === undefined || retry.times === 0
    ? e
    : Effect.retry(e, {
      schedule: Schedule.exponential(Duration.millis(retry.base !== undefined ? toMillis(retry.base) : 200)),
      times: retry.times,
      while: (err) => err.retryable
    })

/** `http`: one HTTP request. */
export const http: Action<typeof HttpParams.Type, HttpResponse, ActionFailed> = make({
  description: "An HTTP request; returns { status, headers, body }",
  params: HttpParams,
  run: (p) => {
    const headers: Record<string, string> = { ...p.headers }
    let body = p.body
    if (p.json !== undefined) {
      body = JSON.stringify(p.json)
      headers["content-type"] ??= "application/json"
    }
    return request("http", {
      method: p.method ?? (body !== undefined ? "POST" : "GET"),
      url: p.url,
      headers,
      body,
      timeoutMillis: p.timeout !== undefined ? toMillis(p.timeout) : 30_000,
      response: p.response,
      expect: p.expect_status
    }).pipe(withRetry(p.retry))
  }
})

/** Parameters of `webhook`. */
export const WebhookParams = Schema.Struct({
  url: Schema.String,
  payload: Schema.Unknown,
  headers: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
  timeout: Schema.optionalKey(DurationText),
  retry: Schema.optionalKey(Retry)
})

/** The signature header `webhook` sends: `sha256=` + hex HMAC-SHA256 of the exact body with the secret. */
export const signatureHeader = "x-signature-256"

/** Signs `body` as `webhook` does. */
export const sign = (secret: string, body: string): string => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`

/** `webhook`: POSTs `payload` as JSON with an HMAC-SHA256 signature of the body (when a secret is configured). */
export const webhook = (secret: Redacted.Redacted<string> | undefined): Action<typeof WebhookParams.Type, HttpResponse, ActionFailed> =>
  make({
    description: "POST a JSON payload, signed with HMAC-SHA256 (header x-signature-256: sha256=<hex>)",
    params: WebhookParams,
    run: (p) => {
      const body = JSON.stringify(p.payload)
      const headers: Record<string, string> = {
        ...p.headers,
        "content-type": "application/json",
        "x-webhook-timestamp": String(Math.floor(Date.now() / 1000))
      }
      if (secret !== undefined) headers[signatureHeader] = sign(Redacted.value(secret), body)
      return request("webhook", { method: "POST", url: p.url, headers, body, timeoutMillis: p.timeout !== undefined ? toMillis(p.timeout) : 30_000 })
        .pipe(withRetry(p.retry ?? { times: 3 }))
    }
  })

/**
 * The absolute path of `path` inside `root`, or a failure saying why it is refused: absolute paths, `..` and symbolic
 * links that leave `root` are refused.
 */
export const confine = (action: string, root: string, path: string): Effect.Effect<string, ActionFailed> =>
  Effect.tryPromise({
    try: async () => {
      const refuse = (why: string) => {
        throw new ActionFailed({ action, message: `path "${path}" refused: ${why} (files are confined to ${root})`, retryable: false })
      }
      if (isAbsolute(path)) refuse("absolute paths are not allowed")
      const base = await realpath(root)
      const target = resolve(base, path)
      const inside = (p: string) => p === base || p.startsWith(base + sep)
      if (!inside(target)) refuse("it leaves the directory")
      // Resolve links on the deepest part that exists.
      let existing = target
      for (;;) {
        try {
          existing = await realpath(existing)
          break
        } catch {
          const up = dirname(existing)
          if (up === existing) break
          existing = up
        }
      }
      if (!inside(existing)) refuse("a symbolic link leads out of the directory")
      return target
    },
    catch: (e) => (e instanceof ActionFailed ? e : new ActionFailed({ action, message: String(e), retryable: false }))
  })

/** Parameters of `file_read`. */
export const FileReadParams = Schema.Struct({ path: Schema.String, format: Schema.optionalKey(Schema.Literals(["text", "json"])) })

/** Parameters of `file_write`. */
export const FileWriteParams = Schema.Struct({
  path: Schema.String,
  content: Schema.Unknown,
  /** `overwrite` (default) or `append`. */
  mode: Schema.optionalKey(Schema.Literals(["overwrite", "append"]))
})

const fsError = (action: string, path: string) => (e: unknown) =>
  new ActionFailed({ action, message: `${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, retryable: false })

/** `file_read`: reads a file under `root` as text or JSON. */
export const fileRead = (root: string): Action<typeof FileReadParams.Type, unknown, ActionFailed> =>
  make({
    description: "Read a file (text or JSON) under the configured directory",
    params: FileReadParams,
    run: (p) =>
      Effect.flatMap(confine("file_read", root, p.path), (target) =>
        Effect.tryPromise({ try: () => readFile(target, "utf8"), catch: fsError("file_read", p.path) }).pipe(
          Effect.flatMap((text) =>
            p.format === "json"
              ? Effect.try({ try: () => JSON.parse(text) as unknown, catch: () => new ActionFailed({ action: "file_read", message: `${p.path}: not JSON`, retryable: false }) })
              : Effect.succeed(text)
          )
        ))
  })

/** `file_write`: writes text (or JSON for any other value) to a file under `root`; returns `{ path, bytes }`. */
export const fileWrite = (root: string): Action<typeof FileWriteParams.Type, { readonly path: string; readonly bytes: number }, ActionFailed> =>
  make({
    description: "Write (or append) text or JSON to a file under the configured directory",
    params: FileWriteParams,
    run: (p) =>
      Effect.flatMap(confine("file_write", root, p.path), (target) => {
        const text = typeof p.content === "string" ? p.content : `${JSON.stringify(p.content, null, 2)}\n`
        return Effect.tryPromise({
          try: async () => {
            await mkdir(dirname(target), { recursive: true })
            await (p.mode === "append" ? appendFile(target, text) : writeFile(target, text))
            return { path: relative(await realpath(root), target), bytes: Buffer.byteLength(text) }
          },
          catch: fsError("file_write", p.path)
        })
      })
  })

/** Options of the built-ins: the directory files are confined to and the webhook signing secret. */
export interface BuiltinOptions {
  readonly filesDir: string
  readonly webhookSecret?: Redacted.Redacted<string> | undefined
}

/** Every built-in action by name (`log` is the interpreter's own). */
export const builtins = (options: BuiltinOptions): Readonly<Record<string, Action<any, any, any>>> => ({
  http,
  webhook: webhook(options.webhookSecret),
  file_read: fileRead(options.filesDir),
  file_write: fileWrite(options.filesDir)
})

/** The names of the built-in actions. */
export const builtinNames: ReadonlyArray<string> = ["http", "webhook", "file_read", "file_write", "log"]

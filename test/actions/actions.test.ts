/**
 * Built-in actions against real local HTTP servers and a real directory; custom actions from a module, checked by
 * validate; the seed's content-moderation workflow run live end to end (OpenAI and Anthropic wire servers, a content
 * service and a webhook receiver) and with mocks on every path.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, type Scope } from "effect"
import { Builtin } from "../../src/actions/index.ts"
import { runWith } from "../../src/cli/main.ts"
import { Output } from "../../src/cli/Output.ts"
import * as AnthropicWire from "../support/wire/anthropic.ts"
import * as OpenAiWire from "../support/wire/openai.ts"
import * as WireServer from "../support/wire/WireServer.ts"

const root = join(import.meta.dirname, "..", "..")
const ex = (f: string) => join(root, "examples", f)
const dir = mkdtempSync(join(tmpdir(), "llmo-actions-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

interface Seen {
  readonly method: string
  readonly url: string
  readonly headers: IncomingMessage["headers"]
  readonly body: string
}

/** A local HTTP service whose answers a test scripts; records every request. */
const service = (answer: (req: Seen, index: number, res: ServerResponse) => void): Effect.Effect<{ url: string; seen: Array<Seen> }, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() =>
      new Promise<{ url: string; seen: Array<Seen>; close: () => Promise<void> }>((resolve) => {
        const seen: Array<Seen> = []
        const server = createServer((req, res) => {
          let body = ""
          req.on("data", (c: Buffer) => (body += c.toString("utf8")))
          req.on("end", () => {
            const s = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body }
            seen.push(s)
            answer(s, seen.length - 1, res)
          })
        })
        server.listen(0, "127.0.0.1", () =>
          resolve({
            url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
            seen,
            close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r())))
          }))
      })
    ),
    (s) => Effect.promise(() => s.close())
  )

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "content-type": "application/json" })
  res.end(JSON.stringify(body))
}

const cli = (args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const cap = Output.capture()
    const code = yield* runWith(args, cap.layer)
    return { code, stdout: cap.stdout.join("\n"), stderr: cap.stderr.join("\n") }
  })

describe("http", () => {
  it.live("JSON in and out, typed response; a 503 is retried, a 404 is an ActionFailed with the status", () =>
    Effect.gen(function*() {
      const s = yield* service((req, i, res) => {
        if (req.url === "/missing") return json(res, 404, { error: "no" })
        if (i === 0) return json(res, 503, { error: "busy" })
        json(res, 200, { echo: JSON.parse(req.body), auth: req.headers["authorization"] })
      })
      const r = yield* Builtin.http.run({ method: "PUT", url: `${s.url}/items`, json: { a: 1 }, headers: { authorization: "Bearer t" }, retry: { times: 2, base: "10ms" } })
      assert.strictEqual(r.status, 200)
      assert.deepStrictEqual(r.body, { echo: { a: 1 }, auth: "Bearer t" })
      assert.strictEqual(s.seen.length, 2)
      assert.strictEqual(s.seen[1]!.headers["content-type"], "application/json")
      const e = yield* Effect.flip(Builtin.http.run({ url: `${s.url}/missing`, retry: { times: 3, base: "10ms" } }))
      assert.strictEqual(e._tag, "ActionFailed")
      assert.strictEqual(e.status, 404)
      assert.include(e.message, `GET ${s.url}/missing: status 404`)
      assert.strictEqual(s.seen.length, 3) // a 404 is not retried
    }).pipe(Effect.scoped))

  it.live("a timeout fails with a message saying so; expect_status accepts a non-2xx", () =>
    Effect.gen(function*() {
      const s = yield* service((req, _i, res) => (req.url === "/slow" ? undefined : json(res, 409, { conflict: true })))
      const e = yield* Effect.flip(Builtin.http.run({ url: `${s.url}/slow`, timeout: "100ms" }))
      assert.include(e.message, "no response after 100ms")
      const r = yield* Builtin.http.run({ url: `${s.url}/c`, expect_status: [409] })
      assert.deepStrictEqual(r.body, { conflict: true })
    }).pipe(Effect.scoped))
})

describe("webhook", () => {
  it.live("POSTs JSON with an HMAC-SHA256 signature of the exact body", () =>
    Effect.gen(function*() {
      const s = yield* service((_req, _i, res) => json(res, 202, { ok: true }))
      const r = yield* Builtin.webhook(Redacted.make("whsec-1")).run({ url: `${s.url}/hook`, payload: { event: "blocked", n: 1 } })
      assert.strictEqual(r.status, 202)
      const req = s.seen[0]!
      assert.strictEqual(req.method, "POST")
      assert.strictEqual(req.body, `{"event":"blocked","n":1}`)
      assert.strictEqual(req.headers[Builtin.signatureHeader], Builtin.sign("whsec-1", req.body))
      assert.match(String(req.headers[Builtin.signatureHeader]), /^sha256=[0-9a-f]{64}$/)
    }).pipe(Effect.scoped))
})

describe("file_read / file_write", () => {
  it.live("read and write inside the directory; .., absolute paths and links out are refused", () =>
    Effect.gen(function*() {
      const files = join(dir, "files")
      mkdirSync(files, { recursive: true })
      symlinkSync(tmpdir(), join(files, "out"))
      const write = Builtin.fileWrite(files)
      const read = Builtin.fileRead(files)
      const w = yield* write.run({ path: "reports/a.json", content: { n: 1 } })
      assert.deepStrictEqual(w, { path: join("reports", "a.json"), bytes: 13 })
      assert.deepStrictEqual(yield* read.run({ path: "reports/a.json", format: "json" }), { n: 1 })
      yield* write.run({ path: "log.txt", content: "a\n" })
      yield* write.run({ path: "log.txt", content: "b\n", mode: "append" })
      assert.strictEqual(readFileSync(join(files, "log.txt"), "utf8"), "a\nb\n")
      for (const [path, why] of [["../escape.txt", "leaves the directory"], ["/etc/passwd", "absolute paths"], ["out/x.txt", "symbolic link"]] as const) {
        const e = yield* Effect.flip(write.run({ path, content: "x" }))
        assert.include(e.message, why, path)
      }
      const e = yield* Effect.flip(read.run({ path: "../../etc/hostname" }))
      assert.include(e.message, "refused")
    }))
})

describe("custom actions and content-moderation", () => {
  it.live("validate --actions checks action parameters against their schemas, with file:line:col", () =>
    Effect.gen(function*() {
      const good = yield* cli(["validate", "--actions", ex("content-moderation.actions.ts"), ex("content-moderation.yaml")])
      assert.strictEqual(good.code, 0, good.stdout + good.stderr)
      const bad = join(dir, "bad-moderation.yaml")
      writeFileSync(bad, readFileSync(ex("content-moderation.yaml"), "utf8").replace(`priority: "medium"`, `priority: "urgent"\n          colour: red`))
      const r = yield* cli(["validate", "--actions", ex("content-moderation.actions.ts"), bad])
      assert.strictEqual(r.code, 1)
      const lines = r.stdout.split("\n")
      assert.isTrue(lines.some((l) => new RegExp(`^${bad}:\\d+:\\d+: step "flag_for_review" \\(action queue_review\\): parameter "priority": Expected "low" \\| "medium" \\| "high"$`).test(l)), r.stdout)
      assert.isTrue(lines.some((l) => /step "flag_for_review" \(action queue_review\): parameter "colour": unknown parameter$/.test(l)), r.stdout)
    }))

  it.live("runs live on every path: the label from OpenAI picks the branch, actions call the content service and the webhook", () =>
    Effect.gen(function*() {
      const content = yield* service((req, _i, res) => json(res, req.url === "/posts" ? 201 : 200, { at: req.url }))
      const anthropic = yield* WireServer.start(() => AnthropicWire.text("Sorry, it contained personal data."))
      const env = { ...process.env }
      const restore = Effect.sync(() => {
        for (const k of ["OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "CONTENT_API_URL", "NOTIFY_WEBHOOK_URL"]) {
          if (env[k] === undefined) delete process.env[k]
          else process.env[k] = env[k]
        }
      })
      const results: Record<string, unknown> = {}
      for (const label of ["safe", "review", "block"]) {
        const openai = yield* WireServer.start(() => OpenAiWire.chat(label))
        Object.assign(process.env, {
          OPENAI_API_KEY: "sk-1",
          OPENAI_BASE_URL: `${openai.url}/v1`,
          ANTHROPIC_API_KEY: "ak-1",
          ANTHROPIC_BASE_URL: anthropic.url,
          CONTENT_API_URL: content.url,
          NOTIFY_WEBHOOK_URL: `${content.url}/notify`
        })
        const r = yield* cli(["run", ex("content-moderation.yaml"), "--actions", ex("content-moderation.actions.ts"), "--input", `{"content":"post ${label}"}`, "--json"]).pipe(Effect.ensuring(restore))
        assert.strictEqual(r.code, 0, r.stdout + r.stderr)
        const doc = JSON.parse(r.stdout) as { outputs: Record<string, unknown>; steps: Record<string, { status: string }> }
        results[label] = Object.entries(doc.steps).filter(([, st]) => st.status === "succeeded").map(([id]) => id).sort()
      }
      assert.deepStrictEqual(content.seen.map((s) => [s.method, s.url, JSON.parse(s.body)]), [
        ["POST", "/posts", { content: "post safe" }],
        ["POST", "/reviews", { content: "post review", priority: "medium" }],
        ["POST", "/notify", { message: "Sorry, it contained personal data." }]
      ])
      assert.include(String(results["block"]), "route_based_on_moderation/block/notify_user")
      assert.include(String(results["safe"]), "route_based_on_moderation/safe/auto_publish")
      assert.include(String(results["review"]), "route_based_on_moderation/review/flag_for_review")
    }).pipe(Effect.scoped))

  it.live("runs with mocks on every path (the shipped mock file, with the label overridden)", () =>
    Effect.gen(function*() {
      const shipped = readFileSync(ex("content-moderation.mock.yaml"), "utf8")
      for (const [label, step] of [["block", "notify_user"], ["safe", "auto_publish"], ["review", "flag_for_review"]] as const) {
        const mock = join(dir, `moderation-${label}.mock.yaml`)
        writeFileSync(mock, shipped.replace("moderate_content: block", `moderate_content: ${label}`))
        const r = yield* cli(["run", ex("content-moderation.yaml"), "--mock", mock, "--input", `{"content":"x"}`, "--json"])
        assert.strictEqual(r.code, 0, r.stdout + r.stderr)
        const doc = JSON.parse(r.stdout) as { steps: Record<string, { status: string }> }
        assert.strictEqual(doc.steps[`route_based_on_moderation/${label}/${step}`]?.status, "succeeded", `${label}: ${r.stdout}`)
      }
    }))
})

/**
 * Data protection on the real paths of `serve`: a server on SQLite with a governance policy, YAML workflows whose
 * LLM step reaches a local OpenAI-wire server through the official SDK, runs started over REST with personal data in
 * their input. The provider receives none of it; no row of any table of the database file holds it (masked by
 * default, encrypted for the workflow whose policy says so); the API answers the encrypted workflow's run whole.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { Effect, Exit, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Cipher, Governance } from "../../src/governance/index.ts"
import * as OpenAiWire from "../support/wire/openai.ts"
import * as Wire from "../support/wire/WireServer.ts"
import { call, startServer, type TestServer } from "./support.ts"

const EMAIL = "marie.curie@example.com"
const CARD = "4111 1111 1111 1111"
const PII = [EMAIL, CARD, "4111111111111111", "marie.curie"]

const workflow = (name: string) => `name: ${name}
inputs:
  message: { type: string }
steps:
  - id: reply
    type: llm
    provider: openai
    model: gpt-4o-mini
    prompt: "Reply to: {{ input.message }}"
    output: answer
outputs:
  answer: "{{ answer }}"
`

const dir = mkdtempSync(join(tmpdir(), "llmo-server-governance-"))
const file = join(dir, "runs.db")
const wireScope = Effect.runSync(Scope.make())
let server: TestServer
let wire: Wire.WireServer

beforeAll(async () => {
  // the model repeats what it was sent, as a careless model would
  wire = await Effect.runPromise(Wire.start((request) => OpenAiWire.chat(`You said ${JSON.stringify(request.body?.messages?.at(-1)?.content ?? "")}`)).pipe(Scope.provide(wireScope)))
  const cipher = await Effect.runPromise(Cipher.make({ current: "k1", keys: new Map([["k1", Buffer.from(Cipher.generateKey(), "base64")]]) }))
  server = await startServer({
    store: `sqlite:${file}`,
    services: { env: { OPENAI_API_KEY: "sk-governed", OPENAI_BASE_URL: wire.url } },
    governance: {
      policy: Governance.policy({ pii: { prompt: "mask", storage: "mask" }, workflows: { sealed: { pii: { storage: "encrypt" } } } }),
      cipher
    }
  })
  for (const name of ["masked", "sealed"]) {
    const reg = await call(server, "POST", "/workflows", { token: server.keys.admin, body: { source: workflow(name) } })
    expect(reg.status, reg.text).toBe(201)
  }
})
afterAll(async () => {
  await server.close()
  await Effect.runPromise(Scope.close(wireScope, Exit.void))
  rmSync(dir, { recursive: true, force: true })
})

const dump = (): string => {
  const db = new DatabaseSync(file, { readOnly: true })
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>
    return tables.map(({ name }) => {
      const statement = db.prepare(`SELECT * FROM "${name}"`)
      statement.setReadBigInts(true)
      return `${name}: ${JSON.stringify(statement.all(), (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString("utf8") : typeof v === "bigint" ? String(v) : v))}`
    }).join("\n")
  } finally {
    db.close()
  }
}

describe("governance on serve's real paths", () => {
  it("no personal data reaches the provider or a stored row; masked by default, encrypted where the workflow's policy says", async () => {
    const message = `I am ${EMAIL}, card ${CARD}`
    const masked = await call(server, "POST", "/workflows/masked/runs?wait=true", { token: server.keys.runner, body: { input: { message } } })
    expect(masked.status, masked.text).toBe(200)
    const sealed = await call(server, "POST", "/workflows/sealed/runs?wait=true", { token: server.keys.runner, body: { input: { message } } })
    expect(sealed.status, sealed.text).toBe(200)

    expect(wire.requests).toHaveLength(2)
    for (const r of wire.requests) for (const pii of PII) expect(r.rawBody).not.toContain(pii)
    // "masked" ran on its stored input, already masked (labels); "sealed" on its decrypted input, masked before the call
    expect(wire.requests[0]!.rawBody).toContain("Reply to: I am [EMAIL], card [CARD]")
    expect(wire.requests[1]!.rawBody).toContain("Reply to: I am [EMAIL_1], card [CARD_1]")

    const rows = dump()
    for (const pii of PII) expect(rows, `a stored row holds ${pii}`).not.toContain(pii)
    // the masked workflow's run reads as stored: labels; the sealed one's decrypts whole for an authorized caller
    expect(masked.body.input).toEqual({ message: "I am [EMAIL], card [CARD]" })
    expect(sealed.body.input).toEqual({ message })
    expect(sealed.body.output.answer).toContain("[EMAIL_1]")
    const db = new DatabaseSync(file, { readOnly: true })
    const stored = db.prepare("SELECT input FROM llmo_runs WHERE run_id = ?").get(sealed.body.runId) as { input: string }
    db.close()
    expect(stored.input).toMatch(/"v":"enc:v1:k1:/)
  }, 30_000)
})

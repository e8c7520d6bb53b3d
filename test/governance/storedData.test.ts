/**
 * What durable runs keep at rest under the policy's `storage` action, on a real SQLite store with the workflow
 * engine's journal in it, a provider reached through the official OpenAI SDK over a local wire server, a wait step
 * signalled with personal data, and a streamed answer: every row of every table of the database file is read back
 * and searched for the personal data. Masked: no row, request to the provider, log line or span holds any of it.
 * Encrypted: rows hold envelopes under the current key; after a key rotation the old runs still read, new rows use
 * the new key, and a ring without the old key names it. Reversible masks keep the originals in the SQL vault,
 * encrypted, which a prune deletes with the run.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, Redacted, Schema } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { DurableRuns } from "../../src/durable/index.ts"
import * as Store from "../../src/durable/Store.ts"
import { Cipher, Governance, PiiVault, StoredData } from "../../src/governance/index.ts"
import { Workflow } from "../../src/index.ts"
import { Llm } from "../../src/llm/index.ts"
import { OpenAi } from "../../src/providers/index.ts"
import { capture } from "../support/capture.ts"
import * as Wire from "../support/wire/openai.ts"
import * as WireServer from "../support/wire/WireServer.ts"

const EMAIL = "grace.hopper@example.com"
const CARD = "4111 1111 1111 1111"
const IBAN = "DE89 3704 0044 0532 0130 00"
const PHONE = "+49 30 901820"
const OTHER = "alan.turing@example.org"
const PII = [EMAIL, CARD, IBAN, PHONE, OTHER, "4111111111111111", "DE89370400440532013000", "grace.hopper", "alan.turing"]

const dir = mkdtempSync(join(tmpdir(), "llmo-stored-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const k1 = Cipher.generateKey()
const k2 = Cipher.generateKey()
const ring = (current: string, keys: Record<string, string>) =>
  Cipher.make({ current, keys: new Map(Object.entries(keys).map(([id, k]) => [id, Buffer.from(k, "base64")])) })

const support = Workflow.make("support", { input: Schema.Struct({ message: Schema.String }) })
  .step("draft", (ctx) =>
    Effect.gen(function*() {
      yield* Effect.log(`drafting a reply to: ${ctx.input.message}`)
      return yield* Llm.generate({ provider: "openai", model: "gpt-4o-mini", prompt: ctx.input.message })
    }))
  .wait("approve", { needs: ["draft"], signal: Schema.Struct({ note: Schema.String }), request: (ctx) => `approve: ${ctx.draft}` })
  .step("final", { needs: ["draft", "approve"] }, (ctx) => Effect.succeed(`${ctx.draft} / ${ctx.approve.note}`))

const msg = (run: { readonly input: unknown }) => (run.input as { message: string }).message
const message = `Customer ${EMAIL} paid with card ${CARD} from IBAN ${IBAN}; call ${PHONE}.`

/** Every value of every row of every table of the SQLite file, as one string. */
const dump = (file: string): string => {
  const db = new DatabaseSync(file, { readOnly: true })
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>
    return tables.map(({ name }) => {
      const statement = db.prepare(`SELECT * FROM "${name}"`)
      statement.setReadBigInts(true)
      const rows = statement.all()
      return `${name}: ${JSON.stringify(rows, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString("utf8") : typeof v === "bigint" ? String(v) : v))}`
    }).join("\n")
  } finally {
    db.close()
  }
}

const until = <A>(get: Effect.Effect<A, unknown>, ok: (a: A) => boolean) =>
  Effect.gen(function*() {
    for (let i = 0; i < 2000; i++) {
      const a = yield* get
      if (ok(a)) return a
      yield* Effect.sleep("5 millis")
    }
    return yield* Effect.die(new Error("never reached"))
  })

/** One run of `support` on `file`, under `policy`, with the providers' answers echoing what they were sent. */
const runOnce = (file: string, policy: Governance.Policy, cipher: Cipher.CipherShape | undefined, vault: boolean) =>
  Effect.gen(function*() {
    const server = yield* WireServer.start((request) => {
      const text = JSON.stringify(request.body?.messages ?? [])
      return Wire.chat(`Reply about ${text.match(/\[[A-Z_0-9]+\]|[\w.]+@[\w.]+/g)?.join(", ") ?? "nothing"}`)
    })
    const captured = capture()
    const sql = yield* Layer.build(Store.sqlLayer({ _tag: "sqlite", filename: file }))
    const vaultShape = vault ? yield* PiiVault.make(yield* Effect.provideContext(PiiVault.storeSql, sql)).pipe(Effect.provideService(Cipher.Cipher, cipher!)) : undefined
    const codec = yield* StoredData.codec({ policy, cipher, vault: vaultShape })
    const providers = Governance.layerLlm(policy, "openai", OpenAi.layerLlm("openai", { model: "gpt-4o-mini", apiKey: Redacted.make("sk-stored"), baseUrl: `${server.url}/v1` })).pipe(
      Layer.provide(vaultShape === undefined ? PiiVault.layerMemory : Layer.succeed(PiiVault.PiiVault, vaultShape)),
      Layer.provide(cipher === undefined ? Cipher.layerKeys({ current: "t", keys: { t: Redacted.make(Cipher.generateKey()) } }) : Layer.succeed(Cipher.Cipher, cipher))
    )
    const runs = yield* DurableRuns.make({ store: `sqlite:${file}`, codec, pollInterval: "20 millis", gracePeriod: "2 seconds", onProblem: () => {} })
    const context = yield* Effect.context<never>().pipe(Effect.provide(Layer.merge(providers, captured.layer)))
    yield* runs.register(support, { context })
    const run = yield* runs.start(support, { message })
    yield* until(runs.get(run.runId), (v) => v.run.status === "suspended")
    yield* runs.signal(run.runId, "approve", { note: `ok, and copy ${OTHER}` })
    const done = yield* runs.await(run.runId)
    const view = yield* runs.get(run.runId)
    return { runs, done, view, server, captured }
  })

describe("stored data under the policy", () => {
  it.live("masked: no detected personal data in any row of the store, the journal, a provider request, a log line or a span", () =>
    Effect.gen(function*() {
      const file = join(dir, "masked.db")
      const policy = Governance.policy({ pii: { prompt: "mask", storage: "mask" } })
      const { done, view, server, captured } = yield* runOnce(file, policy, undefined, false)
      assert.strictEqual(done.status, "succeeded")
      const rows = dump(file)
      assert.include(rows, "llmo_runs")
      assert.match(rows, /cluster_messages|cluster_replies/, "the engine's journal is in the file")
      for (const pii of PII) assert.notInclude(rows, pii, `a stored row holds ${pii}`)
      assert.include(rows, "[EMAIL]")
      for (const r of server.requests) for (const pii of PII) assert.notInclude(r.rawBody, pii)
      const telemetry = captured.text()
      assert.include(telemetry, "drafting a reply to: Customer [EMAIL]")
      for (const pii of PII) assert.notInclude(telemetry, pii)
      // what a reader of the store sees: the labels (masking is not reversible here)
      assert.strictEqual(msg(view.run), "Customer [EMAIL] paid with card [CARD] from IBAN [IBAN]; call [PHONE].")
      assert.strictEqual((view.run.output as { final: string }).final.endsWith("/ ok, and copy [EMAIL]"), true)
    }).pipe(Effect.scoped), 30_000)

  it.live("reversible: rows hold placeholders, the SQL vault their originals encrypted; reads give the originals; prune deletes the vault entries", () =>
    Effect.gen(function*() {
      const file = join(dir, "reversible.db")
      const policy = Governance.policy({ pii: { prompt: "mask", storage: "mask", reversible: true } })
      const cipher = yield* ring("k1", { k1 })
      const { runs, done, view } = yield* runOnce(file, policy, cipher, true)
      assert.strictEqual(done.status, "succeeded")
      const rows = dump(file)
      for (const pii of PII) assert.notInclude(rows, pii, `a stored row holds ${pii}`)
      assert.match(rows, /\[EMAIL_\d{6,}\]/)
      const vault = new DatabaseSync(file, { readOnly: true })
      const entries = vault.prepare("SELECT * FROM llmo_pii_vault WHERE run_id = ?").all(done.runId) as Array<{ placeholder: string; envelope: string }>
      vault.close()
      assert.isAtLeast(entries.length, 4)
      for (const e of entries) assert.match(e.envelope, /^enc:v1:k1:/)
      assert.strictEqual(msg(view.run), message)
      assert.include((view.run.output as { final: string }).final, OTHER)
      const waits = yield* runs.runStore.waits(done.runId)
      assert.strictEqual(waits[0]!.signal && (waits[0]!.signal as { note: string }).note, `ok, and copy ${OTHER}`)

      const pruned = yield* runs.prune({ olderThan: "0 millis" })
      assert.deepStrictEqual(pruned, [done.runId])
      const after = new DatabaseSync(file, { readOnly: true })
      assert.deepStrictEqual(after.prepare("SELECT run_id, placeholder FROM llmo_pii_vault").all(), [])
      after.close()
    }).pipe(Effect.scoped), 30_000)

  it.live("encrypted, then the key rotated: old runs still read, new rows are under the new key, a ring without the old key names it", () =>
    Effect.gen(function*() {
      const file = join(dir, "encrypted.db")
      const policy = Governance.policy({ pii: { prompt: "mask", storage: "encrypt" } })
      const first = yield* Effect.scoped(Effect.gen(function*() {
        const { done, view } = yield* runOnce(file, policy, yield* ring("k1", { k1 }), false)
        return { done, view }
      }))
      assert.strictEqual(first.done.status, "succeeded")
      const rows = dump(file)
      for (const pii of PII) assert.notInclude(rows, pii, `a stored row holds ${pii}`)
      for (const word of ["Customer", "Reply about", "ok, and copy"]) assert.notInclude(rows, word, `plaintext '${word}' stored`)
      const db = new DatabaseSync(file, { readOnly: true })
      const run = db.prepare("SELECT input, output FROM llmo_runs WHERE run_id = ?").get(first.done.runId) as { input: string; output: string }
      db.close()
      assert.match(run.input, /"v":"enc:v1:k1:/)
      assert.match(run.output, /"v":"enc:v1:k1:/)

      // rotation: k2 is current, k1 kept to read what was written under it
      const second = yield* Effect.scoped(Effect.gen(function*() {
        const { runs, done } = yield* runOnce(file, policy, yield* ring("k2", { k1, k2 }), false)
        const old = yield* runs.get(first.done.runId)
        return { done, old }
      }))
      assert.strictEqual(msg(second.old.run), msg(first.view.run))
      assert.deepStrictEqual(second.old.run.output, first.view.run.output)
      assert.strictEqual(msg(second.old.run), message, "encrypted, not masked: the original comes back")
      const db2 = new DatabaseSync(file, { readOnly: true })
      const newer = db2.prepare("SELECT input FROM llmo_runs WHERE run_id = ?").get(second.done.runId) as { input: string }
      db2.close()
      assert.match(newer.input, /"v":"enc:v1:k2:/)

      // a ring that lost k1: reading the old run fails and says which key is missing
      const exit = yield* Effect.scoped(Effect.gen(function*() {
        const codec = yield* StoredData.codec({ policy, cipher: yield* ring("k2", { k2 }) })
        const runs = yield* DurableRuns.make({ store: `sqlite:${file}`, codec, role: "client", onProblem: () => {} })
        return yield* Effect.exit(runs.get(first.done.runId))
      }))
      assert.isTrue(Exit.isFailure(exit))
      assert.include(Cause.pretty((exit as Exit.Failure<unknown, unknown>).cause), "k1")
    }), 60_000)

  it.effect("the codec refuses a policy it cannot apply", () =>
    Effect.gen(function*() {
      const e = yield* Effect.flip(StoredData.codec({ policy: Governance.policy({ pii: { storage: "encrypt" } }) }))
      assert.strictEqual(e.message, "The policy encrypts stored values (storage: encrypt) but no Cipher was given: configure encryption keys")
      const r = yield* Effect.flip(StoredData.codec({ policy: Governance.policy({ pii: { storage: "mask", reversible: true } }) }))
      assert.strictEqual(r.message, "The policy keeps the originals of masked stored values (reversible) but no Cipher and vault were given")
    }))
})

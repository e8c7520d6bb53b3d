/**
 * `llm-orchestrator keys create|list|revoke`: API keys of the REST API, in the store the server uses. A key is
 * printed once, when it is created; the store keeps only its salted hash.
 *
 * @example
 * ```sh
 * llm-orchestrator keys create --name ci --role runner --workflows nightly,weekly
 * llm-orchestrator keys list --store postgres://postgres@127.0.0.1:5432/app
 * llm-orchestrator keys revoke 0123456789ab
 * ```
 */
import { Effect, Layer, Option, Redacted } from "effect"
import * as KeyStore from "../auth/KeyStore.ts"
import * as Store from "../durable/Store.ts"
import * as SecretReference from "./secretReference.ts"
import { Output } from "./Output.ts"
import type { KeysCreateArgs, KeysListArgs, KeysRevokeArgs } from "./keysCommand.ts"


const withStore = <A>(store: Option.Option<string>, body: (keys: KeyStore.KeyStoreShape) => Effect.Effect<A, unknown, Output>) =>
  Effect.gen(function*() {
    const o = yield* Output
    const given = Option.getOrElse(store, () => process.env["LLM_ORCHESTRATOR_STORE"] ?? "")
    const resolved = yield* Effect.result(SecretReference.storeText(given, process.env))
    if (resolved._tag === "Failure") {
      o.err(`error: store ${resolved.failure}`)
      o.exit(2)
      return
    }
    const text = resolved.success
    const spec = text === "" ? Store.defaultSpec(o.cwd) : Store.parse(text)
    if (spec === undefined) {
      o.err(`error: unknown store '${given}'${given === text ? "" : " (its value is not shown)"}: use sqlite:PATH (or a .db file) or postgres://user@host:port/db`)
      o.exit(2)
      return
    }
    if (spec._tag === "memory") {
      o.err("error: keys live in the server's store; a memory store dies with its process: give --store sqlite:PATH or postgres://...")
      o.exit(2)
      return
    }
    const result = yield* Effect.result(
      Effect.flatMap(KeyStore.KeyStore, body).pipe(Effect.provide(KeyStore.layerSql.pipe(Layer.provide(Store.sqlLayer(spec)))))
    )
    if (result._tag === "Failure") {
      o.err(`error: ${(result.failure as { message?: string }).message ?? String(result.failure)}`)
      o.exit(1)
    }
  })

/** Runs `create`. */
export const create = (args: KeysCreateArgs) =>
  withStore(args.store, (keys) =>
    Effect.gen(function*() {
      const o = yield* Output
      const workflows = Option.isSome(args.workflows) ? args.workflows.value.split(",").map((w) => w.trim()).filter((w) => w !== "") : "*"
      const { token, key } = yield* keys.create({
        name: args.name,
        role: args.role,
        workflows,
        expiresAt: Option.isSome(args.expiresDays) ? Date.now() + args.expiresDays.value * 86_400_000 : undefined
      })
      if (args.json) o.out(JSON.stringify({ token: Redacted.value(token), key }, null, 2))
      else {
        o.out(Redacted.value(token))
        o.err(`created key ${key.id} (${key.name}, role ${key.role}, workflows ${key.workflows === "*" ? "all" : key.workflows.join(", ")}); the key is shown only now`)
      }
    }))

/** Runs `list`. */
export const list = (args: KeysListArgs) =>
  withStore(args.store, (keys) =>
    Effect.gen(function*() {
      const o = yield* Output
      const all = yield* keys.list()
      if (args.json) return o.out(JSON.stringify(all, null, 2))
      if (all.length === 0) return o.out("no keys")
      for (const k of all) {
        const state = k.revokedAt !== undefined ? `revoked ${new Date(k.revokedAt).toISOString()}` : k.expiresAt !== undefined && k.expiresAt < Date.now() ? "expired" : "active"
        o.out(`${k.id}  ${k.role.padEnd(6)}  ${state.padEnd(8)}  ${k.name}  workflows: ${k.workflows === "*" ? "all" : k.workflows.join(",")}`)
      }
    }))

/** Runs `revoke`. */
export const revoke = (args: KeysRevokeArgs) =>
  withStore(args.store, (keys) =>
    Effect.gen(function*() {
      const o = yield* Output
      const key = yield* keys.revoke(args.id.replace(/^llmo_/, "").slice(0, 12))
      o.err(`revoked key ${key.id} (${key.name})`)
    }))

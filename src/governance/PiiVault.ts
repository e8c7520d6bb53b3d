/**
 * The originals behind numbered placeholders, kept per run and encrypted with {@link Cipher} (each under the context
 * `pii:<run id>:<placeholder>`, so an entry cannot be moved to another run), for policies that say redaction is
 * reversible: `reveal` puts them back into a text, `forget` deletes a run's entries (retention, or a deleted run).
 * The store is in memory by default; a durable store implements {@link Store}.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { Cipher, PiiVault } from "llm-orchestrator/governance"
 * const VaultLive = PiiVault.layerMemory.pipe(Layer.provide(CipherLive))
 * const original = yield* PiiVault.PiiVault.use((v) => v.reveal("run-1", "reply to [EMAIL_1]"))
 * ```
 */
import { Context, Effect, Layer } from "effect"
import { Migrator, SqlClient } from "effect/sql"
import type { SqlError } from "effect/sql/SqlError"
import { Cipher } from "./Cipher.ts"
import type { CipherError } from "./CipherError.ts"
import * as Redaction from "./Redaction.ts"

/**
 * Where the encrypted entries live (placeholder -> envelope, per run).
 *
 * @example
 * ```ts
 * const store: PiiVault.Store = { write: (run, entries) => sql`…`, read: (run, placeholders) => sql`…`, remove: (run) => sql`…` }
 * ```
 */
export interface Store {
  readonly write: (runId: string, entries: ReadonlyArray<readonly [placeholder: string, envelope: string]>) => Effect.Effect<void>
  readonly read: (runId: string, placeholders: ReadonlyArray<string>) => Effect.Effect<ReadonlyMap<string, string>>
  readonly remove: (runId: string) => Effect.Effect<void>
}

/**
 * What the service offers.
 *
 * @example
 * ```ts
 * yield* vault.put("run-1", [{ placeholder: "[EMAIL_1]", original: "ada@example.com" }])
 * ```
 */
export interface PiiVaultShape {
  readonly put: (runId: string, entries: ReadonlyArray<{ readonly placeholder: string; readonly original: string }>) => Effect.Effect<void>
  /** The originals of `placeholders` that the run has. */
  readonly lookup: (runId: string, placeholders: ReadonlyArray<string>) => Effect.Effect<ReadonlyMap<string, string>, CipherError>
  /** `text` with the run's placeholders replaced by their originals. */
  readonly reveal: (runId: string, text: string) => Effect.Effect<string, CipherError>
  /** Deletes the run's entries. */
  readonly forget: (runId: string) => Effect.Effect<void>
}

/**
 * The service.
 *
 * @example
 * ```ts
 * const text = yield* PiiVault.PiiVault.use((v) => v.reveal(runId, answer))
 * ```
 */
export class PiiVault extends Context.Service<PiiVault, PiiVaultShape>()("llm-orchestrator/PiiVault") {}

const contextOf = (runId: string, placeholder: string) => `pii:${runId}:${placeholder}`

/**
 * The service over `store`, encrypting with the `Cipher` in context.
 *
 * @example
 * ```ts
 * const vault = yield* PiiVault.make(PiiVault.memoryStore())
 * ```
 */
export const make = (store: Store): Effect.Effect<PiiVaultShape, never, Cipher> =>
  Effect.gen(function*() {
    const cipher = yield* Cipher
    const lookup: PiiVaultShape["lookup"] = (runId, placeholders) =>
      Effect.gen(function*() {
        if (placeholders.length === 0) return new Map()
        const envelopes = yield* store.read(runId, placeholders)
        const out = new Map<string, string>()
        for (const [placeholder, envelope] of envelopes) out.set(placeholder, yield* cipher.decryptString(envelope, contextOf(runId, placeholder)))
        return out
      })
    return PiiVault.of({
      put: (runId, entries) =>
        entries.length === 0 ? Effect.void : Effect.flatMap(
          Effect.forEach(entries, (e) => Effect.map(cipher.encrypt(e.original, contextOf(runId, e.placeholder)), (env) => [e.placeholder, env] as const)),
          (pairs) => store.write(runId, pairs)
        ),
      lookup,
      reveal: (runId, text) => Effect.map(lookup(runId, Redaction.placeholdersIn(text)), (found) => Redaction.restore(text, (p) => found.get(p))),
      forget: (runId) => store.remove(runId)
    })
  })

/**
 * An in-memory {@link Store} (entries live as long as the process).
 *
 * @example
 * ```ts
 * const store = PiiVault.memoryStore()
 * ```
 */
export const memoryStore = (): Store & { readonly runs: () => ReadonlyArray<string>; readonly raw: (runId: string) => ReadonlyMap<string, string> | undefined } => {
  const runs = new Map<string, Map<string, string>>()
  return {
    write: (runId, entries) =>
      Effect.sync(() => {
        let m = runs.get(runId)
        if (m === undefined) runs.set(runId, m = new Map())
        for (const [p, e] of entries) m.set(p, e)
      }),
    read: (runId, placeholders) =>
      Effect.sync(() => {
        const m = runs.get(runId)
        const out = new Map<string, string>()
        if (m !== undefined) for (const p of placeholders) if (m.has(p)) out.set(p, m.get(p)!)
        return out
      }),
    remove: (runId) => Effect.sync(() => void runs.delete(runId)),
    runs: () => [...runs.keys()],
    raw: (runId) => runs.get(runId)
  }
}

/**
 * The service with an in-memory store.
 *
 * @example
 * ```ts
 * PiiVault.layerMemory.pipe(Layer.provide(Cipher.layerKeys({ current: "k1", keys: { k1: key } })))
 * ```
 */
export const layerMemory: Layer.Layer<PiiVault, never, Cipher> = Layer.effect(PiiVault, Effect.suspend(() => make(memoryStore())))

/**
 * The service over your own store.
 *
 * @example
 * ```ts
 * PiiVault.layerStore(sqlStore).pipe(Layer.provide(CipherLive))
 * ```
 */
export const layerStore = (store: Store): Layer.Layer<PiiVault, never, Cipher> => Layer.effect(PiiVault, make(store))

const vaultMigrations = Migrator.fromRecord({
  "1_create_pii_vault": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`CREATE TABLE IF NOT EXISTS llmo_pii_vault (
      run_id TEXT NOT NULL,
      placeholder TEXT NOT NULL,
      envelope TEXT NOT NULL,
      PRIMARY KEY (run_id, placeholder)
    )`
  })
})

/**
 * A {@link Store} in `llmo_pii_vault` of the `SqlClient` in context (SQLite or Postgres; the run store's database, so
 * the originals live and die with their runs). Rows hold envelopes only: a placeholder's original is encrypted under
 * the `Cipher`, bound to its run and placeholder. A database that fails is a defect of the call (the vault cannot
 * answer "no original" for an original it lost).
 *
 * @example
 * ```ts
 * const vault = yield* PiiVault.make(yield* PiiVault.storeSql)
 * ```
 */
export const storeSql: Effect.Effect<Store, Migrator.MigrationError | SqlError, SqlClient.SqlClient> = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* Migrator.make({})({ loader: vaultMigrations, table: "llmo_vault_migrations" })
  const upsert = sql.onDialectOrElse({
    pg: () => (runId: string, placeholder: string, envelope: string) =>
      sql`INSERT INTO llmo_pii_vault (run_id, placeholder, envelope) VALUES (${runId}, ${placeholder}, ${envelope})
        ON CONFLICT (run_id, placeholder) DO UPDATE SET envelope = EXCLUDED.envelope`,
    orElse: () => (runId: string, placeholder: string, envelope: string) =>
      sql`INSERT OR REPLACE INTO llmo_pii_vault (run_id, placeholder, envelope) VALUES (${runId}, ${placeholder}, ${envelope})`
  })
  return {
    write: (runId, entries) =>
      entries.length === 0 ? Effect.void : sql.withTransaction(Effect.forEach(entries, ([p, e]) => upsert(runId, p, e), { discard: true })).pipe(Effect.orDie),
    read: (runId, placeholders) =>
      placeholders.length === 0
        ? Effect.succeed(new Map())
        : sql<{ placeholder: string; envelope: string }>`SELECT placeholder, envelope FROM llmo_pii_vault WHERE run_id = ${runId} AND ${sql.in("placeholder", placeholders)}`.pipe(
          Effect.map((rows) => new Map(rows.map((r) => [r.placeholder, r.envelope] as const))),
          Effect.orDie
        ),
    remove: (runId) => sql`DELETE FROM llmo_pii_vault WHERE run_id = ${runId}`.pipe(Effect.asVoid, Effect.orDie)
  } satisfies Store
})

/**
 * Where API keys live: in memory (tests), or in the SQL database of the run store (SQLite or Postgres), so the CLI's
 * `keys create|list|revoke` and a running server see the same keys. Only the salted hash of each secret is stored;
 * a revoked key stays listed (with its revocation time) and never authenticates again.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { KeyStore } from "llm-orchestrator/auth"
 * const program = Effect.gen(function*() {
 *   const keys = yield* KeyStore.KeyStore
 *   const { token, key } = yield* keys.create({ name: "ci", role: "runner", workflows: ["nightly"] })
 *   console.log(Redacted.value(token)) // shown once
 *   yield* keys.revoke(key.id)
 * }).pipe(Effect.provide(KeyStore.layerMemory))
 * ```
 */
import { Clock, Context, Effect, Layer, type Redacted, Schema } from "effect"
import { SqlClient } from "effect/sql"
import * as ApiKey from "./ApiKey.ts"
import { migrate } from "./Tables.ts"
import { Role } from "./Role.ts"

/**
 * A key as listed (no secret, no hash).
 *
 * @example
 * ```ts
 * const k: KeyStore.KeyInfo = { id: "0123456789ab", name: "ci", role: "runner", workflows: "*", createdAt: 0, expiresAt: undefined, revokedAt: undefined }
 * ```
 */
export const KeyInfo = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  role: Role,
  /** `"*"` or the workflows the key may act on. */
  workflows: Schema.Union([Schema.Literal("*"), Schema.Array(Schema.String)]),
  createdAt: Schema.Number,
  expiresAt: Schema.UndefinedOr(Schema.Number),
  revokedAt: Schema.UndefinedOr(Schema.Number)
})
/**
 * The type of {@link KeyInfo}.
 *
 * @example
 * ```ts
 * keys.filter((k: KeyStore.KeyInfo) => k.revokedAt === undefined)
 * ```
 */
export type KeyInfo = typeof KeyInfo.Type

/**
 * What a key is created with.
 *
 * @example
 * ```ts
 * const spec: KeyStore.NewKey = { name: "dashboard", role: "viewer", workflows: "*" }
 * ```
 */
export interface NewKey {
  readonly name: string
  readonly role: Role
  readonly workflows?: "*" | ReadonlyArray<string> | undefined
  /** Epoch millis after which the key no longer authenticates. */
  readonly expiresAt?: number | undefined
}

/**
 * Why a presented key does not authenticate.
 *
 * @example
 * ```ts
 * const reason: KeyStore.Rejection = "revoked_key"
 * ```
 */
export type Rejection = "invalid_key" | "revoked_key" | "expired_key"

/**
 * The key store could not be read or written.
 *
 * @example
 * ```ts
 * Effect.catchTag("KeyStoreError", (e) => Console.error(e.message))
 * ```
 */
export class KeyStoreError extends Schema.TaggedError<KeyStoreError>()("KeyStoreError", {
  operation: Schema.String,
  message: Schema.String
}) {}

/**
 * No key has this id.
 *
 * @example
 * ```ts
 * Effect.catchTag("KeyNotFound", (e) => Console.error(`no key ${e.id}`))
 * ```
 */
export class KeyNotFound extends Schema.TaggedError<KeyNotFound>()("KeyNotFound", { id: Schema.String }) {
  override get message() {
    return `No API key '${this.id}'`
  }
}

/**
 * What the store does.
 *
 * @example
 * ```ts
 * const result = yield* keys.verify(credential)
 * if (result._tag === "Rejected") console.log(result.reason)
 * ```
 */
export interface KeyStoreShape {
  /** Creates a key; the token is returned here only. */
  readonly create: (spec: NewKey) => Effect.Effect<{ readonly token: Redacted.Redacted<string>; readonly key: KeyInfo }, KeyStoreError>
  /** Every key, newest first, revoked ones included. */
  readonly list: () => Effect.Effect<ReadonlyArray<KeyInfo>, KeyStoreError>
  readonly get: (id: string) => Effect.Effect<KeyInfo, KeyNotFound | KeyStoreError>
  /** Revokes a key (once; revoking again keeps the first time). */
  readonly revoke: (id: string) => Effect.Effect<KeyInfo, KeyNotFound | KeyStoreError>
  /** Checks a presented token. */
  readonly verify: (
    token: string
  ) => Effect.Effect<{ readonly _tag: "Accepted"; readonly key: KeyInfo } | { readonly _tag: "Rejected"; readonly reason: Rejection; readonly id?: string | undefined }, KeyStoreError>
}

/**
 * The service.
 *
 * @example
 * ```ts
 * const keys = yield* KeyStore.KeyStore
 * ```
 */
export class KeyStore extends Context.Service<KeyStore, KeyStoreShape>()("llm-orchestrator/auth/KeyStore") {}

interface StoredKey {
  readonly info: KeyInfo
  readonly salt: string
  readonly hash: string
}

/** The shared logic over a table of stored keys. */
const make = (table: {
  readonly insert: (key: StoredKey) => Effect.Effect<void, KeyStoreError>
  readonly all: () => Effect.Effect<ReadonlyArray<StoredKey>, KeyStoreError>
  readonly find: (id: string) => Effect.Effect<StoredKey | undefined, KeyStoreError>
  readonly setRevoked: (id: string, at: number) => Effect.Effect<void, KeyStoreError>
}): KeyStoreShape => {
  const get = (id: string) =>
    Effect.flatMap(table.find(id), (k) => (k === undefined ? Effect.fail(new KeyNotFound({ id })) : Effect.succeed(k.info)))
  return {
    create: (spec) =>
      Effect.gen(function*() {
        const generated = ApiKey.generate()
        const info: KeyInfo = {
          id: generated.id,
          name: spec.name,
          role: spec.role,
          workflows: spec.workflows ?? "*",
          createdAt: yield* Clock.currentTimeMillis,
          expiresAt: spec.expiresAt,
          revokedAt: undefined
        }
        yield* table.insert({ info, salt: generated.salt, hash: generated.hash })
        return { token: generated.token, key: info }
      }),
    list: () => Effect.map(table.all(), (keys) => keys.map((k) => k.info).sort((a, b) => b.createdAt - a.createdAt || a.id.localeCompare(b.id))),
    get,
    revoke: (id) =>
      Effect.gen(function*() {
        const key = yield* get(id)
        if (key.revokedAt !== undefined) return key
        yield* table.setRevoked(id, yield* Clock.currentTimeMillis)
        return yield* get(id)
      }),
    verify: (token) =>
      Effect.gen(function*() {
        const parsed = ApiKey.parse(token)
        if (parsed === undefined) return { _tag: "Rejected", reason: "invalid_key" } as const
        const stored = yield* table.find(parsed.id)
        if (stored === undefined || !ApiKey.matches(parsed.secret, stored.salt, stored.hash)) {
          return { _tag: "Rejected", reason: "invalid_key" } as const
        }
        if (stored.info.revokedAt !== undefined) return { _tag: "Rejected", reason: "revoked_key", id: parsed.id } as const
        if (stored.info.expiresAt !== undefined && stored.info.expiresAt <= (yield* Clock.currentTimeMillis)) {
          return { _tag: "Rejected", reason: "expired_key", id: parsed.id } as const
        }
        return { _tag: "Accepted", key: stored.info } as const
      })
  }
}

/**
 * A store in memory.
 *
 * @example
 * ```ts
 * const keys = KeyStore.makeMemory()
 * ```
 */
export const makeMemory = (): KeyStoreShape => {
  const keys = new Map<string, StoredKey>()
  return make({
    insert: (key) => Effect.sync(() => void keys.set(key.info.id, key)),
    all: () => Effect.sync(() => [...keys.values()]),
    find: (id) => Effect.sync(() => keys.get(id)),
    setRevoked: (id, at) =>
      Effect.sync(() => {
        const k = keys.get(id)
        if (k !== undefined) keys.set(id, { ...k, info: { ...k.info, revokedAt: at } })
      })
  })
}

/**
 * {@link makeMemory} as a layer.
 *
 * @example
 * ```ts
 * program.pipe(Effect.provide(KeyStore.layerMemory))
 * ```
 */
export const layerMemory: Layer.Layer<KeyStore> = Layer.sync(KeyStore, makeMemory)

const sqlError = (operation: string) => (e: { readonly message: string }) => new KeyStoreError({ operation, message: e.message })

interface KeyRow {
  readonly id: string
  readonly name: string
  readonly role: string
  readonly workflows: string
  readonly salt: string
  readonly hash: string
  readonly created_at: number
  readonly expires_at: number | null
  readonly revoked_at: number | null
}

const fromRow = (r: KeyRow): StoredKey => ({
  info: {
    id: r.id,
    name: r.name,
    role: r.role as Role,
    workflows: JSON.parse(r.workflows) as KeyInfo["workflows"],
    createdAt: Number(r.created_at),
    expiresAt: r.expires_at === null ? undefined : Number(r.expires_at),
    revokedAt: r.revoked_at === null ? undefined : Number(r.revoked_at)
  },
  salt: r.salt,
  hash: r.hash
})

/**
 * A store on the `SqlClient` in context (migrated first).
 *
 * @example
 * ```ts
 * const keys = yield* KeyStore.makeSql
 * ```
 */
export const makeSql: Effect.Effect<KeyStoreShape, KeyStoreError, SqlClient.SqlClient> = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* Effect.mapError(migrate, (e) => new KeyStoreError({ operation: "migrate", message: e.message }))
  return make({
    insert: ({ info, salt, hash }) =>
      sql`INSERT INTO llmo_api_keys (id, name, role, workflows, salt, hash, created_at, expires_at, revoked_at) VALUES (
        ${info.id}, ${info.name}, ${info.role}, ${JSON.stringify(info.workflows)}, ${salt}, ${hash}, ${info.createdAt}, ${info.expiresAt ?? null}, ${null}
      )`.pipe(Effect.asVoid, Effect.mapError(sqlError("create"))),
    all: () => sql<KeyRow>`SELECT * FROM llmo_api_keys`.pipe(Effect.map((rows) => rows.map(fromRow)), Effect.mapError(sqlError("list"))),
    find: (id) =>
      sql<KeyRow>`SELECT * FROM llmo_api_keys WHERE id = ${id}`.pipe(
        Effect.map((rows) => (rows[0] === undefined ? undefined : fromRow(rows[0]))),
        Effect.mapError(sqlError("find"))
      ),
    setRevoked: (id, at) =>
      sql`UPDATE llmo_api_keys SET revoked_at = ${at} WHERE id = ${id} AND revoked_at IS NULL`.pipe(Effect.asVoid, Effect.mapError(sqlError("revoke")))
  })
})

/**
 * {@link makeSql} as a layer.
 *
 * @example
 * ```ts
 * KeyStore.layerSql.pipe(Layer.provide(sqlClientLayer))
 * ```
 */
export const layerSql: Layer.Layer<KeyStore, KeyStoreError, SqlClient.SqlClient> = Layer.effect(KeyStore, makeSql)

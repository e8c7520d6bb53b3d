/**
 * The errors every vector store (in-memory, Qdrant, or a user-supplied one) fails with. Each names the store and, when one
 * is involved, the collection, so a failing workflow step says which `database:` and which collection went wrong.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { VectorStore } from "llm-orchestrator"
 * const hits = VectorStore.search({ store: "docs", collection: "documentation", vector: [0.1, 0.2], topK: 5 }).pipe(
 *   Effect.catchTag("CollectionNotFound", () => Effect.succeed([]))
 * )
 * ```
 */
import { Redacted, Schema } from "effect"

/**
 * Any other failure of a store call: bad argument, transport error, unexpected server answer. `operation` is the store
 * method (`"search"`, `"upsert"`, ...), `status` the HTTP status when a remote store answered with one, and `retryable`
 * says whether the same call may succeed later (timeouts, unreachable server, 408/429/5xx), for retry policies.
 *
 * @example
 * ```ts
 * new VectorStoreError({ store: "docs", operation: "search", collection: "documentation", retryable: false, message: "topK must be a positive integer, got 0" })
 * ```
 */
export class VectorStoreError extends Schema.TaggedError<VectorStoreError>()("VectorStoreError", {
  store: Schema.String,
  operation: Schema.String,
  collection: Schema.optionalKey(Schema.String),
  status: Schema.optionalKey(Schema.Number),
  retryable: Schema.Boolean,
  message: Schema.String
}) {}

/**
 * The collection does not exist in the store (create it first with `VectorStore.createCollection`).
 *
 * @example
 * ```ts
 * new CollectionNotFound({ store: "docs", collection: "documentation" }).message
 * // 'Vector store "docs": collection "documentation" does not exist'
 * ```
 */
export class CollectionNotFound extends Schema.TaggedError<CollectionNotFound>()("CollectionNotFound", {
  store: Schema.String,
  collection: Schema.String
}) {
  readonly retryable = false
  override get message(): string {
    return `Vector store "${this.store}": collection "${this.collection}" does not exist`
  }
}

/**
 * A vector (or a requested collection dimension) does not have the collection's dimension. `field` names the offending
 * value: `"vector"` for a search, `"points[3].vector"` for an upsert, `"dimension"` for a conflicting createCollection.
 *
 * @example
 * ```ts
 * new DimensionMismatch({ store: "docs", collection: "documentation", field: "vector", expected: 384, actual: 3 }).message
 * // 'Vector store "docs", collection "documentation": vector has dimension 3, expected 384'
 * ```
 */
export class DimensionMismatch extends Schema.TaggedError<DimensionMismatch>()("DimensionMismatch", {
  store: Schema.String,
  collection: Schema.String,
  field: Schema.String,
  expected: Schema.Number,
  actual: Schema.Number
}) {
  readonly retryable = false
  override get message(): string {
    return `Vector store "${this.store}", collection "${this.collection}": ${this.field} has dimension ${this.actual}, expected ${this.expected}`
  }
}

/**
 * Any failure of a vector store call.
 *
 * @example
 * ```ts
 * const describe = (e: VectorStoreFailure) => `${e._tag}: ${e.message}`
 * ```
 */
export type VectorStoreFailure = VectorStoreError | CollectionNotFound | DimensionMismatch

/**
 * Schema of {@link VectorStoreFailure}, for persistence and transport.
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(VectorStoreFailure)({ _tag: "CollectionNotFound", store: "docs", collection: "c" })
 * ```
 */
export const VectorStoreFailure = Schema.Union([VectorStoreError, CollectionNotFound, DimensionMismatch])

/**
 * How a store adapter fails: `fail` builds its {@link VectorStoreError} with the store, operation, collection and
 * status, and a message naming the store and its kind; `scrub` removes the secret from any text (servers echo keys).
 *
 * @example
 * ```ts
 * const { fail, scrub } = storeFailures("kb", "Chroma", options.token)
 * fail("search", "docs", "HTTP 503", { status: 503, retryable: true })
 * ```
 */
export const storeFailures = (store: string, kind: string, secret: Redacted.Redacted<string> | undefined) => {
  const value = secret === undefined ? "" : Redacted.value(secret)
  const scrub = (text: string) => (value.length >= 4 ? text.split(value).join("<redacted>") : text)
  const fail = (operation: string, collection: string | undefined, message: string, extra: { status?: number; retryable?: boolean } = {}) =>
    new VectorStoreError({
      store,
      operation,
      ...(collection === undefined ? {} : { collection }),
      ...(extra.status === undefined ? {} : { status: extra.status }),
      retryable: extra.retryable ?? false,
      message: scrub(`Vector store "${store}" (${kind})${collection === undefined ? "" : `, collection "${collection}"`}: ${message}`)
    })
  return { fail, scrub }
}

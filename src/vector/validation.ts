// Argument checks shared by every built-in store, so they all reject the same inputs with the same errors (the contract
// suite relies on it). Each returns the error to fail with, or undefined.
import { DimensionMismatch, VectorStoreError } from "./VectorStoreError.ts"
import type { CreateCollectionOptions, Distance, Point, PointId } from "./VectorStoreShape.ts"

/** The distances every built-in store supports. */
export const distances: ReadonlyArray<Distance> = ["cosine", "dot", "euclid"]

const invalid = (store: string, operation: string, collection: string | undefined, what: string): VectorStoreError =>
  new VectorStoreError({
    store,
    operation,
    ...(collection === undefined ? {} : { collection }),
    retryable: false,
    message: collection === undefined
      ? `Vector store "${store}": ${what}`
      : `Vector store "${store}", collection "${collection}": ${what}`
  })

const show = (u: unknown): string => {
  try {
    return JSON.stringify(u) ?? String(u)
  } catch {
    return String(u)
  }
}

/** A collection name must be a non-empty string. */
export const checkCollection = (store: string, operation: string, collection: unknown): VectorStoreError | undefined =>
  typeof collection === "string" && collection.length > 0
    ? undefined
    : invalid(store, operation, undefined, `collection must be a non-empty string, got ${show(collection)}`)

/** createCollection arguments: name, positive integer dimension, known distance. */
export const checkCreate = (store: string, options: CreateCollectionOptions): VectorStoreError | undefined => {
  const { collection, dimension, distance } = options
  return checkCollection(store, "createCollection", collection) ??
    (Number.isSafeInteger(dimension) && dimension > 0
      ? undefined
      : invalid(store, "createCollection", collection, `dimension must be a positive integer, got ${show(dimension)}`)) ??
    (distances.includes(distance)
      ? undefined
      : invalid(store, "createCollection", collection, `distance must be one of cosine, dot, euclid, got ${show(distance)}`))
}

/** A non-negative safe integer or a non-empty string. */
export const isPointId = (id: unknown): id is PointId =>
  (typeof id === "number" && Number.isSafeInteger(id) && id >= 0) || (typeof id === "string" && id.length > 0)

const checkVector = (
  store: string,
  operation: string,
  collection: string,
  field: string,
  vector: unknown,
  dimension: number
): VectorStoreError | DimensionMismatch | undefined => {
  if (!Array.isArray(vector)) return invalid(store, operation, collection, `${field} must be an array of numbers`)
  if (vector.length !== dimension) {
    return new DimensionMismatch({ store, collection, field, expected: dimension, actual: vector.length })
  }
  for (let i = 0; i < vector.length; i++) {
    const x: unknown = vector[i]
    if (typeof x !== "number" || !Number.isFinite(x)) {
      return invalid(store, operation, collection, `${field}[${i}] must be a finite number, got ${show(x)}`)
    }
  }
  return undefined
}

/** Every point: valid id, vector of the collection's dimension with finite numbers, object payload. */
export const checkPoints = (
  store: string,
  collection: string,
  dimension: number,
  points: ReadonlyArray<Point>
): VectorStoreError | DimensionMismatch | undefined => {
  if (!Array.isArray(points)) return invalid(store, "upsert", collection, "points must be an array")
  for (let i = 0; i < points.length; i++) {
    const p = points[i] as Point | undefined
    if (typeof p !== "object" || p === null) return invalid(store, "upsert", collection, `points[${i}] must be an object`)
    if (!isPointId(p.id)) {
      return invalid(store, "upsert", collection, `points[${i}].id must be a non-negative integer or a non-empty string, got ${show(p.id)}`)
    }
    const bad = checkVector(store, "upsert", collection, `points[${i}].vector`, p.vector, dimension)
    if (bad !== undefined) return bad
    if (p.payload !== undefined && (typeof p.payload !== "object" || p.payload === null || Array.isArray(p.payload))) {
      return invalid(store, "upsert", collection, `points[${i}].payload must be an object`)
    }
  }
  return undefined
}

/** Search arguments: positive integer topK, vector of the collection's dimension. */
export const checkSearch = (
  store: string,
  collection: string,
  dimension: number,
  vector: ReadonlyArray<number>,
  topK: number
): VectorStoreError | DimensionMismatch | undefined =>
  (Number.isSafeInteger(topK) && topK > 0
    ? undefined
    : invalid(store, "search", collection, `topK must be a positive integer, got ${show(topK)}`)) ??
    checkVector(store, "search", collection, "vector", vector, dimension)

/** Delete arguments: every id valid. */
export const checkIds = (store: string, collection: string, ids: ReadonlyArray<PointId>): VectorStoreError | undefined => {
  if (!Array.isArray(ids)) return invalid(store, "delete", collection, "ids must be an array")
  const i = ids.findIndex((id) => !isPointId(id))
  return i === -1
    ? undefined
    : invalid(store, "delete", collection, `ids[${i}] must be a non-negative integer or a non-empty string, got ${show(ids[i])}`)
}

/** The error for a filter rejected by Filter.compile / Filter.toQdrant. */
export const invalidFilter = (store: string, collection: string, operation: string, message: string): VectorStoreError =>
  invalid(store, operation, collection, `invalid ${message}`)

/** The error for createCollection on an existing collection with another configuration. */
export const configConflict = (store: string, collection: string, what: string): VectorStoreError =>
  invalid(store, "createCollection", collection, what)

/**
 * createCollection on a collection that exists: it must have the requested dimension and distance. Returns the error
 * to fail with (a `DimensionMismatch` first, as the contract suite expects), or undefined when they agree.
 */
export const checkExisting = (
  store: string,
  requested: CreateCollectionOptions,
  existing: { readonly dimension: number; readonly distance: Distance }
): DimensionMismatch | VectorStoreError | undefined =>
  existing.dimension !== requested.dimension
    ? new DimensionMismatch({ store, collection: requested.collection, field: "dimension", expected: existing.dimension, actual: requested.dimension })
    : existing.distance !== requested.distance
    ? configConflict(store, requested.collection, `already exists with distance ${existing.distance}, requested ${requested.distance}`)
    : undefined

/** Keyword search arguments: positive integer topK, a string query. */
export const checkKeywordSearch = (store: string, collection: string, query: unknown, topK: number): VectorStoreError | undefined =>
  (Number.isSafeInteger(topK) && topK > 0
    ? undefined
    : invalid(store, "keywordSearch", collection, `topK must be a positive integer, got ${show(topK)}`)) ??
    (typeof query === "string" ? undefined : invalid(store, "keywordSearch", collection, `query must be a string, got ${show(query)}`))

/** An HTTP status worth retrying: request timeout, rate limited, server errors. */
export const isRetryableStatus = (status: number): boolean => status === 408 || status === 429 || status >= 500

/**
 * The HTTP status an SDK error stands for, for SDKs that throw one error class per status (Chroma, Pinecone) and
 * name it in `error.name`; undefined for anything else (a transport failure).
 */
export const statusOfNamedError = (byName: Readonly<Record<string, number>>, e: unknown): number | undefined =>
  e instanceof Error && Object.hasOwn(byName, e.name) ? byName[e.name] : undefined

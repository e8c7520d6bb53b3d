// A local server speaking the part of Pinecone's REST API the SDK calls for the store: control plane (describe, create,
// delete index) and data plane (upsert, query, delete, describe_index_stats) on the same port, with Pinecone's metrics
// (euclidean scored by squared distance), metadata rules (flat: strings, numbers, booleans, lists of strings) and its
// Mongo-style filter language, evaluated independently of src/vector.
import { Effect, type Scope } from "effect"
import { cosine, dot, type FakeServer, float32, type Reply, type Request, squaredL2, startFake } from "./FakeHttp.ts"

interface Index {
  readonly name: string
  readonly dimension: number
  readonly metric: "cosine" | "dotproduct" | "euclidean"
  readonly namespaces: Map<string, Map<string, { values: Array<number>; metadata: Record<string, unknown> }>>
}

export interface FakePinecone extends FakeServer {
  readonly indexes: Map<string, Index>
}

type Value = unknown

const isList = (v: unknown): v is Array<unknown> => Array.isArray(v)

// Pinecone's filter semantics (Mongo-like); for a list field, $eq/$in hold when an element matches, $ne/$nin when
// none does; a missing field fails every comparison except $ne/$nin and $exists: false.
const holds = (filter: Record<string, any>, md: Record<string, Value>): boolean =>
  Object.entries(filter).every(([key, cond]) => {
    if (key === "$and") return (cond as Array<any>).every((f) => holds(f, md))
    if (key === "$or") return (cond as Array<any>).some((f) => holds(f, md))
    const v = md[key]
    const ops: Record<string, any> = typeof cond === "object" && cond !== null && !Array.isArray(cond) ? cond : { $eq: cond }
    return Object.entries(ops).every(([op, arg]) => {
      const values: Array<Value> = v === undefined ? [] : isList(v) ? v : [v]
      switch (op) {
        case "$eq":
          return values.some((x) => x === arg)
        case "$ne":
          return !values.some((x) => x === arg)
        case "$in":
          return values.some((x) => (arg as Array<Value>).includes(x))
        case "$nin":
          return !values.some((x) => (arg as Array<Value>).includes(x))
        case "$gt":
          return values.some((x) => typeof x === "number" && x > arg)
        case "$gte":
          return values.some((x) => typeof x === "number" && x >= arg)
        case "$lt":
          return values.some((x) => typeof x === "number" && x < arg)
        case "$lte":
          return values.some((x) => typeof x === "number" && x <= arg)
        case "$exists":
          return (v !== undefined) === arg
        default:
          throw new Error(`unsupported operator ${op}`)
      }
    })
  })

const validMetadata = (md: unknown): string | undefined => {
  if (md === undefined) return undefined
  if (typeof md !== "object" || md === null || Array.isArray(md)) return "metadata must be an object"
  for (const [k, v] of Object.entries(md)) {
    const ok = typeof v === "string" || typeof v === "number" || typeof v === "boolean" || (Array.isArray(v) && v.every((x) => typeof x === "string"))
    if (!ok) return `Metadata value must be a string, number, boolean or list of strings, got '${JSON.stringify(v)}' for field '${k}'`
  }
  return undefined
}

const notFound = (what: string): Reply => ({ status: 404, body: { error: { code: "NOT_FOUND", message: `Resource ${what} not found` }, status: 404 } })
const badRequest = (message: string): Reply => ({ status: 400, body: { code: 3, message, details: [] } })

export const startFakePinecone = (options: { readonly apiKey?: string } = {}): Effect.Effect<FakePinecone, never, Scope.Scope> =>
  Effect.gen(function*() {
    const indexes = new Map<string, Index>()
    const model = (i: Index, base: string) => ({
      name: i.name,
      dimension: i.dimension,
      metric: i.metric,
      // Each index has its own host (as in Pinecone): here a path prefix on the fake's port.
      host: `${base}/idx/${i.name}`,
      spec: { serverless: { cloud: "aws", region: "us-east-1" } },
      status: { ready: true, state: "Ready" },
      deletion_protection: "disabled",
      vector_type: "dense"
    })
    const route = (request: Request, base: string): Reply => {
      const data = /^\/idx\/([^/]+)(\/.*)$/.exec(request.path)
      const r = data === null ? request : { ...request, path: data[2]! }
      const key = r.headers["api-key"]
      if (options.apiKey !== undefined && key !== options.apiKey) {
        return { status: 401, body: { error: { code: "UNAUTHENTICATED", message: "Invalid API Key" }, status: 401 } }
      }
      const indexPath = data === null ? /^\/indexes\/([^/]+)$/.exec(r.path) : null
      if (r.method === "GET" && indexPath !== null) {
        const i = indexes.get(decodeURIComponent(indexPath[1]!))
        if (i === undefined) return notFound(decodeURIComponent(indexPath[1]!))
        return { body: model(i, base) }
      }
      if (r.method === "DELETE" && indexPath !== null) {
        const name = decodeURIComponent(indexPath[1]!)
        if (!indexes.delete(name)) return notFound(name)
        return { status: 202 }
      }
      if (r.method === "POST" && r.path === "/indexes") {
        const { dimension, metric, name } = r.body
        if (indexes.has(name)) return { status: 409, body: { error: { code: "ALREADY_EXISTS", message: `Resource ${name} already exists` }, status: 409 } }
        if (!/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/.test(name) || name.length > 45) return { status: 400, body: { error: { code: "INVALID_ARGUMENT", message: "Name must consist of lower case alphanumeric characters or '-'" }, status: 400 } }
        const i: Index = { name, dimension, metric: metric ?? "cosine", namespaces: new Map() }
        indexes.set(name, i)
        return { status: 201, body: model(i, base) }
      }
      const i = data === null ? undefined : indexes.get(data[1]!)
      if (i === undefined) return notFound(data?.[1] ?? r.path)
      const ns = (name: string | undefined) => {
        let m = i.namespaces.get(name ?? "")
        if (m === undefined) {
          m = new Map()
          i.namespaces.set(name ?? "", m)
        }
        return m
      }
      if (r.method === "POST" && r.path === "/vectors/upsert") {
        const vectors: Array<{ id: string; values: Array<number>; metadata?: Record<string, unknown> }> = r.body.vectors
        for (const v of vectors) {
          if (v.values.length !== i.dimension) return badRequest(`Vector dimension ${v.values.length} does not match the dimension of the index ${i.dimension}`)
          const bad = validMetadata(v.metadata)
          if (bad !== undefined) return badRequest(bad)
        }
        const m = ns(r.body.namespace)
        for (const v of vectors) m.set(v.id, { values: float32(v.values), metadata: v.metadata ?? {} })
        return { body: { upsertedCount: vectors.length } }
      }
      if (r.method === "POST" && r.path === "/query") {
        const { filter, includeMetadata, namespace, topK, vector } = r.body
        if (vector.length !== i.dimension) return badRequest(`Vector dimension ${vector.length} does not match the dimension of the index ${i.dimension}`)
        const q = float32(vector)
        const matches = [...ns(namespace)]
          .filter(([, rec]) => filter === undefined || holds(filter, rec.metadata))
          .map(([id, rec]) => ({
            id,
            score: i.metric === "cosine" ? cosine(rec.values, q) : i.metric === "dotproduct" ? dot(rec.values, q) : squaredL2(rec.values, q),
            ...(includeMetadata ? { metadata: rec.metadata } : {})
          }))
          .sort((a, b) => (i.metric === "euclidean" ? a.score - b.score : b.score - a.score))
          .slice(0, topK)
        return { body: { matches, namespace: namespace ?? "", usage: { readUnits: 1 } } }
      }
      if (r.method === "POST" && r.path === "/vectors/delete") {
        const m = ns(r.body.namespace)
        if (r.body.deleteAll === true) m.clear()
        for (const id of r.body.ids ?? []) m.delete(id)
        return { body: {} }
      }
      if (r.method === "POST" && r.path === "/describe_index_stats") {
        const namespaces = Object.fromEntries([...i.namespaces].filter(([, m]) => m.size > 0).map(([k, m]) => [k, { vectorCount: m.size }]))
        return { body: { namespaces, dimension: i.dimension, indexFullness: 0, totalVectorCount: [...i.namespaces.values()].reduce((n, m) => n + m.size, 0) } }
      }
      return { status: 404, body: { message: `no route ${r.method} ${r.path}` } }
    }
    const fake = yield* startFake(route)
    return { ...fake, indexes }
  })

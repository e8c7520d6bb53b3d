// A local server speaking the part of Chroma's v2 REST API the `chromadb` SDK calls for the store: pre-flight checks,
// collections (create / get-or-create, get by name, delete), count, upsert (embeddings as base64 float32, as the SDK
// sends them when the server says it can read them), query and delete; with Chroma's distances (1 - cos, 1 - dot,
// squared L2), its metadata rules (flat scalars or lists of one type) and its `where` language, evaluated
// independently of src/vector ($ne, $nin and $not_contains also hold when the key is missing, as since Chroma 0.5.12).
import { randomUUID } from "node:crypto"
import { Effect, type Scope } from "effect"
import { cosine, dot, type FakeServer, float32, type Reply, type Request, squaredL2, startFake } from "./FakeHttp.ts"

interface Record_ {
  readonly embedding: Array<number>
  readonly metadata: Record<string, unknown>
  readonly document: string | null
}

interface Collection {
  readonly id: string
  readonly name: string
  readonly space: "cosine" | "ip" | "l2"
  readonly metadata: Record<string, unknown> | null
  dimension: number | null
  readonly records: Map<string, Record_>
}

export interface FakeChroma extends FakeServer {
  readonly collections: Map<string, Collection>
}

type Scalar = string | number | boolean

const holds = (where: Record<string, any>, md: Record<string, unknown>): boolean => {
  const entries = Object.entries(where)
  if (entries.length !== 1) throw new Error(`Expected where to have exactly one operator, got ${entries.length}`)
  const [key, cond] = entries[0]!
  if (key === "$and") return (cond as Array<any>).every((w) => holds(w, md))
  if (key === "$or") return (cond as Array<any>).some((w) => holds(w, md))
  const [op, arg] = typeof cond === "object" && cond !== null ? Object.entries(cond)[0]! : ["$eq", cond]
  const v = md[key]
  const scalar = v !== undefined && !Array.isArray(v) ? (v as Scalar) : undefined
  const list = Array.isArray(v) ? (v as Array<Scalar>) : undefined
  switch (op) {
    case "$eq":
      return scalar !== undefined && scalar === arg
    case "$ne":
      return scalar === undefined || scalar !== arg
    case "$in":
      return scalar !== undefined && (arg as Array<Scalar>).includes(scalar)
    case "$nin":
      return scalar === undefined || !(arg as Array<Scalar>).includes(scalar)
    case "$gt":
      return typeof scalar === "number" && scalar > arg
    case "$gte":
      return typeof scalar === "number" && scalar >= arg
    case "$lt":
      return typeof scalar === "number" && scalar < arg
    case "$lte":
      return typeof scalar === "number" && scalar <= arg
    case "$contains":
      return list !== undefined && list.includes(arg)
    case "$not_contains":
      return list === undefined || !list.includes(arg)
    default:
      throw new Error(`unsupported operator ${op}`)
  }
}

const validMetadata = (md: unknown): string | undefined => {
  if (md === null || md === undefined) return undefined
  if (typeof md !== "object" || Array.isArray(md)) return "metadata must be an object"
  for (const [k, v] of Object.entries(md)) {
    const scalar = (x: unknown) => typeof x === "string" || typeof x === "boolean" || (typeof x === "number" && Number.isFinite(x))
    const ok = scalar(v) || (Array.isArray(v) && v.length > 0 && v.every(scalar) && v.every((x) => typeof x === typeof v[0]))
    if (!ok) return `Invalid metadata value for key '${k}': ${JSON.stringify(v)}`
  }
  return undefined
}

const decodeEmbedding = (e: unknown): Array<number> => {
  if (Array.isArray(e)) return e as Array<number>
  const bytes = Buffer.from(e as string, "base64")
  return Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4))
}

const notFound = (message: string): Reply => ({ status: 404, body: { error: "NotFoundError", message } })
const invalid = (message: string): Reply => ({ status: 400, body: { error: "InvalidArgumentError", message } })

export const startFakeChroma = (options: { readonly token?: string } = {}): Effect.Effect<FakeChroma, never, Scope.Scope> =>
  Effect.gen(function*() {
    const collections = new Map<string, Collection>()
    const byId = (id: string) => [...collections.values()].find((c) => c.id === id)
    const model = (c: Collection) => ({
      id: c.id,
      name: c.name,
      configuration_json: { hnsw: { space: c.space, ef_construction: 100, ef_search: 100, max_neighbors: 16 }, spann: null, embedding_function: null },
      metadata: c.metadata,
      dimension: c.dimension,
      tenant: "default_tenant",
      database: "default_database",
      log_position: 0,
      version: 0
    })
    const route = (r: Request): Reply => {
      if (options.token !== undefined && r.headers["x-chroma-token"] !== options.token) {
        return { status: 401, body: { error: "AuthError", message: "Unauthorized" } }
      }
      if (r.method === "GET" && r.path === "/api/v2/pre-flight-checks") return { body: { max_batch_size: 1000, supports_base64_encoding: true } }
      const base = /^\/api\/v2\/tenants\/([^/]+)\/databases\/([^/]+)\/collections(?:\/([^/]+)(?:\/([a-z_]+))?)?$/.exec(r.path)
      if (base === null) return notFound(`no route ${r.method} ${r.path}`)
      const [, tenant, database, name, action] = base
      if (tenant !== "default_tenant" || database !== "default_database") return notFound(`Database ${database} not found`)
      if (name === undefined && r.method === "POST") {
        const { configuration, get_or_create, metadata } = r.body
        const existing = collections.get(r.body.name)
        if (existing !== undefined) {
          if (get_or_create === true) return { body: model(existing) }
          return { status: 409, body: { error: "UniqueConstraintError", message: `Collection [${r.body.name}] already exists` } }
        }
        const c: Collection = {
          id: randomUUID(),
          name: r.body.name,
          space: configuration?.hnsw?.space ?? "l2",
          metadata: metadata ?? null,
          dimension: null,
          records: new Map()
        }
        collections.set(c.name, c)
        return { body: model(c) }
      }
      if (name !== undefined && action === undefined) {
        const c = collections.get(decodeURIComponent(name))
        if (c === undefined) return notFound(`Collection [${decodeURIComponent(name)}] does not exist`)
        if (r.method === "GET") return { body: model(c) }
        if (r.method === "DELETE") {
          collections.delete(c.name)
          return { body: {} }
        }
      }
      const c = name === undefined ? undefined : byId(name)
      if (c === undefined) return notFound(`Collection [${name}] does not exist`)
      if (r.method === "GET" && action === "count") return { body: c.records.size }
      if (r.method === "POST" && action === "upsert") {
        const ids: Array<string> = r.body.ids
        if (new Set(ids).size !== ids.length) return invalid("Expected IDs to be unique")
        const embeddings = (r.body.embeddings as Array<unknown>).map(decodeEmbedding)
        for (const [i, e] of embeddings.entries()) {
          if (c.dimension !== null && e.length !== c.dimension) {
            return invalid(`Collection expecting embedding with dimension of ${c.dimension}, got ${e.length}`)
          }
          const bad = validMetadata(r.body.metadatas?.[i])
          if (bad !== undefined) return invalid(bad)
        }
        ids.forEach((id, i) => {
          c.dimension ??= embeddings[i]!.length
          c.records.set(id, { embedding: float32(embeddings[i]!), metadata: r.body.metadatas?.[i] ?? {}, document: r.body.documents?.[i] ?? null })
        })
        return { body: {} }
      }
      if (r.method === "POST" && action === "query") {
        const { include, n_results, query_embeddings, where } = r.body
        const results = (query_embeddings as Array<Array<number>>).map((q) => {
          if (c.dimension !== null && q.length !== c.dimension) throw new Error(`dimension ${q.length} != ${c.dimension}`)
          const qf = float32(q)
          return [...c.records]
            .filter(([, rec]) => where === undefined || where === null || holds(where, rec.metadata))
            .map(([id, rec]) => ({
              id,
              rec,
              distance: c.space === "cosine" ? 1 - cosine(rec.embedding, qf) : c.space === "ip" ? 1 - dot(rec.embedding, qf) : squaredL2(rec.embedding, qf)
            }))
            .sort((a, b) => a.distance - b.distance)
            .slice(0, n_results)
        })
        return {
          body: {
            ids: results.map((rs) => rs.map((x) => x.id)),
            distances: include.includes("distances") ? results.map((rs) => rs.map((x) => x.distance)) : null,
            metadatas: include.includes("metadatas") ? results.map((rs) => rs.map((x) => x.rec.metadata)) : null,
            documents: include.includes("documents") ? results.map((rs) => rs.map((x) => x.rec.document)) : null,
            embeddings: null,
            uris: null,
            include
          }
        }
      }
      if (r.method === "POST" && action === "delete") {
        let deleted = 0
        for (const id of r.body.ids ?? []) if (c.records.delete(id)) deleted++
        return { body: { deleted } }
      }
      return notFound(`no route ${r.method} ${r.path}`)
    }
    const fake = yield* startFake(route)
    return { ...fake, collections }
  })

// A small in-process HTTP server speaking the part of Qdrant's REST API the adapter uses (collections create/get/delete,
// points upsert/query/delete), with Qdrant's envelopes, status codes and error texts. Collections may have named sparse
// vectors (with `modifier: "idf"`); points then carry `{ "": dense, name: { indices, values } }` and the Query API
// ranks a sparse query (`using: name`) by Σ idf(t) · q_t · d_t over shared dimensions, idf from the points holding
// that vector (Qdrant's formula), as Qdrant does. Search and filters are implemented
// independently of src/vector (naive full sort), so it doubles as an oracle in the contract suite.
import { createServer, type IncomingHttpHeaders } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect } from "effect"

export interface RecordedRequest {
  readonly method: string
  readonly path: string
  readonly query: Readonly<Record<string, string>>
  readonly headers: IncomingHttpHeaders
  readonly body: unknown
}

interface SparseVector {
  readonly indices: ReadonlyArray<number>
  readonly values: ReadonlyArray<number>
}

interface StoredPoint {
  readonly id: string | number
  readonly vector: ReadonlyArray<number>
  readonly sparse?: ReadonlyMap<string, SparseVector>
  readonly payload: Record<string, unknown>
}

interface FakeCollection {
  readonly size: number
  readonly distance: "Cosine" | "Dot" | "Euclid"
  /** Named sparse vectors and their modifier. */
  readonly sparse?: Readonly<Record<string, { readonly modifier?: "idf" | "none" }>>
  readonly points: Map<string, StoredPoint>
}

export interface FakeQdrant {
  readonly url: string
  readonly requests: Array<RecordedRequest>
  readonly collections: Map<string, FakeCollection>
  /** The next request is answered with this status and Qdrant error text instead of being served. */
  readonly failNext: (status: number, error: string) => void
  /** The next request is answered only after this many milliseconds. */
  readonly delayNext: (millis: number) => void
  /** Paths of requests whose connection the client closed before the answer was sent. */
  readonly aborted: Array<string>
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const isObject = (u: unknown): u is Record<string, any> => typeof u === "object" && u !== null && !Array.isArray(u)

const values = (payload: unknown, key: string): Array<unknown> => {
  let v: unknown = payload
  for (const part of key.split(".")) {
    if (!isObject(v) || !(part in v)) return []
    v = v[part]
  }
  return Array.isArray(v) ? v : [v]
}

const holds = (c: any, payload: Record<string, unknown>): boolean => {
  if (!("key" in c)) return matches(c, payload)
  const vs = values(payload, c.key)
  if (c.match !== undefined && "value" in c.match) return vs.includes(c.match.value)
  if (c.match !== undefined && "any" in c.match) return vs.some((v) => c.match.any.includes(v))
  if (c.range !== undefined) {
    const r = c.range
    return vs.some((v) =>
      typeof v === "number" && (r.gt === undefined || v > r.gt) && (r.gte === undefined || v >= r.gte) &&
      (r.lt === undefined || v < r.lt) && (r.lte === undefined || v <= r.lte)
    )
  }
  throw new Error("unsupported condition")
}

const matches = (filter: any, payload: Record<string, unknown>): boolean => {
  if (filter === undefined || filter === null) return true
  const must: Array<any> = filter.must ?? []
  const should: Array<any> = filter.should ?? []
  const mustNot: Array<any> = filter.must_not ?? []
  return must.every((c) => holds(c, payload)) && (should.length === 0 || should.some((c) => holds(c, payload))) &&
    !mustNot.some((c) => holds(c, payload))
}

const normalise = (v: ReadonlyArray<number>): Array<number> => {
  const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0))
  return n === 0 ? [...v] : v.map((x) => x / n)
}

export const startFakeQdrant = (options: { readonly apiKey?: string } = {}): Effect.Effect<FakeQdrant, never, import("effect").Scope.Scope> =>
  Effect.acquireRelease(
    Effect.callback<{ server: ReturnType<typeof createServer>; fake: FakeQdrant }>((resume) => {
      const requests: Array<RecordedRequest> = []
      const collections = new Map<string, FakeCollection>()
      const failures: Array<{ status: number; error: string }> = []
      const delays: Array<number> = []
      const aborted: Array<string> = []
      let operationId = 0
      const server = createServer((req, res) => {
        res.on("close", () => {
          if (!res.writableFinished) aborted.push(new URL(req.url ?? "/", "http://localhost").pathname)
        })
        const chunks: Array<Buffer> = []
        req.on("data", (c: Buffer) => chunks.push(c))
        req.on("end", () => {
          const delay = delays.shift()
          if (delay === undefined) handle()
          else setTimeout(handle, delay)
        })
        const handle = () => {
          const url = new URL(req.url ?? "/", "http://localhost")
          const text = Buffer.concat(chunks).toString("utf8")
          let body: any = undefined
          try {
            body = text.length > 0 ? JSON.parse(text) : undefined
          } catch {
            body = text
          }
          requests.push({
            method: req.method ?? "",
            path: url.pathname,
            query: Object.fromEntries(url.searchParams),
            headers: req.headers,
            body
          })
          const send = (status: number, payload: unknown) => {
            res.writeHead(status, { "content-type": "application/json" })
            res.end(JSON.stringify(payload))
          }
          const ok = (result: unknown) => send(200, { result, status: "ok", time: 0.0001 })
          const error = (status: number, message: string) => send(status, { status: { error: message }, time: 0.0001 })
          const injected = failures.shift()
          if (injected !== undefined) return error(injected.status, injected.error)
          if (options.apiKey !== undefined && req.headers["api-key"] !== options.apiKey) {
            return error(401, "Must provide an API key or an Authorization bearer token")
          }
          const parts = url.pathname.split("/").filter((p) => p.length > 0).map(decodeURIComponent)
          if (req.method === "GET" && parts.length === 0) return send(200, { title: "qdrant - vector search engine", version: "1.19.0" })
          if (parts[0] !== "collections" || parts[1] === undefined) return error(404, `Not found: ${url.pathname}`)
          const name = parts[1]
          const coll = collections.get(name)
          const missing = () => error(404, `Not found: Collection \`${name}\` doesn't exist!`)
          const route = `${req.method} ${parts.slice(2).join("/")}`
          switch (route) {
            case "PUT ": {
              if (coll !== undefined) return error(409, `Wrong input: Collection \`${name}\` already exists!`)
              const size = body?.vectors?.size
              const distance = body?.vectors?.distance
              if (!Number.isInteger(size) || size < 1 || !["Cosine", "Dot", "Euclid"].includes(distance)) {
                return error(400, "Format error in JSON body: invalid vectors config")
              }
              const sparseConfig: Record<string, { modifier?: "idf" | "none" }> = {}
              for (const [vectorName, params] of Object.entries(body?.sparse_vectors ?? {})) {
                const modifier = (params as any)?.modifier
                if (modifier !== undefined && modifier !== null && modifier !== "idf" && modifier !== "none") {
                  return error(400, `Format error in JSON body: sparse_vectors.${vectorName}.modifier: unknown variant \`${modifier}\`, expected \`none\` or \`idf\``)
                }
                sparseConfig[vectorName] = modifier === "idf" ? { modifier } : {}
              }
              collections.set(name, { size, distance, ...(Object.keys(sparseConfig).length > 0 ? { sparse: sparseConfig } : {}), points: new Map() })
              return ok(true)
            }
            case "GET ":
              if (coll === undefined) return missing()
              return ok({
                status: "green",
                optimizer_status: "ok",
                points_count: coll.points.size,
                segments_count: 1,
                config: {
                  params: { vectors: { size: coll.size, distance: coll.distance }, ...(coll.sparse === undefined ? {} : { sparse_vectors: coll.sparse }) }
                },
                payload_schema: {}
              })
            case "DELETE ":
              return ok(collections.delete(name))
            case "PUT points": {
              if (coll === undefined) return missing()
              const points: Array<any> = body?.points ?? []
              const parsed = new Map<any, { dense: unknown; sparse: Map<string, SparseVector> }>()
              for (const p of points) {
                // A plain list is the default vector; a map names its vectors ("" is the default one).
                const named = isObject(p.vector) ? p.vector : undefined
                const sparse = new Map<string, SparseVector>()
                for (const [vectorName, v] of Object.entries(named ?? {})) {
                  if (vectorName === "") continue
                  if (coll.sparse?.[vectorName] === undefined) return error(400, `Wrong input: Not existing vector name error: ${vectorName}`)
                  const sv = v as any
                  if (!Array.isArray(sv?.indices) || !Array.isArray(sv?.values) || sv.indices.length !== sv.values.length) {
                    return error(400, "Validation error in JSON body: [points[0].vector: indices and values must have the same length]")
                  }
                  if (!sv.indices.every((i: unknown) => Number.isInteger(i) && (i as number) >= 0 && (i as number) < 2 ** 32)) {
                    return error(400, "Format error in JSON body: sparse indices must be unsigned 32-bit integers")
                  }
                  if (new Set(sv.indices).size !== sv.indices.length) return error(400, "Validation error in JSON body: [points[0].vector: indices must be unique]")
                  sparse.set(vectorName, { indices: sv.indices, values: sv.values })
                }
                parsed.set(p, { dense: named === undefined ? p.vector : named[""], sparse })
                const validId = (typeof p.id === "number" && Number.isInteger(p.id) && p.id >= 0) ||
                  (typeof p.id === "string" && UUID.test(p.id))
                if (!validId) {
                  return error(
                    400,
                    `Format error in JSON body: value ${p.id} is not a valid point ID, valid values are either an unsigned integer or a UUID`
                  )
                }
                const dense = parsed.get(p)!.dense as any
                if (!Array.isArray(dense) || dense.length !== coll.size) {
                  return error(400, `Wrong input: Vector dimension error: expected dim: ${coll.size}, got ${dense?.length ?? 0}`)
                }
              }
              for (const p of points) {
                const { dense, sparse } = parsed.get(p)!
                const vector = coll.distance === "Cosine" ? normalise(dense as Array<number>) : (dense as Array<number>)
                // Upsert replaces the whole point: sparse vectors not given are gone.
                coll.points.set(String(p.id), { id: p.id, vector, sparse, payload: p.payload ?? {} })
              }
              return ok({ operation_id: ++operationId, status: "completed" })
            }
            case "POST points/query": {
              if (coll === undefined) return missing()
              if (body?.using !== undefined && body.using !== "") {
                const using: string = body.using
                if (coll.sparse?.[using] === undefined) return error(400, `Wrong input: Not existing vector name error: ${using}`)
                const sq = body.query
                if (!isObject(sq) || !Array.isArray(sq.indices) || !Array.isArray(sq.values) || sq.indices.length !== sq.values.length) {
                  return error(400, `Wrong input: Conversion between sparse and regular vectors failed`)
                }
                const holders = [...coll.points.values()].filter((p) => (p.sparse?.get(using)?.indices.length ?? 0) > 0)
                const n = holders.length
                const idf = (dim: number) => {
                  if (coll.sparse![using]!.modifier !== "idf") return 1
                  const df = holders.filter((p) => p.sparse!.get(using)!.indices.includes(dim)).length
                  return Math.log(1 + (n - df + 0.5) / (df + 0.5))
                }
                const scored = holders
                  .filter((p) => matches(body.filter, p.payload))
                  .flatMap((p) => {
                    const doc = p.sparse!.get(using)!
                    let score = 0
                    let shared = false
                    sq.indices.forEach((dim: number, i: number) => {
                      const at = doc.indices.indexOf(dim)
                      if (at === -1) return
                      shared = true
                      score += idf(dim) * sq.values[i] * doc.values[at]!
                    })
                    // Sparse search only scores points sharing a dimension with the query.
                    return shared ? [{ id: p.id, version: 0, score, ...(body.with_payload === true ? { payload: p.payload } : {}) }] : []
                  })
                  .sort((a, b) => b.score - a.score)
                return ok({ points: scored.slice(0, body.limit ?? 10) })
              }
              const query: Array<number> = body?.query
              if (!Array.isArray(query) || query.length !== coll.size) {
                return error(400, `Wrong input: Vector dimension error: expected dim: ${coll.size}, got ${query?.length ?? 0}`)
              }
              const q = coll.distance === "Cosine" ? normalise(query) : query
              const scored = [...coll.points.values()]
                .filter((p) => matches(body.filter, p.payload))
                .map((p) => {
                  const score = coll.distance === "Euclid"
                    ? Math.sqrt(p.vector.reduce((s, x, i) => s + (x - q[i]!) ** 2, 0))
                    : p.vector.reduce((s, x, i) => s + x * q[i]!, 0)
                  return { id: p.id, version: 0, score, ...(body.with_payload === true ? { payload: p.payload } : {}) }
                })
                .sort((a, b) => (coll.distance === "Euclid" ? a.score - b.score : b.score - a.score))
              return ok({ points: scored.slice(0, body.limit ?? 10) })
            }
            case "POST points/delete": {
              if (coll === undefined) return missing()
              for (const id of body?.points ?? []) coll.points.delete(String(id))
              return ok({ operation_id: ++operationId, status: "completed" })
            }
            default:
              return error(404, `Not found: ${req.method} ${url.pathname}`)
          }
        }
      })
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo
        resume(Effect.succeed({
          server,
          fake: {
            url: `http://127.0.0.1:${port}`,
            requests,
            collections,
            failNext: (status, error) => failures.push({ status, error }),
            delayNext: (millis) => delays.push(millis),
            aborted
          }
        }))
      })
    }),
    ({ server }) =>
      Effect.callback<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ fake }) => fake))

// A local server speaking the part of Milvus' RESTful API (/v2/vectordb) the SDK's HttpClient calls for the store:
// collections (create with a schema, describe, drop), entities (upsert, search on the dense field or BM25 on the
// sparse one, query count(*), delete by expression). Milvus answers HTTP 200 with a `code` (0 on success). Its
// boolean expression language over JSON fields is parsed and evaluated here independently of src/vector: comparisons
// and `in` on a missing key are false, json_contains(_any) look into arrays, `exists` tests presence. BM25 is
// computed over lowercase word tokens (k1 = 1.2, b = 0.75), as Milvus' standard analyzer would tokenize English.
import { Effect, type Scope } from "effect"
import { cosine, dot, type FakeServer, float32, type Reply, type Request, squaredL2, startFake } from "./FakeHttp.ts"

interface Row {
  readonly vector: Array<number>
  readonly payload: Record<string, unknown>
  readonly text: string
}

interface Collection {
  readonly name: string
  readonly dimension: number
  readonly metric: "COSINE" | "IP" | "L2"
  readonly keyword: boolean
  readonly request: any
  readonly rows: Map<string, Row>
}

export interface FakeMilvus extends FakeServer {
  readonly collections: Map<string, Collection>
}

// ---------------------------------------------------------------------------------------------------------------------
// Expression parser: or / and / not, parentheses, `path op literal`, `path in [..]`, json_contains(path, v),
// json_contains_any(path, [..]), exists path, `id in [..]`.

type Token = { readonly kind: "ident" | "string" | "number" | "punct"; readonly value: string }

const tokenize = (src: string): Array<Token> => {
  const out: Array<Token> = []
  let i = 0
  while (i < src.length) {
    const c = src[i]!
    if (/\s/.test(c)) {
      i++
      continue
    }
    if (c === '"') {
      let j = i + 1
      while (src[j] !== '"') j += src[j] === "\\" ? 2 : 1
      out.push({ kind: "string", value: JSON.parse(src.slice(i, j + 1)) })
      i = j + 1
      continue
    }
    const num = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(src.slice(i))
    if (num !== null && (c === "-" || /\d/.test(c))) {
      out.push({ kind: "number", value: num[0] })
      i += num[0].length
      continue
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))
    if (ident !== null) {
      out.push({ kind: "ident", value: ident[0] })
      i += ident[0].length
      continue
    }
    const op = /^(==|!=|>=|<=|>|<|\(|\)|\[|\]|,)/.exec(src.slice(i))
    if (op === null) throw new Error(`cannot parse expression at ${i}: ${src.slice(i, i + 10)}`)
    out.push({ kind: "punct", value: op[0] })
    i += op[0].length
  }
  return out
}

type Eval = (row: { readonly id: string; readonly payload: Record<string, unknown> }) => boolean

const parse = (src: string): Eval => {
  const tokens = tokenize(src)
  let pos = 0
  const peek = () => tokens[pos]
  const next = () => tokens[pos++]!
  const expect = (value: string) => {
    const t = next()
    if (t?.value !== value) throw new Error(`expected ${value}, got ${t?.value}`)
  }
  const value = (): unknown => {
    const t = next()
    if (t.kind === "string") return t.value
    if (t.kind === "number") return Number(t.value)
    if (t.kind === "ident" && (t.value === "true" || t.value === "True")) return true
    if (t.kind === "ident" && (t.value === "false" || t.value === "False")) return false
    if (t.value === "[") {
      const items: Array<unknown> = []
      while (peek()?.value !== "]") {
        items.push(value())
        if (peek()?.value === ",") next()
      }
      next()
      return items
    }
    throw new Error(`unexpected ${t.value}`)
  }
  // A path is `id` or `payload["a"]["b"]`; it reads undefined when a key is missing.
  const pathOf = (): ((row: Parameters<Eval>[0]) => unknown) => {
    const head = next()
    if (head.kind !== "ident") throw new Error(`expected a field, got ${head.value}`)
    if (head.value === "id") return (row) => row.id
    if (head.value !== "payload") throw new Error(`field ${head.value} does not exist`)
    const keys: Array<string> = []
    while (peek()?.value === "[") {
      next()
      const k = next()
      if (k.kind !== "string") throw new Error("expected a string key")
      keys.push(k.value)
      expect("]")
    }
    return (row) => {
      let v: unknown = row.payload
      for (const k of keys) {
        if (typeof v !== "object" || v === null || Array.isArray(v) || !Object.hasOwn(v, k)) return undefined
        v = (v as Record<string, unknown>)[k]
      }
      return v
    }
  }
  const primary = (): Eval => {
    const t = peek()!
    if (t.value === "(") {
      next()
      const e = orExpr()
      expect(")")
      return e
    }
    if (t.kind === "ident" && t.value === "not") {
      next()
      const e = primary()
      return (row) => !e(row)
    }
    if (t.kind === "ident" && t.value === "exists") {
      next()
      const p = pathOf()
      return (row) => p(row) !== undefined
    }
    if (t.kind === "ident" && (t.value === "json_contains" || t.value === "json_contains_any")) {
      next()
      expect("(")
      const p = pathOf()
      expect(",")
      const v = value()
      expect(")")
      return t.value === "json_contains"
        ? (row) => {
          const a = p(row)
          return Array.isArray(a) && a.some((x) => x === v)
        }
        : (row) => {
          const a = p(row)
          return Array.isArray(a) && a.some((x) => (v as Array<unknown>).includes(x))
        }
    }
    const p = pathOf()
    const op = next()
    if (op.kind === "ident" && op.value === "in") {
      const list = value() as Array<unknown>
      return (row) => {
        const v = p(row)
        return v !== undefined && !Array.isArray(v) && list.includes(v)
      }
    }
    const v = value()
    const cmp = (a: unknown): boolean => {
      if (a === undefined || Array.isArray(a)) return false
      switch (op.value) {
        case "==":
          return a === v
        case "!=":
          return a !== v
        case ">":
          return typeof a === "number" && a > (v as number)
        case ">=":
          return typeof a === "number" && a >= (v as number)
        case "<":
          return typeof a === "number" && a < (v as number)
        case "<=":
          return typeof a === "number" && a <= (v as number)
        default:
          throw new Error(`unknown operator ${op.value}`)
      }
    }
    return (row) => cmp(p(row))
  }
  const andExpr = (): Eval => {
    let e = primary()
    while (peek()?.value === "and" || peek()?.value === "&&") {
      next()
      const l = e, r = primary()
      e = (row) => l(row) && r(row)
    }
    return e
  }
  const orExpr = (): Eval => {
    let e = andExpr()
    while (peek()?.value === "or" || peek()?.value === "||") {
      next()
      const l = e, r = andExpr()
      e = (row) => l(row) || r(row)
    }
    return e
  }
  const e = orExpr()
  if (pos !== tokens.length) throw new Error(`unexpected ${tokens[pos]!.value}`)
  return e
}

const words = (text: string): Array<string> => text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []

const bm25 = (rows: ReadonlyArray<[string, Row]>, query: string): Map<string, number> => {
  const docs = rows.map(([id, r]) => [id, words(r.text)] as const)
  const avg = docs.reduce((n, [, w]) => n + w.length, 0) / Math.max(1, docs.length)
  const scores = new Map<string, number>()
  for (const term of new Set(words(query))) {
    const df = docs.filter(([, w]) => w.includes(term)).length
    if (df === 0) continue
    const idf = Math.log(1 + (docs.length - df + 0.5) / (df + 0.5))
    for (const [id, w] of docs) {
      const tf = w.filter((x) => x === term).length
      if (tf === 0) continue
      scores.set(id, (scores.get(id) ?? 0) + idf * (tf * 2.2) / (tf + 1.2 * (0.25 + 0.75 * w.length / avg)))
    }
  }
  return scores
}

const ok = (data: unknown = {}): Reply => ({ body: { code: 0, data } })
const error = (code: number, message: string): Reply => ({ body: { code, message } })

export const startFakeMilvus = (options: { readonly token?: string } = {}): Effect.Effect<FakeMilvus, never, Scope.Scope> =>
  Effect.gen(function*() {
    const collections = new Map<string, Collection>()
    const route = (r: Request): Reply => {
      if (r.method !== "POST") return { status: 404, body: { code: 404, message: `no route ${r.method} ${r.path}` } }
      if (options.token !== undefined && r.headers["authorization"] !== `Bearer ${options.token}`) {
        return error(1800, "user hasn't authenticated")
      }
      const b = r.body ?? {}
      if (b.dbName !== "default") return error(800, `database not found[database=${b.dbName}]`)
      const c = collections.get(b.collectionName)
      const missing = () => error(100, `collection not found[database=default][collection=${b.collectionName}]`)
      switch (r.path) {
        case "/v2/vectordb/collections/create": {
          if (c !== undefined) return error(65535, `collection already exists: ${b.collectionName}`)
          const fields: Array<any> = b.schema.fields
          const vector = fields.find((f) => f.dataType === "FloatVector")
          const index = (b.indexParams as Array<any>).find((i) => i.fieldName === vector.fieldName)
          collections.set(b.collectionName, {
            name: b.collectionName,
            dimension: vector.elementTypeParams.dim,
            metric: index.metricType,
            keyword: (b.schema.functions ?? []).some((f: any) => f.type === "BM25"),
            request: b,
            rows: new Map()
          })
          return ok()
        }
        case "/v2/vectordb/collections/describe": {
          if (c === undefined) return missing()
          const fields = (c.request.schema.fields as Array<any>).map((f, i) => ({
            id: 100 + i,
            name: f.fieldName,
            type: f.dataType,
            primaryKey: f.isPrimary === true,
            autoId: false,
            partitionKey: false,
            description: "",
            params: Object.entries(f.elementTypeParams ?? {}).map(([key, value]) => ({ key, value: String(value) }))
          }))
          return ok({
            collectionName: c.name,
            fields,
            functions: c.request.schema.functions ?? [],
            indexes: (c.request.indexParams as Array<any>).map((i) => ({ fieldName: i.fieldName, indexName: i.indexName, metricType: i.metricType })),
            load: "LoadStateLoaded",
            consistencyLevel: c.request.params?.consistencyLevel ?? "Bounded",
            enableDynamicField: false
          })
        }
        case "/v2/vectordb/collections/drop":
          collections.delete(b.collectionName)
          return ok()
      }
      if (c === undefined) return missing()
      switch (r.path) {
        case "/v2/vectordb/entities/upsert": {
          for (const row of b.data as Array<any>) {
            if (typeof row.id !== "string") return error(1100, "invalid parameter: id must be a string")
            if (row.vector.length !== c.dimension) return error(1100, `the dim (${row.vector.length}) of field data(vector) is not equal to schema dim (${c.dimension})`)
            if (c.keyword && typeof row.text !== "string") return error(1100, "missing field text")
          }
          for (const row of b.data as Array<any>) c.rows.set(row.id, { vector: float32(row.vector), payload: row.payload ?? {}, text: row.text ?? "" })
          return ok({ upsertCount: b.data.length, upsertIds: b.data.map((row: any) => row.id) })
        }
        case "/v2/vectordb/entities/query": {
          const keep = b.filter === "" || b.filter === undefined ? () => true : parse(b.filter)
          const n = [...c.rows].filter(([id, row]) => keep({ id, payload: row.payload })).length
          if ((b.outputFields ?? []).includes("count(*)")) return ok([{ "count(*)": n }])
          return error(1100, "only count(*) is implemented by the fake")
        }
        case "/v2/vectordb/entities/search": {
          const keep = b.filter === undefined || b.filter === "" ? () => true : parse(b.filter)
          const candidates = [...c.rows].filter(([id, row]) => keep({ id, payload: row.payload }))
          let scored: Array<{ id: string; distance: number }>
          if (b.annsField === "sparse") {
            if (!c.keyword) return error(1100, "field sparse does not exist")
            const scores = bm25([...c.rows], b.data[0])
            scored = candidates.map(([id]) => ({ id, distance: scores.get(id) ?? 0 })).sort((x, y) => y.distance - x.distance)
          } else {
            const q = float32(b.data[0])
            if (q.length !== c.dimension) return error(1100, `vector dimension mismatch, expected ${c.dimension}, got ${q.length}`)
            scored = candidates.map(([id, row]) => ({
              id,
              distance: c.metric === "COSINE" ? cosine(row.vector, q) : c.metric === "IP" ? dot(row.vector, q) : squaredL2(row.vector, q)
            })).sort((x, y) => (c.metric === "L2" ? x.distance - y.distance : y.distance - x.distance))
          }
          const out = (b.outputFields ?? []) as Array<string>
          return ok(scored.slice(0, b.limit).map((s) => ({
            id: s.id,
            distance: s.distance,
            ...(out.includes("payload") ? { payload: c.rows.get(s.id)!.payload } : {})
          })))
        }
        case "/v2/vectordb/entities/delete": {
          const keep = parse(b.filter)
          for (const [id, row] of [...c.rows]) if (keep({ id, payload: row.payload })) c.rows.delete(id)
          return ok({})
        }
      }
      return { status: 404, body: { code: 404, message: `no route ${r.path}` } }
    }
    const fake = yield* startFake(route)
    return { ...fake, collections }
  })

// A local Weaviate for the official weaviate-client v3: REST on one port (/v1/meta, /v1/.well-known/ready, /v1/schema
// create/list/get/delete, /v1/schema/{class}/properties) and gRPC on another, served with nice-grpc from the proto
// service definitions the client package ships (grpc.health.v1.Health/Check, weaviate.v1.Weaviate/Search,
// BatchObjects, BatchDelete, Aggregate). Requests are decoded from the wire (vector bytes as float32, number arrays
// as float64 bytes, filters as the Filters message), checked as Weaviate checks them (unknown properties, property
// types, vector length, IsNull without indexNullState, filters on missing properties) and answered in the wire
// format. Search, BM25 and filters are written independently of src/vector, so the fake is also an oracle.
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { pathToFileURL } from "node:url"
import { createServer as createGrpcServer, Metadata, ServerError, Status } from "nice-grpc"
import { Effect, type Scope } from "effect"
import { cosine, dot, type FakeServer, float32, type Request, squaredL2, startFake } from "./FakeHttp.ts"

const esm = join(dirname(createRequire(import.meta.url).resolve("weaviate-client")), "..", "esm")
const load = (path: string): Promise<any> => import(pathToFileURL(join(esm, path)).href)

export interface StoredObject {
  readonly uuid: string
  readonly vector: ReadonlyArray<number>
  readonly properties: Record<string, unknown>
}

export interface FakeClass {
  readonly schema: Record<string, any>
  readonly objects: Map<string, StoredObject>
}

export interface GrpcCall {
  readonly method: string
  readonly request: any
  readonly authorization: string | undefined
}

export interface FakeWeaviate {
  readonly url: string
  readonly grpcUrl: string
  readonly rest: FakeServer
  readonly grpcCalls: Array<GrpcCall>
  readonly classes: Map<string, FakeClass>
  /** The next gRPC call fails with this status and message. */
  readonly failNextGrpc: (status: Status, message: string) => void
}

const floats32 = (bytes: Uint8Array): Array<number> => Array.from(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)))
const floats64 = (bytes: Uint8Array): Array<number> => Array.from(new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)))

const STOP = new Set("a an and are as at be but by for if in into is it no not of on or such that the their then there these they this to was will with".split(" "))
const words = (text: string): Array<string> => (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => !STOP.has(w))

const valuesOf = (props: Record<string, unknown>, property: string): Array<unknown> => {
  const v = props[property]
  return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]
}

export const startFakeWeaviate = (options: { readonly apiKey?: string; readonly version?: string } = {}): Effect.Effect<FakeWeaviate, never, Scope.Scope> =>
  Effect.gen(function*() {
    const [{ WeaviateDefinition }, { HealthDefinition, HealthCheckResponse_ServingStatus }, { Filters_Operator }] = yield* Effect.promise(() =>
      Promise.all([load("proto/v1/weaviate.js"), load("proto/google/health/v1/health.js"), load("proto/v1/base.js")])
    )
    const classes = new Map<string, FakeClass>()
    const grpcCalls: Array<GrpcCall> = []
    const grpcFailures: Array<{ status: Status; message: string }> = []
    const version = options.version ?? "1.33.0"

    const authorized = (header: string | undefined) => options.apiKey === undefined || header === `Bearer ${options.apiKey}`

    // ---- REST ------------------------------------------------------------------------------------------------
    const route = (r: Request) => {
      if (r.path === "/v1/.well-known/ready" || r.path === "/v1/.well-known/live") return { status: 200 }
      if (!authorized(r.headers["authorization"] as string | undefined)) {
        return { status: 401, body: { code: 401, message: "anonymous access not enabled, please provide an auth scheme such as OIDC" } }
      }
      if (r.method === "GET" && r.path === "/v1/meta") return { body: { hostname: "http://[::]:8080", modules: {}, version, grpcMaxMessageSize: 104858000 } }
      const parts = r.path.split("/").filter((p) => p.length > 0).map(decodeURIComponent)
      if (parts[0] !== "v1" || parts[1] !== "schema") return { status: 404, body: { error: [{ message: `no route ${r.method} ${r.path}` }] } }
      const name = parts[2]
      if (name === undefined) {
        if (r.method === "GET") return { body: { classes: [...classes.values()].map((c) => c.schema) } }
        if (r.method === "POST") {
          const body = r.body as Record<string, any>
          if (typeof body?.class !== "string" || !/^[A-Z][_0-9A-Za-z]*$/.test(body.class)) {
            return { status: 422, body: { error: [{ message: `'${body?.class}' is not a valid class name` }] } }
          }
          if (classes.has(body.class)) return { status: 422, body: { error: [{ message: `class name ${body.class} already exists` }] } }
          for (const p of body.properties ?? []) {
            if (!/^[_A-Za-z][_0-9A-Za-z]{0,230}$/.test(p.name)) return { status: 422, body: { error: [{ message: `'${p.name}' is not a valid property name` }] } }
          }
          const schema = {
            ...body,
            invertedIndexConfig: {
              bm25: { b: 0.75, k1: 1.2 },
              cleanupIntervalSeconds: 60,
              stopwords: { preset: "en", additions: null, removals: null },
              indexTimestamps: false,
              indexPropertyLength: false,
              indexNullState: false,
              ...body.invertedIndexConfig
            },
            multiTenancyConfig: { enabled: false, autoTenantCreation: false, autoTenantActivation: false },
            replicationConfig: { factor: 1, asyncEnabled: false, deletionStrategy: "NoAutomatedResolution" },
            shardingConfig: { virtualPerPhysical: 128, desiredCount: 1, actualCount: 1, desiredVirtualCount: 128, actualVirtualCount: 128, key: "_id", strategy: "hash", function: "murmur3" },
            vectorConfig: Object.fromEntries(Object.entries(body.vectorConfig ?? {}).map(([k, v]: [string, any]) => [k, {
              ...v,
              // What Weaviate 1.33 answers for an HNSW index created with only a distance.
              vectorIndexConfig: {
                skip: false,
                cleanupIntervalSeconds: 300,
                maxConnections: 32,
                efConstruction: 128,
                ef: -1,
                dynamicEfMin: 100,
                dynamicEfMax: 500,
                dynamicEfFactor: 8,
                vectorCacheMaxObjects: 1000000000000,
                flatSearchCutoff: 40000,
                distance: "cosine",
                pq: { enabled: false, bitCompression: false, segments: 0, centroids: 256, trainingLimit: 100000, encoder: { type: "kmeans", distribution: "log-normal" } },
                bq: { enabled: false },
                sq: { enabled: false, trainingLimit: 100000, rescoreLimit: 20 },
                rq: { enabled: false, bits: 8, rescoreLimit: 20 },
                filterStrategy: "sweeping",
                multivector: { enabled: false, muvera: { enabled: false, ksim: 4, dprojections: 16, repetitions: 10 }, aggregation: "maxSim" },
                ...v.vectorIndexConfig
              }
            }])),
            properties: (body.properties ?? []).map((p: any) => ({ indexFilterable: true, indexSearchable: p.dataType?.[0]?.startsWith("text") ?? false, tokenization: p.dataType?.[0]?.startsWith("text") ? "word" : undefined, ...p }))
          }
          classes.set(body.class, { schema, objects: new Map() })
          return { body: schema }
        }
      }
      const c = name === undefined ? undefined : classes.get(name)
      if (parts.length === 3) {
        if (r.method === "GET") return c === undefined ? { status: 404 } : { body: c.schema }
        if (r.method === "DELETE") {
          classes.delete(name!)
          return { status: 200 }
        }
      }
      if (parts.length === 4 && parts[3] === "properties" && r.method === "POST") {
        if (c === undefined) return { status: 404 }
        const p = r.body as Record<string, any>
        if (!/^[_A-Za-z][_0-9A-Za-z]{0,230}$/.test(p?.name ?? "")) return { status: 422, body: { error: [{ message: `'${p?.name}' is not a valid property name` }] } }
        if (c.schema.properties.some((q: any) => q.name.toLowerCase() === p.name.toLowerCase())) {
          return { status: 422, body: { error: [{ message: `property name "${p.name}" already exists` }] } }
        }
        c.schema.properties.push({ indexFilterable: true, indexSearchable: false, ...p })
        return { body: p }
      }
      return { status: 404, body: { error: [{ message: `no route ${r.method} ${r.path}` }] } }
    }
    const rest = yield* startFake(route)

    // ---- gRPC ------------------------------------------------------------------------------------------------
    const record = (method: string, request: any, metadata: Metadata) => {
      grpcCalls.push({ method, request, authorization: metadata.get("authorization") as string | undefined })
      const injected = grpcFailures.shift()
      if (injected !== undefined) throw new ServerError(injected.status, injected.message)
      if (!authorized(metadata.get("authorization") as string | undefined)) throw new ServerError(Status.UNAUTHENTICATED, "anonymous access not enabled")
    }
    const classOf = (name: string): FakeClass => {
      const c = classes.get(name)
      if (c === undefined) throw new ServerError(Status.NOT_FOUND, `could not find class ${name} in schema`)
      return c
    }
    const propertyOf = (c: FakeClass, name: string) => c.schema.properties.find((p: any) => p.name === name)

    // Filters message -> predicate over a stored object.
    const compile = (c: FakeClass, f: any): ((o: StoredObject) => boolean) => {
      switch (f.operator) {
        case Filters_Operator.OPERATOR_AND: {
          const ps = f.filters.map((g: any) => compile(c, g))
          return (o) => ps.every((p: any) => p(o))
        }
        case Filters_Operator.OPERATOR_OR: {
          const ps = f.filters.map((g: any) => compile(c, g))
          return (o) => ps.some((p: any) => p(o))
        }
        case Filters_Operator.OPERATOR_NOT: {
          if (f.filters.length !== 1) throw new ServerError(Status.INVALID_ARGUMENT, "Not takes exactly one operand")
          const p = compile(c, f.filters[0])
          return (o) => !p(o)
        }
      }
      const property: string | undefined = f.target?.property
      if (property === undefined) throw new ServerError(Status.INVALID_ARGUMENT, "filter without a target property")
      const read = (o: StoredObject): Array<unknown> => (property === "_id" ? [o.uuid] : valuesOf(o.properties, property))
      if (property !== "_id") {
        const p = propertyOf(c, property)
        if (p === undefined) throw new ServerError(Status.INVALID_ARGUMENT, `no such prop with name '${property}' found in class '${c.schema.class}' in the schema`)
        if (p.indexFilterable === false) throw new ServerError(Status.INVALID_ARGUMENT, `Filtering by property '${property}' requires inverted index`)
      }
      const list: Array<unknown> | undefined = f.valueTextArray?.values ?? f.valueIntArray?.values ?? f.valueNumberArray?.values ?? f.valueBooleanArray?.values
      const scalar: unknown = f.valueText ?? f.valueInt ?? f.valueNumber ?? f.valueBoolean
      switch (f.operator) {
        case Filters_Operator.OPERATOR_CONTAINS_ANY: {
          if (list === undefined) throw new ServerError(Status.INVALID_ARGUMENT, "ContainsAny needs an array value")
          const set = new Set(list.map(String))
          return (o) => read(o).some((v) => set.has(String(v)) && (typeof v === typeof list[0] || property === "_id" || typeof v === "number"))
        }
        case Filters_Operator.OPERATOR_EQUAL:
          return (o) => read(o).some((v) => v === scalar)
        case Filters_Operator.OPERATOR_GREATER_THAN:
          return (o) => read(o).some((v) => typeof v === "number" && v > (scalar as number))
        case Filters_Operator.OPERATOR_GREATER_THAN_EQUAL:
          return (o) => read(o).some((v) => typeof v === "number" && v >= (scalar as number))
        case Filters_Operator.OPERATOR_LESS_THAN:
          return (o) => read(o).some((v) => typeof v === "number" && v < (scalar as number))
        case Filters_Operator.OPERATOR_LESS_THAN_EQUAL:
          return (o) => read(o).some((v) => typeof v === "number" && v <= (scalar as number))
        case Filters_Operator.OPERATOR_IS_NULL:
          if (c.schema.invertedIndexConfig?.indexNullState !== true) {
            throw new ServerError(Status.INVALID_ARGUMENT, "Nullstate must be indexed to be filterable! add `indexNullState: true` to the invertedIndexConfig")
          }
          return (o) => (read(o).length === 0) === (f.valueBoolean === true)
        default:
          throw new ServerError(Status.INVALID_ARGUMENT, `operator ${f.operator} not supported by the fake`)
      }
    }

    const vectorOf = (message: any): Array<number> | undefined => {
      const named = (message.vectors ?? []).find((v: any) => v.name === "default" || v.name === "") ?? message.vectors?.[0]
      if (named !== undefined && named.vectorBytes?.length > 0) return floats32(named.vectorBytes)
      if (message.vectorBytes?.length > 0) return floats32(message.vectorBytes)
      if (message.vector?.length > 0) return message.vector
      return undefined
    }

    const distanceOf = (c: FakeClass, a: ReadonlyArray<number>, b: ReadonlyArray<number>): number => {
      const metric = c.schema.vectorConfig?.default?.vectorIndexConfig?.distance ?? "cosine"
      return metric === "cosine" ? 1 - cosine(a, b) : metric === "dot" ? -dot(a, b) : squaredL2(a, b)
    }

    const bm25 = (c: FakeClass, query: string, properties: ReadonlyArray<string>, candidates: ReadonlyArray<StoredObject>) => {
      const { k1, b } = c.schema.invertedIndexConfig.bm25
      const docs = [...c.objects.values()].map((o) => ({ o, terms: properties.flatMap((p) => valuesOf(o.properties, p).flatMap((v) => words(String(v)))) }))
      const avgdl = docs.reduce((s, d) => s + d.terms.length, 0) / Math.max(1, docs.length)
      const q = [...new Set(words(query))]
      const keep = new Set(candidates)
      return docs.filter((d) => keep.has(d.o)).map(({ o, terms }) => {
        let score = 0
        for (const t of q) {
          const tf = terms.filter((x) => x === t).length
          if (tf === 0) continue
          const df = docs.filter((d) => d.terms.includes(t)).length
          const idf = Math.log(1 + (docs.length - df + 0.5) / (df + 0.5))
          score += (idf * tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * terms.length) / avgdl))
        }
        return { o, score }
      }).filter((h) => h.score > 0).sort((x, y) => y.score - x.score)
    }

    const resultOf = (o: StoredObject, request: any, metadata: { distance?: number; score?: number }) => {
      const wanted: Array<string> = request.properties?.nonRefProperties ?? []
      const fields: Record<string, any> = {}
      for (const name of wanted) {
        const v = o.properties[name]
        if (typeof v === "string") fields[name] = { textValue: v }
        else if (typeof v === "number") fields[name] = { numberValue: v }
        else if (typeof v === "boolean") fields[name] = { boolValue: v }
      }
      return {
        properties: { nonRefProps: { fields }, refProps: [], targetCollection: request.collection, refPropsRequested: false },
        metadata: {
          id: o.uuid,
          ...(metadata.distance === undefined ? {} : { distance: metadata.distance, distancePresent: true }),
          ...(metadata.score === undefined ? {} : { score: metadata.score, scorePresent: true })
        }
      }
    }

    // nice-grpc wants every method of a service: the ones the fake does not serve answer UNIMPLEMENTED.
    const complete = (definition: any, served: Record<string, unknown>) => {
      const out: Record<string, unknown> = { ...served }
      for (const name of Object.keys(definition.methods)) {
        out[name] ??= async () => {
          throw new ServerError(Status.UNIMPLEMENTED, `${name} is not served by the fake`)
        }
      }
      return out as never
    }
    const server = createGrpcServer()
    server.add(HealthDefinition, complete(HealthDefinition, {
      check: async () => ({ status: HealthCheckResponse_ServingStatus.SERVING })
    }))
    server.add(WeaviateDefinition, complete(WeaviateDefinition, {
      search: async (request: any, { metadata }: any) => {
        record("Search", request, metadata)
        const c = classOf(request.collection)
        const keep = request.filters === undefined ? () => true : compile(c, request.filters)
        const candidates = [...c.objects.values()].filter(keep)
        const limit = request.limit > 0 ? request.limit : 10
        if (request.nearVector !== undefined) {
          const nv = request.nearVector
          const q = nv.vectorForTargets?.length > 0 ? vectorOf(nv.vectorForTargets[0]) : vectorOf(nv)
          if (q === undefined) throw new ServerError(Status.INVALID_ARGUMENT, "nearVector without a vector")
          const dim = candidates[0]?.vector.length ?? c.objects.values().next().value?.vector.length
          if (dim !== undefined && q.length !== dim) {
            throw new ServerError(Status.INVALID_ARGUMENT, `vector search: knn search: distance between entrypoint and query node: vector lengths don't match: ${dim} vs ${q.length}`)
          }
          const hits = candidates.map((o) => ({ o, distance: distanceOf(c, q, o.vector) })).sort((x, y) => x.distance - y.distance).slice(0, limit)
          return { took: 0.001, results: hits.map((h) => resultOf(h.o, request, { distance: h.distance })), groupByResults: [] }
        }
        if (request.bm25Search !== undefined) {
          const properties: Array<string> = request.bm25Search.properties?.length > 0 ? request.bm25Search.properties : ["text"]
          for (const p of properties) {
            const prop = propertyOf(c, p)
            if (prop === undefined || prop.indexSearchable === false) throw new ServerError(Status.INVALID_ARGUMENT, `property '${p}' is not searchable`)
          }
          const hits = bm25(c, request.bm25Search.query, properties, candidates).slice(0, limit)
          return { took: 0.001, results: hits.map((h) => resultOf(h.o, request, { score: h.score })), groupByResults: [] }
        }
        throw new ServerError(Status.INVALID_ARGUMENT, "the fake serves nearVector and bm25 searches only")
      },
      batchObjects: async (request: any, { metadata }: any) => {
        record("BatchObjects", request, metadata)
        const errors: Array<{ index: number; error: string }> = []
        request.objects.forEach((ob: any, index: number) => {
          const c = classes.get(ob.collection)
          if (c === undefined) return errors.push({ index, error: `class ${ob.collection} not found` })
          const vector = vectorOf(ob)
          if (vector === undefined) return errors.push({ index, error: "no vector for a collection without vectorizer" })
          const existing = [...c.objects.values()].find((o) => o.uuid !== ob.uuid)?.vector.length
          if (existing !== undefined && existing !== vector.length) {
            return errors.push({ index, error: `new node has a vector with length ${vector.length}. Existing nodes have vectors with length ${existing}` })
          }
          const props: Record<string, unknown> = {}
          const p = ob.properties ?? {}
          for (const [k, v] of Object.entries(p.nonRefProperties ?? {})) props[k] = v
          for (const a of p.textArrayProperties ?? []) props[a.propName] = a.values
          for (const a of p.intArrayProperties ?? []) props[a.propName] = a.values
          for (const a of p.numberArrayProperties ?? []) props[a.propName] = a.values?.length > 0 ? a.values : floats64(a.valuesBytes)
          for (const a of p.booleanArrayProperties ?? []) props[a.propName] = a.values
          for (const [k, v] of Object.entries(props)) {
            const prop = propertyOf(c, k)
            if (prop === undefined) return errors.push({ index, error: `no such prop with name '${k}' found in class '${ob.collection}' in the schema` })
            const type: string = prop.dataType[0]
            const items = Array.isArray(v) ? v : [v]
            const ok = type.startsWith("text") ? items.every((x) => typeof x === "string") : type.startsWith("number") ? items.every((x) => typeof x === "number") : type.startsWith("boolean") ? items.every((x) => typeof x === "boolean") : false
            if (!ok || Array.isArray(v) !== type.endsWith("[]")) return errors.push({ index, error: `invalid ${type} property '${k}' on class '${ob.collection}': ${JSON.stringify(v)}` })
          }
          c.objects.set(ob.uuid, { uuid: ob.uuid, vector: float32(vector), properties: props })
        })
        return { took: 0.001, errors }
      },
      batchDelete: async (request: any, { metadata }: any) => {
        record("BatchDelete", request, metadata)
        const c = classOf(request.collection)
        if (request.filters === undefined) throw new ServerError(Status.INVALID_ARGUMENT, "batch delete needs a filter")
        const p = compile(c, request.filters)
        const matched = [...c.objects.values()].filter(p)
        for (const o of matched) c.objects.delete(o.uuid)
        return { took: 0.001, failed: 0, matches: matched.length, successful: matched.length, objects: [] }
      },
      aggregate: async (request: any, { metadata }: any) => {
        record("Aggregate", request, metadata)
        const c = classOf(request.collection)
        const keep = request.filters === undefined ? () => true : compile(c, request.filters)
        return { took: 0.001, singleResult: { objectsCount: [...c.objects.values()].filter(keep).length, aggregations: undefined } }
      }
    }))
    const port = yield* Effect.acquireRelease(
      Effect.promise(() => server.listen("127.0.0.1:0")),
      () => Effect.sync(() => server.forceShutdown())
    )
    return {
      url: rest.url,
      grpcUrl: `http://127.0.0.1:${port}`,
      rest,
      grpcCalls,
      classes,
      failNextGrpc: (status, message) => void grpcFailures.push({ status, message })
    } satisfies FakeWeaviate
  })



/**
 * In-memory vector search benchmark: 100k vectors of dimension 384 (cosine), top-10, through the public
 * `VectorStore` API. Measures build (upsert in batches of 1000), search without a filter, with a 25%-selective and a
 * 1%-selective payload filter, dot and euclid collections, and a full-sort baseline (all scores sorted) to show what the
 * heap saves. Prints ms per search and writes bench/results/vector-search.json.
 *
 * Run: `npm run bench:vector` (options: `--points 100000 --dimension 384 --queries 50`).
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { cpus, loadavg } from "node:os"
import { parseArgs } from "node:util"
import { Effect } from "effect"
import { Filter, type Distance, type Point, VectorStore } from "../src/vector/index.ts"
import { prng } from "../test/vector/random.ts"

const { values: args } = parseArgs({
  options: {
    points: { type: "string", default: "100000" },
    dimension: { type: "string", default: "384" },
    queries: { type: "string", default: "50" },
    topK: { type: "string", default: "10" }
  }
})
const N = Number(args.points)
const D = Number(args.dimension)
const Q = Number(args.queries)
const K = Number(args.topK)
const store = "bench"
const langs = ["en", "fr", "de", "es"] as const

const stats = (samples: ReadonlyArray<number>) => {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!
  const mean = samples.reduce((s, x) => s + x, 0) / samples.length
  return { mean: +mean.toFixed(3), median: +at(0.5).toFixed(3), p95: +at(0.95).toFixed(3), min: +sorted[0]!.toFixed(3) }
}

const randomVector = (next: () => number) => Array.from({ length: D }, () => next() * 2 - 1)

const build = (collection: string, distance: Distance, seed: number) =>
  Effect.gen(function*() {
    const next = prng(seed)
    yield* VectorStore.createCollection({ store, collection, dimension: D, distance })
    let elapsed = 0 // upsert calls only, not the generation of the random points
    for (let offset = 0; offset < N; offset += 1000) {
      const points: Array<Point> = []
      for (let i = offset; i < Math.min(N, offset + 1000); i++) {
        points.push({ id: i, vector: randomVector(next), payload: { lang: langs[i % 4]!, bucket: i % 100, title: `doc ${i}` } })
      }
      const started = performance.now()
      yield* VectorStore.upsert({ store, collection, points })
      elapsed += performance.now() - started
    }
    return elapsed
  })

const time = (collection: string, filter: Filter.Filter | undefined, seed: number) =>
  Effect.gen(function*() {
    const next = prng(seed)
    const queries = Array.from({ length: Q + 5 }, () => randomVector(next))
    const samples: Array<number> = []
    let hits = 0
    for (let i = 0; i < queries.length; i++) {
      const started = performance.now()
      const result = yield* VectorStore.search({ store, collection, vector: queries[i]!, topK: K, filter })
      const elapsed = performance.now() - started
      if (i >= 5) samples.push(elapsed) // the first 5 warm the JIT up
      hits += result.length
    }
    if (hits !== queries.length * K) throw new Error(`expected ${K} hits per query, got ${hits / queries.length}`)
    return stats(samples)
  })

// What the heap replaces: score every row, then sort all n scores.
const fullSortBaseline = (seed: number) => {
  const next = prng(seed)
  const data = new Float32Array(N * D)
  for (let i = 0; i < data.length; i++) data[i] = next() * 2 - 1
  const samples: Array<number> = []
  for (let i = 0; i < Q + 5; i++) {
    const q = Float64Array.from(randomVector(next))
    const started = performance.now()
    const scores = new Float64Array(N)
    for (let row = 0; row < N; row++) {
      let s = 0
      const base = row * D
      for (let j = 0; j < D; j++) s += data[base + j]! * q[j]!
      scores[row] = s
    }
    const order = Array.from({ length: N }, (_, r) => r).sort((a, b) => scores[b]! - scores[a]!)
    order.length = K
    if (i >= 5) samples.push(performance.now() - started)
  }
  return stats(samples)
}

const loadBefore = loadavg()[0]!

const program = Effect.gen(function*() {
  console.log(`vector-search: ${N} points x ${D} dims, top-${K}, ${Q} timed queries each (node ${process.version}, ${cpus()[0]?.model ?? "?"})`)
  const buildCosine = yield* build("cosine", "cosine", 1)
  console.log(`build cosine (upsert ${N} in batches of 1000): ${buildCosine.toFixed(0)} ms (${(buildCosine / N * 1000).toFixed(1)} µs/point)`)
  const search = {
    cosine: yield* time("cosine", undefined, 2),
    cosineFilter25: yield* time("cosine", Filter.all(Filter.match("lang", "en")), 3),
    cosineFilter1: yield* time("cosine", Filter.all(Filter.match("bucket", 7)), 4),
    cosineFilterRangeAny: yield* time(
      "cosine",
      Filter.all(Filter.anyOf("lang", ["en", "fr"]), Filter.range("bucket", { gte: 10, lt: 60 })),
      5
    )
  }
  yield* VectorStore.deleteCollection({ store, collection: "cosine" }) // free memory before the next collection
  const buildDot = yield* build("dot", "dot", 6)
  const dot = yield* time("dot", undefined, 7)
  yield* VectorStore.deleteCollection({ store, collection: "dot" })
  const buildEuclid = yield* build("euclid", "euclid", 8)
  const euclid = yield* time("euclid", undefined, 9)
  yield* VectorStore.deleteCollection({ store, collection: "euclid" })
  const baseline = fullSortBaseline(10)

  const rows: Array<[string, { mean: number; median: number; p95: number }]> = [
    ["cosine, no filter", search.cosine],
    ["cosine, filter lang=en (25%)", search.cosineFilter25],
    ["cosine, filter bucket=7 (1%)", search.cosineFilter1],
    ["cosine, filter lang any [en,fr] & 10<=bucket<60 (25%)", search.cosineFilterRangeAny],
    ["dot, no filter", dot],
    ["euclid, no filter", euclid],
    ["baseline: score all + full sort (dot)", baseline]
  ]
  for (const [label, s] of rows) {
    console.log(`${label.padEnd(56)} mean ${s.mean.toFixed(2)} ms  median ${s.median.toFixed(2)} ms  p95 ${s.p95.toFixed(2)} ms`)
  }
  console.log(`build dot: ${buildDot.toFixed(0)} ms, build euclid: ${buildEuclid.toFixed(0)} ms`)
  console.log(`load average (1 min) before/after: ${loadBefore.toFixed(2)} / ${loadavg()[0]!.toFixed(2)} on ${cpus().length} cores`)

  const result = {
    benchmark: "vector-search",
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    // Other processes share the machine; a high load average makes the figures pessimistic.
    loadAverage1m: { before: +loadBefore.toFixed(2), after: +loadavg()[0]!.toFixed(2) },
    points: N,
    dimension: D,
    topK: K,
    timedQueries: Q,
    buildMillis: { cosine: +buildCosine.toFixed(1), dot: +buildDot.toFixed(1), euclid: +buildEuclid.toFixed(1) },
    searchMillis: { ...search, dot, euclid, fullSortBaseline: baseline }
  }
  mkdirSync(new URL("./results/", import.meta.url), { recursive: true })
  writeFileSync(new URL("./results/vector-search.json", import.meta.url), JSON.stringify(result, null, 2) + "\n")
  console.log("wrote bench/results/vector-search.json")
})

Effect.runPromise(program.pipe(Effect.provide(VectorStore.layerMemory(store)))).catch((e) => {
  console.error(e)
  process.exitCode = 1
})

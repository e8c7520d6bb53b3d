/**
 * Differential test of the two YAML back ends: every example and fixture, and a few hundred seeded valid variations
 * of them, run both as the generated TypeScript module (written, imported and run) and through the interpreter, with
 * the same mock providers, store and actions. Outputs, step records (status, attempts, start and duration under the
 * test clock), errors and the order of every provider/store/action call must be equal.
 *
 * The mocks answer from the request alone (a hash of it), so both back ends get the same answers if and only if they
 * make the same requests: structured answers are sampled from the requested schema, free text is one of the file's
 * branch case names or a word, and a seeded fraction of first calls fails with a retryable error, which exercises
 * retries, fallbacks and failing runs.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { basename, dirname, join, relative } from "node:path"
import { pathToFileURL } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { ByteSize, Cause, Clock, type Context, Effect, Exit, Fiber, FileSystem, Layer, Option, PlatformError, Schema } from "effect"
import { TestClock } from "effect/testing"
import { type Analysis, analyzeFile, analyzeSource, generateModule, type Type } from "../../codegen/index.ts"
import { execute } from "../../src/engine/run.ts"
import { LastGoodOutputs } from "../../src/index.ts"
import { ProviderUnavailable } from "../../src/llm/LlmError.ts"
import { MockEmbeddings, MockLlm, MockRecorder, type MockRequest } from "../../src/testing/index.ts"
import * as Reranker from "../../src/rag/Reranker.ts"
import * as VectorStore from "../../src/vector/VectorStore.ts"
import { interpret } from "../../src/yaml/interpret.ts"
import { type ActionShape, clearCache } from "../../src/yaml/runtime.ts"
import { mutations } from "./mutations.ts"

const root = join(import.meta.dirname, "..", "..")
const outDir = join(root, ".generated", "differential")
const workflowFiles = (dir: string) =>
  readdirSync(dir).filter((f) => f.endsWith(".yaml") && !/\.(test|mock|input)\.yaml$/.test(f)).map((f) => join(dir, f))
const sources = [...workflowFiles(join(root, "examples")), ...workflowFiles(join(import.meta.dirname, "fixtures"))]
  .map((file) => ({ file, text: readFileSync(file, "utf8") }))

const VARIATIONS = 300

// ---- deterministic answers ----
const hash = (s: string): number => {
  let h = 2166136261
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619)
  return h >>> 0
}

interface JsonSchema {
  readonly type?: string
  readonly enum?: ReadonlyArray<unknown>
  readonly items?: JsonSchema
  readonly properties?: Readonly<Record<string, JsonSchema>>
  readonly anyOf?: ReadonlyArray<JsonSchema>
  readonly $ref?: string
}

/** A value of a JSON Schema, chosen by `h`. */
const sampleJson = (s: JsonSchema, h: number, defs: Readonly<Record<string, JsonSchema>>): unknown => {
  if (s.$ref !== undefined) return sampleJson(defs[s.$ref.split("/").pop()!] ?? {}, h, defs)
  if (s.enum !== undefined) return s.enum[h % s.enum.length]
  if (s.anyOf !== undefined) return sampleJson(s.anyOf[0]!, h, defs)
  switch (s.type) {
    case "string":
      return `w${h % 97}`
    case "integer":
    case "number":
      return h % 11
    case "boolean":
      return h % 2 === 0
    case "null":
      return null
    case "array":
      return [sampleJson(s.items ?? {}, h, defs), sampleJson(s.items ?? {}, hash(String(h)), defs)]
    case "object":
      return Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, sampleJson(v, hash(`${h}${k}`), defs)]))
    default:
      return `u${h % 13}`
  }
}

/** A value of an analysis type (inputs, action results). */
const sample = (t: Type, h: number): unknown => {
  switch (t.kind) {
    case "string":
      return `s${h % 7}`
    case "number":
    case "integer":
      return h % 11
    case "boolean":
      return h % 2 === 0
    case "literal":
      return t.values[h % t.values.length]
    case "array":
      return [sample(t.items, h), sample(t.items, hash(String(h)))]
    case "object":
      return Object.fromEntries(Object.entries(t.fields).map(([k, f]) => [k, sample(f.type, hash(`${h}${k}`))]))
    case "null":
      return null
    default:
      return `u${h % 5}`
  }
}

/** Every analysis of the file and the files it calls. */
const allAnalyses = (a: Analysis, seen = new Set<Analysis>()): Array<Analysis> => {
  if (seen.has(a)) return []
  seen.add(a)
  return [a, ...[...a.nodes.values()].flatMap((n) => [
    ...(n.sub !== undefined ? allAnalyses(n.sub, seen) : []),
    ...[...(n.fallbackSubs?.values() ?? [])].flatMap((f) => allAnalyses(f.analysis, seen))
  ])]
}

type Log = Array<unknown>

/** The mock services both back ends get; every call is logged in order. */
const services = (analyses: ReadonlyArray<Analysis>, log: Log) => {
  const nodes = analyses.flatMap((a) => [...a.nodes.values()])
  const words = [...new Set(nodes.flatMap((n) => [...(n.cases?.keys() ?? [])]))]
  const seen = new Set<string>()
  const flaky = (key: string) => {
    const first = !seen.has(key)
    seen.add(key)
    return first && hash(`fail${key}`) % 6 === 0
  }
  const llm = (provider: string) =>
    MockLlm.layer(provider, {
      responses: (req: MockRequest) => {
        const doc = req.schema === undefined ? undefined : Schema.toJsonSchemaDocument(req.schema)
        const key = JSON.stringify([provider, req.model, req.prompt, req.system, doc?.schema])
        log.push({ llm: provider, model: req.model, prompt: req.prompt, system: req.system, schema: doc?.schema, t: req.temperature, max: req.maxTokens })
        if (flaky(key)) return new ProviderUnavailable({ provider, message: "503 (injected)" })
        const h = hash(key)
        if (doc !== undefined) return sampleJson(doc.schema as JsonSchema, h, doc.definitions as Record<string, JsonSchema>) as object
        const choices = [...words, `text ${h % 17}`]
        return choices[h % choices.length]!
      },
      whenExhausted: "repeat-last"
    })
  const stores = [...new Set(analyses.flatMap((a) => [...a.resources.stores]))]
  // Collections an ingest step created live in a real in-memory store (so hybrid search, re-ranking and the context
  // see real chunks); searches of other collections get made-up hits.
  const store = (name: string) =>
    VectorStore.layerEffect(name, Effect.map(VectorStore.makeMemory(name), (memory) => {
      const exists = (collection: string) => memory.getCollection({ collection }).pipe(Effect.as(true), Effect.catchTag("CollectionNotFound", () => Effect.succeed(false)))
      const fake = (collection: string, topK: number) =>
        Array.from({ length: Math.min(topK, 3) }, (_, j) => ({ id: `${collection}-${j}`, score: 1 / (j + 1), payload: { title: `t${j}`, text: `text ${j} of ${collection}` } }))
      return {
        store: name,
        createCollection: (o) => Effect.tap(memory.createCollection(o), () => Effect.sync(() => log.push({ createCollection: name, ...o }))),
        getCollection: (o) => memory.getCollection(o),
        deleteCollection: () => Effect.die("not used"),
        upsert: (o) => Effect.tap(memory.upsert(o), () => Effect.sync(() => log.push({ upsert: name, collection: o.collection, ids: o.points.map((p) => p.id) }))),
        delete: (o) => Effect.tap(memory.delete(o), () => Effect.sync(() => log.push({ delete: name, collection: o.collection, ids: o.ids }))),
        search: (o) =>
          Effect.gen(function*() {
            log.push({ search: name, collection: o.collection, vector: o.vector, topK: o.topK })
            return (yield* exists(o.collection)) ? yield* memory.search(o) : fake(o.collection, o.topK)
          }),
        keywordSearch: (o) =>
          Effect.gen(function*() {
            log.push({ keywordSearch: name, collection: o.collection, query: o.query, topK: o.topK })
            return (yield* exists(o.collection)) ? yield* memory.keywordSearch!(o) : fake(o.collection, o.topK)
          })
      }
    }))
  const layers = [
    llm("openai"),
    llm("anthropic"),
    ...["openai", "offline"].map((provider) =>
      MockEmbeddings.layer(provider, {
        embed: (text, model) => {
          log.push({ embed: model, provider, text })
          const h = hash(text)
          return [1 + (h % 7), h % 5, h % 3]
        }
      })),
    ...stores.map(store),
    // Named re-rankers answer in reverse order of the documents, scored by position.
    ...[...new Set(analyses.flatMap((a) => [...a.resources.rerankers]))].map((name) =>
      Reranker.layer(name, {
        name,
        rerank: (r) =>
          Effect.sync(() => {
            log.push({ rerank: name, query: r.query, ids: r.documents.map((d) => d.id), topN: r.topN })
            return r.documents.map((d, i) => ({ index: i, id: d.id, score: i / r.documents.length })).reverse()
          })
      }))
  ]
  const providers = Layer.mergeAll(layers[0]!, ...layers.slice(1) as Array<typeof layers[0]>, Layer.succeed(FileSystem.FileSystem, syncFs)).pipe(Layer.provideMerge(MockRecorder.layer))
  // An action returns a value of its step's output_schema when one declares it, else a word.
  const actionTypes = new Map<string, Type>()
  for (const n of nodes) if (n.step.type === "action" && n.step.output_schema !== undefined && n.type !== undefined) actionTypes.set(n.step.action, n.type)
  const action = (name: string) => (params: Readonly<Record<string, unknown>>) =>
    Effect.sync(() => {
      log.push({ action: name, params })
      const t = actionTypes.get(name)
      return t === undefined ? `${name} done` : sample(t, hash(JSON.stringify(params)))
    })
  return { providers, action }
}

// The ingest steps read files through this synchronous FileSystem: real asynchronous I/O would let the test clock run
// ahead by a varying amount while it waits, and step timings would differ between the two runs.
const syncFs = FileSystem.makeNoop({
  stat: (path) =>
    Effect.try({
      try: () => {
        const st = statSync(path)
        return {
          type: st.isDirectory() ? "Directory" : st.isFile() ? "File" : "Unknown",
          mtime: Option.some(st.mtime),
          atime: Option.some(st.atime),
          birthtime: Option.some(st.birthtime),
          dev: BigInt(st.dev),
          ino: Option.some(BigInt(st.ino)),
          mode: st.mode,
          nlink: Option.some(BigInt(st.nlink)),
          uid: Option.some(st.uid),
          gid: Option.some(st.gid),
          rdev: Option.some(BigInt(st.rdev)),
          size: ByteSize.bytes(st.size),
          blksize: Option.some(ByteSize.bytes(st.blksize)),
          blocks: Option.some(BigInt(st.blocks))
        } satisfies FileSystem.File.Info
      },
      catch: (e) => PlatformError.systemError({ _tag: "NotFound", module: "FileSystem", method: "stat", pathOrDescriptor: path, description: String(e) })
    }),
  readDirectoryEntries: (path) =>
    Effect.sync(() => readdirSync(path, { withFileTypes: true }).map((d) => ({ name: d.name, type: d.isDirectory() ? "Directory" as const : "File" as const }))),
  readFile: (path) => Effect.sync(() => new Uint8Array(readFileSync(path)))
})

/** Where two JSON-like values first differ (for readable mismatch reports). */
const firstDifference = (a: unknown, b: unknown, path = "$"): string | undefined => {
  if (Object.is(a, b)) return undefined
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return `${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])]
  for (const k of keys) {
    const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`)
    if (d !== undefined) return d
  }
  return undefined
}

// ---- running ----
/** Runs to the end under the test clock (retry delays pass at once), or reports a hang. */
const drive = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const t0 = yield* Clock.currentTimeMillis
    const fiber = yield* Effect.forkChild(effect)
    for (let i = 0; i < 500 && fiber.pollUnsafe() === undefined; i++) yield* TestClock.adjust("1 hour")
    if (fiber.pollUnsafe() === undefined) {
      yield* Fiber.interrupt(fiber)
      return { hung: true } as const
    }
    return { exit: yield* Fiber.await(fiber), t0 } as const
  })

/** What a run is compared on. */
const describeError = (e: unknown): unknown => {
  if (e === null || typeof e !== "object") return String(e)
  const o = e as { _tag?: unknown; message?: unknown; stepId?: unknown; workflow?: unknown; error?: unknown; attempt?: unknown }
  if (typeof o._tag !== "string") return { defect: String(o.message ?? e) }
  return { tag: o._tag, message: o.message, stepId: o.stepId, workflow: o.workflow, attempt: o.attempt, error: o.error === undefined ? undefined : describeError(o.error) }
}

const outcome = (r: { hung: true } | { exit: Exit.Exit<unknown, unknown>; t0: number }, declared: boolean) => {
  if ("hung" in r) return { hung: true }
  if (Exit.isFailure(r.exit)) {
    const dies = Cause.hasDies(r.exit.cause)
    return { failed: describeError(Cause.squash(r.exit.cause)), dies }
  }
  const result = r.exit.value as {
    outputs: Record<string, unknown>
    steps: Record<string, { status: string; attempts: number; startedAt: number; durationMillis: number; kind: string; fallback?: unknown }>
  }
  const outputs = { ...result.outputs }
  const steps = Object.fromEntries(
    Object.entries(result.steps).map(([k, s]) => [k, [s.kind, s.status, s.attempts, s.startedAt - r.t0, s.durationMillis, s.fallback]])
  )
  // Generated modules have the `_outputs` step only when the file declares outputs; the interpreter always adds it.
  if (!declared) {
    delete outputs["_outputs"]
    delete steps["_outputs"]
  }
  return { outputs, steps }
}

interface Case {
  readonly label: string
  readonly file: string
  readonly analysis: Analysis
}

const cases = (): Array<Case> => {
  const out: Array<Case> = sources.map((s) => ({ label: relative(root, s.file), file: s.file, analysis: analyzeFile(s.file) }))
  const values: ReadonlyArray<unknown> = [
    "x", "{{ input.text }}", 3, true, ["a"], { enum: ["a", "b"] }, "default", { type: "object", properties: { a: "number" } },
    "integer", "boolean", 0, 2, "fixed", "500ms", "return", "{{ input.text | upper }}", { times: 1, backoff: "fixed", delay: "1s" },
    [{ provider: "anthropic" }], "{{ nope | default(\"z\") }}", "30s", 1
  ]
  let made = 0
  for (const { i, text } of mutations(sources.map((s) => s.text), values, 20261201, 4000)) {
    if (made >= VARIATIONS) break
    const src = sources[i % sources.length]!
    // Next to its source, so its sub-workflow files resolve.
    const file = join(dirname(src.file), `variant-${i}.yaml`)
    const analysis = analyzeSource(file, text)
    if (analysis.diagnostics.some((d) => d.severity === "error")) continue
    out.push({ label: `variation ${i} of ${relative(root, src.file)}`, file, analysis })
    made++
  }
  return out
}

/** Writes the module of `c` (and of the files it calls) and imports it. */
const moduleOf = (c: Case, index: number) =>
  Effect.promise(async () => {
    const name = (a: Analysis) => a === c.analysis ? `case${index}-${basename(a.file, ".yaml")}.ts` : `sub-${basename(a.file, ".yaml")}.ts`
    const byFile = new Map(allAnalyses(c.analysis).map((a) => [a.file, a]))
    for (const a of byFile.values()) {
      writeFileSync(join(outDir, name(a)), generateModule(a, {
        source: relative(root, a.file),
        // The package by its own name, as users' generated code imports it.
        moduleOf: (f) => `./${name(byFile.get(f)!)}`
      }))
    }
    return await import(pathToFileURL(join(outDir, name(c.analysis))).href) as Record<string, unknown>
  })

/** The action services a generated module declares (`class XAction extends Context.Service<...>()("llm-orchestrator/action/x")`). */
const actionClasses = (mod: Record<string, unknown>) =>
  Object.values(mod).filter((v): v is Context.Service<unknown, ActionShape> & { readonly key: string } => {
    const key = (v as { readonly key?: unknown } | null)?.key
    return typeof v === "function" && typeof key === "string" && key.startsWith("llm-orchestrator/action/")
  })

describe("differential: generated module vs interpreter", () => {
  it.effect(`every example, fixture and ${VARIATIONS} valid variations agree on outputs, records, errors and calls`, () =>
    Effect.gen(function*() {
      rmSync(outDir, { recursive: true, force: true })
      mkdirSync(outDir, { recursive: true })
      const all = cases()
      assert.isAtLeast(all.length, sources.length + VARIATIONS)
      const mismatches: Array<string> = []
      const tally = { succeeded: 0, failed: 0, calls: 0 }
      for (const [index, c] of all.entries()) {
        const analyses = allAnalyses(c.analysis)
        const input: Record<string, unknown> = {}
        for (const [k, f] of c.analysis.inputs) input[k] = sample(f.type, hash(`${c.label}${k}`))
        const declared = c.analysis.workflow!.outputs !== undefined
        const actionNames = [...new Set([...analyses.flatMap((a) => [...a.resources.actions]), "log"])]

        const mod = yield* moduleOf(c, index)
        const genLog: Log = []
        const gen = services(analyses, genLog)
        const actionLayers = actionClasses(mod).map((cls) =>
          Layer.succeed(cls, { run: gen.action(cls.key.slice("llm-orchestrator/action/".length)) })
        )
        clearCache()
        const generated = yield* drive(
          (execute(mod["workflow"] as never, input as never) as Effect.Effect<unknown, unknown, any>).pipe(
            Effect.provide(Layer.mergeAll(gen.providers, ...actionLayers)),
            // each back end its own last good outputs (`cached` fallbacks), as if in its own process
            Effect.provideService(LastGoodOutputs, LastGoodOutputs.make(1000))
          ) as Effect.Effect<unknown, unknown>
        )

        const intLog: Log = []
        const int = services(analyses, intLog)
        const { workflow, problems } = interpret(c.analysis, { actions: Object.fromEntries(actionNames.map((a) => [a, int.action(a)])) })
        assert.deepStrictEqual(problems, [], c.label)
        clearCache()
        const interpreted = yield* drive(
          (execute(workflow, input as never) as Effect.Effect<unknown, unknown, any>).pipe(
            Effect.provide(int.providers),
            Effect.provideService(LastGoodOutputs, LastGoodOutputs.make(1000))
          ) as Effect.Effect<unknown, unknown>
        )

        const g = { ...outcome(generated, declared), calls: genLog }
        const i = { ...outcome(interpreted, declared), calls: intLog }
        try {
          assert.deepStrictEqual(g, i)
        } catch (e) {
          mismatches.push(`${c.label}: ${(e as Error).message}\nfirst difference: ${firstDifference(g, i)}\n${JSON.stringify({ generated: g, interpreted: i }, null, 1).slice(0, 3000)}`)
        }
        if ("outputs" in i) tally.succeeded++
        else tally.failed++
        tally.calls += intLog.length
      }
      assert.deepStrictEqual(mismatches.slice(0, 3), [], `${mismatches.length} of ${all.length} cases differ`)
      // The cases must exercise both outcomes and make real calls.
      assert.isAbove(tally.succeeded, all.length / 3)
      assert.isAbove(tally.failed, 10)
      assert.isAbove(tally.calls, all.length)
    }), 120_000)
})

/**
 * TypeScript code generation: one module per YAML file, written with the public DSL record form
 * (`Workflow.fromRecord`, declared output Schemas) and the step helpers a person would use (`Llm.generate`,
 * `Embeddings.embed`, `VectorStore.search`). Deterministic: the same analysis always gives the same text.
 *
 * It prints the lowered workflow (`lower.ts`) and decides nothing about what a step means: the interpreter builds
 * the same lowered workflow into Effects, and the differential test checks that both agree.
 *
 * @example
 * ```ts
 * const a = analyzeFile("examples/sentiment-analysis.yaml")
 * const ts = generateModule(a, { source: "examples/sentiment-analysis.yaml" })
 * ```
 */
import { basename } from "node:path"
import type { Analysis } from "./analyze.ts"
import { directSegments, lower, staticType } from "./lower.ts"
import type { Access, Block, Body, Expr, LoweredCondition, LoweredStep, LoweredWorkflow, Param, Policies } from "./Lowered.ts"
import { hitType, T, type Type } from "./Type.ts"

/**
 * Options of {@link generateModule}: the source path shown in the header and where the generated code imports from.
 *
 * @example
 * ```ts
 * generateModule(analysis, { source: "wf.yaml", importFrom: "../src/index.ts", runtimeFrom: "../src/yaml/index.ts" })
 * ```
 */
export interface GenerateOptions {
  /** Path of the YAML file as shown in the header. */
  readonly source: string
  /** Package the code imports from: `Workflow` from it, `Llm`/`Embeddings` from `<pkg>/llm`, `VectorStore` from `<pkg>/vector`. Default "llm-orchestrator". */
  readonly importFrom?: string
  /** Module of the YAML runtime helpers. Default "llm-orchestrator/yaml". */
  readonly runtimeFrom?: string
  /** Import path of the generated module of a sub-workflow file (absolute YAML path in). Default "./<basename>.ts". */
  readonly moduleOf?: (yamlFile: string) => string
  /**
   * A module of custom actions (`Action.make` values) to type action steps with: `from` is its import path from the
   * generated module, `exports` the actions it holds (`named: false` for those in a default-exported record). Steps
   * calling one of them pass parameters typed by its Schema (tsc rejects an unknown, missing or wrongly typed one), and
   * the module exports `actionsLayer` serving them all with runtime decoding. Other actions keep the untyped shape.
   */
  readonly actions?: { readonly from: string; readonly exports: ReadonlyArray<{ readonly name: string; readonly named: boolean }> }
}

/**
 * The module file name for a YAML file.
 *
 * @example
 * ```ts
 * moduleFileName("examples/parallel-rag.yaml") // "parallel-rag.ts"
 * ```
 */
export const moduleFileName = (yamlFile: string): string => `${basename(yamlFile).replace(/\.ya?ml$/i, "")}.ts`

const isIdent = (s: string) => /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(s)
const prop = (s: string) => (isIdent(s) ? `.${s}` : `[${JSON.stringify(s)}]`)
const key = (s: string) => (isIdent(s) ? s : JSON.stringify(s))
const pascal = (s: string) =>
  s.split(/[^A-Za-z0-9]+/).filter((x) => x !== "").map((x) => x[0]!.toUpperCase() + x.slice(1)).join("") || "X"
const camel = (s: string) => {
  const p = pascal(s)
  return /^[0-9]/.test(p) ? `_${p}` : p[0]!.toLowerCase() + p.slice(1)
}

/**
 * Effect Schema source for a type.
 *
 * @example
 * ```ts
 * schemaCode({ kind: "literal", values: ["a", "b"] }) // 'Schema.Literals(["a", "b"])'
 * ```
 */
export const schemaCode = (t: Type, options: { readonly multiline?: boolean; readonly onHit?: () => void } = {}): string => {
  if (options.onHit !== undefined && JSON.stringify(t) === hitJson) {
    options.onHit()
    return "SearchHit"
  }
  const inner = { ...(options.onHit !== undefined ? { onHit: options.onHit } : {}) }
  switch (t.kind) {
    case "string":
      return "Schema.String"
    case "number":
      return "Schema.Number"
    case "integer":
      return "Schema.Int"
    case "boolean":
      return "Schema.Boolean"
    case "null":
      return "Schema.Null"
    case "unknown":
      return "Schema.Unknown"
    case "literal":
      return `Schema.Literals([${t.values.map((v) => JSON.stringify(v)).join(", ")}])`
    case "array":
      return `Schema.Array(${schemaCode(t.items, inner)})`
    case "object": {
      const entries = Object.entries(t.fields)
      if (entries.length === 0) return "Schema.Record(Schema.String, Schema.Unknown)"
      const fields = entries.map(([k, f]) =>
        `${key(k)}: ${f.optional ? `Schema.optionalKey(${schemaCode(f.type, inner)})` : schemaCode(f.type, inner)}`)
      const oneLine = `Schema.Struct({ ${fields.join(", ")} })`
      // Long top-level structs get one field per line; nested ones stay on the line of their field.
      return options.multiline === true && oneLine.length > 100 ? `Schema.Struct({\n${fields.map((f) => `  ${f}`).join(",\n")}\n})` : oneLine
    }
  }
}

const hitJson = JSON.stringify(hitType)

/** Where a scope's record goes: spec lines, implementation lines, and each step's level (depth in the graph). */
interface RecordWriter {
  readonly spec: Writer
  readonly impl: Writer
  readonly levels: Map<string, number>
}

/** One more than the deepest of `needs` in this scope (needs from outside the scope count as level -1). */
const levelOf = (levels: ReadonlyMap<string, number>, needs: ReadonlyArray<string>): number =>
  needs.reduce((max, need) => Math.max(max, (levels.get(need) ?? -1) + 1), 0)

/** `{ a: 0, b: 1 }`, keys quoted where needed. */
const levelsCode = (levels: ReadonlyMap<string, number>): string =>
  `{ ${[...levels].map(([id, level]) => `${key(id)}: ${level}`).join(", ")} }`

class Writer {
  readonly lines: Array<string> = []
  constructor(readonly indent = 0) {}
  line(s = "") {
    this.lines.push(s === "" ? "" : "  ".repeat(this.indent) + s)
  }
}


class Generator {
  readonly uses = { schedule: false, llm: false, embeddings: false, vectorStore: false, context: false, runtime: false, canFallBack: false, stream: false, fallback: false }
  readonly actions = new Map<string, string>()
  readonly subImports = new Map<string, string>()
  readonly schemaConsts = new Map<string, string>()
  constructor(readonly workflow: LoweredWorkflow, readonly options: GenerateOptions) {}

  // ---- values ----
  /** Code of a reference's value (with its path and filters). */
  access(a: Access): string {
    const b = a.base
    let code: string
    switch (b.kind) {
      case "input":
        code = `ctx.input${prop(b.name)}`
        break
      case "local":
        code = b.name === "previous" ? "state.value" : b.name
        break
      case "step":
        // `<id>Result` is the body-local of a map/loop body step: unique (ids are), it cannot shadow item, index,
        // state, iteration or ctx.
        code = `${b.local ? `${b.id}Result` : `ctx${prop(b.id)}`}${b.unwrap === undefined ? "" : `.${b.unwrap}`}`
    }
    // Direct property access while the static type says the field is there; `Y.get` for the rest.
    const direct = directSegments(a)
    for (const seg of a.path.slice(0, direct)) code += prop(seg as string)
    if (direct < a.path.length) {
      this.uses.runtime = true
      code = `Y.get(${code}, ${JSON.stringify(a.path.slice(direct))})`
    }
    for (const f of a.filters) {
      this.uses.runtime = true
      code = `Y.${f.def.runtime}(${[code, ...f.def.runtimeArgs(f.args).map((x) => JSON.stringify(x))].join(", ")})`
    }
    return code
  }

  /** An expression as a string expression. */
  text(e: Expr): string {
    switch (e.kind) {
      case "literal":
        return JSON.stringify(e.value ?? "")
      case "ref":
        return this.text({ kind: "text", parts: [{ kind: "ref", access: e.access }] })
      case "text": {
        if (e.parts.every((p) => p.kind === "text")) return JSON.stringify(e.parts.map((p) => (p.kind === "text" ? p.text : "")).join(""))
        const only = e.parts.length === 1 ? e.parts[0]! : undefined
        if (only?.kind === "ref" && staticType(only.access).kind === "string") return this.access(only.access)
        let out = "`"
        for (const p of e.parts) {
          if (p.kind === "text") out += p.text.replace(/\\/g, "\\\\").replace(/`/g, "\\`").replace(/\$\{/g, "\\${")
          else {
            const t = staticType(p.access)
            const code = this.access(p.access)
            if (t.kind === "string" || (t.kind === "literal" && t.values.every((x) => typeof x === "string"))) out += `\${${code}}`
            else {
              this.uses.runtime = true
              out += `\${Y.str(${code})}`
            }
          }
        }
        return `${out}\``
      }
    }
  }

  /** An expression as a value. */
  value(e: Expr): string {
    switch (e.kind) {
      case "literal":
        return e.value === undefined ? "undefined" : JSON.stringify(e.value)
      case "ref":
        return this.access(e.access)
      case "text":
        return this.text(e)
    }
  }

  param(p: Param): string {
    switch (p.kind) {
      case "list":
        return `[${p.items.map((x) => this.param(x)).join(", ")}]`
      case "record":
        return `{ ${p.entries.map(([k, x]) => `${key(k)}: ${this.param(x)}`).join(", ")} }`
      default:
        return this.value(p)
    }
  }

  condition(c: LoweredCondition): string {
    this.uses.runtime = true
    const left = this.access(c.left)
    if (c.op === undefined) return `Y.truthy(${left})`
    const right = c.right!.kind === "ref" ? this.access(c.right!.access) : JSON.stringify(c.right!.value)
    return `Y.compare(${left}, ${JSON.stringify(c.op)}, ${right})`
  }

  // ---- schemas ----
  outputSchema(step: LoweredStep): string {
    const existing = this.schemaConsts.get(step.id)
    if (existing !== undefined) return existing
    const name = this.unique(`${camel(step.id)}Output`)
    const code = step.kind === "loop"
      ? `Schema.Struct({ done: Schema.Boolean, value: Schema.NullOr(${schemaCode(step.output, this.hit)}) })`
      : schemaCode(step.output, { ...this.hit, multiline: true })
    this.schemaConsts.set(step.id, name)
    this.schemaDecls.push(`const ${name} = ${code}`)
    return name
  }
  readonly schemaDecls: Array<string> = []
  /** Module-level names in use: generated names get a numeric suffix rather than collide ("a_b" and "aB"). */
  readonly names = new Set(["Input", "Outputs", "workflow", "steps", "Requirements", "SearchHit", "Effect", "Schema", "Context", "Schedule", "Stream", "Workflow", "Llm", "Embeddings", "VectorStore", "Y", "canFallBack", "Layer", "Action", "Actions", "actionsLayer"])
  unique(base: string): string {
    let name = base
    for (let i = 2; this.names.has(name); i++) name = `${base}${i}`
    this.names.add(name)
    return name
  }
  usesHit = false
  readonly hit = { onHit: () => void (this.usesHit = true) }

  // ---- step effects ----
  actionClass(name: string): string {
    let cls = this.actions.get(name)
    if (cls === undefined) {
      cls = this.unique(`${pascal(name)}Action`)
      this.actions.set(name, cls)
    }
    this.uses.context = true
    return cls
  }

  cached(p: Policies, effect: string, cacheKey: string): string {
    if (p.priority !== undefined) this.uses.runtime = true
    const prioritized = (e: string) => p.priority === undefined ? e : `Y.withPriority(${p.priority}, ${e})`
    if (p.cache === undefined) return prioritized(effect)
    this.uses.runtime = true
    return prioritized(`Y.cached(${JSON.stringify(p.cache.key)}, ${cacheKey}, ${p.cache.ttlMillis === undefined ? "undefined" : String(p.cache.ttlMillis)}, ${effect})`)
  }

  /** The Effect expression a leaf step runs. */
  effect(step: LoweredStep): string {
    switch (step.kind) {
      case "llm": {
        this.uses.llm = true
        const prompt = this.text(step.prompt)
        const call = (provider: string, model: string) => {
          const f = [`provider: ${JSON.stringify(provider)}`, `model: ${JSON.stringify(model)}`, `prompt: ${prompt}`]
          if (step.system !== undefined) f.push(`system: ${this.text(step.system)}`)
          if (step.temperature !== undefined) f.push(`temperature: ${step.temperature}`)
          if (step.maxTokens !== undefined) f.push(`maxTokens: ${step.maxTokens}`)
          if (step.schema !== undefined) f.push(`schema: ${this.outputSchema(step)}`)
          if (step.schema === undefined && step.stream) {
            this.uses.stream = true
            return `Stream.mkString(Llm.stream({ ${f.join(", ")} }))`
          }
          return `${step.schema !== undefined ? "Llm.generateObject" : "Llm.generate"}({ ${f.join(", ")} })`
        }
        const [first, ...fallbacks] = step.attempts
        let e = call(first!.provider, first!.model)
        for (const fb of fallbacks) {
          this.uses.canFallBack = true
          e = `${e}.pipe(Effect.catchIf(canFallBack, () => ${call(fb.provider, fb.model)}))`
        }
        return this.cached(step.policies, e, `[${prompt}]`)
      }
      case "embed": {
        this.uses.embeddings = true
        const input = this.text(step.input)
        return this.cached(step.policies, `Embeddings.embed({ provider: ${JSON.stringify(step.provider)}, model: ${JSON.stringify(step.model)}, input: ${input} })`, `[${input}]`)
      }
      case "vector_search": {
        this.uses.vectorStore = true
        this.uses.runtime = true
        if (step.mode !== "vector") {
          const vector = step.query === undefined ? "undefined" : `Y.vector(${this.value(step.query)})`
          const text = this.text(step.text!)
          return this.cached(
            step.policies,
            `Y.hybridSearch({ store: ${JSON.stringify(step.store)}, collection: ${JSON.stringify(step.collection)}, vector: ${vector}, text: ${text}, topK: ${step.topK}, mode: ${JSON.stringify(step.mode)}, weights: ${JSON.stringify(step.weights)} })`,
            `[${vector}, ${text}]`
          )
        }
        const vector = `Y.vector(${this.value(step.query!)})`
        return this.cached(
          step.policies,
          `VectorStore.search({ store: ${JSON.stringify(step.store)}, collection: ${JSON.stringify(step.collection)}, vector: ${vector}, topK: ${step.topK} })`,
          `[${vector}]`
        )
      }
      case "chunk": {
        this.uses.runtime = true
        const source = step.source === undefined ? "undefined" : this.text(step.source)
        return `Y.chunk(${this.text(step.input)}, ${source}, ${JSON.stringify(step.chunking)}, ${step.model === undefined ? "undefined" : JSON.stringify(step.model)})`
      }
      case "ingest": {
        this.uses.runtime = true
        const f = [
          `store: ${JSON.stringify(step.store)}`,
          `collection: ${JSON.stringify(step.collection)}`,
          `paths: [${step.paths.map((p) => this.text(p)).join(", ")}]`,
          ...(step.include === undefined ? [] : [`include: ${JSON.stringify(step.include)}`]),
          ...(step.exclude === undefined ? [] : [`exclude: ${JSON.stringify(step.exclude)}`]),
          `provider: ${JSON.stringify(step.provider)}`,
          `model: ${JSON.stringify(step.model)}`,
          `chunking: ${JSON.stringify(step.chunking)}`
        ]
        return `Y.ingest({ ${f.join(", ")} })`
      }
      case "rerank": {
        this.uses.runtime = true
        const query = this.text(step.query)
        const documents = this.value(step.documents)
        const topN = step.topN === undefined ? "undefined" : String(step.topN)
        const call = step.reranker === "mmr"
          ? `Y.rerankMmr({ provider: ${JSON.stringify(step.provider)}, model: ${JSON.stringify(step.model)}, query: ${query}, hits, topN: ${topN}, lambda: ${step.lambda === undefined ? "undefined" : String(step.lambda)} })`
          : `Y.rerank({ reranker: ${JSON.stringify(step.reranker)}, query: ${query}, hits, topN: ${topN} })`
        return this.cached(step.policies, `Effect.flatMap(Y.hits(${documents}, ${JSON.stringify(`documents of rerank step "${step.id}"`)}), (hits) => ${call})`, `[${query}, ${documents}]`)
      }
      case "context": {
        this.uses.runtime = true
        const options = `{ maxTokens: ${step.maxTokens === undefined ? "undefined" : String(step.maxTokens)}, model: ${step.model === undefined ? "undefined" : JSON.stringify(step.model)}, order: ${JSON.stringify(step.order)} }`
        return `Effect.flatMap(Y.hits(${this.value(step.passages)}, ${JSON.stringify(`passages of context step "${step.id}"`)}), (hits) => Y.context(hits, ${options}))`
      }
      case "transform": {
        this.uses.runtime = true
        const arg = step.arg.kind === "list" ? `[${step.arg.items.map((x) => this.value(x)).join(", ")}]` : step.fn.takes === "template" ? this.text(step.arg) : this.value(step.arg)
        const v = step.fn.runtime === undefined ? arg : `Y.${step.fn.runtime}(${arg})`
        return `Y.as(${this.outputSchema(step)}, ${v})`
      }
      case "action": {
        const cls = this.actionClass(step.action)
        const params = `{ ${step.params.map(([k, p]) => `${key(k)}: ${this.param(p)}`).join(", ")} }`
        let e = `${cls}.use((action) => action.run(${params}))`
        if (step.schema !== undefined) {
          this.uses.runtime = true
          e = `${e}.pipe(Effect.flatMap((out) => Y.as(${this.outputSchema(step)}, out)))`
        }
        return this.cached(step.policies, e, params)
      }
      case "parallel": {
        const fields = step.members.map((m) => `${key(m.name)}: ${m.local ? `${m.id}Result` : `ctx${prop(m.id)}`}`)
        return `Effect.succeed({ ${fields.join(", ")} })`
      }
      case "call":
        return `Workflow.run(${this.subWorkflow(step.sub)}, ${this.subInput(step)})`
      case "branch":
      case "map":
      case "loop":
      case "wait":
        throw new Error(`${step.kind} is not a leaf step`)
    }
  }

  subWorkflow(sub: LoweredWorkflow): string {
    let name = this.subImports.get(sub.file)
    if (name === undefined) {
      name = this.unique(`${camel(sub.name)}Workflow`)
      this.subImports.set(sub.file, name)
    }
    return name
  }

  subInput(step: Extract<LoweredStep, { kind: "call" }>): string {
    return `{ ${step.input.map(([k, e]) => `${key(k)}: ${e.kind === "text" ? this.text(e) : this.value(e)}`).join(", ")} }`
  }

  // ---- records ----
  /** Spec + implementation entries of one scope, as two lists of lines. */
  record(block: Block, w: RecordWriter) {
    for (const step of block.steps) {
      // Steps come after their needs, so each need's level is known (needs from outside the scope count as -1).
      w.levels.set(step.id, levelOf(w.levels, step.needs))
      this.entry(step, w)
    }
  }

  policies(p: Policies): Array<string> {
    const out: Array<string> = []
    if (p.retry !== undefined) {
      this.uses.runtime = true
      out.push(`retry: { ${this.retry(p.retry)} }`)
    }
    if (p.timeout !== undefined) out.push(`timeout: ${JSON.stringify(p.timeout)}`)
    if (p.fallbacks.length > 0) {
      this.uses.fallback = true
      const entries = p.fallbacks.map((f) => {
        switch (f.kind) {
          case "value":
            return `Fallback.value(${JSON.stringify(f.value)})`
          case "cached":
            return `Fallback.cached(${f.maxAge === undefined ? "" : `{ maxAge: ${JSON.stringify(f.maxAge)} }`})`
          case "workflow": {
            // A spec option sees the step's context untyped (AnyCtx); the callee's input and the output's type are
            // checked by Fallback.workflow against the callee module's types.
            const input = `{ ${f.input.map(([k, e]) => `${key(k)}: ${e.kind === "text" ? this.text(e) : this.value(e)}`).join(", ")} }`
            const output = f.output.map((seg) => (typeof seg === "number" ? `[${seg}]` : prop(seg))).join("")
            return `Fallback.workflow(${this.subWorkflow(f.sub)}, { input: (ctx: Record<string, any>) => (${input}), output: (o) => o${output} })`
          }
        }
      })
      out.push(`fallback: [${entries.join(", ")}]`)
    }
    if (p.description !== undefined) out.push(`description: ${JSON.stringify(p.description)}`)
    return out
  }

  retry(r: NonNullable<Policies["retry"]>): string {
    if (r.schedule === undefined) return `times: ${r.times}, while: Y.shouldRetry`
    this.uses.schedule = true
    const delay = JSON.stringify(r.schedule.delay)
    return `times: ${r.times}, schedule: ${r.schedule.kind === "spaced" ? `Schedule.spaced(${delay})` : `Schedule.exponential(${delay})`}, while: Y.shouldRetry`
  }

  /** Body steps are not engine nodes: their retry and timeout wrap the effect itself. */
  inlinePolicies(p: Policies, effect: string): string {
    const pipes: Array<string> = []
    if (p.timeout !== undefined) pipes.push(`Effect.timeout(${JSON.stringify(p.timeout)})`)
    if (p.retry !== undefined) {
      this.uses.runtime = true
      pipes.push(`Effect.retry({ ${this.retry(p.retry)} })`)
    }
    return pipes.length === 0 ? effect : `${effect}.pipe(${pipes.join(", ")})`
  }

  entry(step: LoweredStep, w: RecordWriter) {
    const needs = step.needs
    const base = [...(needs.length > 0 ? [`needs: [${needs.map((n) => JSON.stringify(n)).join(", ")}]`] : []), ...(step.policies.placement === "engine" ? this.policies(step.policies) : [])]
    switch (step.kind) {
      case "branch": {
        w.spec.line(`${key(step.id)}: {`)
        const inner = new Writer(w.spec.indent + 1)
        inner.line(`kind: "branch",`)
        for (const b of base) inner.line(`${b},`)
        inner.line(`cases: {`)
        for (const c of step.cases) {
          const caseW = new Writer(inner.indent + 1)
          this.caseWorkflow(c, needs, caseW)
          caseW.lines[0] = "  ".repeat(inner.indent + 1) + `${key(c.name)}: ` + caseW.lines[0]!.trimStart()
          caseW.lines[caseW.lines.length - 1] += ","
          inner.lines.push(...caseW.lines)
        }
        inner.line(`}`)
        w.spec.lines.push(...inner.lines)
        w.spec.line(`},`)
        const on = step.on
        if (on.kind === "enum") {
          // The value is the case: no conversion, so the compiler checks the cases are exhaustive.
          w.impl.line(`${key(step.id)}: { on: (ctx) => ${this.access(on.access)} },`)
          return
        }
        const cases = `[${step.cases.map((c) => JSON.stringify(c.name)).join(", ")}]`
        const value = on.kind === "value" ? this.access(on.access) : this.condition(on.condition)
        w.impl.line(`${key(step.id)}: { on: (ctx) => Y.pick(${value}, ${cases}) },`)
        this.uses.runtime = true
        return
      }
      case "map": {
        const schema = this.outputSchema(step)
        w.spec.line(`${key(step.id)}: { ${["kind: \"map\"", ...base, `output: ${schema}`, ...(step.concurrency !== undefined ? [`concurrency: ${step.concurrency}`] : [])].join(", ")} },`)
        this.uses.runtime = true
        w.impl.line(`${key(step.id)}: {`)
        w.impl.line(`  over: (ctx) => Y.list(${this.value(step.over)}, ${JSON.stringify(step.overLabel)}),`)
        w.impl.line(`  body: (item, ctx, index) =>`)
        this.body(step.body, w.impl, undefined)
        w.impl.line(`},`)
        return
      }
      case "loop": {
        const schema = this.outputSchema(step)
        const onMax = step.onMaxIterations
        w.spec.line(`${key(step.id)}: { ${["kind: \"loop\"", ...base, `output: ${schema}`, `maxIterations: ${step.maxIterations}`, ...(onMax !== undefined ? [`onMaxIterations: ${JSON.stringify(onMax)}`] : [])].join(", ")} },`)
        w.impl.line(`${key(step.id)}: {`)
        w.impl.line(`  initial: (ctx) => ({ done: false, value: ${this.value(step.initial)} }),`)
        w.impl.line(`  until: (state) => state.done,`)
        w.impl.line(`  body: (state, ctx, iteration) =>`)
        this.body(step.body, w.impl, step.until)
        w.impl.line(`},`)
        return
      }
      case "wait": {
        // A wait's value comes from outside (a signal): the spec holds its type and timeout, the implementation the request.
        const fields = ["kind: \"wait\"", ...(needs.length > 0 ? [`needs: [${needs.map((n) => JSON.stringify(n)).join(", ")}]`] : []), `signal: ${this.outputSchema(step)}`]
        if (step.policies.timeout !== undefined) fields.push(`timeout: ${JSON.stringify(step.policies.timeout)}`)
        if (step.policies.description !== undefined) fields.push(`description: ${JSON.stringify(step.policies.description)}`)
        w.spec.line(`${key(step.id)}: { ${fields.join(", ")} },`)
        w.impl.line(step.request === undefined ? `${key(step.id)}: {},` : `${key(step.id)}: { request: (ctx) => ${this.text(step.request)} },`)
        return
      }
      case "call": {
        w.spec.line(`${key(step.id)}: { ${["kind: \"call\"", ...base, `workflow: ${this.subWorkflow(step.sub)}`].join(", ")} },`)
        w.impl.line(`${key(step.id)}: { input: (ctx) => (${this.subInput(step)}) },`)
        return
      }
      default: {
        const schema = this.outputSchema(step)
        w.spec.line(`${key(step.id)}: { ${[...base, `output: ${schema}`].join(", ")} },`)
        w.impl.line(`${key(step.id)}: (ctx) => ${this.effect(step)},`)
      }
    }
  }

  /** A map or loop body (a loop's has `until`): its steps run in order inside one Effect.gen (they are not engine nodes). */
  body(body: Body, impl: Writer, until: LoweredCondition | undefined) {
    impl.line(`    Effect.gen(function*() {`)
    for (const s of body.steps) impl.line(`      const ${s.id}Result = yield* ${this.inlinePolicies(s.policies, this.effect(s))}`)
    const result = body.result === undefined ? "undefined" : `${body.result}Result`
    if (until === undefined) impl.line(`      return ${result}`)
    else impl.line(`      return { done: ${this.condition(until)}, value: ${result} }`)
    impl.line(`    }),`)
  }

  caseWorkflow(c: Extract<LoweredStep, { kind: "branch" }>["cases"][number], external: ReadonlyArray<string>, w: Writer) {
    const ext = external.map((id) => `${key(id)}: ${this.externalSchema(id)}`)
    w.line(`Workflow.fromRecord(${JSON.stringify(c.workflowName)}, {`)
    w.line(`  input: Input,`)
    if (ext.length > 0) w.line(`  external: { ${ext.join(", ")} },`)
    const spec = new Writer(w.indent + 2)
    const impl = new Writer(w.indent + 1)
    const levels = new Map<string, number>()
    this.record(c.block, { spec, impl, levels })
    w.line(`  steps: {`)
    w.lines.push(...spec.lines)
    w.line(`  },`)
    w.line(`  levels: ${levelsCode(levels)}`)
    w.line(`}, {`)
    w.lines.push(...impl.lines)
    w.line(`})`)
  }

  externalSchema(id: string): string {
    const step = this.steps.get(id)!
    if (step.kind === "branch" || step.kind === "call") return "Schema.Unknown"
    return this.outputSchema(step)
  }

  /** Every lowered step of the file by id (externals of a case are steps of enclosing scopes). */
  readonly steps = new Map<string, LoweredStep>()
  index(block: Block) {
    for (const s of block.steps) {
      this.steps.set(s.id, s)
      if (s.kind === "branch") for (const c of s.cases) this.index(c.block)
      if (s.kind === "map" || s.kind === "loop") this.index({ steps: s.body.steps })
    }
  }

  // ---- module ----
  module(): string {
    this.index(this.workflow.root)
    const w: RecordWriter = { spec: new Writer(2), impl: new Writer(1), levels: new Map() }
    this.record(this.workflow.root, w)
    // Final step, when the file declares `outputs:`: the outputs by name, so callers see names, not step ids. Without
    // it, callers read the steps themselves (keeps type-checking of big files cheaper: no step needing every other).
    if (this.workflow.outputs.declared) this.outputsStep(w)
    return this.render(w)
  }

  outputsStep(w: RecordWriter) {
    const { fields, needs } = this.workflow.outputs
    const outFields = fields.map((f) => `${key(f.name)}: ${this.value(f.value)}`)
    const outTypes: Record<string, { type: Type; optional: false }> = {}
    for (const f of fields) outTypes[f.name] = { type: f.type, optional: false }
    this.schemaDecls.push("")
    this.schemaDecls.push(`/** The workflow's outputs by name (the \`_outputs\` step). */`)
    this.schemaDecls.push(`export const Outputs = ${schemaCode(T.object(outTypes), { ...this.hit, multiline: true })}`)
    const outSchema = "Outputs"
    w.levels.set("_outputs", levelOf(w.levels, needs))
    w.spec.line(`_outputs: { ${[...(needs.length > 0 ? [`needs: [${needs.map((n) => JSON.stringify(n)).join(", ")}]`] : []), `output: ${outSchema}`].join(", ")} },`)
    const oneLine = `_outputs: (ctx) => ${outFields.length === 0 ? "Effect.succeed({})" : `Y.as(${outSchema}, { ${outFields.join(", ")} })`},`
    if (oneLine.length <= 110 || outFields.length === 0) w.impl.line(oneLine)
    else {
      w.impl.line(`_outputs: (ctx) =>`)
      w.impl.line(`  Y.as(${outSchema}, {`)
      outFields.forEach((f, i) => w.impl.line(`    ${f}${i < outFields.length - 1 ? "," : ""}`))
      w.impl.line(`  }),`)
    }
    if (outFields.length > 0) this.uses.runtime = true
  }

  render(w: RecordWriter): string {
    const wf = this.workflow
    const inputFields = wf.inputs.map((i) => {
      const s = schemaCode(i.type)
      return i.default !== undefined
        ? `${key(i.name)}: ${s}.pipe(Schema.withDecodingDefaultKey(Effect.succeed(${JSON.stringify(i.default.value)})))`
        : `${key(i.name)}: ${s}`
    })
    const out: Array<string> = []
    out.push(`// Generated by llm-orchestrator codegen from ${this.options.source.replace(/\n/g, " ")}. Do not edit: change the YAML and regenerate.`)
    // Actions typed from an actions module (codegen --actions): their calls are checked by tsc against each Schema.
    const typedActions = this.options.actions !== undefined && [...this.actions.keys()].some((n) => this.options.actions!.exports.some((x) => x.name === n))
    const effectImports = ["Effect", "Schema", ...(this.uses.context || this.actions.size > 0 ? ["Context"] : []), ...(typedActions ? ["Layer"] : []), ...(this.uses.schedule ? ["Schedule"] : []), ...(this.uses.stream ? ["Stream"] : [])].sort()
    out.push(`import { ${effectImports.join(", ")} } from "effect"`)
    const pkg = this.options.importFrom ?? "llm-orchestrator"
    out.push(`import { ${this.uses.fallback ? "Fallback, " : ""}Workflow } from ${JSON.stringify(pkg)}`)
    const llm = [...(this.uses.embeddings ? ["Embeddings"] : []), ...(this.uses.canFallBack ? ["canFallBack"] : []), ...(this.uses.llm ? ["Llm"] : [])]
    if (llm.length > 0) out.push(`import { ${llm.join(", ")} } from ${JSON.stringify(`${pkg}/llm`)}`)
    if (this.uses.vectorStore) out.push(`import { VectorStore } from ${JSON.stringify(`${pkg}/vector`)}`)
    if (typedActions) {
      out.push(`import { Action } from ${JSON.stringify(`${pkg}/actions`)}`)
      out.push(`import * as Actions from ${JSON.stringify(this.options.actions!.from)}`)
    }
    out.push(`import * as Y from ${JSON.stringify(this.options.runtimeFrom ?? "llm-orchestrator/yaml")}`)
    for (const [file, name] of [...this.subImports].sort(([a], [b]) => a.localeCompare(b))) {
      const spec = this.options.moduleOf?.(file) ?? `./${moduleFileName(file)}`
      out.push(`import { workflow as ${name} } from ${JSON.stringify(spec)}`)
    }
    out.push("")
    const typed = [...this.actions].sort(([a], [b]) => a.localeCompare(b)).map(([name, cls]) => {
      const e = this.options.actions?.exports.find((x) => x.name === name)
      return { name, cls, ref: e === undefined ? undefined : `Actions${e.named ? "" : ".default"}${prop(name)}` }
    })
    for (const { name, cls, ref } of typed) {
      if (ref === undefined) {
        out.push(`/** The "${name}" action. Supply it: \`Layer.succeed(${cls}, { run: (params) => Effect.succeed(...) })\`. */`)
        out.push(`export class ${cls} extends Context.Service<${cls}, Y.ActionShape>()(${JSON.stringify(`llm-orchestrator/action/${name}`)}) {}`)
      } else {
        out.push(`/** The "${name}" action, its parameters typed by its Schema in ${doc(this.options.actions!.from)}; \`actionsLayer\` serves it. */`)
        out.push(`export class ${cls} extends Context.Service<${cls}, Y.ActionShape<Action.Params<typeof ${ref}>>>()(${JSON.stringify(`llm-orchestrator/action/${name}`)}) {}`)
      }
      out.push("")
    }
    const served = typed.filter((t) => t.ref !== undefined)
    if (served.length > 0) {
      out.push(`/** Serves the actions of ${doc(this.options.actions!.from)} that this workflow calls (parameters decoded before each run). */`)
      out.push(`export const actionsLayer = Layer.mergeAll(${served.map((t) => `Action.layer(${t.cls}, ${JSON.stringify(t.name)}, ${t.ref})`).join(", ")})`)
      out.push("")
    }
    out.push(`/** Input of "${doc(wf.name)}". */`)
    out.push(`export const Input = Schema.Struct({ ${inputFields.join(", ")} })`)
    out.push("")
    const decls = this.schemaDecls
    if (this.usesHit) {
      out.push(`/** One vector search hit. */`)
      out.push(`const SearchHit = ${schemaCode(hitType)}`)
      out.push("")
    }
    for (const d of decls) out.push(d)
    if (this.schemaDecls.length > 0) out.push("")
    // The step specs as their own constant: checking the record against them is then about twice as fast for tsc
    // (measured on a 1,000-step file) as an inline object literal.
    out.push(`const steps = {`)
    out.push(...w.spec.lines.map((l) => l.slice(2)))
    trimLastComma(out)
    out.push(`} as const`)
    out.push("")
    out.push(`// Each step's depth in the graph: the compiler checks that every step is deeper than its needs (no cycle).`)
    out.push(`const levels = ${levelsCode(w.levels)} as const`)
    out.push("")
    out.push(`/** ${doc(wf.description ?? `The "${wf.name}" workflow.`)} */`)
    out.push(`export const workflow = Workflow.fromRecord(${JSON.stringify(wf.name)}, {`)
    out.push(`  input: Input,`)
    if (wf.description !== undefined) out.push(`  description: ${JSON.stringify(wf.description)},`)
    if (wf.version !== undefined) out.push(`  version: ${JSON.stringify(String(wf.version))},`)
    out.push(`  steps,`)
    out.push(`  levels`)
    out.push(`}, {`)
    out.push(...w.impl.lines)
    trimLastComma(out)
    out.push(`})`)
    out.push("")
    out.push(`/** Services "${doc(wf.name)}" needs (providers, vector stores, actions): supply them with Workflow.provide. */`)
    out.push(`export type Requirements = Workflow.RequirementsOf<typeof workflow>`)
    out.push("")
    return out.join("\n")
  }

}

/** Text safe inside a doc comment. */
const doc = (text: string) => text.replace(/\*\//g, "*\\/").replace(/\n/g, " ")

const trimLastComma = (lines: Array<string>) => {
  const i = lines.length - 1
  if (i >= 0) lines[i] = lines[i]!.replace(/,$/, "")
}

/**
 * Generate the TypeScript module of an analysed, valid workflow file. Throws if the analysis has errors.
 *
 * @example
 * ```ts
 * const ts = generateModule(analyzeFile("examples/sentiment-analysis.yaml"), { source: "examples/sentiment-analysis.yaml" })
 * ts.startsWith("// Generated by llm-orchestrator codegen from examples/sentiment-analysis.yaml") // true
 * ```
 */
export const generateModule = (analysis: Analysis, options: GenerateOptions): string =>
  new Generator(lower(analysis), options).module()

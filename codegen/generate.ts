/**
 * TypeScript code generation: one module per YAML file, written with the public DSL record form
 * (`Workflow.fromRecord`, declared output Schemas) and the step helpers a person would use (`Llm.generate`,
 * `Embeddings.embed`, `VectorStore.search`). Deterministic: the same analysis always gives the same text.
 *
 * @example
 * ```ts
 * const a = analyzeFile("examples/sentiment-analysis.yaml")
 * const ts = generateModule(a, { source: "examples/sentiment-analysis.yaml" })
 * ```
 */
import { basename } from "node:path"
import type { Analysis, Node, Resolution, Scope } from "./analyze.ts"
import { toDurationInput, toMillis } from "./duration.ts"
import type { Ref, Template } from "./Template.ts"
import { hitType, T, type Type } from "./Type.ts"
import type * as F from "./WorkflowFile.ts"

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

/**
 * Orders a scope's nodes so each comes after its needs (stable on declaration order).
 *
 * @example
 * ```ts
 * topoOrder(analysis.root.nodes).map((n) => n.id)
 * ```
 */
export const topoOrder = (nodes: ReadonlyArray<Node>): Array<Node> => {
  const byId = new Map(nodes.map((n) => [n.id, n]))
  const done = new Set<string>()
  const out: Array<Node> = []
  const visit = (n: Node, stack: Set<string>) => {
    if (done.has(n.id) || stack.has(n.id)) return
    stack.add(n.id)
    for (const d of n.needs) {
      const dn = byId.get(d)
      if (dn !== undefined) visit(dn, stack)
    }
    stack.delete(n.id)
    done.add(n.id)
    out.push(n)
  }
  for (const n of nodes) visit(n, new Set())
  return out
}

class Writer {
  readonly lines: Array<string> = []
  constructor(readonly indent = 0) {}
  line(s = "") {
    this.lines.push(s === "" ? "" : "  ".repeat(this.indent) + s)
  }
}

/** How values are reached from inside generated code. */
interface Env {
  /** Body-local variable of a step id (map/loop bodies); other steps are read from `ctx`. */
  readonly locals: Map<string, string>
}

class Generator {
  readonly uses = { schedule: false, llm: false, embeddings: false, vectorStore: false, context: false, runtime: false, isRetryable: false }
  readonly actions = new Map<string, string>()
  readonly subImports = new Map<string, string>()
  readonly schemaConsts = new Map<string, string>()
  readonly wfName: string
  constructor(readonly a: Analysis, readonly options: GenerateOptions) {
    this.wfName = a.workflow!.name
  }

  // ---- values ----
  resolution(ref: Ref): Resolution {
    const r = this.a.resolutions.get(ref)
    if (r === undefined) throw new Error(`unresolved reference ${ref.text}`)
    return r
  }

  baseOf(ref: Ref, env: Env): { code: string; type: Type; path: ReadonlyArray<string | number> } {
    const r = this.resolution(ref)
    switch (r.kind) {
      case "input": {
        const path = ref.head === "input" ? ref.path.slice(1) : ref.path
        return { code: `ctx.input${prop(r.name)}`, type: this.a.inputs.get(r.name)?.type ?? T.unknown, path }
      }
      case "local":
        switch (r.name) {
          case "item":
            return { code: "item", type: T.unknown, path: ref.path }
          case "index":
            return { code: "index", type: T.integer, path: ref.path }
          case "iteration":
            return { code: "iteration", type: T.integer, path: ref.path }
          case "previous":
            return { code: "state.value", type: T.unknown, path: ref.path }
        }
      // falls through (unreachable)
      case "output": {
        const n = this.a.nodes.get(r.producer)!
        const local = env.locals.get(n.id)
        const base = local ?? `ctx${prop(n.id)}`
        if (n.step.type === "loop") return { code: `${base}.value`, type: n.type ?? T.unknown, path: ref.path }
        if (n.step.type === "workflow") {
          const sub = n.sub!
          if (sub.workflow?.outputs !== undefined) return { code: `${base}._outputs`, type: n.type ?? T.unknown, path: ref.path }
          // No declared outputs: the callee's outputs are its steps, keyed by id; YAML names them by output name.
          const name = ref.path[0]
          const producer = typeof name === "string" ? sub.root.byName.get(name) : undefined
          return { code: base, type: T.unknown, path: producer === undefined ? ref.path : [producer.id, ...ref.path.slice(1)] }
        }
        if (n.step.type === "branch" && ref.path[0] === "value" && typeof ref.path[1] === "string") {
          // Case outputs are keyed by step id in the DSL, by output name in YAML.
          const inner = [...(n.cases?.values() ?? []), ...(n.defaultCase ? [n.defaultCase] : [])]
            .map((s) => s.byName.get(ref.path[1] as string))
            .find((x) => x !== undefined)
          return { code: base, type: T.unknown, path: ["value", inner?.id ?? ref.path[1]!, ...ref.path.slice(2)] }
        }
        return { code: base, type: n.type ?? T.unknown, path: ref.path }
      }
    }
  }

  /** Code of a reference's value (with its path and filters). */
  refValue(ref: Ref, env: Env): { code: string; type: Type } {
    const base = this.baseOf(ref, env)
    let code = base.code
    let t = base.type
    let i = 0
    // Direct property access while the static type says the field is there; `Y.get` for the rest.
    for (; i < base.path.length; i++) {
      const seg = base.path[i]!
      if (typeof seg === "string" && t.kind === "object" && t.fields[seg] !== undefined && !t.fields[seg].optional) {
        code += prop(seg)
        t = t.fields[seg].type
      } else break
    }
    if (i < base.path.length) {
      this.uses.runtime = true
      code = `Y.get(${code}, ${JSON.stringify(base.path.slice(i))})`
      t = T.unknown
    }
    for (const f of ref.filters) {
      this.uses.runtime = true
      switch (f.name) {
        case "json":
        case "upper":
        case "lower":
        case "trim":
          code = `Y.${f.name}(${code})`
          t = T.string
          break
        case "join":
          code = f.args.length > 0 ? `Y.join(${code}, ${JSON.stringify(String(f.args[0]))})` : `Y.join(${code})`
          t = T.string
          break
        case "length":
          code = `Y.length(${code})`
          t = T.integer
          break
        case "default":
          code = `Y.withDefault(${code}, ${JSON.stringify(f.args[0] ?? null)})`
          t = T.unknown
          break
      }
    }
    return { code, type: t }
  }

  /** A template as a string expression. */
  text(template: Template | undefined, env: Env): string {
    if (template === undefined) return `""`
    if (template.refs.length === 0) return JSON.stringify(template.parts.map((p) => (p.kind === "text" ? p.text : "")).join(""))
    if (template.whole !== undefined && template.parts.length === 1) {
      const v = this.refValue(template.whole, env)
      if (v.type.kind === "string") return v.code
    }
    let out = "`"
    for (const p of template.parts) {
      if (p.kind === "text") out += p.text.replace(/\\/g, "\\\\").replace(/`/g, "\\`").replace(/\$\{/g, "\\${")
      else {
        const v = this.refValue(p.ref, env)
        if (v.type.kind === "string" || (v.type.kind === "literal" && v.type.values.every((x) => typeof x === "string"))) {
          out += `\${${v.code}}`
        } else {
          this.uses.runtime = true
          out += `\${Y.str(${v.code})}`
        }
      }
    }
    return `${out}\``
  }

  /** A template as a value: the referenced value itself when the template is a single reference, else a string. */
  value(template: Template | undefined, env: Env): string {
    if (template?.whole !== undefined) return this.refValue(template.whole, env).code
    return this.text(template, env)
  }

  tpl(node: Node, field: string): Template | undefined {
    return node.templates.get(field)
  }

  // ---- schemas ----
  outputSchema(node: Node): string {
    const existing = this.schemaConsts.get(node.id)
    if (existing !== undefined) return existing
    const name = this.unique(`${camel(node.id)}Output`)
    let code: string
    switch (node.step.type) {
      case "loop":
        code = `Schema.Struct({ done: Schema.Boolean, value: Schema.NullOr(${schemaCode(node.type ?? T.unknown, this.hit)}) })`
        break
      default:
        code = schemaCode(node.type ?? T.unknown, { ...this.hit, multiline: true })
    }
    this.schemaConsts.set(node.id, name)
    this.schemaDecls.push(`const ${name} = ${code}`)
    return name
  }
  readonly schemaDecls: Array<string> = []
  /** Module-level names in use: generated names get a numeric suffix rather than collide ("a_b" and "aB"). */
  readonly names = new Set(["Input", "Outputs", "workflow", "steps", "Requirements", "SearchHit", "Effect", "Schema", "Context", "Schedule", "Workflow", "Llm", "Embeddings", "VectorStore", "Y", "isRetryable"])
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

  withPolicies(node: Node, effect: string, cacheKey: string): string {
    const cache = node.step.cache ?? this.a.workflow!.defaults?.cache
    if (cache === undefined || cache === false) return effect
    this.uses.runtime = true
    const ttl = typeof cache === "object" ? String(toMillis(cache.ttl)) : "undefined"
    return `Y.cached(${JSON.stringify(`${this.wfName}/${node.id}`)}, ${cacheKey}, ${ttl}, ${effect})`
  }

  /** The Effect expression a leaf step runs. */
  effect(node: Node, env: Env): string {
    const step = node.step
    switch (step.type) {
      case "llm": {
        this.uses.llm = true
        const fields = (provider: string, model: string) => {
          const f = [`provider: ${JSON.stringify(provider)}`, `model: ${JSON.stringify(model)}`, `prompt: ${this.text(this.tpl(node, "prompt"), env)}`]
          if (step.system !== undefined) f.push(`system: ${this.text(this.tpl(node, "system"), env)}`)
          if (step.temperature !== undefined) f.push(`temperature: ${step.temperature}`)
          if (step.max_tokens !== undefined) f.push(`maxTokens: ${step.max_tokens}`)
          if (step.output_schema !== undefined) f.push(`schema: ${this.outputSchema(node)}`)
          return `{ ${f.join(", ")} }`
        }
        const call = (p: string, m: string) => step.output_schema !== undefined ? `Llm.generateObject(${fields(p, m)})` : `Llm.generate(${fields(p, m)})`
        let e = call(node.provider!, node.model!)
        // Fail over only on provider failures (retryable errors); a bad request fails at once.
        for (const fb of step.fallback ?? []) {
          this.uses.isRetryable = true
          e = `${e}.pipe(Effect.catchIf(isRetryable, () => ${call(fb.provider, fb.model ?? node.model!)}))`
        }
        return this.withPolicies(node, e, `[${this.text(this.tpl(node, "prompt"), env)}]`)
      }
      case "embed": {
        this.uses.embeddings = true
        const input = this.text(this.tpl(node, "input"), env)
        return this.withPolicies(node, `Embeddings.embed({ provider: ${JSON.stringify(node.provider)}, model: ${JSON.stringify(node.model)}, input: ${input} })`, `[${input}]`)
      }
      case "vector_search": {
        this.uses.vectorStore = true
        this.uses.runtime = true
        const vector = `Y.vector(${this.value(this.tpl(node, "query"), env)})`
        return this.withPolicies(
          node,
          `VectorStore.search({ store: ${JSON.stringify(step.database)}, collection: ${JSON.stringify(step.index)}, vector: ${vector}, topK: ${step.top_k ?? 5} })`,
          `[${vector}]`
        )
      }
      case "transform": {
        this.uses.runtime = true
        const inputs = step.inputs !== undefined
          ? `[${step.inputs.map((_, i) => this.value(this.tpl(node, `inputs.${i}`), env)).join(", ")}]`
          : `[${this.value(this.tpl(node, "input"), env)}]`
        const single = step.input !== undefined ? this.value(this.tpl(node, "input"), env) : `${inputs}[0]`
        let v: string
        switch (step.function) {
          case "concat":
            v = `Y.concat(${inputs})`
            break
          case "merge":
            v = `Y.merge(${inputs})`
            break
          case "template":
            v = this.text(this.tpl(node, "template"), env)
            break
          case "json_parse":
            v = `Y.jsonParse(${single})`
            break
          case "length":
            v = `Y.length(${single})`
            break
          case "first":
            v = `Y.first(${single})`
            break
          default:
            v = single
        }
        return `Y.as(${this.outputSchema(node)}, ${v})`
      }
      case "action": {
        const cls = this.actionClass(step.action)
        const reserved = new Set(["id", "type", "action", "output", "output_schema", "depends_on", "retry", "timeout", "cache", "description"])
        const params: Array<string> = []
        for (const k of Object.keys(step).sort()) {
          if (reserved.has(k)) continue
          const raw = (step as Record<string, unknown>)[k]
          params.push(`${key(k)}: ${this.paramValue(node, raw, [k], env)}`)
        }
        let e = `${cls}.use((action) => action.run({ ${params.join(", ")} }))`
        if (step.output_schema !== undefined) {
          this.uses.runtime = true
          e = `${e}.pipe(Effect.flatMap((out) => Y.as(${this.outputSchema(node)}, out)))`
        }
        return this.withPolicies(node, e, `{ ${params.join(", ")} }`)
      }
      case "parallel": {
        const fields = (node.members ?? [])
          .map((id) => this.a.nodes.get(id)!)
          .filter((m) => m.outputName !== undefined)
          .map((m) => `${key(m.outputName!)}: ${env.locals.get(m.id) ?? `ctx${prop(m.id)}`}`)
        return `Effect.succeed({ ${fields.join(", ")} })`
      }
      case "workflow": {
        const sub = this.subWorkflow(node)
        const input = this.subInput(node, env)
        return `Workflow.run(${sub}, ${input})`
      }
      default:
        throw new Error(`${step.type} is not a leaf step`)
    }
  }

  paramValue(node: Node, raw: unknown, rel: ReadonlyArray<string | number>, env: Env): string {
    if (typeof raw === "string") return this.value(this.tpl(node, rel.join(".")), env)
    if (Array.isArray(raw)) return `[${raw.map((x, i) => this.paramValue(node, x, [...rel, i], env)).join(", ")}]`
    if (raw !== null && typeof raw === "object") {
      return `{ ${Object.entries(raw).map(([k, x]) => `${key(k)}: ${this.paramValue(node, x, [...rel, k], env)}`).join(", ")} }`
    }
    return JSON.stringify(raw)
  }

  subWorkflow(node: Node): string {
    const file = node.sub!.file
    let name = this.subImports.get(file)
    if (name === undefined) {
      name = this.unique(`${camel(node.sub!.workflow!.name)}Workflow`)
      this.subImports.set(file, name)
    }
    return name
  }

  subInput(node: Node, env: Env): string {
    const step = node.step as F.WorkflowStep
    const sub = node.sub!
    const fields = Object.keys(step.input ?? {}).sort().map((k) => {
      const t = sub.inputs.get(k)?.type ?? T.unknown
      const tpl = this.tpl(node, `input.${k}`)
      return `${key(k)}: ${t.kind === "string" ? this.text(tpl, env) : this.value(tpl, env)}`
    })
    return `{ ${fields.join(", ")} }`
  }

  condition(node: Node, env: Env): string {
    const c = node.condition!
    this.uses.runtime = true
    const left = this.refValue(c.left, env).code
    if (c.op === undefined) return `Y.truthy(${left})`
    const right = c.right!.kind === "ref" ? this.refValue(c.right!.ref, env).code : JSON.stringify(c.right!.value)
    return `Y.compare(${left}, ${JSON.stringify(c.op)}, ${right})`
  }

  // ---- records ----
  /** Spec + implementation entries of one scope, as two lists of lines. */
  record(scope: Scope, w: { spec: Writer; impl: Writer }) {
    for (const node of topoOrder(scope.nodes)) this.entry(node, w)
  }

  policies(node: Node): Array<string> {
    const step = node.step
    const d = this.a.workflow!.defaults
    const leaf = ["llm", "embed", "vector_search", "action", "workflow"].includes(step.type)
    const retry = step.retry ?? (leaf ? d?.retry : undefined)
    const timeout = step.timeout ?? (leaf ? d?.timeout : undefined)
    const out: Array<string> = []
    if (retry !== undefined) {
      this.uses.runtime = true
      if (typeof retry === "number") out.push(`retry: { times: ${retry}, while: Y.shouldRetry }`)
      else {
        const delay = JSON.stringify(toDurationInput(retry.delay ?? "100 millis"))
        this.uses.schedule = true
        const schedule = retry.backoff === "fixed" ? `Schedule.spaced(${delay})` : `Schedule.exponential(${delay})`
        out.push(`retry: { times: ${retry.times}, schedule: ${schedule}, while: Y.shouldRetry }`)
      }
    }
    if (timeout !== undefined) out.push(`timeout: ${JSON.stringify(toDurationInput(timeout))}`)
    if (step.description !== undefined) out.push(`description: ${JSON.stringify(step.description)}`)
    return out
  }

  /** Body steps are not engine nodes: their retry and timeout wrap the effect itself. */
  inlinePolicies(node: Node, effect: string): string {
    const step = node.step
    const d = this.a.workflow!.defaults
    const leaf = ["llm", "embed", "vector_search", "action", "workflow"].includes(step.type)
    const retry = step.retry ?? (leaf ? d?.retry : undefined)
    const timeout = step.timeout ?? (leaf ? d?.timeout : undefined)
    const pipes: Array<string> = []
    if (timeout !== undefined) pipes.push(`Effect.timeout(${JSON.stringify(toDurationInput(timeout))})`)
    if (retry !== undefined) {
      this.uses.runtime = true
      if (typeof retry === "number") pipes.push(`Effect.retry({ times: ${retry}, while: Y.shouldRetry })`)
      else {
        this.uses.schedule = true
        const delay = JSON.stringify(toDurationInput(retry.delay ?? "100 millis"))
        pipes.push(`Effect.retry({ times: ${retry.times}, schedule: ${retry.backoff === "fixed" ? `Schedule.spaced(${delay})` : `Schedule.exponential(${delay})`}, while: Y.shouldRetry })`)
      }
    }
    return pipes.length === 0 ? effect : `${effect}.pipe(${pipes.join(", ")})`
  }

  needsOf(node: Node): Array<string> {
    return [...new Set([...node.needs, ...node.ext])].sort()
  }

  entry(node: Node, w: { spec: Writer; impl: Writer }) {
    const step = node.step
    const needs = this.needsOf(node)
    const base = [...(needs.length > 0 ? [`needs: [${needs.map((n) => JSON.stringify(n)).join(", ")}]`] : []), ...this.policies(node)]
    const env: Env = { locals: new Map() }
    switch (step.type) {
      case "branch": {
        const caseNames = [...node.cases!.keys(), ...(node.defaultCase ? ["default"] : [])]
        w.spec.line(`${key(node.id)}: {`)
        const inner = new Writer(w.spec.indent + 1)
        inner.line(`kind: "branch",`)
        for (const b of base) inner.line(`${b},`)
        inner.line(`cases: {`)
        for (const c of caseNames) {
          const scope = c === "default" && node.defaultCase ? node.defaultCase : node.cases!.get(c)!
          const caseW = new Writer(inner.indent + 1)
          this.caseWorkflow(node, c, scope, needs, caseW)
          caseW.lines[0] = "  ".repeat(inner.indent + 1) + `${key(c)}: ` + caseW.lines[0]!.trimStart()
          caseW.lines[caseW.lines.length - 1] += ","
          inner.lines.push(...caseW.lines)
        }
        inner.line(`}`)
        w.spec.lines.push(...inner.lines)
        w.spec.line(`},`)
        const cases = `[${caseNames.map((c) => JSON.stringify(c)).join(", ")}]`
        const c = node.condition!
        if (c.op === undefined) {
          const v = this.refValue(c.left, env)
          const values = v.type.kind === "literal" ? v.type.values : undefined
          if (
            values !== undefined && node.defaultCase === undefined && values.every((x) => typeof x === "string") &&
            values.length === caseNames.length && caseNames.every((n) => values.includes(n))
          ) {
            // An enum output routed case by case: no conversion, so the compiler checks the cases are exhaustive.
            w.impl.line(`${key(node.id)}: { on: (ctx) => ${v.code} },`)
            return
          }
        }
        const on = c.op === undefined ? this.refValue(c.left, env).code : this.condition(node, env)
        w.impl.line(`${key(node.id)}: { on: (ctx) => Y.pick(${on}, ${cases}) },`)
        this.uses.runtime = true
        return
      }
      case "map": {
        const schema = this.outputSchema(node)
        const conc = step.concurrency ?? this.a.workflow!.defaults?.concurrency
        w.spec.line(`${key(node.id)}: { ${["kind: \"map\"", ...base, `output: ${schema}`, ...(conc !== undefined ? [`concurrency: ${conc}`] : [])].join(", ")} },`)
        this.uses.runtime = true
        const over = this.value(this.tpl(node, "over"), env)
        w.impl.line(`${key(node.id)}: {`)
        w.impl.line(`  over: (ctx) => Y.list(${over}, ${JSON.stringify(`${node.id}.over`)}),`)
        w.impl.line(`  body: (item, ctx, index) =>`)
        this.body(node, w.impl, "map")
        w.impl.line(`},`)
        return
      }
      case "loop": {
        const schema = this.outputSchema(node)
        const onMax = step.on_max_iterations
        w.spec.line(`${key(node.id)}: { ${["kind: \"loop\"", ...base, `output: ${schema}`, `maxIterations: ${step.max_iterations}`, ...(onMax !== undefined ? [`onMaxIterations: ${JSON.stringify(onMax)}`] : [])].join(", ")} },`)
        const initial = step.initial !== undefined ? this.value(this.tpl(node, "initial"), env) : "null"
        w.impl.line(`${key(node.id)}: {`)
        w.impl.line(`  initial: (ctx) => ({ done: false, value: ${initial} }),`)
        w.impl.line(`  until: (state) => state.done,`)
        w.impl.line(`  body: (state, ctx, iteration) =>`)
        this.body(node, w.impl, "loop")
        w.impl.line(`},`)
        return
      }
      case "workflow": {
        const sub = this.subWorkflow(node)
        w.spec.line(`${key(node.id)}: { ${["kind: \"call\"", ...base, `workflow: ${sub}`].join(", ")} },`)
        w.impl.line(`${key(node.id)}: { input: (ctx) => (${this.subInput(node, env)}) },`)
        return
      }
      default: {
        const schema = this.outputSchema(node)
        w.spec.line(`${key(node.id)}: { ${[...base, `output: ${schema}`].join(", ")} },`)
        w.impl.line(`${key(node.id)}: (ctx) => ${this.effect(node, env)},`)
      }
    }
  }

  /** A map or loop body: its steps run in order inside one Effect.gen (they are not engine nodes). */
  body(node: Node, impl: Writer, kind: "map" | "loop") {
    const scope = node.body!
    const env: Env = { locals: new Map() }
    impl.line(`    Effect.gen(function*() {`)
    for (const n of topoOrder(scope.nodes)) {
      // `<id>Result` is unique (ids are) and cannot shadow item, index, state, iteration or ctx.
      const local = `${n.id}Result`
      env.locals.set(n.id, local)
      const effect = n.step.type === "workflow"
        ? `Workflow.run(${this.subWorkflow(n)}, ${this.subInput(n, env)})`
        : this.effect(n, env)
      impl.line(`      const ${local} = yield* ${this.inlinePolicies(n, effect)}`)
    }
    const result = scope.result === undefined ? "undefined" : env.locals.get(scope.result.id)!
    if (kind === "map") impl.line(`      return ${result}`)
    else impl.line(`      return { done: ${this.condition(node, env)}, value: ${result} }`)
    impl.line(`    }),`)
  }

  caseWorkflow(branch: Node, caseName: string, scope: Scope, external: ReadonlyArray<string>, w: Writer) {
    const ext = external.map((id) => `${key(id)}: ${this.externalSchema(id)}`)
    w.line(`Workflow.fromRecord(${JSON.stringify(`${this.wfName}/${branch.id}/${caseName}`)}, {`)
    w.line(`  input: Input,`)
    if (ext.length > 0) w.line(`  external: { ${ext.join(", ")} },`)
    const spec = new Writer(w.indent + 2)
    const impl = new Writer(w.indent + 1)
    this.record(scope, { spec, impl })
    w.line(`  steps: {`)
    w.lines.push(...spec.lines)
    w.line(`  }`)
    w.line(`}, {`)
    w.lines.push(...impl.lines)
    w.line(`})`)
  }

  externalSchema(id: string): string {
    const n = this.a.nodes.get(id)!
    if (n.step.type === "branch" || n.step.type === "workflow") return "Schema.Unknown"
    return this.outputSchema(n)
  }

  // ---- module ----
  module(): string {
    const wf = this.a.workflow!
    const w = { spec: new Writer(2), impl: new Writer(1) }
    this.record(this.a.root, w)
    // Final step, when the file declares `outputs:`: the outputs by name, so callers see names, not step ids. Without
    // it, callers read the steps themselves (keeps type-checking of big files cheaper: no step needing every other).
    if (wf.outputs !== undefined) this.outputsStep(w)
    return this.render(w)
  }

  outputsStep(w: { spec: Writer; impl: Writer }) {
    const outEnv: Env = { locals: new Map() }
    const outFields: Array<string> = []
    const outNeeds = new Set<string>()
    const outTypes: Record<string, { type: Type; optional: false }> = {}
    for (const [name, o] of this.a.outputs) {
      outFields.push(`${key(name)}: ${o.template.whole !== undefined ? this.refValue(o.template.whole, outEnv).code : this.text(o.template, outEnv)}`)
      for (const r of o.template.refs) {
        const res = this.a.resolutions.get(r)
        if (res?.kind === "output") outNeeds.add(res.producer)
      }
      outTypes[name] = { type: this.outputValueType(o.template, o.type), optional: false }
    }
    this.schemaDecls.push("")
    this.schemaDecls.push(`/** The workflow's outputs by name (the \`_outputs\` step). */`)
    this.schemaDecls.push(`export const Outputs = ${schemaCode(T.object(outTypes), { ...this.hit, multiline: true })}`)
    const outSchema = "Outputs"
    const needs = [...outNeeds].sort()
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

  render(w: { spec: Writer; impl: Writer }): string {
    const wf = this.a.workflow!
    const inputFields = [...this.a.inputs].map(([k, f]) => {
      const spec = wf.inputs?.[k]
      const dflt = typeof spec === "object" ? spec.default : undefined
      const s = schemaCode(f.type)
      return dflt !== undefined
        ? `${key(k)}: ${s}.pipe(Schema.withDecodingDefaultKey(Effect.succeed(${JSON.stringify(dflt)})))`
        : `${key(k)}: ${s}`
    })

    const out: Array<string> = []
    out.push(`// Generated by llm-orchestrator codegen from ${this.options.source.replace(/\n/g, " ")}. Do not edit: change the YAML and regenerate.`)
    const effectImports = ["Effect", "Schema", ...(this.uses.context || this.actions.size > 0 ? ["Context"] : []), ...(this.uses.schedule ? ["Schedule"] : [])].sort()
    out.push(`import { ${effectImports.join(", ")} } from "effect"`)
    const pkg = this.options.importFrom ?? "llm-orchestrator"
    out.push(`import { Workflow } from ${JSON.stringify(pkg)}`)
    const llm = [...(this.uses.embeddings ? ["Embeddings"] : []), ...(this.uses.isRetryable ? ["isRetryable"] : []), ...(this.uses.llm ? ["Llm"] : [])]
    if (llm.length > 0) out.push(`import { ${llm.join(", ")} } from ${JSON.stringify(`${pkg}/llm`)}`)
    if (this.uses.vectorStore) out.push(`import { VectorStore } from ${JSON.stringify(`${pkg}/vector`)}`)
    out.push(`import * as Y from ${JSON.stringify(this.options.runtimeFrom ?? "llm-orchestrator/yaml")}`)
    for (const [file, name] of [...this.subImports].sort(([a], [b]) => a.localeCompare(b))) {
      const spec = this.options.moduleOf?.(file) ?? `./${moduleFileName(file)}`
      out.push(`import { workflow as ${name} } from ${JSON.stringify(spec)}`)
    }
    out.push("")
    for (const [name, cls] of [...this.actions].sort(([a], [b]) => a.localeCompare(b))) {
      out.push(`/** The "${name}" action. Supply it: \`Layer.succeed(${cls}, { run: (params) => Effect.succeed(...) })\`. */`)
      out.push(`export class ${cls} extends Context.Service<${cls}, Y.ActionShape>()(${JSON.stringify(`llm-orchestrator/action/${name}`)}) {}`)
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
    out.push(`/** ${doc(wf.description ?? `The "${wf.name}" workflow.`)} */`)
    out.push(`export const workflow = Workflow.fromRecord(${JSON.stringify(wf.name)}, {`)
    out.push(`  input: Input,`)
    if (wf.description !== undefined) out.push(`  description: ${JSON.stringify(wf.description)},`)
    if (wf.version !== undefined) out.push(`  version: ${JSON.stringify(String(wf.version))},`)
    out.push(`  steps`)
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

  /** The declared type of a workflow output: what the analysis knows, except where a value may be absent. */
  outputValueType(template: Template, type: Type): Type {
    if (template.whole === undefined) return T.string
    const r = this.a.resolutions.get(template.whole)
    if (r?.kind === "output") {
      const n = this.a.nodes.get(r.producer)!
      // A branch's `value` holds only the taken case's outputs; its `case` is always there.
      if (n.step.type === "branch") return template.whole.path.length === 1 && template.whole.path[0] === "case" && template.whole.filters.length === 0 ? type : T.unknown
    }
    // `default(x)` may yield x, of another type.
    if (template.whole.filters.some((f) => f.name === "default")) return T.unknown
    return type
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
export const generateModule = (analysis: Analysis, options: GenerateOptions): string => {
  if (analysis.workflow === undefined || analysis.diagnostics.some((d) => d.severity === "error")) {
    throw new Error(`${analysis.file} is not valid; run validate first`)
  }
  return new Generator(analysis, options).module()
}

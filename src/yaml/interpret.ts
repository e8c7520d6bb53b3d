/**
 * The YAML interpreter: turns an analysed workflow file into a workflow value (the DSL record form, built at run time)
 * so the same engine runs it, with the same events, retries and timeouts as typed code. Steps named in `mocks` return
 * the mocked outputs and call no provider (a list is consumed one call at a time for steps inside maps and loops).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { analyzeFile } from "llm-orchestrator/codegen"
 * import { interpret, Workflow } from "llm-orchestrator/yaml"
 * const { workflow } = interpret(analyzeFile("examples/sentiment-analysis.yaml"), { mocks: { extract_sentiment: "positive" } })
 * ```
 */
import { Effect, Schedule, Schema } from "effect"
import type { Analysis, Node, Scope } from "../../codegen/analyze.ts"
import { toDurationInput, toMillis } from "../../codegen/duration.ts"
import { topoOrder } from "../../codegen/generate.ts"
import type { Ref, Template } from "../../codegen/Template.ts"
import { T } from "../../codegen/Type.ts"
import { typeSchema } from "../../codegen/typeSchema.ts"
import type * as F from "../../codegen/WorkflowFile.ts"
import { fromRecord } from "../../dsl/record.ts"
import type { Any } from "../../dsl/Workflow.ts"
import { run } from "../engine/run.ts"
import { Embeddings } from "../llm/Embeddings.ts"
import { Llm } from "../llm/Llm.ts"
import { isRetryable } from "../llm/LlmError.ts"
import * as VectorStore from "../vector/VectorStore.ts"
import * as Y from "./runtime.ts"

/**
 * A custom action's implementation.
 *
 * @example
 * ```ts
 * const actions: Record<string, ActionHandler> = { notify: (params) => Effect.log(`notify ${String(params.message)}`) }
 * ```
 */
export type ActionHandler = (params: Readonly<Record<string, unknown>>) => Effect.Effect<unknown, unknown>

/**
 * Options of {@link interpret}: mocked step outputs, custom actions, what unmocked steps do, and where `log` writes.
 *
 * @example
 * ```ts
 * interpret(analysis, { mocks: { classify: "positive" }, unmocked: "fail", onLog: (line) => console.log(line) })
 * ```
 */
export interface InterpretOptions {
  /** Step id -> mocked output (a list of outputs for steps inside map/loop bodies, one per call). */
  readonly mocks?: Readonly<Record<string, unknown>> | undefined
  /** Custom actions by name. `log` is built in (prints its parameters with `onLog`). */
  readonly actions?: Readonly<Record<string, ActionHandler>> | undefined
  /**
   * What an unmocked provider-calling step does: call its provider or action ("call", default), or fail with a clear
   * error ("fail": test cases mock only the path they exercise, and need no services).
   */
  readonly unmocked?: "call" | "fail" | undefined
  /** Where the built-in `log` action writes (default: nowhere). */
  readonly onLog?: ((line: string) => void) | undefined
}

/**
 * Services a run needs from outside, per kind, with the steps that need them (mocked steps need nothing).
 *
 * @example
 * ```ts
 * const { requirements } = interpret(analyzeFile("examples/parallel-rag.yaml"))
 * [...requirements.providers.keys()] // e.g. ["openai"]
 * ```
 */
export interface Requirements {
  readonly providers: ReadonlyMap<string, ReadonlyArray<string>>
  readonly embeddingProviders: ReadonlyMap<string, ReadonlyArray<string>>
  readonly stores: ReadonlyMap<string, ReadonlyArray<string>>
  readonly actions: ReadonlyMap<string, ReadonlyArray<string>>
}

/**
 * What {@link interpret} returns: the workflow value to run, the services it needs, and problems to fix first.
 *
 * @example
 * ```ts
 * const { workflow, requirements, problems }: Interpreted = interpret(analyzeFile("wf.yaml"), { mocks })
 * if (problems.length > 0) throw new Error(problems.join("\n"))
 * ```
 */
export interface Interpreted {
  readonly workflow: Any
  readonly requirements: Requirements
  /** Problems found before running: unknown mock ids, unsupplied actions. */
  readonly problems: ReadonlyArray<string>
}

interface Env {
  readonly ctx: Readonly<Record<string, unknown>>
  readonly locals: Map<string, unknown>
  readonly item?: unknown
  readonly index?: number
  readonly state?: { readonly value: unknown }
  readonly iteration?: number
}

const builtinActions = ["log"]

/**
 * Build the workflow value of an analysed (valid) YAML file; `problems` lists what must be fixed before running
 * (unknown mock ids, unsupplied actions) and `requirements` the services the unmocked steps need.
 *
 * @example
 * ```ts
 * const { workflow, problems } = interpret(analyzeFile("examples/sentiment-analysis.yaml"), {
 *   mocks: { extract_sentiment: "positive", generate_response: "Thanks!" }
 * })
 * const result = yield* Workflow.execute(workflow, { text: "I love it" })
 * ```
 */
export const interpret = (analysis: Analysis, options: InterpretOptions = {}): Interpreted => {
  if (analysis.workflow === undefined || analysis.diagnostics.some((d) => d.severity === "error")) {
    throw new Error(`${analysis.file} is not valid; run validate first`)
  }
  return new Interpreter(analysis, options, new Map()).build()
}

const push = (m: Map<string, Array<string>>, k: string, v: string) => {
  const list = m.get(k)
  if (list === undefined) m.set(k, [v])
  else list.push(v)
}

class Interpreter {
  readonly mocks: Readonly<Record<string, unknown>>
  readonly calls = new Map<string, number>()
  readonly problems: Array<string> = []
  readonly req = {
    providers: new Map<string, Array<string>>(),
    embeddingProviders: new Map<string, Array<string>>(),
    stores: new Map<string, Array<string>>(),
    actions: new Map<string, Array<string>>()
  }
  readonly wf: F.WorkflowFile
  readonly inputSchema: Schema.Top
  constructor(readonly a: Analysis, readonly options: InterpretOptions, readonly subs: Map<string, Interpreted>) {
    this.mocks = options.mocks ?? {}
    this.wf = a.workflow!
    const fields: Record<string, Schema.Top> = {}
    for (const [k, f] of a.inputs) {
      const spec = this.wf.inputs?.[k]
      const dflt = typeof spec === "object" ? spec.default : undefined
      const s = typeSchema(f.type)
      fields[k] = dflt !== undefined ? s.pipe(Schema.withDecodingDefaultKey(Effect.succeed(dflt))) : s
    }
    this.inputSchema = Schema.Struct(fields as Schema.Struct.Fields)
  }

  build(): Interpreted {
    for (const id of Object.keys(this.mocks)) {
      const slash = id.indexOf("/")
      const n = this.a.nodes.get(slash < 0 ? id : id.slice(0, slash))
      if (n === undefined || (slash >= 0 && n.step.type !== "workflow")) this.problems.push(`mock for unknown step "${id}"`)
      else if (slash >= 0) continue // checked by the sub-workflow's own interpreter
      else if (["branch", "map", "loop", "parallel"].includes(n.step.type)) {
        this.problems.push(`step "${id}" is a ${n.step.type}: mock the steps inside it instead`)
      }
    }
    for (const n of this.a.nodes.values()) this.requirement(n)
    const workflow = this.record(this.a.root, this.wf.name, [], true)
    return { workflow, requirements: this.req, problems: this.problems }
  }

  requirement(n: Node) {
    if (n.id in this.mocks || (this.options.unmocked === "fail" && n.step.type !== "workflow")) return
    const s = n.step
    if (s.type === "llm") {
      push(this.req.providers, n.provider!, n.id)
      for (const f of s.fallback ?? []) push(this.req.providers, f.provider, n.id)
    } else if (s.type === "embed") push(this.req.embeddingProviders, n.provider!, n.id)
    else if (s.type === "vector_search") push(this.req.stores, s.database, n.id)
    else if (s.type === "action") {
      push(this.req.actions, s.action, n.id)
      if (this.options.actions?.[s.action] === undefined && !builtinActions.includes(s.action)) {
        this.problems.push(`step "${n.id}" calls action "${s.action}", which is not supplied: register it or mock the step`)
      }
    } else if (s.type === "workflow" && n.sub !== undefined) {
      const sub = this.subOf(n)
      for (const [k, list] of Object.entries(sub.requirements) as Array<[keyof Requirements, ReadonlyMap<string, ReadonlyArray<string>>]>) {
        for (const [name, ids] of list) for (const id of ids) push(this.req[k], name, `${n.id}/${id}`)
      }
      this.problems.push(...sub.problems.map((p) => `in ${n.id}: ${p}`))
    }
  }

  subOf(n: Node): Interpreted {
    const file = n.sub!.file
    let sub = this.subs.get(`${n.id}:${file}`)
    if (sub === undefined) {
      // Mocks of a sub-workflow's steps are written "<call id>/<step id>".
      const prefix = `${n.id}/`
      const mocks: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(this.mocks)) if (k.startsWith(prefix)) mocks[k.slice(prefix.length)] = v
      sub = new Interpreter(n.sub!, { ...this.options, mocks }, this.subs).build()
      this.subs.set(`${n.id}:${file}`, sub)
    }
    return sub
  }

  // ---- values ----
  refValue(ref: Ref, env: Env): unknown {
    const r = this.a.resolutions.get(ref)
    if (r === undefined) throw new Error(`unresolved reference ${ref.text}`)
    let v: unknown
    let path: ReadonlyArray<string | number> = ref.path
    switch (r.kind) {
      case "input":
        v = (env.ctx["input"] as Record<string, unknown>)[r.name]
        if (ref.head === "input") path = ref.path.slice(1)
        break
      case "local":
        v = r.name === "item" ? env.item : r.name === "index" ? env.index : r.name === "iteration" ? env.iteration : env.state?.value
        break
      case "output": {
        const n = this.a.nodes.get(r.producer)!
        v = env.locals.has(n.id) ? env.locals.get(n.id) : env.ctx[n.id]
        if (n.step.type === "loop") v = (v as { value: unknown } | undefined)?.value
        if (n.step.type === "workflow") v = (v as { _outputs: unknown } | undefined)?._outputs
        if (n.step.type === "branch" && path[0] === "value" && typeof path[1] === "string") {
          const inner = [...(n.cases?.values() ?? []), ...(n.defaultCase ? [n.defaultCase] : [])]
            .map((s) => s.byName.get(path[1] as string))
            .find((x) => x !== undefined)
          if (inner !== undefined) path = ["value", inner.id, ...path.slice(2)]
        }
      }
    }
    v = Y.get(v, path)
    for (const f of ref.filters) {
      switch (f.name) {
        case "json":
          v = Y.json(v)
          break
        case "join":
          v = Y.join(v, f.args.length > 0 ? String(f.args[0]) : undefined)
          break
        case "default":
          v = Y.withDefault(v, f.args[0] ?? null)
          break
        case "upper":
          v = Y.upper(v)
          break
        case "lower":
          v = Y.lower(v)
          break
        case "trim":
          v = Y.trim(v)
          break
        case "length":
          v = Y.length(v)
          break
      }
    }
    return v
  }

  text(t: Template | undefined, env: Env): string {
    if (t === undefined) return ""
    return t.parts.map((p) => (p.kind === "text" ? p.text : Y.str(this.refValue(p.ref, env)))).join("")
  }

  value(t: Template | undefined, env: Env): unknown {
    if (t?.whole !== undefined) return this.refValue(t.whole, env)
    return this.text(t, env)
  }

  condition(n: Node, env: Env): boolean {
    const c = n.condition!
    const left = this.refValue(c.left, env)
    if (c.op === undefined) return Y.truthy(left)
    const right = c.right!.kind === "ref" ? this.refValue(c.right!.ref, env) : c.right!.value
    return Y.compare(left, c.op, right)
  }

  // ---- steps ----
  outputSchema(n: Node): Schema.Codec<unknown, unknown> {
    if (n.step.type === "workflow") {
      return Schema.Struct({ _outputs: typeSchema(n.type ?? T.unknown) }) as unknown as Schema.Codec<unknown, unknown>
    }
    if (n.step.type === "loop") {
      return Schema.Struct({ done: Schema.Boolean, value: Schema.NullOr(typeSchema(n.type ?? T.unknown)) }) as unknown as Schema.Codec<unknown, unknown>
    }
    return typeSchema(n.type ?? T.unknown)
  }

  mocked(n: Node): Effect.Effect<unknown, Y.YamlValueError> | undefined {
    if (!(n.id in this.mocks)) return undefined
    const m = this.mocks[n.id]
    const inBody = n.scope.kind === "body"
    return Effect.suspend(() => {
      const i = this.calls.get(n.id) ?? 0
      this.calls.set(n.id, i + 1)
      if (!inBody || !Array.isArray(m)) return Effect.succeed(m)
      if (i >= m.length) {
        return Effect.fail(new Y.YamlValueError({ message: `mock for "${n.id}" has ${m.length} value(s) but the step ran ${i + 1} times` }))
      }
      return Effect.succeed(m[i])
    }).pipe(
      // A sub-workflow's mock is its outputs record; the step's value wraps it like a real call does.
      Effect.map((v) => (n.step.type === "workflow" ? { _outputs: v } : v)),
      Effect.flatMap((v) => Y.as(this.outputSchema(n), v))
    )
  }

  cached(n: Node, params: unknown, effect: Effect.Effect<unknown, unknown, unknown>) {
    const cache = n.step.cache ?? this.wf.defaults?.cache
    if (cache === undefined || cache === false) return effect
    return Y.cached(`${this.wf.name}/${n.id}`, params, typeof cache === "object" ? toMillis(cache.ttl) : undefined, effect)
  }

  effect(n: Node, env: Env): Effect.Effect<unknown, unknown, unknown> {
    const mock = this.mocked(n)
    if (mock !== undefined) return mock
    const s = n.step
    const builtin = s.type === "action" && builtinActions.includes(s.action) && this.options.actions?.[s.action] === undefined
    if (this.options.unmocked === "fail" && !builtin && ["llm", "embed", "vector_search", "action"].includes(s.type)) {
      return Effect.fail(new Y.YamlValueError({ message: `step "${n.id}" ran but has no mock` }))
    }
    const tpl = (f: string) => n.templates.get(f)
    switch (s.type) {
      case "llm": {
        const prompt = this.text(tpl("prompt"), env)
        const call = (provider: string, model: string): Effect.Effect<unknown, unknown, unknown> => {
          const base = {
            provider,
            model,
            prompt,
            ...(s.system !== undefined ? { system: this.text(tpl("system"), env) } : {}),
            ...(s.temperature !== undefined ? { temperature: s.temperature } : {}),
            ...(s.max_tokens !== undefined ? { maxTokens: s.max_tokens } : {})
          }
          return s.output_schema !== undefined
            ? Llm.generateObject({ ...base, schema: this.outputSchema(n) })
            : Llm.generate(base)
        }
        let e = call(n.provider!, n.model!)
        // Fail over only on provider failures (retryable errors); a bad request fails at once.
        for (const fb of s.fallback ?? []) e = e.pipe(Effect.catchIf(isRetryable, () => call(fb.provider, fb.model ?? n.model!)))
        return this.cached(n, [prompt], e)
      }
      case "embed": {
        const input = this.text(tpl("input"), env)
        return this.cached(n, [input], Embeddings.embed({ provider: n.provider!, model: n.model!, input }))
      }
      case "vector_search":
        return Effect.suspend(() => {
          const vector = Y.vector(this.value(tpl("query"), env))
          return this.cached(n, [vector], VectorStore.search({ store: s.database, collection: s.index, vector, topK: s.top_k ?? 5 }))
        })
      case "transform":
        return Effect.suspend(() => {
          const inputs = s.inputs !== undefined ? s.inputs.map((_, i) => this.value(tpl(`inputs.${i}`), env)) : [this.value(tpl("input"), env)]
          const single = s.input !== undefined ? this.value(tpl("input"), env) : inputs[0]
          const v = s.function === "concat" ? Y.concat(inputs)
            : s.function === "merge" ? Y.merge(inputs)
            : s.function === "template" ? this.text(tpl("template"), env)
            : s.function === "json_parse" ? Y.jsonParse(single)
            : s.function === "length" ? Y.length(single)
            : s.function === "first" ? Y.first(single)
            : single
          return Y.as(this.outputSchema(n), v)
        })
      case "action": {
        const reserved = new Set(["id", "type", "action", "output", "output_schema", "depends_on", "retry", "timeout", "cache", "description"])
        const params: Record<string, unknown> = {}
        const param = (raw: unknown, rel: ReadonlyArray<string | number>): unknown =>
          typeof raw === "string" ? this.value(tpl(rel.join(".")), env)
            : Array.isArray(raw) ? raw.map((x, i) => param(x, [...rel, i]))
            : raw !== null && typeof raw === "object" ? Object.fromEntries(Object.entries(raw).map(([k, x]) => [k, param(x, [...rel, k])]))
            : raw
        for (const k of Object.keys(s).sort()) if (!reserved.has(k)) params[k] = param((s as Record<string, unknown>)[k], [k])
        const handler = this.options.actions?.[s.action] ??
          (s.action === "log"
            ? (p: Readonly<Record<string, unknown>>) => Effect.sync(() => this.options.onLog?.(Object.values(p).map(Y.str).join(" ")))
            : undefined)
        if (handler === undefined) return Effect.die(new Error(`action "${s.action}" is not supplied`))
        let e: Effect.Effect<unknown, unknown, unknown> = Effect.suspend(() => handler(params))
        if (s.output_schema !== undefined) e = e.pipe(Effect.flatMap((out) => Y.as(this.outputSchema(n), out)))
        return this.cached(n, params, e)
      }
      case "parallel": {
        const out: Record<string, unknown> = {}
        for (const id of n.members ?? []) {
          const m = this.a.nodes.get(id)!
          if (m.outputName !== undefined) out[m.outputName] = env.locals.has(id) ? env.locals.get(id) : env.ctx[id]
        }
        return Effect.succeed(out)
      }
      case "workflow": {
        const sub = this.subOf(n)
        return Effect.suspend(() => run(sub.workflow, this.subInput(n, env))).pipe(
          Effect.map((outputs) => ({ _outputs: (outputs as Record<string, unknown>)["_outputs"] }))
        )
      }
      default:
        return Effect.die(new Error(`${s.type} is not a leaf step`))
    }
  }

  subInput(n: Node, env: Env): Record<string, unknown> {
    const s = n.step as F.WorkflowStep
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(s.input ?? {})) {
      const t = n.sub!.inputs.get(k)?.type ?? T.unknown
      const tpl = n.templates.get(`input.${k}`)
      out[k] = t.kind === "string" ? this.text(tpl, env) : this.value(tpl, env)
    }
    return out
  }

  policies(n: Node): Record<string, unknown> {
    const s = n.step
    const d = this.wf.defaults
    const leaf = ["llm", "embed", "vector_search", "action", "workflow"].includes(s.type)
    const retry = s.retry ?? (leaf ? d?.retry : undefined)
    const timeout = s.timeout ?? (leaf ? d?.timeout : undefined)
    const out: Record<string, unknown> = {}
    if (retry !== undefined) {
      if (typeof retry === "number") out["retry"] = { times: retry, while: Y.shouldRetry }
      else {
        const delay = toDurationInput(retry.delay ?? "100 millis")
        out["retry"] = {
          times: retry.times,
          schedule: retry.backoff === "fixed" ? Schedule.spaced(delay) : Schedule.exponential(delay),
          while: Y.shouldRetry
        }
      }
    }
    if (timeout !== undefined) out["timeout"] = toDurationInput(timeout)
    if (s.description !== undefined) out["description"] = s.description
    return out
  }

  /** Body steps are not engine nodes: their retry and timeout wrap the effect itself. */
  inlinePolicies(n: Node, effect: Effect.Effect<unknown, unknown, unknown>): Effect.Effect<unknown, unknown, unknown> {
    const p = this.policies(n) as { retry?: { times: number; schedule?: Schedule.Schedule<unknown, unknown> }; timeout?: ReturnType<typeof toDurationInput> }
    let e = effect
    if (p.timeout !== undefined) e = Effect.timeout(e, p.timeout)
    if (p.retry !== undefined) {
      const r = p.retry
      e = Effect.retry(e, r.schedule !== undefined ? { times: r.times, schedule: r.schedule, while: Y.shouldRetry } : { times: r.times, while: Y.shouldRetry })
    }
    return e
  }

  body(n: Node, env: Env): Effect.Effect<unknown, unknown, unknown> {
    const scope = n.body!
    const self = this
    return Effect.gen(function*() {
      for (const m of topoOrder(scope.nodes)) env.locals.set(m.id, yield* self.inlinePolicies(m, self.effect(m, env)))
      return scope.result === undefined ? undefined : env.locals.get(scope.result.id)
    })
  }

  record(scope: Scope, name: string, external: ReadonlyArray<string>, root: boolean): Any {
    const specs: Record<string, unknown> = {}
    const impls: Record<string, unknown> = {}
    for (const n of scope.nodes) {
      const needs = [...new Set([...n.needs, ...n.ext])].sort()
      const base = { needs, ...this.policies(n) }
      const s = n.step
      switch (s.type) {
        case "branch": {
          const cases: Record<string, Any> = {}
          for (const [c, sc] of n.cases!) cases[c] = this.record(sc, `${name}/${n.id}/${c}`, needs, false)
          if (n.defaultCase) cases["default"] = this.record(n.defaultCase, `${name}/${n.id}/default`, needs, false)
          const names = Object.keys(cases)
          specs[n.id] = { kind: "branch", ...base, cases }
          impls[n.id] = {
            on: (ctx: Record<string, unknown>) => {
              const env: Env = { ctx, locals: new Map() }
              const v = n.condition!.op === undefined ? this.refValue(n.condition!.left, env) : this.condition(n, env)
              return Y.pick(v, names)
            }
          }
          break
        }
        case "map":
          specs[n.id] = { kind: "map", ...base, output: this.outputSchema(n), concurrency: s.concurrency ?? this.wf.defaults?.concurrency ?? 1 }
          impls[n.id] = {
            over: (ctx: Record<string, unknown>) => Y.list(this.value(n.templates.get("over"), { ctx, locals: new Map() }), `${n.id}.over`),
            body: (item: unknown, ctx: Record<string, unknown>, index: number) => this.body(n, { ctx, locals: new Map(), item, index })
          }
          break
        case "loop":
          specs[n.id] = { kind: "loop", ...base, output: this.outputSchema(n), maxIterations: s.max_iterations, onMaxIterations: s.on_max_iterations ?? "fail" }
          impls[n.id] = {
            initial: (ctx: Record<string, unknown>) => ({
              done: false,
              value: s.initial !== undefined ? this.value(n.templates.get("initial"), { ctx, locals: new Map() }) : null
            }),
            until: (state: { done: boolean }) => state.done,
            body: (state: { value: unknown }, ctx: Record<string, unknown>, iteration: number) => {
              const env: Env = { ctx, locals: new Map(), state, iteration }
              return Effect.map(this.body(n, env), (value) => ({ done: this.condition(n, env), value }))
            }
          }
          break
        default:
          specs[n.id] = { ...base, output: this.outputSchema(n) }
          impls[n.id] = (ctx: Record<string, unknown>) => this.effect(n, { ctx, locals: new Map() })
      }
    }
    if (root) {
      const needs = new Set<string>()
      for (const o of this.a.outputs.values()) {
        for (const r of o.template.refs) {
          const res = this.a.resolutions.get(r)
          if (res?.kind === "output") needs.add(res.producer)
        }
      }
      specs["_outputs"] = { needs: [...needs].sort(), output: Schema.Record(Schema.String, Schema.Unknown) }
      impls["_outputs"] = (ctx: Record<string, unknown>) =>
        Effect.sync(() => {
          const env: Env = { ctx, locals: new Map() }
          const out: Record<string, unknown> = {}
          for (const [k, o] of this.a.outputs) out[k] = this.value(o.template, env)
          return out
        })
    }
    const ext: Record<string, Schema.Top> = {}
    for (const id of external) ext[id] = Schema.Unknown
    return (fromRecord as (...args: Array<unknown>) => Any)(name, {
      input: this.inputSchema,
      steps: specs,
      external: ext,
      ...(root && this.wf.description !== undefined ? { description: this.wf.description } : {}),
      ...(root && this.wf.version !== undefined ? { version: String(this.wf.version) } : {})
    }, impls)
  }
}

/**
 * The YAML interpreter: turns an analysed workflow file into a workflow value (the DSL record form, built at run time)
 * so the same engine runs it, with the same events, retries and timeouts as typed code. It builds the lowered workflow
 * (`codegen/lower.ts`) into Effects and decides nothing about what a step means: generated code is printed from the
 * same lowered workflow, and the differential test checks that both agree. Steps named in `mocks` return
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
import { Effect, Schedule, Schema, Stream } from "effect"
import type { Analysis } from "../../codegen/analyze.ts"
import { lower } from "../../codegen/lower.ts"
import type { Access, Block, Body, Expr, LoweredCondition, LoweredStep, LoweredWorkflow, Param, Policies } from "../../codegen/Lowered.ts"
import { stepTraits } from "../../codegen/stepTraits.ts"
import type { Type } from "../../codegen/Type.ts"
import { typeSchema } from "../../codegen/typeSchema.ts"
import * as Fallback from "../../dsl/Fallback.ts"
import { fromRecord } from "../../dsl/record.ts"
import type { Any } from "../../dsl/Workflow.ts"
import { run } from "../engine/run.ts"
import * as Embeddings from "../llm/Embeddings.ts"
import * as Llm from "../llm/Llm.ts"
import { canFallBack } from "../llm/LlmError.ts"
import * as CallSpans from "../telemetry/CallSpans.ts"
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
  /**
   * Actions that run when unmocked even with `unmocked: "fail"`: the custom actions a test loaded (`test --actions`),
   * the user's own code rather than a service. `log` always does.
   */
  readonly runUnmocked?: ReadonlyArray<string> | undefined
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
  /** Named re-rankers of rerank steps (`mmr` needs an embedding provider instead). */
  readonly rerankers: ReadonlyMap<string, ReadonlyArray<string>>
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
  /** Results of the steps of the map/loop body being run. */
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
export const interpret = (analysis: Analysis, options: InterpretOptions = {}): Interpreted =>
  new Interpreter(lower(analysis), options, new Map(), true).build()

const push = (m: Map<string, Array<string>>, k: string, v: string) => {
  const list = m.get(k)
  if (list === undefined) m.set(k, [v])
  else list.push(v)
}

type AnyEffect = Effect.Effect<unknown, unknown, unknown>

class Interpreter {
  readonly mocks: Readonly<Record<string, unknown>>
  readonly calls = new Map<string, number>()
  readonly problems: Array<string> = []
  readonly req = {
    providers: new Map<string, Array<string>>(),
    embeddingProviders: new Map<string, Array<string>>(),
    stores: new Map<string, Array<string>>(),
    actions: new Map<string, Array<string>>(),
    rerankers: new Map<string, Array<string>>()
  }
  readonly inputSchema: Schema.Top
  readonly schemas = new Map<string, Schema.Codec<unknown, unknown>>()
  /**
   * `entry`: the workflow a run starts with. It always gets the `_outputs` step (the run's result by name); a
   * sub-workflow only when its file declares `outputs:`, as in generated code.
   */
  constructor(
    readonly workflow: LoweredWorkflow,
    readonly options: InterpretOptions,
    readonly subs: Map<string, Interpreted>,
    readonly entry: boolean
  ) {
    this.mocks = options.mocks ?? {}
    const fields: Record<string, Schema.Top> = {}
    for (const i of workflow.inputs) {
      const s = typeSchema(i.type)
      fields[i.name] = i.default !== undefined ? s.pipe(Schema.withDecodingDefaultKey(Effect.succeed(i.default.value))) : s
    }
    this.inputSchema = Schema.Struct(fields as Schema.Struct.Fields)
  }

  build(): Interpreted {
    const nodes = this.workflow.analysis.nodes
    for (const id of Object.keys(this.mocks)) {
      const slash = id.indexOf("/")
      const n = nodes.get(slash < 0 ? id : id.slice(0, slash))
      const inFallback = slash >= 0 && id.startsWith(`${n?.id}/fallback/`) && (n?.fallbackSubs?.size ?? 0) > 0
      if (n === undefined || (slash >= 0 && n.step.type !== "workflow" && !inFallback)) this.problems.push(`mock for unknown step "${id}"`)
      else if (slash >= 0) continue // checked by the sub-workflow's own interpreter
      else if (stepTraits[n.step.type].container) this.problems.push(`step "${id}" is a ${n.step.type}: mock the steps inside it instead`)
    }
    this.requirements(this.workflow.root.steps)
    const workflow = this.record(this.workflow.root, this.workflow.name, [], true)
    return { workflow, requirements: this.req, problems: this.problems }
  }

  requirements(steps: ReadonlyArray<LoweredStep>) {
    for (const s of steps) {
      if (s.kind === "branch") for (const c of s.cases) this.requirements(c.block.steps)
      if (s.kind === "map" || s.kind === "loop") this.requirements(s.body.steps)
      if (s.id in this.mocks || (this.options.unmocked === "fail" && s.kind !== "call")) continue
      switch (s.kind) {
        case "llm":
          for (const a of s.attempts) push(this.req.providers, a.provider, s.id)
          break
        case "embed":
          push(this.req.embeddingProviders, s.provider, s.id)
          break
        case "vector_search":
          push(this.req.stores, s.store, s.id)
          break
        case "ingest":
          push(this.req.stores, s.store, s.id)
          push(this.req.embeddingProviders, s.provider, s.id)
          break
        case "rerank":
          if (s.reranker === "mmr") push(this.req.embeddingProviders, s.provider!, s.id)
          else push(this.req.rerankers, s.reranker, s.id)
          break
        case "action":
          push(this.req.actions, s.action, s.id)
          if (this.options.actions?.[s.action] === undefined && !builtinActions.includes(s.action)) {
            this.problems.push(`step "${s.id}" calls action "${s.action}", which is not supplied: register it or mock the step`)
          }
          break
        case "call":
          this.subRequirements(s.id, this.subOf(s))
          break
      }
      s.policies.fallbacks.forEach((f, i) => {
        if (f.kind === "workflow" && s.policies.placement === "engine") this.subRequirements(`${s.id}/fallback`, this.fallbackSub(s.id, i, f.sub))
      })
    }
  }

  /** What a called workflow needs, named "<where>/<its step id>", and its problems. */
  subRequirements(where: string, sub: Interpreted) {
    for (const [k, list] of Object.entries(sub.requirements) as Array<[keyof Requirements, ReadonlyMap<string, ReadonlyArray<string>>]>) {
      for (const [name, ids] of list) for (const id of ids) push(this.req[k], name, `${where}/${id}`)
    }
    this.problems.push(...sub.problems.map((p) => `in ${where}: ${p}`))
  }

  subOf(s: Extract<LoweredStep, { kind: "call" }>): Interpreted {
    // Mocks of a sub-workflow's steps are written "<call id>/<step id>" (its own fallbacks' under "<call id>/fallback/").
    return this.interpretedSub(`${s.id}:${s.sub.file}`, s.sub, `${s.id}/`, `${s.id}/fallback/`)
  }

  /** The degraded sub-workflow of a step's fallback entry `i`; mocks of its steps are "<step id>/fallback/<its step id>". */
  fallbackSub(id: string, i: number, sub: LoweredWorkflow): Interpreted {
    return this.interpretedSub(`${id}/fallback/${i}:${sub.file}`, sub, `${id}/fallback/`, undefined)
  }

  interpretedSub(key: string, lowered: LoweredWorkflow, prefix: string, except: string | undefined): Interpreted {
    let sub = this.subs.get(key)
    if (sub === undefined) {
      const mocks: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(this.mocks)) {
        if (k.startsWith(prefix) && (except === undefined || !k.startsWith(except))) mocks[k.slice(prefix.length)] = v
      }
      sub = new Interpreter(lowered, { ...this.options, mocks }, this.subs, false).build()
      this.subs.set(key, sub)
    }
    return sub
  }

  // ---- values ----
  access(a: Access, env: Env): unknown {
    const b = a.base
    let v: unknown
    switch (b.kind) {
      case "input":
        v = (env.ctx["input"] as Record<string, unknown>)[b.name]
        break
      case "local":
        v = b.name === "item" ? env.item : b.name === "index" ? env.index : b.name === "iteration" ? env.iteration : env.state?.value
        break
      case "step":
        v = b.local ? env.locals.get(b.id) : env.ctx[b.id]
        if (b.unwrap !== undefined) v = (v as Record<string, unknown> | undefined)?.[b.unwrap]
    }
    v = Y.get(v, a.path)
    for (const f of a.filters) v = f.def.run(v, f.args)
    return v
  }

  text(e: Expr, env: Env): string {
    switch (e.kind) {
      case "literal":
        return Y.str(e.value ?? "")
      case "ref":
        return Y.str(this.access(e.access, env))
      case "text":
        return e.parts.map((p) => (p.kind === "text" ? p.text : Y.str(this.access(p.access, env)))).join("")
    }
  }

  value(e: Expr, env: Env): unknown {
    switch (e.kind) {
      case "literal":
        return e.value
      case "ref":
        return this.access(e.access, env)
      case "text":
        return this.text(e, env)
    }
  }

  param(p: Param, env: Env): unknown {
    switch (p.kind) {
      case "list":
        return p.items.map((x) => this.param(x, env))
      case "record":
        return Object.fromEntries(p.entries.map(([k, x]) => [k, this.param(x, env)]))
      default:
        return this.value(p, env)
    }
  }

  condition(c: LoweredCondition, env: Env): boolean {
    const left = this.access(c.left, env)
    if (c.op === undefined) return Y.truthy(left)
    const right = c.right!.kind === "ref" ? this.access(c.right!.access, env) : c.right!.value
    return Y.compare(left, c.op, right)
  }

  // ---- steps ----
  schema(id: string, t: Type, wrap?: "loop"): Schema.Codec<unknown, unknown> {
    let s = this.schemas.get(id)
    if (s === undefined) {
      s = (wrap === "loop" ? Schema.Struct({ done: Schema.Boolean, value: Schema.NullOr(typeSchema(t)) }) : typeSchema(t)) as unknown as Schema.Codec<unknown, unknown>
      this.schemas.set(id, s)
    }
    return s
  }

  /** The value a mocked step returns, shaped like its real result; undefined when the step is not mocked. */
  mocked(s: LoweredStep): Effect.Effect<unknown, Y.YamlValueError> | undefined {
    if (!(s.id in this.mocks)) return undefined
    const m = this.mocks[s.id]
    const inBody = s.policies.placement === "inline"
    return Effect.suspend(() => {
      const i = this.calls.get(s.id) ?? 0
      this.calls.set(s.id, i + 1)
      if (!inBody || !Array.isArray(m)) return Effect.succeed(m)
      if (i >= m.length) {
        return Effect.fail(new Y.YamlValueError({ message: `mock for "${s.id}" has ${m.length} value(s) but the step ran ${i + 1} times` }))
      }
      return Effect.succeed(m[i])
    }).pipe(
      // A sub-workflow's mock stands for its outputs by name; the step's value holds them as a real call does.
      Effect.flatMap((v) => Y.as(this.schema(s.id, s.output), v)),
      Effect.map((v) => (s.kind === "call" ? callValue(s.sub, v) : v))
    )
  }

  cached(p: Policies, params: unknown, effect: AnyEffect): AnyEffect {
    const e = p.cache === undefined ? effect : Y.cached(p.cache.key, params, p.cache.ttlMillis, effect)
    return p.priority === undefined ? e : Y.withPriority(p.priority, e)
  }

  /** The Effect of a leaf step (a body step, or the implementation of a plain engine step). */
  effect(s: LoweredStep, env: Env): AnyEffect {
    const mock = this.mocked(s)
    if (mock !== undefined) return mock
    const builtin = s.kind === "action" &&
      (builtinActions.includes(s.action) && this.options.actions?.[s.action] === undefined ||
        this.options.runUnmocked?.includes(s.action) === true && this.options.actions?.[s.action] !== undefined)
    if (this.options.unmocked === "fail" && !builtin && stepTraits[s.node.step.type].callsService) {
      return Effect.fail(new Y.YamlValueError({ message: `step "${s.id}" ran but has no mock` }))
    }
    switch (s.kind) {
      case "llm": {
        const prompt = this.text(s.prompt, env)
        const call = (provider: string, model: string): AnyEffect => {
          const base = {
            // A name from the YAML file: the typed API refuses a plain string (it would require LlmProvider<string>).
            provider: provider as any,
            model,
            prompt,
            ...(s.system !== undefined ? { system: this.text(s.system, env) } : {}),
            ...(s.temperature !== undefined ? { temperature: s.temperature } : {}),
            ...(s.maxTokens !== undefined ? { maxTokens: s.maxTokens } : {})
          }
          if (s.schema !== undefined) return Llm.generateObject({ ...base, schema: this.schema(s.id, s.schema) })
          return s.stream ? Stream.mkString(Llm.stream(base)) : Llm.generate(base)
        }
        const [first, ...fallbacks] = s.attempts
        let e = call(first!.provider, first!.model)
        for (const fb of fallbacks) e = e.pipe(Effect.catchIf(canFallBack, () => call(fb.provider, fb.model)))
        return this.cached(s.policies, [prompt], e)
      }
      case "embed": {
        const input = this.text(s.input, env)
        return this.cached(s.policies, [input], Embeddings.embed({ provider: s.provider, model: s.model, input }))
      }
      case "vector_search": {
        if (s.mode !== "vector") {
          const vector = s.query === undefined ? undefined : Y.vector(this.value(s.query, env))
          const text = this.text(s.text!, env)
          return this.cached(s.policies, [vector, text], Y.hybridSearch({ store: s.store, collection: s.collection, vector, text, topK: s.topK, mode: s.mode, weights: s.weights }))
        }
        const vector = Y.vector(this.value(s.query!, env))
        return this.cached(s.policies, [vector], VectorStore.search({ store: s.store, collection: s.collection, vector, topK: s.topK }))
      }
      case "chunk":
        return Y.chunk(this.text(s.input, env), s.source === undefined ? undefined : this.text(s.source, env), s.chunking, s.model)
      case "ingest":
        return Y.ingest({
          store: s.store,
          collection: s.collection,
          paths: s.paths.map((p) => this.text(p, env)),
          ...(s.include === undefined ? {} : { include: s.include }),
          ...(s.exclude === undefined ? {} : { exclude: s.exclude }),
          provider: s.provider,
          model: s.model,
          chunking: s.chunking
        })
      case "rerank": {
        const query = this.text(s.query, env)
        const documents = this.value(s.documents, env)
        const run = Effect.flatMap(Y.hits(documents, `documents of rerank step "${s.id}"`), (hits): AnyEffect =>
          s.reranker === "mmr"
            ? Y.rerankMmr({ provider: s.provider!, model: s.model!, query, hits, topN: s.topN, lambda: s.lambda })
            : Y.rerank({ reranker: s.reranker, query, hits, topN: s.topN }))
        return this.cached(s.policies, [query, documents], run)
      }
      case "context":
        return Effect.flatMap(Y.hits(this.value(s.passages, env), `passages of context step "${s.id}"`), (hits) =>
          Y.context(hits, { maxTokens: s.maxTokens, model: s.model, order: s.order }))
      case "transform": {
        const arg = s.arg.kind === "list" ? s.arg.items.map((x) => this.value(x, env)) : s.fn.takes === "template" ? this.text(s.arg, env) : this.value(s.arg, env)
        return Y.as(this.schema(s.id, s.output), s.fn.run(arg))
      }
      case "action": {
        const params: Record<string, unknown> = Object.fromEntries(s.params.map(([k, p]) => [k, this.param(p, env)]))
        const handler = this.options.actions?.[s.action] ??
          (s.action === "log"
            ? (p: Readonly<Record<string, unknown>>) => Effect.sync(() => this.options.onLog?.(Object.values(p).map(Y.str).join(" ")))
            : undefined)
        if (handler === undefined) return Effect.die(new Error(`action "${s.action}" is not supplied`))
        let e: AnyEffect = Effect.suspend(() => handler(params)).pipe(CallSpans.action(s.action))
        if (s.schema !== undefined) e = e.pipe(Effect.flatMap((out) => Y.as(this.schema(s.id, s.schema!), out)))
        return this.cached(s.policies, params, e)
      }
      case "parallel": {
        const out: Record<string, unknown> = {}
        for (const m of s.members) out[m.name] = m.local ? env.locals.get(m.id) : env.ctx[m.id]
        return Effect.succeed(out)
      }
      case "call": {
        const sub = this.subOf(s)
        return run(sub.workflow, this.callInput(s, env))
      }
      case "branch":
      case "map":
      case "loop":
      case "wait":
        return Effect.die(new Error(`${s.kind} is not a leaf step`))
    }
  }

  callInput(s: Extract<LoweredStep, { kind: "call" }>, env: Env): Record<string, unknown> {
    return Object.fromEntries(s.input.map(([k, e]) => [k, e.kind === "text" ? this.text(e, env) : this.value(e, env)]))
  }

  /** Retry, timeout and fallbacks as engine step options (with the description). */
  stepOptions(s: LoweredStep): Record<string, unknown> {
    const p = s.policies
    const out: Record<string, unknown> = {}
    if (p.placement === "engine") {
      const r = this.retry(p)
      if (r !== undefined) out["retry"] = r
      if (p.timeout !== undefined) out["timeout"] = p.timeout
      if (p.fallbacks.length > 0) {
        out["fallback"] = p.fallbacks.map((f, i) => {
          switch (f.kind) {
            case "value":
              return Fallback.value(f.value)
            case "cached":
              return Fallback.cached({ maxAge: f.maxAge })
            case "workflow":
              return Fallback.workflow(this.fallbackSub(s.id, i, f.sub).workflow as never, {
                input: (ctx) => {
                  const env: Env = { ctx: ctx as Record<string, unknown>, locals: new Map() }
                  return Object.fromEntries(f.input.map(([k, e]) => [k, e.kind === "text" ? this.text(e, env) : this.value(e, env)])) as never
                },
                output: (outputs) => Y.get(outputs, f.output)
              })
          }
        })
      }
    }
    if (p.description !== undefined) out["description"] = p.description
    return out
  }

  retry(p: Policies): { times: number; schedule?: Schedule.Schedule<unknown, unknown>; while: (e: unknown) => boolean } | undefined {
    const r = p.retry
    if (r === undefined) return undefined
    if (r.schedule === undefined) return { times: r.times, while: Y.shouldRetry }
    const delay = r.schedule.delay
    return { times: r.times, schedule: r.schedule.kind === "spaced" ? Schedule.spaced(delay) : Schedule.exponential(delay), while: Y.shouldRetry }
  }

  /** Body steps are not engine nodes: their retry and timeout wrap the effect itself. */
  inline(p: Policies, effect: AnyEffect): AnyEffect {
    let e = effect
    if (p.timeout !== undefined) e = Effect.timeout(e, p.timeout)
    const r = this.retry(p)
    if (r !== undefined) e = Effect.retry(e, r)
    return e
  }

  body(body: Body, env: Env): AnyEffect {
    const self = this
    return Effect.gen(function*() {
      for (const s of body.steps) env.locals.set(s.id, yield* self.inline(s.policies, Effect.suspend(() => self.effect(s, env))))
      return body.result === undefined ? undefined : env.locals.get(body.result)
    })
  }

  record(block: Block, name: string, external: ReadonlyArray<string>, root: boolean): Any {
    const specs: Record<string, unknown> = {}
    const impls: Record<string, unknown> = {}
    for (const s of block.steps) {
      const base = { needs: s.needs, ...this.stepOptions(s) }
      const plain = () => {
        specs[s.id] = { ...base, output: this.schema(s.id, s.output) }
        impls[s.id] = (ctx: Record<string, unknown>) => this.effect(s, { ctx, locals: new Map() })
      }
      switch (s.kind) {
        case "branch": {
          const cases: Record<string, Any> = {}
          for (const c of s.cases) cases[c.name] = this.record(c.block, c.workflowName, s.needs, false)
          const names = s.cases.map((c) => c.name)
          const on = s.on
          specs[s.id] = { kind: "branch", ...base, cases }
          impls[s.id] = {
            on: (ctx: Record<string, unknown>) => {
              const env: Env = { ctx, locals: new Map() }
              return Y.pick(on.kind === "condition" ? this.condition(on.condition, env) : this.access(on.access, env), names)
            }
          }
          break
        }
        case "map":
          specs[s.id] = {
            kind: "map",
            ...base,
            output: this.schema(s.id, s.output),
            ...(s.concurrency !== undefined ? { concurrency: s.concurrency } : {})
          }
          impls[s.id] = {
            over: (ctx: Record<string, unknown>) => Y.list(this.value(s.over, { ctx, locals: new Map() }), s.overLabel),
            body: (item: unknown, ctx: Record<string, unknown>, index: number) => this.body(s.body, { ctx, locals: new Map(), item, index })
          }
          break
        case "loop":
          specs[s.id] = {
            kind: "loop",
            ...base,
            output: this.schema(s.id, s.output, "loop"),
            maxIterations: s.maxIterations,
            ...(s.onMaxIterations !== undefined ? { onMaxIterations: s.onMaxIterations } : {})
          }
          impls[s.id] = {
            initial: (ctx: Record<string, unknown>) => ({ done: false, value: this.value(s.initial, { ctx, locals: new Map() }) }),
            until: (state: { done: boolean }) => state.done,
            body: (state: { value: unknown }, ctx: Record<string, unknown>, iteration: number) => {
              const env: Env = { ctx, locals: new Map(), state, iteration }
              return Effect.map(this.body(s.body, env), (value) => ({ done: this.condition(s.until, env), value }))
            }
          }
          break
        case "wait":
          // A mocked wait is a plain step returning the mock (tests, in-memory runs); otherwise the run suspends for it.
          if (s.id in this.mocks) plain()
          else {
            specs[s.id] = {
              kind: "wait",
              needs: s.needs,
              signal: this.schema(s.id, s.output),
              ...(s.policies.timeout !== undefined ? { timeout: s.policies.timeout } : {}),
              ...(s.policies.description !== undefined ? { description: s.policies.description } : {})
            }
            const request = s.request
            impls[s.id] = request === undefined ? {} : { request: (ctx: Record<string, unknown>) => this.text(request, { ctx, locals: new Map() }) }
          }
          break
        case "call":
          // A mocked call is a plain step returning the mock; otherwise the engine runs the callee as a nested graph.
          if (s.id in this.mocks) {
            specs[s.id] = base
            impls[s.id] = () => this.mocked(s)!
          } else {
            specs[s.id] = { kind: "call", ...base, workflow: this.subOf(s).workflow }
            impls[s.id] = { input: (ctx: Record<string, unknown>) => this.callInput(s, { ctx, locals: new Map() }) }
          }
          break
        default:
          plain()
      }
    }
    if (root && (this.entry || this.workflow.outputs.declared)) {
      const { needs, fields } = this.workflow.outputs
      specs["_outputs"] = { needs, output: Schema.Record(Schema.String, Schema.Unknown) }
      impls["_outputs"] = (ctx: Record<string, unknown>) =>
        Effect.sync(() => {
          const env: Env = { ctx, locals: new Map() }
          const out: Record<string, unknown> = {}
          for (const f of fields) out[f.name] = this.value(f.value, env)
          return out
        })
    }
    const ext: Record<string, Schema.Top> = {}
    for (const id of external) ext[id] = Schema.Unknown
    return (fromRecord as (...args: Array<unknown>) => Any)(name, {
      input: this.inputSchema,
      steps: specs,
      external: ext,
      ...(root && this.workflow.description !== undefined ? { description: this.workflow.description } : {}),
      ...(root && this.workflow.version !== undefined ? { version: this.workflow.version } : {})
    }, impls)
  }
}

/**
 * The value of a call step whose callee's outputs (by name) are `outputs`: `{ _outputs }` when the callee declares
 * them, else its steps by id, each holding its result as a real run would (a loop's `{ done, value }`).
 */
const callValue = (sub: LoweredWorkflow, outputs: unknown): unknown => {
  if (sub.outputs.declared) return { _outputs: outputs }
  const out: Record<string, unknown> = {}
  const given = (outputs ?? {}) as Record<string, unknown>
  for (const s of sub.root.steps) {
    const name = s.node.outputName
    if (name === undefined || !(name in given)) continue
    out[s.id] = s.kind === "loop" ? { done: true, value: given[name] } : s.kind === "call" ? callValue(s.sub, given[name]) : given[name]
  }
  return out
}

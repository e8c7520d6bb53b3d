/**
 * Lowering: from an analysed, valid workflow file to the {@link LoweredWorkflow} both back ends consume. Everything the
 * code generator and the interpreter would otherwise each decide is decided here, once: how a reference reaches its
 * value, which defaults apply, the order of each scope's steps, how a branch picks its case, what a transform or an
 * action is given. `generate.ts` only prints the result and `src/yaml/interpret.ts` only builds Effects from it, and
 * `test/codegen/differential.test.ts` runs both on the examples and on seeded variations to prove they agree.
 *
 * ## Adding a YAML step type
 * 1. The format: a Schema in `WorkflowFile.ts` (add it to `stepTypes` and the `Step` union) and its fields in
 *    `schemaDiagnostics.ts` (`fieldsOf`, for "did you mean" on unknown fields).
 * 2. Its traits in `stepTraits.ts` (calls a service? inherits retry/timeout? cacheable? holds steps?): the compiler
 *    asks for the entry.
 * 3. The analysis in `analyze.ts`: resources and checks in `collect`/`resources`, the result type in `computeType`,
 *    the templates it reads in `references` (each `text(...)` call records a template and its dependencies).
 * 4. Its lowered shape: an interface in `Lowered.ts` (added to `LoweredStep`) and a case in {@link Lowering.step} that
 *    turns the analysed step into it (resolved values, defaults applied).
 * 5. The two back ends: a case in `Generator.effect`/`Generator.entry` (`generate.ts`) and in `Interpreter.effect`/
 *    `Interpreter.record` (`src/yaml/interpret.ts`). Both switch over `LoweredStep["kind"]` exhaustively, so the
 *    compiler points at them. A leaf step is one Effect of its context; the runtime helpers both call go in
 *    `src/yaml/runtime.ts` (Effects) or `values.ts` (plain functions).
 * 6. Tests: a corpus file per new error (`test/codegen/corpus`), an example or fixture using it (the differential test
 *    then runs it both ways), and the generated code type-checks (`typecheck.test.ts`).
 *
 * @example
 * ```ts
 * const wf = lower(analyzeFile("examples/provider-failover.yaml"))
 * const first = wf.root.steps[0]
 * first.kind === "llm" && first.attempts.map((a) => a.provider) // ["openai", "anthropic", "openai"]
 * ```
 */
import type { Analysis, Node, Scope } from "./analyze.ts"
import { toDurationInput, toMillis } from "./duration.ts"
import { filters } from "./filters.ts"
import type {
  Access,
  Base,
  Block,
  Body,
  Expr,
  LoweredCondition,
  LoweredFallback,
  LoweredStep,
  LoweredWorkflow,
  Param,
  Policies
} from "./Lowered.ts"
import { stepTraits } from "./stepTraits.ts"
import type { FilterName, Ref, Template } from "./Template.ts"
import { transforms, type TransformName } from "./transforms.ts"
import { T, type Type } from "./Type.ts"
import * as F from "./WorkflowFile.ts"

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

/**
 * What a reference is statically known to be where a back end reads it: the base's type followed along the path while
 * each field is declared and required, `unknown` once a segment is not (it is then read with `Y.get`), then each
 * filter's result type. The code generator reads fields directly and skips text conversion on this basis.
 *
 * @example
 * ```ts
 * staticType(access) // T.string: `${value}` needs no conversion
 * ```
 */
export const staticType = (access: Access): Type => {
  let t = access.baseType
  for (const seg of access.path) {
    if (typeof seg === "string" && t.kind === "object" && t.fields[seg] !== undefined && !t.fields[seg].optional) {
      t = t.fields[seg].type
    } else {
      t = T.unknown
      break
    }
  }
  for (const f of access.filters) {
    const next = f.def.type(t, f.args, access.text)
    t = "error" in next ? T.unknown : next
  }
  return t
}

/**
 * How many path segments of `access` can be read as plain properties (the rest goes through `Y.get`).
 *
 * @example
 * ```ts
 * directSegments(access) // 1: `ctx.critique.score`, then nothing left
 * ```
 */
export const directSegments = (access: Access): number => {
  let t = access.baseType
  let i = 0
  for (; i < access.path.length; i++) {
    const seg = access.path[i]!
    if (typeof seg === "string" && t.kind === "object" && t.fields[seg] !== undefined && !t.fields[seg].optional) t = t.fields[seg].type
    else break
  }
  return i
}

/**
 * Lowers an analysed, valid file (and the sub-workflow files it calls). Throws if the analysis has errors.
 *
 * @example
 * ```ts
 * const wf = lower(analyzeFile("examples/map-reduce.yaml"))
 * wf.root.steps[0]?.kind // "map"
 * ```
 */
export const lower = (analysis: Analysis, cache: Map<Analysis, LoweredWorkflow> = new Map()): LoweredWorkflow => {
  if (analysis.workflow === undefined || analysis.diagnostics.some((d) => d.severity === "error")) {
    throw new Error(`${analysis.file} is not valid; run validate first`)
  }
  const existing = cache.get(analysis)
  if (existing !== undefined) return existing
  const lowered = new Lowering(analysis, cache).workflow()
  cache.set(analysis, lowered)
  return lowered
}

const noFilters: Access["filters"] = []

class Lowering {
  readonly workflowFile: F.WorkflowFile
  constructor(readonly analysis: Analysis, readonly cache: Map<Analysis, LoweredWorkflow>) {
    this.workflowFile = analysis.workflow!
  }

  workflow(): LoweredWorkflow {
    const a = this.analysis
    const wf = this.workflowFile
    const inputs = [...a.inputs].map(([name, field]) => {
      const spec = wf.inputs?.[name]
      const dflt = typeof spec === "object" && spec.default !== undefined ? { value: spec.default as unknown } : undefined
      return { name, type: field.type, default: dflt }
    })
    const needs = new Set<string>()
    const fields: Array<{ name: string; value: Expr; type: Type }> = []
    for (const [name, o] of a.outputs) {
      for (const r of o.template.refs) {
        const res = a.resolutions.get(r)
        if (res?.kind === "output") needs.add(res.producer)
      }
      fields.push({ name, value: this.expr(o.template, "value"), type: this.outputType(o.template, o.type) })
    }
    return {
      analysis: a,
      file: a.file,
      name: wf.name,
      description: wf.description,
      version: wf.version === undefined ? undefined : String(wf.version),
      inputs,
      root: this.block(a.root, wf.name),
      outputs: { declared: wf.outputs !== undefined, needs: [...needs].sort(), fields }
    }
  }

  /** The declared type of a workflow output: what the analysis knows, except where a value may be absent. */
  outputType(template: Template, type: Type): Type {
    if (template.whole === undefined) return T.string
    const r = this.analysis.resolutions.get(template.whole)
    if (r?.kind === "output" && this.analysis.nodes.get(r.producer)!.step.type === "branch") {
      // A branch's `value` holds only the taken case's outputs; its `case` is always there.
      const w = template.whole
      return w.path.length === 1 && w.path[0] === "case" && w.filters.length === 0 ? type : T.unknown
    }
    return type
  }

  /** `workflowName`: the name of the (nested) workflow the scope's steps belong to. */
  block(scope: Scope, workflowName: string): Block {
    return { steps: topoOrder(scope.nodes).map((n) => this.step(n, workflowName)) }
  }

  body(node: Node): Body {
    const scope = node.body!
    return { steps: topoOrder(scope.nodes).map((n) => this.step(n, this.workflowFile.name)), result: scope.result?.id }
  }

  // ---- values ----
  access(ref: Ref): Access {
    const a = this.analysis
    const r = a.resolutions.get(ref)
    if (r === undefined) throw new Error(`unresolved reference ${ref.text}`)
    let base: Base
    let baseType: Type
    let path = ref.path
    switch (r.kind) {
      case "input":
        base = { kind: "input", name: r.name }
        baseType = a.inputs.get(r.name)?.type ?? T.unknown
        if (ref.head === "input") path = ref.path.slice(1)
        break
      case "local":
        base = { kind: "local", name: r.name }
        baseType = r.name === "index" || r.name === "iteration" ? T.integer : T.unknown
        break
      case "output": {
        const n = a.nodes.get(r.producer)!
        let unwrap: "value" | "_outputs" | undefined
        baseType = n.type ?? T.unknown
        switch (n.step.type) {
          case "loop":
            unwrap = "value"
            break
          case "workflow":
            if (n.sub!.workflow?.outputs !== undefined) unwrap = "_outputs"
            else {
              baseType = T.unknown
              path = calleePath(n.sub!, ref.path)
            }
            break
          case "branch":
            if (ref.path[0] === "value" && typeof ref.path[1] === "string") baseType = T.unknown
            path = casePath(n, ref.path)
            break
        }
        base = { kind: "step", id: n.id, local: n.scope.kind === "body", unwrap }
      }
    }
    return {
      text: ref.text,
      base,
      baseType,
      path,
      filters: ref.filters.length === 0 ? noFilters : ref.filters.map((f) => ({ def: filters[f.name as FilterName], args: f.args }))
    }
  }

  /** A template as text, or (`value`) as the referenced value itself when it is exactly one reference. */
  expr(template: Template | undefined, as: "text" | "value"): Expr {
    if (template === undefined) return { kind: "literal", value: "" }
    if (as === "value" && template.whole !== undefined) return { kind: "ref", access: this.access(template.whole) }
    return {
      kind: "text",
      parts: template.parts.map((p) => (p.kind === "text" ? p : { kind: "ref" as const, access: this.access(p.ref) }))
    }
  }

  template(node: Node, field: string, as: "text" | "value"): Expr {
    return this.expr(node.templates.get(field), as)
  }

  condition(node: Node): LoweredCondition {
    const c = node.condition!
    return {
      left: this.access(c.left),
      op: c.op,
      right: c.right === undefined
        ? undefined
        : c.right.kind === "ref"
        ? { kind: "ref", access: this.access(c.right.ref) }
        : { kind: "literal", value: c.right.value }
    }
  }

  param(node: Node, raw: unknown, rel: ReadonlyArray<string | number>): Param {
    if (typeof raw === "string") return this.template(node, rel.join("."), "value")
    if (Array.isArray(raw)) return { kind: "list", items: raw.map((x, i) => this.param(node, x, [...rel, i])) }
    if (raw !== null && typeof raw === "object") {
      return { kind: "record", entries: Object.entries(raw).map(([k, x]) => [k, this.param(node, x, [...rel, k])] as const) }
    }
    return { kind: "literal", value: raw }
  }

  // ---- steps ----
  policies(node: Node): Policies {
    const step = node.step
    const d = this.workflowFile.defaults
    const traits = stepTraits[step.type]
    const retry = step.retry ?? (traits.inheritsPolicies ? d?.retry : undefined)
    const timeout = step.timeout ?? (traits.inheritsPolicies ? d?.timeout : undefined)
    const cache = traits.cacheable ? step.cache ?? d?.cache : undefined
    const own = (step as { readonly priority?: typeof F.Priority.Type }).priority
    const priority = traits.cacheable && step.type !== "action" ? own ?? this.workflowFile.priority : undefined
    return {
      ...(priority === undefined ? {} : { priority: typeof priority === "number" ? priority : priority === "high" ? 1 : priority === "low" ? -1 : 0 }),
      retry: retry === undefined
        ? undefined
        : typeof retry === "number"
        ? { times: retry, schedule: undefined }
        : {
          times: retry.times,
          schedule: { kind: retry.backoff === "fixed" ? "spaced" : "exponential", delay: toDurationInput(retry.delay ?? "100 millis") }
        },
      timeout: timeout === undefined ? undefined : toDurationInput(timeout),
      placement: node.scope.kind === "body" ? "inline" : "engine",
      cache: cache === undefined || cache === false
        ? undefined
        : { key: `${this.workflowFile.name}/${node.id}`, ttlMillis: typeof cache === "object" ? toMillis(cache.ttl) : undefined },
      // provider entries are the llm step's attempts (below); the analyzer put them first and the rest on engine steps
      fallbacks: ((step as { readonly fallback?: ReadonlyArray<typeof F.Fallback.Type> }).fallback ?? []).flatMap((f, i): ReadonlyArray<LoweredFallback> =>
        f.provider !== undefined
          ? []
          : f.cached !== undefined
          ? [{ kind: "cached", maxAge: typeof f.cached === "object" ? toDurationInput(f.cached.max_age) : undefined }]
          : f.workflow !== undefined
          ? [this.fallbackWorkflow(node, i, f.workflow)]
          : [{ kind: "value", value: f.value }]
      ),
      description: step.description
    }
  }

  /** A workflow fallback: the callee lowered, its inputs as a call's, and the path of the output that serves. */
  fallbackWorkflow(node: Node, i: number, fb: NonNullable<typeof F.Fallback.Type["workflow"]>): LoweredFallback {
    const { analysis, output } = node.fallbackSubs!.get(i)!
    const sub = lower(analysis, this.cache)
    return {
      kind: "workflow",
      sub,
      input: this.callInput(node, `fallback.${i}.workflow.`, analysis, sub, fb.input),
      // Workflow.run's outputs: a declared output is under `_outputs`, an undeclared one is its producer's result
      output: analysis.workflow?.outputs !== undefined ? ["_outputs", output] : calleePath(analysis, [output])
    }
  }

  /**
   * The input record of a call (a `workflow` step, or a workflow fallback whose templates are keyed under `prefix`):
   * given inputs as templates, then the callee's defaults for the rest (a call passes its input as it is, without
   * decoding, so the defaults are decided here for both back ends).
   */
  callInput(node: Node, prefix: string, analysis: Analysis, sub: LoweredWorkflow, input: { readonly [k: string]: string } | undefined) {
    const given = Object.keys(input ?? {}).sort()
    const out: Array<readonly [string, Expr]> = given.map((k) => {
      const t = analysis.inputs.get(k)?.type ?? T.unknown
      return [k, this.template(node, `${prefix}input.${k}`, t.kind === "string" ? "text" : "value")] as const
    })
    for (const i of sub.inputs) {
      if (!given.includes(i.name) && i.default !== undefined) out.push([i.name, { kind: "literal", value: i.default.value }])
    }
    out.sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
    return out
  }

  step(node: Node, workflowName: string): LoweredStep {
    const step = node.step
    const base = {
      id: node.id,
      node,
      needs: [...new Set([...node.needs, ...node.ext])].sort(),
      policies: this.policies(node),
      output: node.type ?? T.unknown
    }
    switch (step.type) {
      case "llm":
        return {
          ...base,
          kind: "llm",
          attempts: [
            { provider: node.provider!, model: node.model! },
            // Fail over only on provider failures (retryable errors); a bad request fails at once.
            ...(step.fallback ?? []).flatMap((fb) => fb.provider === undefined ? [] : [{ provider: fb.provider, model: fb.model ?? node.model! }])
          ],
          prompt: this.template(node, "prompt", "text"),
          system: step.system === undefined ? undefined : this.template(node, "system", "text"),
          temperature: step.temperature,
          maxTokens: step.max_tokens,
          schema: step.output_schema === undefined ? undefined : base.output,
          stream: step.stream === true
        }
      case "embed":
        return { ...base, kind: "embed", provider: node.provider!, model: node.model!, input: this.template(node, "input", "text") }
      case "vector_search":
        return {
          ...base,
          kind: "vector_search",
          store: step.database,
          collection: step.index,
          query: step.query === undefined ? undefined : this.template(node, "query", "value"),
          topK: step.top_k ?? 5,
          mode: step.mode ?? "vector",
          text: step.text === undefined ? undefined : this.template(node, "text", "text"),
          weights: { vector: step.weights?.vector ?? 1, keyword: step.weights?.keyword ?? 1 }
        }
      case "chunk":
        return {
          ...base,
          kind: "chunk",
          input: this.template(node, "input", "text"),
          source: step.source === undefined ? undefined : this.template(node, "source", "text"),
          model: step.model,
          chunking: { strategy: step.strategy, maxTokens: step.max_tokens, overlap: step.overlap }
        }
      case "ingest":
        return {
          ...base,
          kind: "ingest",
          store: step.database,
          collection: step.index,
          paths: step.paths.map((_, i) => this.template(node, `paths.${i}`, "text")),
          include: step.include,
          exclude: step.exclude,
          provider: node.provider!,
          model: node.model!,
          chunking: { strategy: step.strategy, maxTokens: step.max_tokens, overlap: step.overlap }
        }
      case "rerank":
        return {
          ...base,
          kind: "rerank",
          reranker: step.reranker,
          query: this.template(node, "query", "text"),
          documents: this.template(node, "documents", "value"),
          topN: step.top_n,
          provider: node.provider,
          model: node.model,
          lambda: step.lambda
        }
      case "context":
        return {
          ...base,
          kind: "context",
          passages: this.template(node, "passages", "value"),
          maxTokens: step.max_tokens,
          model: step.model,
          order: step.order ?? "relevance"
        }
      case "transform": {
        const fn = transforms[step.function as TransformName]
        const list = step.inputs !== undefined
          ? step.inputs.map((_, i) => this.template(node, `inputs.${i}`, "value"))
          : [this.template(node, "input", "value")]
        const arg: Expr | { kind: "list"; items: ReadonlyArray<Expr> } = fn.takes === "list"
          ? { kind: "list", items: list }
          : fn.takes === "template"
          ? this.template(node, "template", "text")
          : step.input !== undefined
          ? this.template(node, "input", "value")
          : list[0] ?? { kind: "literal", value: undefined }
        return { ...base, kind: "transform", fn, arg }
      }
      case "action":
        return {
          ...base,
          kind: "action",
          action: step.action,
          params: Object.keys(step).sort().filter((k) => !F.actionReservedKeys.includes(k)).map((k) =>
            [k, this.param(node, (step as Record<string, unknown>)[k], [k])] as const
          ),
          schema: step.output_schema === undefined ? undefined : base.output
        }
      case "wait":
      case "approval":
        return { ...base, kind: "wait", request: step.request === undefined ? undefined : this.template(node, "request", "text") }
      case "parallel":
        return {
          ...base,
          kind: "parallel",
          members: (node.members ?? [])
            .map((id) => this.analysis.nodes.get(id)!)
            .filter((m) => m.outputName !== undefined)
            .map((m) => ({ name: m.outputName!, id: m.id, local: m.scope.kind === "body" }))
        }
      case "branch": {
        const names = [...node.cases!.keys(), ...(node.defaultCase !== undefined ? ["default"] : [])]
        const cases = names.map((name) => {
          const scope = name === "default" && node.defaultCase !== undefined ? node.defaultCase : node.cases!.get(name)!
          const nested = `${workflowName}/${node.id}/${name}`
          return { name, workflowName: nested, block: this.block(scope, nested) }
        })
        const c = node.condition!
        let on: Extract<LoweredStep, { kind: "branch" }>["on"]
        if (c.op !== undefined) on = { kind: "condition", condition: this.condition(node) }
        else {
          const access = this.access(c.left)
          const t = staticType(access)
          // An enum output routed case by case: the value is the case (generated code: the compiler checks exhaustiveness).
          const exact = t.kind === "literal" && node.defaultCase === undefined && t.values.every((x) => typeof x === "string") &&
            t.values.length === names.length && names.every((n) => t.values.includes(n))
          on = { kind: exact ? "enum" : "value", access }
        }
        return { ...base, kind: "branch", on, cases }
      }
      case "map":
        return {
          ...base,
          kind: "map",
          over: this.template(node, "over", "value"),
          overLabel: `${node.id}.over`,
          concurrency: step.concurrency ?? this.workflowFile.defaults?.concurrency,
          body: this.body(node)
        }
      case "loop":
        return {
          ...base,
          kind: "loop",
          initial: step.initial !== undefined ? this.template(node, "initial", "value") : { kind: "literal", value: null },
          until: this.condition(node),
          maxIterations: step.max_iterations!,
          onMaxIterations: step.on_max_iterations,
          body: this.body(node)
        }
      case "workflow": {
        const sub = lower(node.sub!, this.cache)
        return { ...base, kind: "call", sub, input: this.callInput(node, "", node.sub!, sub, step.input) }
      }
    }
  }
}

/**
 * The path into a branch's `{ case, value }` for a YAML path: case outputs are keyed by step id in the engine, by
 * output name in YAML.
 */
const casePath = (n: Node, path: ReadonlyArray<string | number>): ReadonlyArray<string | number> => {
  if (path[0] !== "value" || typeof path[1] !== "string") return path
  const inner = [...(n.cases?.values() ?? []), ...(n.defaultCase ? [n.defaultCase] : [])]
    .map((s) => s.byName.get(path[1] as string))
    .find((x) => x !== undefined)
  return ["value", inner?.id ?? path[1], ...path.slice(2)]
}

/**
 * The path into the outputs record of a sub-workflow without `outputs:` (its steps by id) for a YAML path that starts
 * with an output name: the producer's id, then where its result is (a loop's `value`, a callee's `_outputs`).
 */
const calleePath = (sub: Analysis, path: ReadonlyArray<string | number>): ReadonlyArray<string | number> => {
  const name = path[0]
  const producer = typeof name === "string" ? sub.root.byName.get(name) : undefined
  if (producer === undefined) return path
  const rest = path.slice(1)
  switch (producer.step.type) {
    case "loop":
      return [producer.id, "value", ...rest]
    case "workflow":
      return producer.sub!.workflow?.outputs !== undefined
        ? [producer.id, "_outputs", ...rest]
        : [producer.id, ...calleePath(producer.sub!, rest)]
    case "branch":
      return [producer.id, ...casePath(producer, rest)]
    default:
      return [producer.id, ...rest]
  }
}

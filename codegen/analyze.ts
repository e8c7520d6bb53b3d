/**
 * Semantic analysis of a decoded workflow file: names, references, dependencies, types, cycles, resources.
 * Both the code generator and the interpreter consume its result ({@link Analysis}); `validate` prints its diagnostics.
 *
 * @example
 * ```ts
 * const a = analyzeSource("wf.yaml", text)
 * a.diagnostics.map(formatDiagnostic)
 * a.root.nodes.map((n) => [n.id, [...n.needs]])
 * ```
 */
import { dirname, resolve } from "node:path"
import { Schema } from "effect"
import * as Catalogue from "../src/providers/catalogue/Catalogue.ts"
import { type Diagnostic, sortDiagnostics } from "./Diagnostic.ts"
import { closest, didYouMean } from "./didYouMean.ts"
import { parseSource, type Path, type SourceFile } from "./SourceFile.ts"
import { filters } from "./filters.ts"
import { type TransformDef, type TransformName, transforms } from "./transforms.ts"
import { type FilterName, filterNames, parseCondition, parseTemplate, type Condition, type Ref, type Template } from "./Template.ts"
import { assignable, chunkType, contextType, fromTypeSpec, hitType, ingestType, isArrayLike, isNumeric, showType, T, type Field, type Type } from "./Type.ts"
import { placeholderAction, repair, schemaDiagnostics } from "./schemaDiagnostics.ts"
import { typeSchema } from "./typeSchema.ts"
import * as F from "./WorkflowFile.ts"
import { confine, defaultMaxFileBytes, type ReadResult, readWorkflowText } from "./workflowFileAccess.ts"

/**
 * LLM providers the runtime ships adapters for (the provider catalogue's language models).
 *
 * @example
 * ```ts
 * didYouMean("opnai", knownProviders) // ' (did you mean "openai"?)'
 * ```
 */
export const knownProviders: ReadonlyArray<string> = Catalogue.ids("llm")
/**
 * Providers that serve embeddings (the provider catalogue's embedding models).
 *
 * @example
 * ```ts
 * knownEmbeddingProviders.includes("openai") // true
 * ```
 */
export const knownEmbeddingProviders: ReadonlyArray<string> = Catalogue.ids("embeddings")

/**
 * A list of steps analysed together: the file's root, a branch case, or a map/loop body, with its names and locals.
 *
 * @example
 * ```ts
 * const a = analyzeSource("wf.yaml", text)
 * a.root.nodes.map((n) => n.id) // step ids of the top-level list, in file order
 * a.root.byName.get("summary")?.id // id of the step whose `output` is "summary"
 * ```
 */
export interface Scope {
  readonly kind: "root" | "case" | "body"
  readonly parent: Scope | undefined
  readonly owner: Node | undefined
  readonly caseName?: string
  readonly nodes: Array<Node>
  readonly byName: Map<string, Node>
  readonly locals: Map<string, Type>
  /** map/loop body: the node whose output is the body's result. */
  result?: Node
}

/**
 * One analysed step: its YAML step, place, scope, what it waits for, resolved provider/model, parsed templates and type.
 *
 * @example
 * ```ts
 * const n = analyzeSource("wf.yaml", text).nodes.get("answer")
 * n && [...n.needs] // ids of the steps "answer" waits for
 * n?.type && showType(n.type) // its output type, e.g. "string"
 * ```
 */
export interface Node {
  readonly id: string
  readonly step: F.Step
  readonly path: Path
  readonly scope: Scope
  readonly outputName: string | undefined
  /** Ids of steps in the same scope this node waits for (template references, depends_on, lifted from nested steps). */
  readonly needs: Set<string>
  /** Ids of steps outside this node's scope that it (or a nested step) reads: a branch case's externals. */
  readonly ext: Set<string>
  /** Resolved provider/model for llm and embed steps (after defaults). */
  provider?: string
  model?: string
  readonly templates: Map<string, Template>
  condition?: Condition
  cases?: Map<string, Scope>
  defaultCase?: Scope
  body?: Scope
  members?: ReadonlyArray<string>
  sub?: Analysis
  /** The degraded sub-workflows of the step's `fallback` entries, by entry index, with the output that serves. */
  fallbackSubs?: Map<number, { readonly analysis: Analysis; readonly output: string }>
  type?: Type
}

/**
 * Everything known about one workflow file after analysis; the input of {@link generateModule} and `interpret`.
 *
 * @example
 * ```ts
 * const a: Analysis = analyzeFile("examples/parallel-rag.yaml")
 * errorsOf(a.diagnostics).length === 0 // valid
 * [...a.resources.providers] // e.g. ["openai"]
 * ```
 */
export interface Analysis {
  readonly file: string
  readonly source: SourceFile
  readonly workflow: F.WorkflowFile | undefined
  readonly diagnostics: Array<Diagnostic>
  readonly inputs: Map<string, Field>
  readonly inputsDeclared: boolean
  readonly root: Scope
  readonly nodes: Map<string, Node>
  readonly outputs: Map<string, { readonly template: Template; readonly type: Type; readonly path: Path }>
  /** What each reference of the file resolves to. */
  readonly resolutions: Map<Ref, Resolution>
  readonly resources: {
    readonly providers: Set<string>
    readonly stores: Set<string>
    readonly actions: Set<string>
    /** Named re-rankers of rerank steps (not `mmr`, which runs on an embedding provider). */
    readonly rerankers: Set<string>
  }
}

/**
 * What a `{{ name }}` resolves to.
 *
 * @example
 * ```ts
 * const [ref, res] = [...analyzeSource("wf.yaml", text).resolutions][0]!
 * res.kind === "output" ? res.producer : res.name // the step id, or the input/local name
 * ```
 */
export type Resolution =
  | { readonly kind: "input"; readonly name: string }
  | { readonly kind: "output"; readonly producer: string }
  | { readonly kind: "local"; readonly name: "item" | "index" | "previous" | "iteration"; readonly owner: string }

/**
 * Options of {@link analyzeFile}/{@link analyzeSource}: how sub-workflow files are read and cached, and which
 * directories they may come from.
 *
 * @example
 * ```ts
 * const files: Record<string, string> = { "/wf/sub.yaml": "name: sub\nsteps: [...]" }
 * analyzeSource("/wf/main.yaml", text, { readFile: (p) => files[p] })
 * analyzeFile("wf/main.yaml", { allowedDirs: ["shared/workflows"] }) // main.yaml may call ../shared/workflows/x.yaml
 * ```
 */
export interface AnalyzeOptions {
  /**
   * Reads a workflow file (undefined: it cannot be read). Default: a regular file of at most `maxFileBytes`, read
   * without blocking; devices, FIFOs and larger files are refused with the reason.
   */
  readonly readFile?: (path: string) => string | undefined
  /**
   * The directory tree sub-workflow `file:` paths must stay in. Default: the directory of the file analysed first
   * (the entry), kept for the files it calls. Symbolic links are resolved when files are read from disk.
   */
  readonly root?: string
  /** More directories sub-workflow files may come from (shared workflow libraries). */
  readonly allowedDirs?: ReadonlyArray<string>
  /** Provider names workflows may use, when more than the catalogue's (providers defined in the config file). */
  readonly providers?: { readonly llm?: ReadonlyArray<string>; readonly embeddings?: ReadonlyArray<string> } | undefined
  /** The largest workflow file read, in bytes (default 1 MiB). */
  readonly maxFileBytes?: number
  /** Files being analysed up the call chain (cycle detection between workflow files). */
  readonly stack?: ReadonlyArray<string>
  readonly cache?: Map<string, Analysis>
}

const newScope = (kind: Scope["kind"], parent: Scope | undefined, owner: Node | undefined, caseName?: string): Scope => ({
  kind,
  parent,
  owner,
  ...(caseName === undefined ? {} : { caseName }),
  nodes: [],
  byName: new Map(),
  locals: new Map()
})

const readWith = (path: string, options: AnalyzeOptions): ReadResult => {
  if (options.readFile === undefined) return readWorkflowText(path, options.maxFileBytes ?? defaultMaxFileBytes)
  try {
    const text = options.readFile(path)
    return text === undefined ? { error: "cannot be read" } : { text }
  } catch (e) {
    return { error: messageOf(e) }
  }
}

const emptyAnalysis = (file: string, text: string, message: string): Analysis => {
  const src = parseSource(file, text.length > 100_000 ? "" : text)
  return {
    file,
    source: src,
    workflow: undefined,
    diagnostics: [{ file, line: 1, column: 1, severity: "error", message }],
    inputs: new Map(),
    inputsDeclared: false,
    root: newScope("root", undefined, undefined),
    nodes: new Map(),
    outputs: new Map(),
    resolutions: new Map(),
    resources: { providers: new Set(), stores: new Set(), actions: new Set(), rerankers: new Set() }
  }
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/**
 * Parse, decode and analyse one workflow file. Never throws on bad input: every problem is a diagnostic, sorted by
 * position.
 *
 * @example
 * ```ts
 * const a = analyzeSource("wf.yaml", "name: x\nsteps:\n  - { id: a, type: lm }\n")
 * a.diagnostics[0]?.message // 'unknown step type "lm" (did you mean "llm"?); ...'
 * ```
 */
export const analyzeSource = (file: string, text: string, options: AnalyzeOptions = {}): Analysis => {
  try {
    return analyzeText(file, text, options)
  } catch (e) {
    // A defect anywhere (parser, schema, analyzer) is still a located diagnostic of this file, never a crash.
    return emptyAnalysis(file, text, `internal error: ${messageOf(e)}`)
  }
}

const analyzeText = (file: string, text: string, options: AnalyzeOptions): Analysis => {
  const src = parseSource(file, text)
  const diagnostics: Array<Diagnostic> = [...src.syntaxErrors]
  const root = newScope("root", undefined, undefined)
  const analysis: Analysis = {
    file,
    source: src,
    workflow: undefined,
    diagnostics,
    inputs: new Map(),
    inputsDeclared: false,
    root,
    nodes: new Map(),
    outputs: new Map(),
    resolutions: new Map(),
    resources: { providers: new Set(), stores: new Set(), actions: new Set(), rerankers: new Set() }
  }
  if (diagnostics.some((d) => d.severity === "error")) return analysis
  if (src.value === null || typeof src.value !== "object" || Array.isArray(src.value)) {
    diagnostics.push({ file, line: 1, column: 1, severity: "error", message: "a workflow file must be a mapping with name and steps" })
    return analysis
  }
  const schema = schemaDiagnostics(src)
  if (schema.diagnostics.length > 0) {
    diagnostics.push(...schema.diagnostics)
    // Check the rest of the file too, with the broken steps replaced: several problems are reported in one pass.
    const repaired = repair(src.value, schema.paths)
    const decoded = repaired === undefined ? undefined : Schema.decodeUnknownResult(F.WorkflowFile)(repaired)
    if (decoded?._tag === "Success") {
      const partial: Analysis = { ...analysis, diagnostics: [], workflow: decoded.success, inputsDeclared: decoded.success.inputs !== undefined }
      try {
        new Analyzer(partial, options).run()
        diagnostics.push(...partial.diagnostics.filter((d) => d.severity === "error"))
      } catch {
        // The schema errors are what matter here.
      }
    }
    diagnostics.splice(0, diagnostics.length, ...sortDiagnostics(diagnostics))
    return analysis
  }
  const wf = Schema.decodeUnknownSync(F.WorkflowFile)(src.value)
  const full: Analysis = { ...analysis, workflow: wf, inputsDeclared: wf.inputs !== undefined }
  try {
    new Analyzer(full, options).run()
  } catch (e) {
    // A defect in the analyzer must still surface as a diagnostic, never as a crash of `validate`.
    diagnostics.push({ file, line: 1, column: 1, severity: "error", message: `internal error: ${messageOf(e)}` })
  }
  const sorted = sortDiagnostics(diagnostics)
  diagnostics.splice(0, diagnostics.length, ...sorted)
  return full
}

/**
 * Read and analyse a file from disk (sub-workflow files are read relative to it).
 *
 * @example
 * ```ts
 * analyzeFile("examples/map-reduce.yaml").nodes.get("summarize_each")?.step.type // "map"
 * ```
 */
export const analyzeFile = (path: string, options: AnalyzeOptions = {}): Analysis => {
  const read = readWith(path, options)
  if ("error" in read) return emptyAnalysis(path, "", `cannot read ${path}: ${read.error}`)
  return analyzeSource(path, read.text, options)
}

interface Resolved {
  readonly type: Type
  readonly producer: Node | undefined
}

class Analyzer {
  readonly wf: F.WorkflowFile
  readonly src: SourceFile
  readonly allNames = new Map<string, Node>()
  readonly referenced = new Set<string>()
  readonly typing = new Set<string>()
  /** The directory tree sub-workflow files must stay in (see {@link AnalyzeOptions.root}). */
  readonly root: string
  constructor(readonly a: Analysis, readonly options: AnalyzeOptions) {
    this.wf = a.workflow!
    this.src = a.source
    this.root = resolve(options.root ?? dirname(a.file))
  }

  readonly reported = new Set<string>()
  error(path: Path, message: string, opts?: { key?: boolean; text?: string }) {
    const pos = opts?.text !== undefined ? this.src.locateText(path, opts.text) : this.src.locate(path, opts?.key === true ? { key: true } : undefined)
    const key = `${pos.line}:${pos.column}:${message}`
    if (this.reported.has(key)) return
    this.reported.add(key)
    this.a.diagnostics.push({ file: this.a.file, ...pos, severity: "error", message })
  }
  warn(path: Path, message: string, opts?: { text?: string }) {
    const pos = opts?.text !== undefined ? this.src.locateText(path, opts.text) : this.src.locate(path)
    this.a.diagnostics.push({ file: this.a.file, ...pos, severity: "warning", message })
  }

  /** The branch whose condition is being resolved: an unknown name there is an error, never a new input. */
  branchCondition: Node | undefined
  /** Bare names taken as inputs (no inputs: block), at their first use; warned about unless also read as input.<name>. */
  readonly inferred = new Map<string, { readonly where: Path; readonly ref: Ref; readonly scope: Scope }>()
  /** Inputs read explicitly, as {{ input.<name> }}. */
  readonly explicitInputs = new Set<string>()

  run() {
    for (const [name, spec] of Object.entries(this.wf.inputs ?? {})) {
      const def = typeof spec === "object" && spec.default !== undefined
      const type = fromTypeSpec(spec)
      this.a.inputs.set(name, { type, optional: def })
      if (def && Schema.decodeUnknownResult(typeSchema(type))(spec.default)._tag === "Failure") {
        this.error(["inputs", name, "default"], `the default of input "${name}" must be ${showType(type)}, got ${JSON.stringify(spec.default)}`)
      }
    }
    const d = this.wf.defaults
    const llmProviders = this.llmProviders()
    if (d?.provider !== undefined && !llmProviders.includes(d.provider)) {
      this.error(["defaults", "provider"], `unknown provider "${d.provider}"${didYouMean(d.provider, llmProviders)}; known: ${llmProviders.join(", ")}`)
    }
    this.collect(this.wf.steps, ["steps"], this.a.root)
    for (const node of this.a.nodes.values()) this.typeOf(node)
    for (const node of this.a.nodes.values()) this.fallbackValues(node)
    for (const node of this.a.nodes.values()) this.references(node)
    this.workflowOutputs()
    this.cycles(this.a.root)
    this.unused()
    this.inferredInputs()
  }

  // ---- 1. collect nodes and scopes ----
  collect(steps: ReadonlyArray<F.Step>, path: Path, scope: Scope): Array<Node> {
    const made: Array<Node> = []
    steps.forEach((step, i) => {
      const p = [...path, i]
      if (this.a.nodes.has(step.id)) {
        this.error([...p, "id"], `duplicate step id "${step.id}"`)
        return
      }
      const node: Node = {
        id: step.id,
        step,
        path: p,
        scope,
        outputName: step.output,
        needs: new Set(),
        ext: new Set(),
        templates: new Map()
      }
      this.a.nodes.set(step.id, node)
      scope.nodes.push(node)
      made.push(node)
      if (step.output !== undefined) {
        const prev = this.allNames.get(step.output)
        if (prev !== undefined) this.error([...p, "output"], `duplicate output name "${step.output}" (also the output of step "${prev.id}")`)
        else {
          this.allNames.set(step.output, node)
          scope.byName.set(step.output, node)
        }
        if (["input", "item", "index", "previous", "iteration"].includes(step.output)) {
          this.error([...p, "output"], `"${step.output}" is reserved and cannot be an output name`)
        }
      }
      this.resources(node, p)
      if (scope.kind === "body" && (step.type === "wait" || step.type === "approval")) {
        this.error([...p, "type"], `${step.type === "approval" ? "an approval" : "a wait"} step inside the body of ${scope.owner?.step.type} "${scope.owner?.id}" is not supported (a run suspends at a top-level step); move it out of the ${scope.owner?.step.type} or into a sub-workflow (type: workflow)`)
      }
      if (step.type === "wait" && step.value === undefined) {
        this.error(p, `wait step "${step.id}" needs a value type (value: { type: object, properties: ... }); an approval step has one by default`)
      }
      if (scope.kind === "body" && (step.type === "branch" || step.type === "map" || step.type === "loop")) {
        this.error([...p, "type"], `a ${step.type} inside the body of ${scope.owner?.step.type} "${scope.owner?.id}" is not supported; move it into a sub-workflow (type: workflow)`)
      }
      switch (step.type) {
        case "parallel": {
          const members = this.collect(step.tasks, [...p, "tasks"], scope)
          node.members = members.map((m) => m.id)
          for (const m of members) node.needs.add(m.id)
          break
        }
        case "branch": {
          node.cases = new Map()
          for (const [c, list] of Object.entries(step.branches)) {
            const s = newScope("case", scope, node, c)
            this.collect(list, [...p, "branches", c], s)
            node.cases.set(c, s)
          }
          if (step.default !== undefined) {
            const s = newScope("case", scope, node, "default")
            this.collect(step.default, [...p, "default"], s)
            node.defaultCase = s
          }
          break
        }
        case "map":
        case "loop": {
          const s = newScope("body", scope, node)
          this.collect(step.steps, [...p, "steps"], s)
          node.body = s
          if (step.steps.length === 0) this.error([...p, "steps"], `${step.type} "${step.id}" has an empty body`)
          const resultNode = step.result !== undefined
            ? s.byName.get(step.result)
            : [...s.nodes].reverse().find((n) => n.outputName !== undefined) // default: the last step with an output
          if (step.result !== undefined && resultNode === undefined) {
            this.error([...p, "result"], `result "${step.result}" is not an output of the ${step.type} body${didYouMean(step.result, s.byName.keys())}`)
          } else if (resultNode === undefined && step.steps.length > 0) {
            this.error([...p, "steps"], `the ${step.type} body of "${step.id}" produces no output: give a step an output or set result`)
          }
          if (resultNode !== undefined) s.result = resultNode
          if (step.type === "loop" && step.max_iterations === undefined) {
            this.error(p, `loop "${step.id}" needs max_iterations (a loop must be bounded)`)
          }
          break
        }
        case "workflow": {
          const sub = this.loadSub([...p, "file"], step.file)
          if (sub !== undefined) {
            node.sub = sub
            this.checkSubInputs(p, step.file, sub, step.input)
          }
          break
        }
      }
    })
    return made
  }

  /**
   * Read and analyse the workflow file a `workflow` step or a workflow fallback calls (errors at `at`, the `file`
   * field): no cycles, confined to the project's tree, read once per analysis.
   */
  loadSub(at: Path, file: string): Analysis | undefined {
    const target = resolve(dirname(this.a.file), file)
    const stack = this.options.stack ?? [this.a.file]
    if (stack.includes(target) || resolve(this.a.file) === target) {
      this.error(at, `workflow files call each other in a cycle: ${[...stack, target].join(" -> ")}`)
      return undefined
    }
    const dirs = { root: this.root, allowed: (this.options.allowedDirs ?? []).map((d) => resolve(d)) }
    const refused = confine(file, target, dirs, this.options.readFile === undefined)
    if (refused !== undefined) {
      this.error(at, `workflow file "${file}" ${refused}`)
      return undefined
    }
    const cache = this.options.cache ?? new Map<string, Analysis>()
    let sub = cache.get(target)
    if (sub === undefined) {
      const read = readWith(target, this.options)
      if ("error" in read) {
        this.error(at, `cannot read workflow file "${file}": ${read.error}`)
        return undefined
      }
      sub = analyzeSource(target, read.text, { ...this.options, root: this.root, stack: [...stack, target], cache })
    }
    cache.set(target, sub)
    const subErrors = sub.diagnostics.filter((x) => x.severity === "error")
    if (subErrors.length > 0) {
      this.error(at, `workflow file "${file}" is invalid (${subErrors.length} error(s); first: ${subErrors[0]!.line}:${subErrors[0]!.column}: ${subErrors[0]!.message})`)
      return undefined
    }
    return sub
  }

  /** The inputs given to a called workflow (at `p`, whose `input` field holds them) against the ones it declares. */
  checkSubInputs(p: Path, file: string, sub: Analysis, input: { readonly [k: string]: string } | undefined) {
    const given = Object.keys(input ?? {})
    for (const k of given) {
      if (sub.inputsDeclared && !sub.inputs.has(k)) {
        this.error([...p, "input", k], `workflow "${file}" has no input "${k}"${didYouMean(k, sub.inputs.keys())}`, { key: true })
      }
    }
    for (const [k, f] of sub.inputs) {
      if (!f.optional && !given.includes(k)) this.error([...p, "input"], `missing input "${k}" for workflow "${file}"`)
    }
  }

  llmProviders(): ReadonlyArray<string> {
    return [...knownProviders, ...(this.options.providers?.llm ?? [])]
  }

  resources(node: Node, p: Path) {
    const step = node.step
    const d = this.wf.defaults
    const checkProvider = (provider: string, where: Path, list: ReadonlyArray<string>) => {
      if (!list.includes(provider)) this.error(where, `unknown provider "${provider}"${didYouMean(provider, list)}; known: ${list.join(", ")}`)
      else this.a.resources.providers.add(provider)
    }
    if (step.type === "llm") {
      const provider = step.provider ?? d?.provider
      const model = step.model ?? d?.model
      if (provider === undefined) this.error(p, `llm step "${step.id}" needs a provider (or defaults.provider)`)
      else checkProvider(provider, step.provider !== undefined ? [...p, "provider"] : ["defaults", "provider"], this.llmProviders())
      if (model === undefined) this.error(p, `llm step "${step.id}" needs a model (or defaults.model)`)
      if (provider !== undefined) node.provider = provider
      if (model !== undefined) node.model = model
      if (step.stream === true && step.output_schema !== undefined) {
        this.error([...p, "stream"], `llm step "${step.id}" cannot stream a structured answer: remove stream or output_schema`)
      }
    } else if (step.type === "embed") {
      const provider = step.provider ?? d?.embedding_provider ?? d?.provider
      const model = step.model ?? d?.embedding_model
      if (provider === undefined) this.error(p, `embed step "${step.id}" needs a provider (or defaults.embedding_provider)`)
      else checkProvider(provider, step.provider !== undefined ? [...p, "provider"] : ["defaults"], [...knownEmbeddingProviders, ...(this.options.providers?.embeddings ?? [])])
      if (model === undefined) this.error(p, `embed step "${step.id}" needs a model (or defaults.embedding_model)`)
      if (provider !== undefined) node.provider = provider
      if (model !== undefined) node.model = model
    } else if (step.type === "vector_search") {
      this.a.resources.stores.add(step.database)
      const mode = step.mode ?? "vector"
      if (mode !== "keyword" && step.query === undefined) this.error(p, `vector_search step "${step.id}" needs query (the query vector) in ${mode} mode`)
      if (mode !== "vector" && step.text === undefined) this.error(p, `vector_search step "${step.id}" needs text (the query text) in ${mode} mode`)
      if (mode === "vector" && step.text !== undefined) this.error([...p, "text"], `text is only used in hybrid and keyword modes: add mode: hybrid or remove text`)
      if (mode === "vector" && step.weights !== undefined) this.error([...p, "weights"], `weights are only used in hybrid mode: add mode: hybrid or remove weights`)
      if (mode === "hybrid" && step.weights !== undefined && (step.weights.vector ?? 1) + (step.weights.keyword ?? 1) <= 0) {
        this.error([...p, "weights"], `at least one weight must be positive`)
      }
    } else if (step.type === "ingest" || (step.type === "rerank" && step.reranker === "mmr")) {
      if (step.type === "ingest") this.a.resources.stores.add(step.database)
      const provider = step.provider ?? d?.embedding_provider ?? d?.provider
      const model = step.model ?? d?.embedding_model
      const what = `${step.type} step "${step.id}"`
      if (provider === undefined) this.error(p, `${what} needs an embedding provider (provider, or defaults.embedding_provider)`)
      else checkProvider(provider, step.provider !== undefined ? [...p, "provider"] : ["defaults"], [...knownEmbeddingProviders, ...(this.options.providers?.embeddings ?? [])])
      if (model === undefined) this.error(p, `${what} needs an embedding model (model, or defaults.embedding_model)`)
      if (provider !== undefined) node.provider = provider
      if (model !== undefined) node.model = model
    } else if (step.type === "rerank") {
      if (step.lambda !== undefined) this.error([...p, "lambda"], `lambda is a setting of the mmr re-ranker, not of "${step.reranker}"`)
      if (step.provider !== undefined) this.error([...p, "provider"], `provider is a setting of the mmr re-ranker (its embedding provider); "${step.reranker}" is the provider here`)
      if (step.model !== undefined) this.error([...p, "model"], `model is a setting of the mmr re-ranker (its embedding model); set the re-rank model of "${step.reranker}" in its provider configuration`)
      this.a.resources.rerankers.add(step.reranker)
    } else if (step.type === "context") {
      if (step.max_tokens === undefined && step.model === undefined) {
        this.error(p, `context step "${step.id}" needs max_tokens or model (the reading model, whose context window sets the budget)`)
      }
    }
    if ((step.type === "chunk" || step.type === "ingest") && step.max_tokens !== undefined && step.overlap !== undefined && step.overlap >= step.max_tokens) {
      this.error([...p, "overlap"], `overlap (${step.overlap}) must be smaller than max_tokens (${step.max_tokens})`)
    } else if (step.type === "action") {
      if (step.action !== placeholderAction) this.a.resources.actions.add(step.action)
    } else if (step.type === "transform") {
      if (!(F.transformFunctions as ReadonlyArray<string>).includes(step.function)) {
        this.error([...p, "function"], `unknown transform function "${step.function}"${didYouMean(step.function, F.transformFunctions)}; known: ${F.transformFunctions.join(", ")}`)
      }
      const hasInputs = step.inputs !== undefined || step.input !== undefined
      if (step.function === "template" && step.template === undefined) this.error(p, `transform "template" needs a template field`)
      if (step.function !== "template" && !hasInputs) this.error(p, `transform "${step.function}" needs input or inputs`)
    }
    this.fallbacks(node, p, (provider, where) => checkProvider(provider, where, this.llmProviders()))
  }

  /**
   * A step's `fallback` entries: exactly one of provider / value / cached each; provider entries (llm steps only) come
   * first, since they are tried inside each attempt and the others after the last one; value and cached entries are
   * engine fallbacks, so they serve top-level and branch-case steps, not the steps of a map or loop body. The type of a
   * `value` is checked with the step's type (see {@link fallbackValues}).
   */
  fallbacks(node: Node, p: Path, checkProvider: (provider: string, where: Path) => void) {
    const list = (node.step as { readonly fallback?: ReadonlyArray<typeof F.Fallback.Type> }).fallback
    if (list === undefined) return
    let engineEntry = false
    list.forEach((f, i) => {
      const at = [...p, "fallback", i]
      const kinds = (["provider", "value", "cached", "workflow"] as const).filter((k) => f[k] !== undefined)
      if (kinds.length !== 1) {
        this.error(at, `fallback ${i} of step "${node.id}" must have exactly one of provider, value, cached, workflow${kinds.length > 1 ? ` (it has ${kinds.join(", ")})` : ""}`)
        return
      }
      const kind = kinds[0]!
      if (f.model !== undefined && kind !== "provider") this.error([...at, "model"], `fallback ${i} of step "${node.id}": model goes with provider`, { key: true })
      if (kind === "provider") {
        if (node.step.type !== "llm") {
          this.error([...at, "provider"], `only llm steps fall back to another provider; "${node.id}" is a ${node.step.type} step (use value, cached or workflow)`, { key: true })
        } else if (engineEntry) {
          this.error(at, `fallback ${i} of step "${node.id}": provider entries come before value, cached and workflow ones (providers are tried inside each attempt, the others after the last attempt)`)
        } else checkProvider(f.provider!, [...at, "provider"])
        return
      }
      engineEntry = true
      if (kind === "cached" && f.cached === false) this.error([...at, "cached"], `fallback ${i} of step "${node.id}": cached: false is no fallback (remove the entry)`)
      if (node.scope.kind === "body") {
        this.error([...at, kind], `step "${node.id}" is in a map or loop body, where only provider fallbacks apply; value, cached and workflow fallbacks serve top-level and branch-case steps`, { key: true })
        return
      }
      if (kind === "workflow") this.fallbackWorkflow(node, at, i, f.workflow!)
    })
  }

  /**
   * A degraded sub-workflow fallback: its file is read and checked as a `workflow` step's, its inputs are given, and
   * `output` names one of its outputs (or it has exactly one); the output's type is checked in {@link fallbackValues}.
   */
  fallbackWorkflow(node: Node, at: Path, i: number, fb: NonNullable<typeof F.Fallback.Type["workflow"]>) {
    const p = [...at, "workflow"]
    const sub = this.loadSub([...p, "file"], fb.file)
    if (sub === undefined) return
    this.checkSubInputs(p, fb.file, sub, fb.input)
    const names = [...sub.outputs.keys()]
    if (fb.output !== undefined && !sub.outputs.has(fb.output)) {
      this.error([...p, "output"], `workflow "${fb.file}" has no output "${fb.output}"${didYouMean(fb.output, names)}; its outputs: ${names.join(", ") || "none"}`)
      return
    }
    if (fb.output === undefined && names.length !== 1) {
      this.error(p, `fallback ${i} of step "${node.id}": workflow "${fb.file}" has ${names.length === 0 ? "no outputs" : `outputs ${names.join(", ")}`}; name the one that serves as the step's output with output:`)
      return
    }
    const subs = (node.fallbackSubs ??= new Map())
    subs.set(i, { analysis: sub, output: fb.output ?? names[0]! })
  }

  /** A fallback `value` must have the step's output type (checked once the types are known). */
  fallbackValues(node: Node) {
    const list = (node.step as { readonly fallback?: ReadonlyArray<typeof F.Fallback.Type> }).fallback
    if (list === undefined || node.type === undefined) return
    const type = node.type
    list.forEach((f, i) => {
      const sub = node.fallbackSubs?.get(i)
      if (sub !== undefined) {
        const t = sub.analysis.outputs.get(sub.output)!.type
        if (!assignable(t, type)) {
          const where = [...node.path, "fallback", i, "workflow", ...(f.workflow?.output !== undefined ? ["output"] : [])]
          this.error(where, `output "${sub.output}" of fallback workflow "${f.workflow!.file}" is ${showType(t)}, but step "${node.id}" produces ${showType(type)}`)
        }
        return
      }
      if (!("value" in f) || f.provider !== undefined || f.cached !== undefined || f.workflow !== undefined) return
      if (Schema.decodeUnknownResult(typeSchema(type))(f.value)._tag === "Failure") {
        this.error([...node.path, "fallback", i, "value"], `the fallback value of step "${node.id}" must be ${showType(type)} (the step's output type), got ${JSON.stringify(f.value) ?? "nothing"}`)
      }
    })
  }

  // ---- 2. types ----
  typeOf(node: Node): Type {
    if (node.type !== undefined) return node.type
    if (this.typing.has(node.id)) return T.unknown
    this.typing.add(node.id)
    const t = this.computeType(node)
    this.typing.delete(node.id)
    node.type = t
    return t
  }

  refType(text: string | undefined, scope: Scope): Type {
    if (text === undefined) return T.unknown
    const { template } = parseTemplate(text)
    if (template.whole === undefined) return template.parts.length === 0 ? T.unknown : T.string
    const r = this.resolve(template.whole, scope, undefined, [], false)
    return r?.type ?? T.unknown
  }

  computeType(node: Node): Type {
    const step = node.step
    switch (step.type) {
      case "llm":
        return step.output_schema !== undefined ? fromTypeSpec(step.output_schema) : T.string
      case "embed":
        return T.array(T.number)
      case "vector_search":
      case "rerank":
        return T.array(hitType)
      case "chunk":
        return T.array(chunkType)
      case "ingest":
        return ingestType
      case "context":
        return contextType
      case "action":
        return step.output_schema !== undefined ? fromTypeSpec(step.output_schema) : T.unknown
      case "wait":
      case "approval":
        return fromTypeSpec(step.value ?? F.approvalValue)
      case "transform": {
        const ins = step.inputs ?? (step.input !== undefined ? [step.input] : [])
        const def = transforms[step.function as TransformName] as TransformDef | undefined
        return def === undefined ? T.unknown : def.type(ins.map((i) => this.refType(i, node.scope)))
      }
      case "parallel": {
        const fields: Record<string, Field> = {}
        for (const id of node.members ?? []) {
          const m = this.a.nodes.get(id)
          if (m?.outputName !== undefined) fields[m.outputName] = { type: this.typeOf(m), optional: false }
        }
        return T.object(fields)
      }
      case "branch": {
        const cases = [...(node.cases?.keys() ?? [])]
        const fields: Record<string, Field> = {}
        for (const s of [...(node.cases?.values() ?? []), ...(node.defaultCase ? [node.defaultCase] : [])]) {
          for (const [name, n] of s.byName) fields[name] = { type: this.typeOf(n), optional: true }
        }
        return T.object({
          case: { type: T.literal(node.defaultCase ? [...cases, "default"] : cases), optional: false },
          value: { type: T.object(fields), optional: false }
        })
      }
      case "map": {
        const r = node.body?.result
        return T.array(r === undefined ? T.unknown : this.typeOf(r))
      }
      case "loop": {
        const r = node.body?.result
        return r === undefined ? T.unknown : this.typeOf(r)
      }
      case "workflow": {
        const fields: Record<string, Field> = {}
        for (const [k, o] of node.sub?.outputs ?? []) fields[k] = { type: o.type, optional: false }
        return node.sub?.workflow === undefined ? T.unknown : T.object(fields)
      }
    }
  }

  // ---- 3. references ----
  /** Locals of a scope: item/index in a map body, previous/iteration in a loop body. */
  localType(scope: Scope, name: string): Type | undefined {
    const owner = scope.owner
    if (scope.kind !== "body" || owner === undefined) return undefined
    const step = owner.step
    if (step.type === "map") {
      if (name === (step.as ?? "item")) {
        const over = this.refType(step.over, owner.scope)
        return over.kind === "array" ? over.items : T.unknown
      }
      if (name === "index") return T.integer
    }
    if (step.type === "loop") {
      if (name === "iteration") return T.integer
      if (name === "previous") {
        const r = scope.result
        return r === undefined ? T.unknown : this.typeOf(r)
      }
    }
    return undefined
  }

  /**
   * Resolve a reference seen from `scope` (by `from`, null for workflow outputs). With `record`, report errors and
   * add the dependency to the node of `from`'s ancestry that lives in the producer's scope.
   */
  resolve(ref: Ref, scope: Scope, from: Node | undefined, where: Path, record: boolean): Resolved | undefined {
    const fail = (message: string) => {
      if (record) this.error(where, message, { text: ref.text })
      return undefined
    }
    let base: Resolved | undefined
    let rest = ref.path
    let label = ref.head
    if (ref.head === "input") {
      if (this.allNames.has("input")) return fail(`"input" is ambiguous: it is also an output name`)
      const name = rest[0]
      if (name === undefined) return fail(`{{ input }} needs a field: {{ input.<name> }}`)
      if (typeof name !== "string") return fail(`input fields are names, not indexes`)
      rest = rest.slice(1)
      label = `input.${name}`
      const decl = this.a.inputs.get(name)
      if (decl === undefined) {
        if (this.a.inputsDeclared) {
          return fail(`unknown input "${name}"${didYouMean(name, this.a.inputs.keys())}; declared inputs: ${[...this.a.inputs.keys()].join(", ") || "none"}`)
        }
        if (record) this.a.inputs.set(name, { type: T.string, optional: false })
        base = { type: T.string, producer: undefined }
      } else base = { type: decl.type, producer: undefined }
      if (record) {
        this.a.resolutions.set(ref, { kind: "input", name })
        this.explicitInputs.add(name)
      }
    } else {
      for (let s: Scope | undefined = scope; s !== undefined && base === undefined; s = s.parent) {
        const local = this.localType(s, ref.head)
        if (local !== undefined) {
          base = { type: local, producer: undefined }
          if (record) {
            const owner = s.owner!
            const name = owner.step.type === "map" ? (ref.head === "index" ? "index" : "item") : (ref.head as "previous" | "iteration")
            this.a.resolutions.set(ref, { kind: "local", name, owner: owner.id })
          }
        }
        const n = s.byName.get(ref.head)
        if (base === undefined && n !== undefined) {
          if (this.a.inputs.has(ref.head) && this.a.inputsDeclared) {
            return fail(`"${ref.head}" is ambiguous: both a workflow input and the output of step "${n.id}"; write {{ input.${ref.head} }} or rename the output`)
          }
          base = { type: this.typeOf(n), producer: n }
          if (record) this.a.resolutions.set(ref, { kind: "output", producer: n.id })
        }
      }
      if (base === undefined) {
        const inner = this.allNames.get(ref.head)
        const decl = this.a.inputs.get(ref.head)
        if (decl !== undefined) {
          base = { type: decl.type, producer: undefined }
          if (record) this.a.resolutions.set(ref, { kind: "input", name: ref.head })
        } else if (inner !== undefined) {
          const where2 = inner.scope.kind === "case"
            ? `case "${inner.scope.caseName}" of branch "${inner.scope.owner?.id}"`
            : `the body of ${inner.scope.owner?.step.type} "${inner.scope.owner?.id}"`
          return fail(`"${ref.head}" is defined inside ${where2} and is not visible here`)
        } else {
          const candidates = [...this.visibleNames(scope), ...this.a.inputs.keys()]
          const near = closest(ref.head, candidates)
          if (this.a.inputsDeclared || near !== undefined || from === undefined) {
            return fail(`unknown name "${ref.head}"${near !== undefined ? ` (did you mean "${near}"?)` : ""}; not an output or input`)
          }
          if (this.branchCondition !== undefined) {
            // A router on a name nothing produces is a mistake, not a new input.
            return fail(`unknown name "${ref.head}" in the condition of branch "${this.branchCondition.id}"; not an output or input (a branch routes on a step's output or a declared input)`)
          }
          // Without an inputs block, an unknown bare name is an input (the seed files work this way); it is warned
          // about at the end unless the file also reads it as {{ input.<name> }}.
          if (record) {
            this.a.inputs.set(ref.head, { type: T.string, optional: false })
            this.a.resolutions.set(ref, { kind: "input", name: ref.head })
            if (!this.inferred.has(ref.head)) this.inferred.set(ref.head, { where, ref, scope })
          }
          base = { type: T.string, producer: undefined }
        }
      }
    }
    if (base === undefined) return undefined
    if (record && base.producer !== undefined && from !== undefined) this.addNeed(from, base.producer, where, ref)
    if (record && base.producer?.outputName !== undefined) this.referenced.add(base.producer.outputName)
    let t = base.type
    for (const seg of rest) {
      const next = this.field(t, seg)
      if (typeof next === "string") return fail(`${label}: ${next}`)
      t = next
      label = `${label}.${seg}`
    }
    for (const f of ref.filters) {
      if (!(filterNames as ReadonlyArray<string>).includes(f.name)) {
        return fail(`unknown filter "${f.name}"${didYouMean(f.name, filterNames)}; known: ${filterNames.join(", ")}`)
      }
      const next = filters[f.name as FilterName].type(t, f.args, label)
      if ("error" in next) return fail(next.error)
      t = next
    }
    return { type: t, producer: base.producer }
  }

  visibleNames(scope: Scope): Array<string> {
    const names: Array<string> = []
    for (let s: Scope | undefined = scope; s !== undefined; s = s.parent) {
      names.push(...s.byName.keys())
      for (const l of ["item", "index", "previous", "iteration"]) if (this.localType(s, l) !== undefined) names.push(l)
    }
    return names
  }

  field(t: Type, seg: string | number): Type | string {
    switch (t.kind) {
      case "unknown":
        return T.unknown
      case "array":
        if (typeof seg === "number") return t.items
        if (seg === "length") return T.integer
        return `a list (${showType(t)}) has no field "${seg}"; use an index like .0`
      case "object": {
        if (typeof seg === "number") return `an object has no index ${seg}`
        const f = t.fields[seg]
        if (f !== undefined) return f.type
        if (t.open) return T.unknown
        return `no field "${seg}" in ${showType(t)}${didYouMean(seg, Object.keys(t.fields))}`
      }
      default:
        return `${showType(t)} has no field "${seg}"`
    }
  }

  addNeed(from: Node, producer: Node, where: Path, ref: Ref | undefined) {
    // Walk from `from` up to the node that lives in the producer's scope.
    let n: Node | undefined = from
    while (n !== undefined && n.scope !== producer.scope) {
      n.ext.add(producer.id)
      n = n.scope.owner
    }
    if (n === undefined) return
    if (n === producer) {
      if (from === producer) {
        this.error(where, `step "${from.id}" references its own output "${producer.outputName ?? producer.id}"`, ref ? { text: ref.text } : undefined)
      } else {
        this.error(where, `"${producer.outputName ?? producer.id}" is the output of the enclosing step "${producer.id}" and is not available inside it`, ref ? { text: ref.text } : undefined)
      }
      return
    }
    n.needs.add(producer.id)
  }

  templateOf(node: Node, rel: Path, text: string, expect?: (t: Type) => string | undefined): Resolved | undefined {
    const where = [...node.path, ...rel]
    const { template, errors } = parseTemplate(text)
    for (const e of errors) this.error(where, e.message, { text: e.text })
    node.templates.set(rel.join("."), template)
    let whole: Resolved | undefined
    for (const ref of template.refs) {
      const r = this.resolve(ref, node.body !== undefined && rel[0] === "until" ? node.body : node.scope, node, where, true)
      if (ref === template.whole) whole = r
    }
    if (expect !== undefined && whole !== undefined) {
      const msg = expect(whole.type)
      if (msg !== undefined) this.error(where, msg, { text: template.whole!.text })
    }
    return whole
  }

  conditionOf(node: Node, rel: Path, text: string, scope: Scope): Condition | undefined {
    const where = [...node.path, ...rel]
    const c = parseCondition(text)
    if ("message" in c) {
      this.error(where, c.message, { text: c.text })
      return undefined
    }
    node.condition = c
    // A loop's `until` reads its own body: those are not dependencies of the loop.
    const from = scope === node.body ? undefined : node
    const l = this.resolve(c.left, scope, from, where, true)
    const r = c.right?.kind === "ref" ? this.resolve(c.right.ref, scope, from, where, true) : undefined
    if (l !== undefined && c.op !== undefined && ["<", "<=", ">", ">="].includes(c.op)) {
      if (!isNumeric(l.type)) this.error(where, `cannot compare ${showType(l.type)} with ${c.op}: ${c.left.text} is not a number`, { text: c.left.text })
      if (c.right?.kind === "literal" && typeof c.right.value !== "number") {
        this.error(where, `${c.op} needs a number on the right, got ${JSON.stringify(c.right.value)}`, { text: text.trim() })
      }
      if (r !== undefined && !isNumeric(r.type)) this.error(where, `cannot compare with ${showType(r.type)}`, { text: text.trim() })
    }
    if (l !== undefined && c.op !== undefined && c.right?.kind === "literal" && l.type.kind === "literal") {
      const v = c.right.value
      if (!l.type.values.includes(v as never)) {
        this.error(where, `${c.left.text} is ${showType(l.type)}; ${JSON.stringify(v)} is not one of them${typeof v === "string" ? didYouMean(v, l.type.values.map(String)) : ""}`, { text: text.trim() })
      }
    }
    return c
  }

  references(node: Node) {
    const notText = (what: string) => (t: Type) => t.kind === "array" || t.kind === "object" ? `${what} must be text, but ${showType(t)} was given` : undefined
    const hits = (what: string) => (t: Type) =>
      t.kind === "unknown" || (t.kind === "array" && (t.items.kind === "object" || t.items.kind === "unknown"))
        ? undefined
        : `${what} must be search hits (a vector_search or rerank result), but ${showType(t)} was given`
    const step = node.step
    const text = (rel: Path, s: string | undefined, expect?: (t: Type) => string | undefined) =>
      s === undefined ? undefined : this.templateOf(node, rel, s, expect)
    for (const [i, dep] of (step.depends_on ?? []).entries()) {
      const target = this.a.nodes.get(dep)
      const where = [...node.path, "depends_on", i]
      if (target === undefined) {
        this.error(where, `depends_on: unknown step "${dep}"${didYouMean(dep, this.a.nodes.keys())}`)
      } else {
        let visible = false
        for (let s: Scope | undefined = node.scope; s !== undefined; s = s.parent) if (s === target.scope) visible = true
        if (!visible) this.error(where, `depends_on: step "${dep}" is inside another branch, map or loop and is not visible here`)
        else {
          this.addNeed(node, target, where, undefined)
          // A parallel group's tasks are nodes of their own: they wait too.
          for (const m of node.members ?? []) {
            const member = this.a.nodes.get(m)
            if (member !== undefined && member !== target) this.addNeed(member, target, where, undefined)
          }
        }
      }
    }
    switch (step.type) {
      case "llm":
        text(["prompt"], step.prompt)
        text(["system"], step.system)
        break
      case "embed":
        text(["input"], step.input, (t) =>
          t.kind === "array" || t.kind === "object" ? `embed input must be text, but ${showType(t)} was given` : undefined)
        break
      case "vector_search":
        text(["query"], step.query, (t) =>
          t.kind === "unknown" || (t.kind === "array" && (t.items.kind === "number" || t.items.kind === "unknown"))
            ? undefined
            : `query of vector_search must be a vector (number[]), but ${showType(t)} was given; embed the text first`)
        text(["text"], step.text, notText("text of vector_search"))
        break
      case "chunk":
        text(["input"], step.input, notText("chunk input"))
        text(["source"], step.source, notText("chunk source"))
        break
      case "ingest":
        step.paths.forEach((s, i) => text(["paths", i], s, notText("a path")))
        break
      case "rerank":
        text(["query"], step.query, notText("rerank query"))
        text(["documents"], step.documents, hits("documents of rerank"))
        break
      case "context":
        text(["passages"], step.passages, hits("passages of context"))
        break
      case "wait":
      case "approval":
        text(["request"], step.request)
        break
      case "transform":
        step.inputs?.forEach((s, i) => text(["inputs", i], s))
        text(["input"], step.input)
        text(["template"], step.template)
        break
      case "action": {
        const walk = (v: unknown, rel: Path) => {
          if (typeof v === "string") text(rel, v)
          else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...rel, i]))
          else if (v !== null && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, [...rel, k])
        }
        for (const [k, v] of Object.entries(step)) if (!F.actionReservedKeys.includes(k)) walk(v, [k])
        break
      }
      case "branch": {
        this.branchCondition = node
        const c = this.conditionOf(node, ["condition"], step.condition, node.scope)
        this.branchCondition = undefined
        if (c === undefined) break
        const cases = [...(node.cases?.keys() ?? [])]
        let allowed: ReadonlyArray<string> | undefined
        if (c.op !== undefined) allowed = ["true", "false"]
        else {
          const l = this.resolve(c.left, node.scope, undefined, [], false)
          if (l?.type.kind === "literal") allowed = l.type.values.map(String)
          else if (l?.type.kind === "boolean") allowed = ["true", "false"]
          else if (l?.type.kind === "string") this.freeTextBranch(node, step, c.left, l.producer)
        }
        if (allowed !== undefined) {
          for (const k of cases) {
            if (!allowed.includes(k)) {
              this.error([...node.path, "branches", k], `branch case "${k}" is not a possible value of ${c.left.text} (${allowed.map((x) => JSON.stringify(x)).join(" | ")})${didYouMean(k, allowed)}`, { key: true })
            }
          }
          const missing = allowed.filter((v) => !cases.includes(v))
          if (missing.length > 0 && step.default === undefined) {
            this.error([...node.path, "branches"], `branch "${step.id}" is not exhaustive: no case for ${missing.map((m) => JSON.stringify(m)).join(", ")} (add the case(s) or a default)`, { key: true })
          }
        }
        break
      }
      case "map":
        text(["over"], step.over, (t) => (isArrayLike(t) ? undefined : `map over needs a list, but got ${showType(t)}`))
        if (parseTemplate(step.over).template.whole === undefined) this.error([...node.path, "over"], `map over must be a single reference like "{{ items }}"`)
        break
      case "loop":
        this.conditionOf(node, ["until"], step.until, node.body ?? node.scope)
        text(["initial"], step.initial)
        break
      case "workflow":
        this.subInputTemplates(node, [], step.file, node.sub, step.input)
        break
      case "parallel":
        break
    }
    const fallback = (step as { readonly fallback?: ReadonlyArray<typeof F.Fallback.Type> }).fallback ?? []
    for (const [i, sub] of node.fallbackSubs ?? []) {
      const fb = fallback[i]!.workflow!
      this.subInputTemplates(node, ["fallback", i, "workflow"], fb.file, sub.analysis, fb.input)
    }
  }

  /** The input templates of a call (a `workflow` step, at `rel` [], or a workflow fallback) against the callee's inputs. */
  subInputTemplates(node: Node, rel: Path, file: string, sub: Analysis | undefined, input: { readonly [k: string]: string } | undefined) {
    for (const [k, v] of Object.entries(input ?? {})) {
      const expected = sub?.inputs.get(k)?.type
      this.templateOf(node, [...rel, "input", k], v, (t) =>
        expected === undefined || assignable(t, expected)
          ? undefined
          : `input "${k}" of workflow "${file}" expects ${showType(expected)}, but ${showType(t)} was given`)
      if (expected !== undefined && parseTemplate(v).template.whole === undefined && !assignable(T.string, expected)) {
        this.error([...node.path, ...rel, "input", k], `input "${k}" of workflow "${file}" expects ${showType(expected)}, but text was given`)
      }
    }
  }

  workflowOutputs() {
    const declared = this.wf.outputs
    if (declared !== undefined) {
      for (const [name, text] of Object.entries(declared)) {
        const where = ["outputs", name]
        const { template, errors } = parseTemplate(text)
        for (const e of errors) this.error(where, e.message, { text: e.text })
        let type: Type = template.whole === undefined ? T.string : T.unknown
        for (const ref of template.refs) {
          const r = this.resolve(ref, this.a.root, undefined, where, true)
          if (ref === template.whole && r !== undefined) type = r.type
        }
        this.a.outputs.set(name, { template, type, path: where })
      }
    } else {
      for (const n of this.a.root.nodes) {
        if (n.outputName !== undefined) {
          const template = parseTemplate(`{{ ${n.outputName} }}`).template
          this.a.resolutions.set(template.whole!, { kind: "output", producer: n.id })
          this.a.outputs.set(n.outputName, {
            template,
            type: this.typeOf(n),
            path: [...n.path, "output"]
          })
        }
      }
    }
  }

  /**
   * A branch on text: only an answer that is exactly a case name takes that case. Suggest the enum that makes the
   * value one of the cases (and the router exhaustive, checked here and in generated code).
   */
  freeTextBranch(node: Node, step: F.BranchStep, left: Ref, producer: Node | undefined) {
    const cases = Object.keys(step.branches)
    const enumText = `{ enum: [${cases.join(", ")}] }`
    const what = producer?.step.type === "llm"
      ? `the text answer of llm step "${producer.id}"`
      : producer !== undefined
      ? `the text result of ${producer.step.type} step "${producer.id}"`
      : `a text input`
    const fix = producer?.step.type === "llm"
      ? `give "${producer.id}" output_schema: ${enumText} so the answer is one of the cases and the router is exhaustive`
      : producer !== undefined
      ? `route on a value with an enum type instead (e.g. an llm step with output_schema: ${enumText})`
      : `declare the input as ${enumText} under inputs: so the router is exhaustive`
    const otherwise = step.default !== undefined ? "takes the default case" : "fails the run with UnknownBranchCase"
    this.warn(
      [...node.path, "condition"],
      `branch "${node.id}" routes on free text (${left.text} is ${what}): a value that is not exactly ${cases.map((c) => JSON.stringify(c)).join(cases.length > 2 ? ", " : " or ").replace(/, ([^,]*)$/, " or $1")} ${otherwise}; ${fix}`,
      { text: left.text }
    )
  }

  // ---- 6. inferred inputs ----
  /** A bare name taken as a new input is often a typo: say so, with the names it could have meant. */
  inferredInputs() {
    for (const [name, use] of this.inferred) {
      if (this.explicitInputs.has(name)) continue
      const outputs = this.visibleNames(use.scope).filter((n) => !["item", "index", "previous", "iteration"].includes(n))
      const step = this.a.nodes.get(name)
      const near = closest(name, outputs, Math.max(2, Math.floor(name.length / 2)))
      const hint = step !== undefined
        ? step.outputName !== undefined
          ? ` ("${name}" is a step id; read its result by its output name: {{ ${step.outputName} }})`
          : ` ("${name}" is a step id; give step "${name}" an output name to read its result)`
        : near !== undefined
        ? ` (did you mean "${near}"?)`
        : ""
      const known = outputs.length === 0 ? "" : `; outputs here: ${outputs.slice(0, 8).join(", ")}${outputs.length > 8 ? ", ..." : ""}`
      this.warn(
        use.where,
        `"${name}" is not an output${hint}, so it becomes a required input of the workflow (the file has no inputs: block)${known}. If it is an input, write {{ input.${name} }} or declare it under inputs:`,
        { text: use.ref.text }
      )
    }
  }

  // ---- 4. cycles ----
  cycles(scope: Scope) {
    const state = new Map<string, 1 | 2>()
    const stack: Array<string> = []
    const reported = new Set<string>()
    const visit = (id: string) => {
      state.set(id, 1)
      stack.push(id)
      const node = this.a.nodes.get(id)!
      for (const dep of node.needs) {
        const s = state.get(dep)
        if (s === 1) {
          const cyc = [...stack.slice(stack.indexOf(dep)), dep]
          const key = [...cyc].slice(0, -1).sort().join(",")
          if (!reported.has(key)) {
            reported.add(key)
            // Printed in data-flow order: each step feeds the next.
            const flow = [...cyc].reverse()
            this.error([...this.a.nodes.get(dep)!.path, "id"], `dependency cycle: ${flow.join(" -> ")}`)
          }
        } else if (s === undefined && this.a.nodes.get(dep)?.scope === scope) visit(dep)
      }
      stack.pop()
      state.set(id, 2)
    }
    for (const n of scope.nodes) if (!state.has(n.id)) visit(n.id)
    for (const n of scope.nodes) {
      for (const s of n.cases?.values() ?? []) this.cycles(s)
      if (n.defaultCase) this.cycles(n.defaultCase)
      if (n.body) this.cycles(n.body)
    }
  }

  // ---- 5. unused outputs ----
  unused() {
    for (const n of this.a.nodes.values()) {
      if (n.outputName === undefined || this.referenced.has(n.outputName)) continue
      const s = n.scope
      if (s.kind === "body" && s.result !== n && !this.isParallelMemberWithOutput(n)) this.warn([...n.path, "output"], `output "${n.outputName}" of step "${n.id}" is never used`)
      if (s.kind === "root" && this.wf.outputs !== undefined && !this.isParallelMemberWithOutput(n)) {
        this.warn([...n.path, "output"], `output "${n.outputName}" of step "${n.id}" is never used (not referenced and not in outputs)`)
      }
    }
  }

  isParallelMemberWithOutput(n: Node): boolean {
    for (const m of n.scope.nodes) if (m.members?.includes(n.id) && m.outputName !== undefined && this.referenced.has(m.outputName)) return true
    return false
  }
}

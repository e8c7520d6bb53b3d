/**
 * The run-time shape of a workflow: a list of nodes, each with its id, kind, needs and what to run.
 * The builder appends one node per call; the engine (in `src/`) walks them. Everything here is plain data plus
 * functions, so a workflow can be inspected (`wf.nodes`), drawn (`toMermaid`) and run by any engine.
 */
import type { Duration, Effect, Schedule, Schema } from "effect"

/**
 * The kinds of node a workflow holds.
 *
 * @example
 * ```ts
 * wf.nodes.filter((n) => n.kind === "branch").map((n) => n.id)
 * ```
 */
export type NodeKind = "step" | "branch" | "map" | "loop" | "call" | "wait"

/**
 * Any context handed to a node's functions: `input` plus the outputs of the node's needs.
 *
 * @example
 * ```ts
 * const step = wf.nodes[0]
 * if (step?.kind === "step") step.run({ input: { query: "hi" } } satisfies AnyCtx)
 * ```
 */
export type AnyCtx = { readonly input: unknown } & { readonly [id: string]: unknown }

/**
 * Retry options of a step: a Schedule (or a number of retries) and a predicate on the error.
 *
 * @example
 * ```ts
 * wf.step("answer", { retry: { schedule: Schedule.exponential("100 millis"), times: 3, while: isRetryable } }, run)
 * ```
 */
export interface RetryOptions<E = unknown> {
  /** The schedule between attempts, e.g. `Schedule.exponential("100 millis")`. Defaults to retrying at once. */
  readonly schedule?: Schedule.Schedule<unknown, unknown> | undefined
  /** Maximum number of retries (attempts - 1). Combined with `schedule` when both are given. */
  readonly times?: number | undefined
  /**
   * Which errors are retryable; every error when absent. Annotate the parameter with the step's error type or pass a
   * guard such as `isRetryable` or `Predicate.isTagged("RateLimited")`.
   */
  while?(error: E): boolean
}

/**
 * Timeout and retry of each item of a map, or each iteration of a loop (the step's own `timeout`/`retry` cover the
 * whole step). A late item or iteration fails with the same `StepTimeout` a step's timeout gives.
 *
 * @example
 * ```ts
 * wf.map("summaries", { needs: [], over: (ctx) => ctx.input.docs, item: { timeout: "20 seconds", retry: { times: 2 } } }, summarize)
 * ```
 */
export interface ItemPolicy {
  /** Deadline of each attempt of one item / iteration. */
  readonly timeout?: Duration.Input | undefined
  /** Retries of one item / iteration: a Schedule, or `{ schedule, times, while }` (every error when `while` is absent). */
  readonly retry?: Schedule.Schedule<unknown, unknown> | RetryOptions | undefined
}

/**
 * Options every kind of node accepts.
 *
 * @example
 * ```ts
 * wf.step("answer", { timeout: "30 seconds", retry: Schedule.recurs(2), description: "final answer" }, run)
 * ```
 */
export interface CommonOptions {
  /** Retry policy of the node: a Schedule, or `{ schedule, times, while }`. */
  readonly retry?: Schedule.Schedule<unknown, unknown> | RetryOptions | undefined
  /** Deadline of each attempt; a late attempt fails with `StepTimeout` (retryable by the retry policy). */
  readonly timeout?: Duration.Input | undefined
  /** Human-readable description, shown by `toMermaid` and the CLI. */
  readonly description?: string | undefined
}

interface NodeBase {
  readonly id: string
  readonly needs: ReadonlyArray<string>
  readonly options: CommonOptions
  /** Declared output Schema; the engine validates the output against it. */
  readonly output: Schema.Top | undefined
}

/**
 * A plain step: one Effect.
 *
 * @example
 * ```ts
 * for (const n of wf.nodes) if (n.kind === "step") console.log(n.id, n.needs)
 * ```
 */
export interface StepNode extends NodeBase {
  readonly kind: "step"
  readonly run: (ctx: AnyCtx) => Effect.Effect<unknown, unknown, unknown>
}

/**
 * A router: picks one case from a literal and runs that case's sub-workflow.
 *
 * @example
 * ```ts
 * for (const n of wf.nodes) if (n.kind === "branch") console.log(n.id, Object.keys(n.cases))
 * ```
 */
export interface BranchNode extends NodeBase {
  readonly kind: "branch"
  readonly on: (ctx: AnyCtx) => string
  readonly cases: Readonly<Record<string, Graph>>
}

/**
 * Runs a function for each item of a list, under a concurrency limit, keeping input order.
 *
 * @example
 * ```ts
 * for (const n of wf.nodes) if (n.kind === "map") console.log(n.id, n.concurrency)
 * ```
 */
export interface MapNode extends NodeBase {
  readonly kind: "map"
  readonly over: (ctx: AnyCtx) => ReadonlyArray<unknown>
  readonly concurrency: number | "unbounded"
  /** Timeout and retry of each item (absent: none). */
  readonly item?: ItemPolicy | undefined
  readonly body: (item: unknown, ctx: AnyCtx, index: number) => Effect.Effect<unknown, unknown, unknown>
}

/**
 * Repeats a body on a state until a predicate holds or `maxIterations` is reached.
 *
 * @example
 * ```ts
 * for (const n of wf.nodes) if (n.kind === "loop") console.log(n.id, n.maxIterations, n.onMaxIterations)
 * ```
 */
export interface LoopNode extends NodeBase {
  readonly kind: "loop"
  readonly initial: (ctx: AnyCtx) => unknown
  readonly until: (state: unknown, iteration: number) => boolean
  readonly maxIterations: number
  readonly onMaxIterations: "fail" | "return"
  /** Timeout and retry of each iteration (absent: none). */
  readonly iteration?: ItemPolicy | undefined
  readonly body: (state: unknown, ctx: AnyCtx, iteration: number) => Effect.Effect<unknown, unknown, unknown>
}

/**
 * Runs another workflow as one step.
 *
 * @example
 * ```ts
 * for (const n of wf.nodes) if (n.kind === "call") console.log(n.id, "calls", n.workflow.name)
 * ```
 */
export interface CallNode extends NodeBase {
  readonly kind: "call"
  readonly input: (ctx: AnyCtx) => unknown
  readonly workflow: Graph
}

/**
 * Waits for a value from outside the run (a person's approval, an edited text), decoded with `signal`; the value is the
 * node's output. `timeoutMillis` bounds the wait; `request` is what the run shows while it waits (the draft to approve).
 *
 * @example
 * ```ts
 * for (const n of wf.nodes) if (n.kind === "wait") console.log(n.id, "waits for a signal")
 * ```
 */
export interface WaitNode extends NodeBase {
  readonly kind: "wait"
  readonly signal: Schema.Top
  readonly timeoutMillis: number | undefined
  readonly request: ((ctx: AnyCtx) => unknown) | undefined
}

/**
 * One node of a workflow graph.
 *
 * @example
 * ```ts
 * const ids = wf.nodes.map((n: Node) => `${n.kind}:${n.id}`)
 * ```
 */
export type Node = StepNode | BranchNode | MapNode | LoopNode | CallNode | WaitNode

/**
 * A workflow's graph: its name, input Schema and nodes (in the order they were declared).
 *
 * @example
 * ```ts
 * const g: Graph = Workflow.make("demo", { input: Schema.String }).step("a", () => Effect.succeed(1))
 * g.nodes.map((n) => n.id) // ["a"]
 * ```
 */
export interface Graph {
  readonly name: string
  readonly input: Schema.Top
  readonly nodes: ReadonlyArray<Node>
  readonly description?: string | undefined
  readonly version?: string | undefined
  /** Ids visible to the graph's nodes but produced outside it (a branch case sees its branch's needs). */
  readonly external: ReadonlyArray<string>
}

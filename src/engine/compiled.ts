/**
 * The compiled path: a series-parallel graph (see `decompose.ts`) run as a fixed program, chains in sequence and
 * independent parts in forked fibers, with the same start time for every node and the same failures as the driver.
 */
import { Cause, Effect, Exit, Fiber } from "effect"
import type { Graph } from "../../dsl/Node.ts"
import type { Program } from "./decompose.ts"
import { driveGraph, forkNow } from "./driver.ts"
import { kindEffect } from "./kinds.ts"
import { ctxOf, runNode, stepFailed } from "./NodeRun.ts"
import type { Plan } from "./plan.ts"
import type { RunState } from "./RunState.ts"

/** The graph of the nodes of a `Rest` part (run by the driver inside a compiled program), built once. */
const restGraphs = new WeakMap<Program, Graph>()
const restGraphOf = (graph: Graph, rest: Extract<Program, { _tag: "Rest" }>): Graph => {
  let sub = restGraphs.get(rest)
  if (sub === undefined) {
    sub = { name: graph.name, input: graph.input, nodes: rest.indices.map((i) => graph.nodes[i]!), external: graph.external }
    restGraphs.set(rest, sub)
  }
  return sub
}

/** One run of a compiled graph: where its nodes read their needs and write their outputs. */
export class Env {
  constructor(
    readonly state: RunState,
    readonly graph: Graph,
    readonly plan: Plan,
    readonly prefix: string,
    readonly input: unknown,
    readonly values: Record<string, unknown>
  ) {}

  outputs(): Record<string, unknown> {
    const outputs: Record<string, unknown> = {}
    for (const node of this.plan.nodes) outputs[node.id] = this.values[node.id]
    return outputs
  }
}

/** The effect of a part of a compiled program; it writes the outputs of the part's nodes into `env.values`. */
export const exec = (env: Env, program: Program): Effect.Effect<void, unknown, unknown> => {
  switch (program._tag) {
    case "Node":
      return nodeThen(env, program.index, undefined, 0)
    case "Series":
      return execSeries(env, program.parts, 0)
    case "Parallel":
      return execParallel(env, program.parts)
    case "Rest":
      return Effect.map(driveGraph(env.state, restGraphOf(env.graph, program), env.prefix, env.input, env.values), (outputs) => {
        Object.assign(env.values, outputs)
      })
  }
}

/** Runs `parts[from]`, then the parts after it, one after another. */
const execSeries = (env: Env, parts: ReadonlyArray<Program>, from: number): Effect.Effect<void, unknown, unknown> => {
  const part = parts[from]!
  if (from + 1 === parts.length) return exec(env, part)
  if (part._tag === "Node") return nodeThen(env, part.index, parts, from + 1)
  return Effect.flatMap(exec(env, part), () => execSeries(env, parts, from + 1))
}

/**
 * Runs node `i` and, when it succeeds, stores its output and goes on with `parts[next]` (if any). A node with one
 * attempt (no retry, no timeout) is called right here, with one context object and no attempt counting; its failure
 * becomes `StepFailed` on attempt 1, as `runNode` would report it.
 */
const nodeThen = (env: Env, i: number, parts: ReadonlyArray<Program> | undefined, next: number): Effect.Effect<void, unknown, unknown> => {
  const { state, plan, prefix, input, values } = env
  const node = plan.nodes[i]!
  const then = new Then(env, node.id, parts, next)
  if (!plan.once[i]) return Effect.flatMap(runNode(state, plan, i, prefix, input, values), then.onSuccess)
  const path = prefix === "" ? node.id : `${prefix}/${node.id}`
  const ctx = ctxOf(node, input, values)
  let effect: Effect.Effect<unknown, unknown, unknown>
  if (node.kind === "step") {
    // As inside the driver's `suspend`: a step function that throws is a defect of this step.
    try {
      effect = node.run(ctx)
    } catch (defect) {
      effect = Effect.die(defect)
    }
  } else {
    effect = kindEffect(state, node, path, input, ctx)
  }
  then.path = path
  return Effect.matchCauseEffect(plan.wrap[i]!(effect, path, undefined), then)
}

/**
 * What follows a node of a compiled program: store its output and go on, or wrap its failure into `StepFailed`.
 * The callbacks are assigned in the constructor: under tsx (esbuild `keepNames`), a named closure (a variable or an
 * object-literal property) pays an `Object.defineProperty` each time it is created.
 */
class Then {
  path = ""
  readonly onSuccess: (value: unknown) => Effect.Effect<void, unknown, unknown>
  readonly onFailure: (cause: Cause.Cause<unknown>) => Effect.Effect<never, unknown>
  constructor(env: Env, id: string, parts: ReadonlyArray<Program> | undefined, next: number) {
    this.onSuccess = (value) => {
      env.values[id] = value
      return parts === undefined ? Effect.void : execSeries(env, parts, next)
    }
    this.onFailure = (cause) => Effect.failCause(Cause.map(cause, (error) => stepFailed(env.state, this.path, 1, error)))
  }
}

/**
 * Runs the parts at once, as the driver runs ready nodes: each in a child fiber started immediately (one that
 * finishes without waiting is settled on the spot), and the last one inline when all the others have already finished.
 * The first failure interrupts the parts still running, waits for their finalizers, and fails with that failure's
 * cause alone. No generator: one small object per group, which forks the next part when the previous one is settled.
 */
const execParallel = (env: Env, parts: ReadonlyArray<Program>): Effect.Effect<void, unknown, unknown> => new Par(env, parts).next()

class Par {
  running: Array<Fiber.Fiber<void, unknown>> | undefined = undefined
  k = 0
  readonly forked: (fiber: Fiber.Fiber<void, unknown>) => Effect.Effect<void, unknown, unknown>
  constructor(readonly env: Env, readonly parts: ReadonlyArray<Program>) {
    this.forked = (fiber) => this.settle(fiber)
  }

  next(): Effect.Effect<void, unknown, unknown> {
    const part = this.parts[this.k]!
    // Nothing else runs meanwhile: no fiber needed (a failure propagates as is).
    if (this.running === undefined && this.k === this.parts.length - 1) return exec(this.env, part)
    return Effect.flatMap(Effect.forkChild(exec(this.env, part), forkNow), this.forked)
  }

  settle(fiber: Fiber.Fiber<void, unknown>): Effect.Effect<void, unknown, unknown> {
    const polled = fiber.pollUnsafe()
    if (polled === undefined) (this.running ??= []).push(fiber)
    else if (Exit.isFailure(polled)) return failAfter(this.running, polled)
    if (++this.k < this.parts.length) return this.next()
    const fibers = this.running
    if (fibers === undefined) return Effect.void
    return Effect.flatMap(
      Effect.callback<Exit.Failure<void, unknown> | undefined>((resume) => {
        let left = fibers.length
        let settled = false
        for (const fiber of fibers) {
          fiber.addObserver((exit) => {
            if (settled) return
            if (Exit.isFailure(exit)) {
              settled = true
              resume(Effect.succeed(exit))
            } else if (--left === 0) {
              settled = true
              resume(Effect.succeed(undefined))
            }
          })
        }
      }),
      (failure) => (failure === undefined ? Effect.void : failAfter(fibers, failure))
    )
  }
}

/** Stops the fibers still running and lets their finalizers run, then fails with `failure`'s cause alone. */
const failAfter = (running: Array<Fiber.Fiber<void, unknown>> | undefined, failure: Exit.Failure<void, unknown>) =>
  running === undefined ? Effect.failCause(failure.cause) : Effect.andThen(Fiber.interruptAll(running), Effect.failCause(failure.cause))

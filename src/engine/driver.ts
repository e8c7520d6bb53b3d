/**
 * The graph driver: one fiber per graph that starts each node as soon as its needs are done, forking one fiber per
 * node (or running the only ready node inline when nothing else is in flight, which keeps sequential chains cheap) and
 * reacting to their completions. A failure interrupts the nodes still running, waits for their finalizers, and fails
 * the run with `StepFailed`.
 */
import { Effect, Exit, Fiber } from "effect"
import type { Graph } from "../../dsl/Node.ts"
import { ctxOf, runNode } from "./NodeRun.ts"
import { planOf } from "./plan.ts"
import type { GraphRunner, RunState } from "./RunState.ts"

/** Fork options of the driver and the compiled path: a child that completes without waiting is settled at once. */
export const forkNow = { startImmediately: true } as const

/** The graph driver: starts each node as soon as its needs are done, forking when others can run meanwhile. */
export const driveGraph = Effect.fnUntraced(function*(
  state: RunState,
  graph: Graph,
  prefix: string,
  input: unknown,
  external: Record<string, unknown>
) {
  const plan = planOf(graph)
  const n = plan.nodes.length
  const values: Record<string, unknown> = { ...plan.template, ...external }
  const remaining = plan.internalNeeds.slice()
  const ready: Array<number> = plan.roots.slice()
  let running: Map<number, Fiber.Fiber<Exit.Exit<unknown, unknown>, never>> | undefined
  // Exits of forked nodes that finished after their fork, and how to wake this fiber while it waits for one.
  const completions: Array<readonly [number, Exit.Exit<unknown, unknown>]> = []
  let wake: (() => void) | undefined
  let done = 0

  const complete = (i: number, value: unknown) => {
    values[plan.nodes[i]!.id] = value
    done++
    for (const j of plan.dependents[i]!) {
      if (--remaining[j]! === 0) ready.push(j)
    }
  }

  while (done < n) {
    while (ready.length > 0) {
      const i = ready.shift()!
      const effect = runNode(state, plan, i, prefix, input, ctxOf(plan.nodes[i]!, input, values))
      if ((running === undefined || running.size === 0) && ready.length === 0) {
        // Nothing else can make progress meanwhile: run inline, no fiber needed (a failure propagates as is).
        complete(i, yield* effect)
        continue
      }
      // Started at once: a node that completes without waiting is settled here, with no wake-up round trip.
      const fiber = yield* Effect.forkChild(Effect.exit(effect), forkNow)
      const polled = fiber.pollUnsafe()
      if (polled !== undefined) {
        const exit = Exit.isSuccess(polled) ? polled.value : polled
        if (Exit.isFailure(exit)) {
          if (running !== undefined && running.size > 0) yield* Fiber.interruptAll(running.values())
          return yield* Effect.failCause(exit.cause)
        }
        complete(i, exit.value)
        continue
      }
      ;(running ??= new Map()).set(i, fiber)
      fiber.addObserver((exit) => {
        completions.push([i, Exit.isSuccess(exit) ? exit.value : exit])
        if (wake !== undefined) {
          const resume = wake
          wake = undefined
          resume()
        }
      })
    }
    if (done >= n) break
    if (running === undefined || running.size === 0) {
      return yield* Effect.die(new Error(`Workflow '${graph.name}' cannot progress: some needs are never produced`))
    }
    if (completions.length === 0) {
      yield* Effect.callback<void>((resume) => {
        wake = () => resume(Effect.void)
      })
    }
    const [i, exit] = completions.shift()!
    running.delete(i)
    if (Exit.isFailure(exit)) {
      // Stop the others and let their finalizers run before failing.
      yield* Fiber.interruptAll(running.values())
      return yield* Effect.failCause(exit.cause)
    }
    complete(i, exit.value)
  }

  const outputs: Record<string, unknown> = { ...plan.template }
  for (const node of plan.nodes) outputs[node.id] = values[node.id]
  return outputs
}) as GraphRunner

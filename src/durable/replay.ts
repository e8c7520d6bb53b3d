/**
 * `check`: replays a stored run's journal against the current definition of its workflow, without running any step.
 * Every unit the replay reaches is answered from the run index (its stored output or failure, a wait's stored
 * signal); the replay stops where the stored run had not got to. What it reports:
 *
 * - a unit the current definition reaches but the stored (finished) run never ran: the definition now takes another
 *   path (a changed `on`, `over` or `until`, or new steps before the end);
 * - a stored unit the current definition never reaches;
 * - a finished run whose replayed outputs differ from the stored ones.
 *
 * This is the second journal implementation of the engine's seam (`StepJournal`); the engine is the same.
 */
import { Cause, Clock, Effect, Exit, Option, Schema } from "effect"
import type { Graph } from "../../dsl/Node.ts"
import { runGraph } from "../engine/runGraph.ts"
import { makeRunState } from "../engine/RunState.ts"
import type { StepJournal } from "../engine/StepJournal.ts"
import { noopUsageSink } from "../llm/Usage.ts"
import * as Pricing from "../providers/Pricing.ts"
import { CurrentVersion, names } from "../telemetry/Semconv.ts"
import { isTerminal } from "../store/RunStatus.ts"
import type { RunRecord, StepRow, WaitRow } from "../store/RunStoreShape.ts"
import { decodeError, decodeValue, encodeOutputs, jsonCodec } from "./codec.ts"

/** Thrown through the replay where the stored run had not got to (a unit or wait with nothing stored). */
class NotStored {
  constructor(readonly name: string) {}
}

const canonical = (value: unknown): string => JSON.stringify(value, (_k, v) =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v)

/**
 * The problems of replaying `run` (with its units and waits) on `graph`; empty when the replay agrees.
 *
 * @example
 * ```ts
 * const problems = yield* replayProblems(wf, run, steps, waits)
 * ```
 */
export const replayProblems = (
  graph: Graph,
  run: RunRecord,
  steps: ReadonlyArray<StepRow>,
  waits: ReadonlyArray<WaitRow>
): Effect.Effect<ReadonlyArray<string>> =>
  Effect.gen(function*() {
    const stored = new Map(steps.filter((s) => s.status === "succeeded" || s.status === "failed").map((s) => [s.name, s]))
    const signals = new Map(waits.filter((w) => w.signal !== undefined).map((w) => [w.stepId, w.signal]))
    const reached = new Set<string>()
    const missing: Array<string> = []
    const finished = isTerminal(run.status)
    const journal: StepJournal = {
      unit: (unit) =>
        Effect.suspend(() => {
          reached.add(unit.name)
          const seeded = (run.seeds as Record<string, unknown> | undefined)?.[unit.name]
          if (seeded !== undefined) return decodeValue(unit.stepId, unit.output, seeded)
          const row = stored.get(unit.name)
          if (row === undefined) {
            missing.push(unit.name)
            return Effect.die(new NotStored(unit.name))
          }
          return row.status === "succeeded" ? decodeValue(unit.stepId, unit.output, row.output) : Effect.fail(decodeError(row.error))
        }),
      wait: (unit, node) =>
        Effect.suspend(() => {
          reached.add(unit.name)
          if (!signals.has(unit.name)) {
            missing.push(unit.name)
            return Effect.die(new NotStored(unit.name))
          }
          return decodeValue(unit.stepId, node.signal, signals.get(unit.name))
        })
    }
    const input = yield* Effect.exit(Schema.decodeUnknownEffect(jsonCodec(graph.input))(run.input))
    if (Exit.isFailure(input)) return [`the stored input does not decode with the current input Schema: ${Cause.pretty(input.cause)}`]
    const clock = yield* Clock.Clock
    const state = makeRunState({
      runId: run.runId,
      workflow: graph.name,
      clock,
      usageSink: noopUsageSink,
      reliabilitySink: { publish: () => Effect.void },
      runGraph,
      prices: Pricing.defaults,
      semconv: names(CurrentVersion.defaultValue()),
      signals: undefined
    }, { emit: undefined, records: undefined, spans: undefined, semaphore: undefined, budget: undefined, metrics: undefined, correlate: false, journal })
    const exit = yield* Effect.exit(runGraph(state, graph, "", input.value, {}) as Effect.Effect<Record<string, unknown>, unknown>)
    const problems: Array<string> = []
    const stoppedEarly = Exit.isFailure(exit) && exit.cause.reasons.some((r) => r._tag === "Die" && r.defect instanceof NotStored)
    if (finished && stoppedEarly) {
      for (const name of missing) problems.push(`step '${name}' would run now, but the stored run never ran it`)
    }
    for (const name of stored.keys()) {
      if (!reached.has(name) && !stoppedEarly) problems.push(`stored step '${name}' is no longer reached by the current definition`)
    }
    if (finished && Exit.isSuccess(exit) && run.status === "succeeded" && run.output !== undefined) {
      const outputs = yield* Effect.option(encodeOutputs(graph, exit.value))
      if (Option.isSome(outputs) && canonical(outputs.value) !== canonical(run.output)) {
        problems.push("the replayed outputs differ from the stored ones")
      }
    }
    return problems
  })

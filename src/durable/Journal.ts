/**
 * The engine's `StepJournal` on effect/workflow: each unit of work is an `Activity` named after the unit, whose result
 * (the output encoded with the step's Schema, or the failure as JSON, with the attempts made) the workflow engine
 * persists before the run goes on, and returns on every replay without running the unit again. Each wait is a
 * `DurableDeferred` named after the wait.
 *
 * Inside the activity, the unit also writes its row of the run index (started, finished, output, usage, cost), checks
 * the run's cancellation before it starts (so no provider call starts after a cancel was acknowledged), and races its work
 * against the run's cancellation (so a cancel interrupts the call in flight).
 */
import { Cause, Clock, Deferred, Effect, Exit, Schema } from "effect"
import { Activity, DurableDeferred } from "effect/workflow"
import type { AnyCtx, WaitNode } from "../../dsl/Node.ts"
import { WaitTimedOut } from "../../dsl/errors.ts"
import type { AttemptCount, JournalUnit, StepJournal } from "../engine/StepJournal.ts"
import { TextDeltas } from "../llm/TextDeltas.ts"
import { StepUsage, sumUsage, type UsageEntry } from "../llm/Usage.ts"
import { costOf, Prices } from "../providers/Pricing.ts"
import type { Json, RunStoreShape } from "../store/RunStoreShape.ts"
import { decodeError, decodeValue, encodeError, encodeValue, nonJson } from "./codec.ts"
import { RunCancelled } from "./errors.ts"
import type { PayloadCodec } from "./PayloadCodec.ts"
import { StepContext } from "./StepContext.ts"

/**
 * The cancel requests this process knows of, and a signal per run that fires when its cancel is seen (in-process, or
 * from the store by the runner's inbox).
 *
 * @example
 * ```ts
 * const cancellations = new Cancellations()
 * cancellations.fire("run-1") // every unit of run-1 in flight here is interrupted
 * ```
 */
export class Cancellations {
  private readonly signals = new Map<string, Deferred.Deferred<void>>()
  private readonly fired = new Set<string>()
  /** Marks the run cancelled and interrupts its units in flight. */
  fire(runId: string): void {
    this.fired.add(runId)
    const signal = this.signals.get(runId)
    if (signal !== undefined) Deferred.doneUnsafe(signal, Exit.void)
  }
  isFired(runId: string): boolean {
    return this.fired.has(runId)
  }
  /** Completes when the run is cancelled. */
  await(runId: string): Effect.Effect<void> {
    return Effect.suspend(() => {
      let signal = this.signals.get(runId)
      if (signal === undefined) {
        signal = Deferred.makeUnsafe<void>()
        if (this.fired.has(runId)) Deferred.doneUnsafe(signal, Exit.void)
        this.signals.set(runId, signal)
      }
      return Deferred.await(signal)
    })
  }
  /** Forgets a finished run. */
  forget(runId: string): void {
    this.fired.delete(runId)
    this.signals.delete(runId)
  }
}

/** What a unit's activity returns: the encoded output, or the failure, with the attempts made either way. */
const UnitResult = Schema.Struct({ value: Schema.Json, attempts: Schema.Number })
const UnitFailure = Schema.Struct({ error: Schema.Json, attempts: Schema.Number })
/** What a wait's deferred completes with: the signal (encoded), or a timeout. */
const SignalValue = Schema.Struct({ signal: Schema.Json })
const WaitFailure = Schema.Struct({ timedOut: Schema.Boolean, timeoutMillis: Schema.Number })

/**
 * The deferred of wait `name`: one per wait (a retried container's wait gets its own name, see `StepJournal`).
 *
 * @example
 * ```ts
 * DurableDeferred.succeed(waitDeferred("approve"), { token, value: { signal: { approved: true } } })
 * ```
 */
export const waitDeferred = (name: string) => DurableDeferred.make(`wait:${name}`, { success: SignalValue, error: WaitFailure })

/** Everything a run's journal needs. */
export interface JournalOptions {
  readonly runId: string
  readonly store: RunStoreShape
  readonly cancellations: Cancellations
  /** For a rerun: persisted outputs reused by unit name (no activity runs for them). */
  readonly seeds: Readonly<Record<string, Json>> | undefined
  /** Called when a unit's row could not be written (the unit's own outcome is still journaled by the engine). */
  readonly onStoreError?: ((error: unknown) => void) | undefined
  /** Seals what the engine journals (unit results and errors, signals) and opens it on replay. */
  readonly codec?: PayloadCodec | undefined
  /**
   * Read the run's cancel request from the store before each unit, not only the in-memory flag: on a cluster the
   * worker that sees a cancel may not be the one running the run.
   */
  readonly cancelInStore?: boolean | undefined
}

const usageJson = (entries: ReadonlyArray<UsageEntry>): Json | undefined => {
  if (entries.length === 0) return undefined
  const totals = sumUsage(entries)
  return {
    inputTokens: totals.inputTokens,
    outputTokens: totals.outputTokens,
    calls: totals.calls,
    models: [...new Set(entries.map((e) => `${e.provider}:${e.model}`))]
  }
}

/**
 * The journal of one run.
 *
 * @example
 * ```ts
 * const journal = makeJournal({ runId, store, cancellations, seeds: undefined })
 * const state = makeRunState(base, { ...noObservers, journal })
 * ```
 */
export const makeJournal = (options: JournalOptions): StepJournal => {
  const { cancellations, codec, runId, seeds, store } = options
  const seal = (stepId: string, value: Json) => (codec === undefined ? Effect.succeed(value) : codec.seal({ runId, stepId }, value))
  const open = (stepId: string, value: Json) => (codec === undefined ? Effect.succeed(value) : codec.open({ runId, stepId }, value))
  const storeWrite = <E>(effect: Effect.Effect<void, E>) =>
    Effect.catch(effect, (error) => Effect.sync(() => options.onStoreError?.(error)))

  /** The body of a unit's activity: cancel check, index row, the work raced against cancellation, the outcome. */
  const execute = (unit: JournalUnit, effect: Effect.Effect<unknown, unknown, unknown>, attempts: AttemptCount | undefined) =>
    Effect.gen(function*() {
      // In memory: the runner fires a run's cancellation before the cancel is acknowledged (in this process at once,
      // from another process when its inbox sees the request), and the body checks the stored request when it starts.
      // On a cluster, the stored request too (another worker's inbox may have seen it).
      const requested = options.cancelInStore === true && (yield* Effect.orDie(store.getRun(runId)))?.cancelRequestedAt !== undefined
      if (requested || cancellations.isFired(runId)) {
        return yield* Effect.fail({ error: encodeError(new RunCancelled({ runId, message: `Run '${runId}' was cancelled` })), attempts: 0 })
      }
      const started = yield* Clock.currentTimeMillis
      yield* storeWrite(store.stepStarted({ runId, name: unit.name, stepId: unit.stepId, kind: unit.kind, at: started }))
      const key = yield* Activity.idempotencyKey(unit.name)
      const outer = yield* StepUsage
      const usage: Array<UsageEntry> = []
      // Built only when the cancel fires: an error captures a stack, which costs more than the rest of a small unit.
      const cancelled = Effect.andThen(cancellations.await(runId), Effect.suspend(() => Effect.fail(new RunCancelled({ runId, message: `Run '${runId}' was cancelled` }))))
      const exit = yield* effect.pipe(
        Effect.provideService(StepContext, { runId, stepId: unit.stepId, name: unit.name, idempotencyKey: key }),
        // The deltas of a streamed answer go to the run's event log as they arrive, before the unit's end.
        Effect.provideService(TextDeltas, {
          delta: (text) => Effect.flatMap(Clock.currentTimeMillis, (at) => storeWrite(store.appendEvent({ runId, at, type: "StepDelta", stepId: unit.name, data: { text } })))
        }),
        Effect.provideService(StepUsage, {
          record: (provider, model, u) => {
            usage.push({ provider, model, usage: u })
            return outer.record(provider, model, u)
          }
        }),
        (work) => Effect.raceFirst(work, cancelled),
        Effect.flatMap((value) => encodeValue(unit.stepId, unit.output, value)),
        Effect.exit
      ) as Effect.Effect<Exit.Exit<Json, unknown>, never, never>
      const finished = yield* Clock.currentTimeMillis
      const made = attempts?.attempt ?? 1
      const prices = yield* Prices
      const cost = usage.length === 0 ? undefined : costOf(prices, usage).usd
      if (Exit.isSuccess(exit)) {
        yield* storeWrite(store.stepFinished({ runId, name: unit.name, status: "succeeded", attempts: made, at: finished, output: exit.value, usage: usageJson(usage), costUsd: cost }))
        return { value: yield* seal(unit.stepId, exit.value), attempts: made }
      }
      const failure = Cause.findErrorOption(exit.cause)
      if (failure._tag === "None") {
        // A defect or an interruption: recorded, then left to the engine (a defect is journaled as such).
        yield* storeWrite(store.stepFinished({
          runId,
          name: unit.name,
          status: Cause.hasInterruptsOnly(exit.cause) ? "interrupted" : "failed",
          attempts: made,
          at: finished,
          error: { _tag: "Defect", message: Cause.pretty(exit.cause) },
          usage: usageJson(usage),
          costUsd: cost
        }))
        return yield* Effect.failCause(exit.cause as Cause.Cause<never>)
      }
      const error = encodeError(failure.value)
      yield* storeWrite(store.stepFinished({ runId, name: unit.name, status: "failed", attempts: made, at: finished, error, usage: usageJson(usage), costUsd: cost }))
      return yield* Effect.fail({ error: yield* seal(unit.stepId, error), attempts: made })
    })

  const restore = (attempts: AttemptCount | undefined, made: number) => {
    if (attempts !== undefined && attempts.attempt < made) attempts.attempt = made
  }

  return {
    unit: (unit, effect, attempts) =>
      Effect.suspend(() => {
        const seeded = seeds?.[unit.name]
        if (seeded !== undefined) {
          restore(attempts, 1)
          return decodeValue(unit.stepId, unit.output, seeded)
        }
        const activity = Activity.make({
          name: unit.name,
          success: UnitResult,
          error: UnitFailure,
          execute: execute(unit, effect, attempts) as Effect.Effect<typeof UnitResult.Type, typeof UnitFailure.Type>
        })
        return Effect.matchEffect(activity, {
          onSuccess: ({ attempts: made, value }) => {
            restore(attempts, made)
            return Effect.flatMap(open(unit.stepId, value), (opened) => decodeValue(unit.stepId, unit.output, opened))
          },
          onFailure: ({ attempts: made, error }) => {
            restore(attempts, made)
            return Effect.flatMap(open(unit.stepId, error), (opened) => Effect.fail(decodeError(opened)))
          }
        })
      }),

    wait: (unit, node, ctx) => waitFor(options, unit, node, ctx)
  }
}

/** A wait: recorded in the run index (with what it shows and its deadline), then the run suspends on its deferred. */
const waitFor = (options: JournalOptions, unit: JournalUnit, node: WaitNode, ctx: AnyCtx) =>
  Effect.gen(function*() {
    const { runId, store } = options
    const now = yield* Clock.currentTimeMillis
    let request: Json | undefined
    if (node.request !== undefined) {
      const shown = node.request(ctx)
      request = nonJson(shown) === undefined ? (shown as Json) : String(shown)
    }
    // Kept once: a replay reaches the wait again and keeps the first time (and so the first deadline).
    const known = (yield* Effect.orDie(store.waits(runId))).find((w) => w.stepId === unit.name)
    const since = known?.waitingSince ?? now
    yield* Effect.orDie(store.putWait({
      runId,
      stepId: unit.name,
      request,
      deadlineAt: node.timeoutMillis === undefined ? undefined : since + node.timeoutMillis,
      at: since
    }))
    const result = yield* Effect.exit(DurableDeferred.await(waitDeferred(unit.name)))
    if (Exit.isSuccess(result)) return options.codec === undefined ? result.value.signal : yield* options.codec.open({ runId, stepId: unit.stepId }, result.value.signal)
    const failure = Cause.findErrorOption(result.cause)
    if (failure._tag === "Some" && failure.value.timedOut) {
      return yield* new WaitTimedOut({
        stepId: unit.stepId,
        timeoutMillis: failure.value.timeoutMillis,
        message: `Step '${unit.stepId}' waited ${failure.value.timeoutMillis} ms for its signal`
      })
    }
    return yield* Effect.failCause(result.cause as Cause.Cause<never>)
  }).pipe(Effect.flatMap((signal) => decodeValue(unit.stepId, node.signal, signal)))

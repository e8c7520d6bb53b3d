/**
 * Seeded random workflows for differential tests: plain steps (some failing, some flaky under a retry, some running
 * past a timeout before a retry), maps, loops, branches with nested graphs, and calls of sub-workflows. The same
 * specs can be run by any engine (the compiled path, the driver, the durable engine) and the runs compared: outputs,
 * the start time of every step, map item and loop iteration, the failure, and the steps interrupted and finalized.
 *
 * Timing is chosen so that two engines that keep the same schedule cannot legitimately differ under `TestClock`:
 * everything that succeeds takes whole seconds, and every final failure happens at its own odd instant
 * (`k s + 500 ms + 7 ms × uid`), so a failure never ties with a success (see docs/performance.md on ties).
 */
import { Clock, Effect, Exit, Schedule, Schema } from "effect"
import { Workflow } from "../../src/index.ts"

class Boom extends Schema.TaggedError<Boom>()("Boom", { id: Schema.String }) {}

export const Input = Schema.Struct({ text: Schema.String })

interface Base {
  readonly id: string
  readonly needs: ReadonlyArray<string>
  /** Unique over the whole generated workflow: gives each failure its own instant. */
  readonly uid: number
}

/**
 * A plain step. `mode`: `ok` sleeps `seconds` and succeeds; `fails` fails for good at an odd instant; `instant`
 * fails as soon as it starts (without waiting: the engine sees the failure while it is still starting nodes); `flaky` fails
 * its first `flaky` attempts at once and then succeeds, under a retry of `retries` spaced 1 s; `exhausted` fails
 * every attempt (at odd instants), so the retry gives up; `timeout` overruns a 1 s timeout on its first attempt.
 */
export interface StepSpec extends Base {
  readonly kind: "step"
  readonly mode: "ok" | "fails" | "instant" | "flaky" | "exhausted" | "timeout"
  readonly seconds: number
  readonly flaky: number
  readonly retries: number
  /** Declares `output: Schema.String` (validated by the engine). */
  readonly output: boolean
}
export interface MapSpec extends Base {
  readonly kind: "map"
  readonly items: number
  readonly concurrency: number | "unbounded"
  /** The item that fails (at an odd instant), if any. */
  readonly failAt: number | undefined
}
export interface LoopSpec extends Base {
  readonly kind: "loop"
  /** `until` holds once the state (the number of bodies run) reaches this. */
  readonly converge: number
  readonly maxIterations: number
  readonly onMaxIterations: "fail" | "return"
}
export interface BranchSpec extends Base {
  readonly kind: "branch"
  readonly cases: { readonly left: ReadonlyArray<Spec>; readonly right: ReadonlyArray<Spec> }
}
export interface CallSpec extends Base {
  readonly kind: "call"
  readonly graph: ReadonlyArray<Spec>
}
export type Spec = StepSpec | MapSpec | LoopSpec | BranchSpec | CallSpec

export interface GenerateOptions {
  /** Include failing steps, items and loops. */
  readonly failures: boolean
  /** Include retry, timeout, map, loop, branch and call (otherwise plain steps only). */
  readonly kinds: boolean
  /** Upper bound on the number of nodes of the top-level graph. */
  readonly maxNodes?: number
}

/** A random DAG: each node needs earlier ones (and, inside a branch case, the branch's needs) with a per-graph probability. */
export const randomDag = (next: () => number, options: GenerateOptions): ReadonlyArray<Spec> => {
  const counter = { uid: 0 }
  return graphOf(next, options, counter, 0, [], options.maxNodes ?? 12)
}

const graphOf = (
  next: () => number,
  options: GenerateOptions,
  counter: { uid: number },
  depth: number,
  external: ReadonlyArray<string>,
  maxNodes: number
): ReadonlyArray<Spec> => {
  const n = depth === 0 ? 1 + Math.floor(next() * maxNodes) : Math.floor(next() * 4)
  const p = 0.15 + next() * 0.7
  const specs: Array<Spec> = []
  const pick = (x: number) => Math.floor(next() * x)
  for (let i = 0; i < n; i++) {
    const needs = [...external, ...specs.map((s) => s.id)].filter(() => next() < p)
    const id = depth === 0 ? `n${i}` : `n${depth}_${i}`
    const uid = ++counter.uid
    const roll = options.kinds ? next() : 0
    if (roll < 0.55 || (depth >= 2 && roll < 0.85)) {
      let mode: StepSpec["mode"] = "ok"
      const r = next()
      if (options.failures && r < 0.09) mode = "fails"
      else if (options.failures && r < 0.12) mode = "instant"
      else if (options.kinds && r < 0.3) mode = "flaky"
      else if (options.kinds && options.failures && r < 0.36) mode = "exhausted"
      else if (options.kinds && r < 0.46) mode = "timeout"
      const flaky = 1 + pick(2)
      const retries = mode === "flaky" ? flaky + pick(2) : mode === "exhausted" ? pick(3) : mode === "timeout" ? 1 + pick(2) : 0
      specs.push({ kind: "step", id, needs, uid, mode, seconds: pick(4), flaky, retries, output: options.kinds && next() < 0.3 })
    } else if (roll < 0.7) {
      const failAt = options.failures && next() < 0.2 ? pick(4) : undefined
      const c = pick(4)
      specs.push({ kind: "map", id, needs, uid, items: pick(5), concurrency: c === 0 ? "unbounded" : c, failAt })
    } else if (roll < 0.85) {
      const maxIterations = 1 + pick(4)
      // With failures: sometimes never converging (fail or return at the bound); always sometimes exactly at the bound.
      const converge = options.failures && next() < 0.3 ? maxIterations + 1 : next() < 0.3 ? maxIterations : pick(maxIterations + 1)
      specs.push({ kind: "loop", id, needs, uid, converge, maxIterations, onMaxIterations: next() < 0.5 ? "fail" : "return" })
    } else if (roll < 0.93) {
      specs.push({
        kind: "branch",
        id,
        needs,
        uid,
        cases: { left: graphOf(next, options, counter, depth + 1, needs, maxNodes), right: graphOf(next, options, counter, depth + 1, needs, maxNodes) }
      })
    } else {
      specs.push({ kind: "call", id, needs, uid, graph: graphOf(next, options, counter, depth + 1, [], maxNodes) })
    }
  }
  return specs
}

/** What one run did: start times (relative to the run's start), and the labels interrupted and finalized. */
export class Recorder {
  t0 = 0
  readonly started: Record<string, number> = {}
  /** When each label last ended successfully (relative to the run's start). */
  readonly succeeded: Record<string, number> = {}
  /** Labels in the order they started (attempts after the first as `label~n`). */
  readonly order: Array<string> = []
  readonly interrupted: Array<string> = []
  readonly finalized: Array<string> = []
  readonly attempts: Record<string, number> = {}
}

/** A short deterministic digest of the values a node reads, so outputs stay small whatever the depth. */
export const digest = (values: ReadonlyArray<unknown>): string => {
  const text = JSON.stringify(values)
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return (h >>> 0).toString(36)
}

const oddMillis = (spec: Base, seconds: number) => seconds * 1000 + 500 + 7 * spec.uid

/** The builder without its compile-time checks (ids and needs are computed). */
interface Untyped {
  step(id: string, options: object, run: (ctx: any) => Effect.Effect<unknown, unknown>): Untyped
  map(id: string, options: object, body: (item: any, ctx: any, index: number) => Effect.Effect<unknown, unknown>): Untyped
  loop(id: string, options: object, body: (state: any, ctx: any, iteration: number) => Effect.Effect<unknown, unknown>): Untyped
  branch(id: string, options: object, cases: Record<string, (b: Untyped) => Untyped>): Untyped
  call(id: string, options: object, workflow: Untyped): Untyped
}

/** A random workflow as a value, together with the recorder its steps write to (swap it per run with `reset`). */
export interface Built {
  readonly workflow: Workflow.Workflow<{ readonly text: string }, { readonly text: string }, any, unknown, never>
  recorder: Recorder
  /** A fresh recorder for the next run (the workflow value is reused, so it can be registered once). */
  reset(t0: number): Recorder
}

/**
 * Builds the workflow of `specs`; every step, item and iteration records itself in the current recorder. `unitMillis`
 * is the length of the generator's "second" (1000 under TestClock; a few ms for engines that need a live clock).
 */
export const buildDag = (name: string, specs: ReadonlyArray<Spec>, options: { readonly unitMillis?: number } = {}): Built => {
  const unit = options.unitMillis ?? 1000
  const odd = (spec: Base, seconds: number) => Math.round(oddMillis(spec, seconds) * unit / 1000)
  const built: Built = {
    workflow: undefined as never,
    recorder: new Recorder(),
    reset(t0) {
      built.recorder = new Recorder()
      built.recorder.t0 = t0
      return built.recorder
    }
  }
  /** Records the start of `label`, and its interruption and finalization. */
  const instrument = (label: string, body: () => Effect.Effect<unknown, unknown>) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => {
      const rec = built.recorder
      const attempt = (rec.attempts[label] = (rec.attempts[label] ?? 0) + 1)
      if (attempt === 1) rec.started[label] = now - rec.t0
      rec.order.push(attempt === 1 ? label : `${label}~${attempt}`)
      return body().pipe(
        Effect.tap(() => Effect.map(Clock.currentTimeMillis, (end) => {
          rec.succeeded[label] = end - rec.t0
        })),
        Effect.onInterrupt(() => Effect.sync(() => rec.interrupted.push(label))),
        Effect.ensuring(Effect.sync(() => rec.finalized.push(label)))
      )
    })
  const sleepExact = (millis: number) => (millis === 0 ? Effect.void : Effect.sleep(`${millis} millis`))
  /** Sleeps `millis` of the generator's time (scaled by `unitMillis`). */
  const sleep = (millis: number) => sleepExact(Math.round(millis * unit / 1000))

  const graph = (b: Untyped, specs: ReadonlyArray<Spec>, prefix: string): Untyped => {
    for (const spec of specs) {
      const label = prefix === "" ? spec.id : `${prefix}/${spec.id}`
      const read = (ctx: Record<string, unknown>) => digest(spec.needs.map((need) => ctx[need]))
      switch (spec.kind) {
        case "step": {
          const options: Record<string, unknown> = { needs: spec.needs }
          if (spec.output) options["output"] = Schema.String
          if (spec.retries > 0) options["retry"] = { schedule: Schedule.spaced(`${unit} millis`), times: spec.retries }
          if (spec.mode === "timeout") options["timeout"] = `${unit} millis`
          b = b.step(spec.id, options, (ctx) =>
            instrument(label, () => {
              const attempt = built.recorder.attempts[label]!
              const value = `${spec.id}:${read(ctx)}`
              switch (spec.mode) {
                case "ok":
                  return Effect.as(sleep(spec.seconds * 1000), value)
                case "fails":
                  return Effect.andThen(sleepExact(odd(spec, spec.seconds)), Effect.fail(new Boom({ id: label })))
                case "instant":
                  return Effect.fail(new Boom({ id: label }))
                case "flaky":
                  return attempt <= spec.flaky ? Effect.fail(new Boom({ id: `${label}~${attempt}` })) : Effect.as(sleep(spec.seconds * 1000), value)
                case "exhausted":
                  return Effect.andThen(sleepExact(odd(spec, 0)), Effect.fail(new Boom({ id: `${label}~${attempt}` })))
                case "timeout":
                  // Later attempts finish at once, within the timeout.
                  return attempt === 1 ? Effect.as(sleep(5000), "late") : Effect.succeed(value)
              }
            }))
          break
        }
        case "map": {
          b = b.map(spec.id, {
            needs: spec.needs,
            over: (ctx: Record<string, unknown>) => Array.from({ length: spec.items }, (_, i) => `${read(ctx)}.${i}`),
            concurrency: spec.concurrency
          }, (item: string, _ctx, index) =>
            instrument(`${label}#${index}`, () =>
              index === spec.failAt
                ? Effect.andThen(sleepExact(odd(spec, 0)), Effect.fail(new Boom({ id: `${label}#${index}` })))
                : Effect.as(sleep((index % 3) * 1000), `${item}!`)))
          break
        }
        case "loop": {
          const failing = spec.converge > spec.maxIterations && spec.onMaxIterations === "fail"
          b = b.loop(spec.id, {
            needs: spec.needs,
            initial: () => 0,
            until: (state: number) => state >= spec.converge,
            maxIterations: spec.maxIterations,
            onMaxIterations: spec.onMaxIterations
          }, (state: number, _ctx, iteration) =>
            instrument(`${label}@${iteration}`, () =>
              // The last body of a loop that will fail ends at an odd instant (its failure is the loop's).
              Effect.as(failing && iteration === spec.maxIterations - 1 ? sleepExact(odd(spec, 0)) : sleep(1000), state + 1)))
          break
        }
        case "branch": {
          b = b.branch(spec.id, {
            needs: spec.needs,
            on: (ctx: Record<string, unknown>) => (parseInt(read(ctx), 36) % 2 === 0 ? "left" : "right")
          }, {
            left: (sub) => graph(sub, spec.cases.left, `${label}/left`),
            right: (sub) => graph(sub, spec.cases.right, `${label}/right`)
          })
          break
        }
        case "call": {
          const sub = graph(Workflow.make(`${name}/${label}`, { input: Input }) as unknown as Untyped, spec.graph, label)
          b = b.call(spec.id, { needs: spec.needs, input: (ctx: Record<string, unknown>) => ({ text: read(ctx) }) }, sub)
          break
        }
      }
    }
    return b
  }
  ;(built as { workflow: unknown }).workflow = graph(Workflow.make(name, { input: Input }) as unknown as Untyped, specs, "")
  return built
}

/** A comparable summary of a run's exit: the outputs, or the tags and errors of its failure. */
export const summary = (exit: Exit.Exit<unknown, unknown>) =>
  Exit.isSuccess(exit)
    ? { success: exit.value }
    : {
      reasons: exit.cause.reasons.map((r) =>
        r._tag === "Fail" ? { fail: JSON.stringify(r.error) } : r._tag === "Die" ? { die: String(r.defect) } : { other: r._tag }
      )
    }

/** Every label of a spec list that names a node (for counting coverage of the kinds). */
export const kindsOf = (specs: ReadonlyArray<Spec>, into: Record<string, number> = {}): Record<string, number> => {
  for (const spec of specs) {
    const key = spec.kind === "step" && spec.mode !== "ok" ? `step:${spec.mode}` : spec.kind
    into[key] = (into[key] ?? 0) + 1
    if (spec.kind === "branch") {
      kindsOf(spec.cases.left, into)
      kindsOf(spec.cases.right, into)
    }
    if (spec.kind === "call") kindsOf(spec.graph, into)
  }
  return into
}

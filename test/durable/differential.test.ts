/**
 * The durable engine against the in-memory engine on the same random workflows (steps with retries and timeouts,
 * maps, loops, branches, calls, nested): the same outputs, the same units of work run, every step started after the
 * steps it needs finished, and the same failure (step, attempt, error) when one step fails. Both run on the live clock
 * (the durable engine polls its storage), with the generator's "second" scaled down to a few milliseconds.
 */
import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Exit } from "effect"
import { Durable, DurableRuns } from "../../src/durable/index.ts"
import { Workflow } from "../../src/index.ts"
import { seededRandom } from "../../src/testing/index.ts"
import { type Built, buildDag, kindsOf, randomDag, type Spec } from "../engine/randomDag.ts"

const UNIT = 4

/** How many independent ways a spec list can fail (the comparison needs one at most: which fails first is timing). */
const failureSources = (specs: ReadonlyArray<Spec>): number =>
  specs.reduce((n, s) => {
    switch (s.kind) {
      case "step":
        return n + (s.mode === "fails" || s.mode === "instant" || s.mode === "exhausted" ? 1 : 0)
      case "map":
        return n + (s.failAt !== undefined && s.failAt < s.items ? 1 : 0)
      case "loop":
        return n + (s.converge > s.maxIterations && s.onMaxIterations === "fail" ? 1 : 0)
      case "branch":
        return n + failureSources(s.cases.left) + failureSources(s.cases.right)
      case "call":
        return n + failureSources(s.graph)
    }
  }, 0)

/** A failure as both engines can report it: the step, the attempt, the error's tag and id. */
const failureOf = (exit: Exit.Exit<unknown, unknown>) => {
  if (Exit.isSuccess(exit)) return undefined
  const fail = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (fail === undefined) return { defect: true }
  let error = (fail as { error: unknown }).error as Record<string, any>
  // The durable result wraps the persisted StepFailed.
  if (error["_tag"] === "DurableRunFailed") error = error["error"]
  return { tag: error["_tag"], stepId: error["stepId"], attempt: error["attempt"], inner: error["error"]?.["_tag"], id: error["error"]?.["id"] }
}

/** Steps (plain ones) that need plain steps: each must start after all of them succeeded. */
const orderViolations = (specs: ReadonlyArray<Spec>, built: Built) => {
  const rec = built.recorder
  const out: Array<string> = []
  const steps = new Set(specs.filter((s) => s.kind === "step").map((s) => s.id))
  for (const spec of specs) {
    if (spec.kind !== "step" || rec.started[spec.id] === undefined) continue
    for (const need of spec.needs) {
      if (!steps.has(need)) continue
      const done = rec.succeeded[need]
      if (done === undefined || done > rec.started[spec.id]!) out.push(`${spec.id} started at ${rec.started[spec.id]} before ${need} ended at ${done}`)
    }
  }
  return out
}

const runBoth = (specs: ReadonlyArray<Spec>, name: string) =>
  Effect.gen(function*() {
    const built = buildDag(name, specs, { unitMillis: UNIT })
    built.reset(yield* Clock.currentTimeMillis)
    const memory = yield* Effect.exit(Workflow.run(built.workflow, { text: "x" }))
    const memoryRec = built.recorder
    const memoryOrder = orderViolations(specs, built)
    built.reset(yield* Clock.currentTimeMillis)
    const runs = yield* DurableRuns.DurableRuns
    const started = yield* runs.start(built.workflow, { text: "x" })
    const durable = yield* Effect.exit(Durable.result(built.workflow, started.runId))
    const journaled = (yield* runs.get(started.runId)).steps.map((s) => s.name).sort()
    return { memory, durable, journaled, memoryRec, durableRec: built.recorder, memoryOrder, durableOrder: orderViolations(specs, built) }
  })

describe("durable engine = in-memory engine on random workflows", () => {
  it.live("random DAGs of every kind that succeed: same outputs, same units run, needs finished before each step", () =>
    Effect.gen(function*() {
      const next = seededRandom(9)
      const seen: Record<string, number> = {}
      let compared = 0
      for (let g = 0; compared < 30 && g < 200; g++) {
        const specs = randomDag(next, { failures: false, kinds: true, maxNodes: 8 })
        kindsOf(specs, seen)
        const { durable, durableOrder, durableRec, journaled, memory, memoryOrder, memoryRec } = yield* runBoth(specs, `ok-${g}`)
        assert.isTrue(Exit.isSuccess(memory), `memory run ${g} failed`)
        assert.deepStrictEqual(Exit.isSuccess(durable) ? durable.value : failureOf(durable), (memory as Exit.Success<unknown>).value, `dag ${g}`)
        assert.deepStrictEqual(Object.keys(durableRec.started).sort(), Object.keys(memoryRec.started).sort(), `dag ${g}: units`)
        // Every unit was journaled, under the name the recorder gives it (step path, path#item, path@iteration).
        assert.deepStrictEqual(journaled, Object.keys(durableRec.started).sort(), `dag ${g}: journal`)
        assert.deepStrictEqual(durableOrder, [], `dag ${g}`)
        assert.deepStrictEqual(memoryOrder, [], `dag ${g}`)
        compared++
      }
      assert.strictEqual(compared, 30)
      for (const kind of ["step:flaky", "step:timeout", "map", "loop", "branch", "call"]) assert.isAbove(seen[kind] ?? 0, 2, kind)
    }).pipe(Effect.provide(DurableRuns.layerMemory)), 120_000)

  it.live("random DAGs with one failing step: the same failure (step, attempt, error)", () =>
    Effect.gen(function*() {
      const next = seededRandom(31)
      let compared = 0
      let failed = 0
      for (let g = 0; compared < 30 && g < 400; g++) {
        const specs = randomDag(next, { failures: true, kinds: true, maxNodes: 8 })
        if (failureSources(specs) !== 1) continue
        const { durable, memory } = yield* runBoth(specs, `fail-${g}`)
        if (Exit.isFailure(memory)) failed++
        assert.deepStrictEqual(failureOf(durable), failureOf(memory), `dag ${g}`)
        if (Exit.isSuccess(memory)) assert.deepStrictEqual(Exit.isSuccess(durable) ? durable.value : undefined, memory.value, `dag ${g}`)
        compared++
      }
      assert.strictEqual(compared, 30)
      assert.isAbove(failed, 12)
    }).pipe(Effect.provide(DurableRuns.layerMemory)), 120_000)
})

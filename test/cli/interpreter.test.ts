/**
 * The interpreter runs YAML through the engine: retries and timeouts are the engine's, independent steps run in
 * parallel, map concurrency is bounded, and the built-in log action prints.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import { TestClock } from "effect/testing"
import { analyzeSource } from "../../codegen/index.ts"
import type { WorkflowEvent } from "../../src/engine/events.ts"
import { execute } from "../../src/engine/run.ts"
import { RateLimited } from "../../src/llm/LlmError.ts"
import { MockLlm, MockRecorder } from "../../src/testing/index.ts"
import { type ActionHandler, interpret } from "../../src/yaml/interpret.ts"
import { clearCache } from "../../src/yaml/runtime.ts"

const build = (yaml: string, options: { mocks?: Record<string, unknown>; actions?: Record<string, ActionHandler>; onLog?: (l: string) => void } = {}) => {
  const a = analyzeSource("t.yaml", yaml)
  assert.deepStrictEqual(a.diagnostics.filter((d) => d.severity === "error"), [])
  const i = interpret(a, options)
  assert.deepStrictEqual(i.problems, [])
  return i.workflow
}

/** An action that tracks how many of its calls overlap. */
const tracker = () => {
  let inFlight = 0
  let max = 0
  const handler: ActionHandler = () =>
    Effect.acquireUseRelease(
      Effect.sync(() => (max = Math.max(max, ++inFlight))),
      () => Effect.sleep("20 millis"),
      () => Effect.sync(() => inFlight--)
    )
  return { handler, max: () => max }
}

describe("interpreter + engine", () => {
  it.live("retry: a rate-limited call is retried by the engine (StepRetrying events, attempts counted)", () =>
    Effect.gen(function*() {
      const wf = build(`name: r\nsteps:\n  - { id: ask, type: llm, provider: openai, model: m, prompt: hi, retry: { times: 2, backoff: fixed, delay: 5ms }, output: a }\n`)
      const limited = new RateLimited({ provider: "openai", message: "slow down" })
      const layer = MockLlm.layer("openai", { responses: [limited, limited, "ok"] }).pipe(Layer.provideMerge(MockRecorder.layer))
      const events: Array<WorkflowEvent> = []
      const result = yield* (execute(wf, {}, { onEvent: (e) => void events.push(e) }) as Effect.Effect<any, unknown, any>).pipe(
        Effect.provide(layer)
      ) as Effect.Effect<any>
      assert.strictEqual(result.outputs["_outputs"].a, "ok")
      assert.strictEqual(result.steps["ask"].attempts, 3)
      assert.deepStrictEqual(events.filter((e) => e._tag === "StepRetrying").map((e) => (e as { attempt: number }).attempt), [2, 3])
    }))

  it.live("timeout: a slow call fails the step with StepTimeout", () =>
    Effect.gen(function*() {
      const wf = build(`name: t\nsteps:\n  - { id: slow, type: llm, provider: openai, model: m, prompt: hi, timeout: 20ms }\n`)
      const layer = MockLlm.layer("openai", { responses: ["late"], latency: "5 seconds" }).pipe(Layer.provideMerge(MockRecorder.layer))
      const exit = yield* Effect.exit((execute(wf, {}) as Effect.Effect<any, any, any>).pipe(Effect.provide(layer)) as Effect.Effect<any, any>)
      assert.isTrue(Exit.isFailure(exit))
      assert.include(JSON.stringify(exit), "StepTimeout")
    }))

  it.live("independent steps run in parallel; dependent ones wait", () =>
    Effect.gen(function*() {
      const t = tracker()
      const wf = build(
        `name: p\nsteps:\n  - { id: a, type: action, action: work, output: ao }\n  - { id: b, type: action, action: work, output: bo }\n  - { id: c, type: action, action: work, x: "{{ ao }} {{ bo }}" }\n`,
        { actions: { work: t.handler } }
      )
      const r = yield* (execute(wf, {}) as Effect.Effect<any, unknown>)
      assert.strictEqual(t.max(), 2)
      assert.isAtLeast(r.steps["c"].startedAt, r.steps["a"].startedAt + r.steps["a"].durationMillis)
    }))

  it.live("map concurrency bounds the items in flight and keeps input order", () =>
    Effect.gen(function*() {
      const t = tracker()
      const wf = build(
        `name: m\ninputs:\n  xs: { type: array, items: string }\nsteps:\n  - id: each\n    type: map\n    over: "{{ xs }}"\n    concurrency: 2\n    steps:\n      - { id: w, type: action, action: work }\n      - { id: echo, type: transform, function: template, template: "{{ index }}={{ item }}", output: line }\n    output: lines\n`,
        { actions: { work: t.handler } }
      )
      const r = yield* (execute(wf, { xs: ["a", "b", "c", "d", "e"] }) as Effect.Effect<any, unknown>)
      assert.strictEqual(t.max(), 2)
      assert.deepStrictEqual(r.outputs["each"], ["0=a", "1=b", "2=c", "3=d", "4=e"])
    }))

  it.live("a loop that never converges fails with LoopMaxIterations after max_iterations rounds", () =>
    Effect.gen(function*() {
      const wf = build(
        `name: l\nsteps:\n  - id: refine\n    type: loop\n    max_iterations: 3\n    until: "{{ verdict }} == done"\n    steps:\n      - { id: judge, type: llm, provider: openai, model: m, prompt: "again {{ iteration }}", output: verdict }\n`,
        { mocks: { judge: ["no", "no", "no", "done"] } }
      )
      const exit = yield* Effect.exit(execute(wf, {}) as Effect.Effect<any, unknown>)
      assert.isTrue(Exit.isFailure(exit))
      assert.include(JSON.stringify(exit), "LoopMaxIterations")
    }))

  it.live("input defaults apply when the input is absent; given inputs win", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const wf = build(`name: d\ninputs:\n  who: { type: string, default: "world" }\n  n: { type: integer, default: 3 }\nsteps:\n  - { id: say, type: action, action: log, message: "hello {{ who }} x{{ n }}" }\n`, { onLog: (l) => void lines.push(l) })
      yield* (execute(wf, {}) as Effect.Effect<any, unknown>)
      yield* (execute(wf, { who: "ada" }) as Effect.Effect<any, unknown>)
      assert.deepStrictEqual(lines, ["hello world x3", "hello ada x3"])
    }))

  it.live("the built-in log action prints its rendered parameters", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const wf = build(`name: l\ninputs:\n  who: string\nsteps:\n  - { id: say, type: action, action: log, message: "hello {{ who | upper }}" }\n`, { onLog: (l) => void lines.push(l) })
      yield* (execute(wf, { who: "ada" }) as Effect.Effect<any, unknown>)
      assert.deepStrictEqual(lines, ["hello ADA"])
    }))
})

describe("step cache", () => {
  it.effect("cache: { ttl } serves repeated calls until the ttl passes (TestClock)", () =>
    Effect.gen(function*() {
      clearCache()
      let calls = 0
      const wf = build(
        `name: c\ninputs:\n  q: string\nsteps:\n  - { id: ask, type: action, action: lookup, q: "{{ q }}", cache: { ttl: 1m }, output: a }\n`,
        { actions: { lookup: () => Effect.sync(() => ++calls) } }
      )
      const run = (q: string) => execute(wf, { q }) as Effect.Effect<any, unknown>
      yield* run("x")
      yield* run("x")
      assert.strictEqual(calls, 1) // same step, same parameters: cached
      yield* run("y")
      assert.strictEqual(calls, 2) // other parameters: a new call
      yield* TestClock.adjust("61 seconds")
      yield* run("x")
      assert.strictEqual(calls, 3) // expired
    }))

  it.effect("hits and misses are reported as ProviderEvents of the step", () =>
    Effect.gen(function*() {
      clearCache()
      const wf = build(
        `name: c2\ninputs:\n  q: string\nsteps:\n  - { id: ask, type: action, action: lookup, q: "{{ q }}", cache: true, output: a }\n`,
        { actions: { lookup: () => Effect.succeed(1) } }
      )
      const tags: Array<string> = []
      const onEvent = (e: { readonly _tag: string; readonly event?: { readonly _tag: string } }) => {
        if (e._tag === "ProviderEvent") tags.push(e.event!._tag)
      }
      yield* (execute(wf, { q: "x" }, { onEvent }) as Effect.Effect<any, unknown>)
      yield* (execute(wf, { q: "x" }, { onEvent }) as Effect.Effect<any, unknown>)
      assert.deepStrictEqual(tags, ["CacheMiss", "CacheHit"])
    }))
})

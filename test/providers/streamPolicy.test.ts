// Llm.stream's per-call timeout and retry over a real socket: the OpenAI SDK reads SSE from a local server that stalls
// mid-answer. test/engine/itemPolicy.test.ts proves the policy's logic on the test clock; this shows it holds where
// users meet it (a real HTTP stream that goes quiet, the call aborted through the SDK's connection).
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Redacted, Stream } from "effect"
import { StepTimeout } from "../../dsl/errors.ts"
import { Llm } from "../../src/llm/index.ts"
import { Anthropic, Cohere, OpenAi } from "../../src/providers/index.ts"
import * as AnthropicWire from "../support/wire/anthropic.ts"
import * as CohereWire from "../support/wire/cohere.ts"
import * as Wire from "../support/wire/openai.ts"
import * as WireServer from "../support/wire/WireServer.ts"

const main = { provider: "main", model: "gpt-4o-mini" } as const

// One warm-up call first: the SDK's first request in a process (module loading, connection set-up) can take longer
// than the short timeouts below on a loaded machine, and would time out before its first delta for that reason.
const setup = (handler: WireServer.Handler) =>
  Effect.gen(function*() {
    const server = yield* WireServer.start(() => Wire.chatStream(["warm"]))
    const model = yield* OpenAi.make({ model: "gpt-4o-mini", apiKey: Redacted.make("sk-test"), baseUrl: `${server.url}/v1` })
    const layer = Llm.layer("main", model)
    yield* Stream.runDrain(Llm.stream({ ...main, prompt: "warm" })).pipe(Effect.provide(layer))
    server.setHandler((request, index) => handler(request, index - 1))
    // requests and aborted indexes as the test's own calls count them (the warm-up was 0)
    const requests = () => server.requests.length - 1
    const aborted = (n: number) =>
      Effect.gen(function*() {
        for (let i = 0; i < 100 && server.aborted.length < n; i++) yield* Effect.sleep("50 millis")
        return server.aborted.map((i) => i - 1)
      })
    return { requests, aborted, layer }
  })

describe("Llm.stream policy over a real SSE connection (OpenAI SDK)", () => {
  it.live("a stream that stalls mid-answer fails with StepTimeout after the timeout, and the connection is closed", () =>
    Effect.gen(function*() {
      // the role chunk and two deltas, then silence with the connection held open
      const { requests, aborted, layer } = yield* setup(() => Wire.chatStream(["one ", "two "], { stallAfter: 3 }))
      const seen: Array<string> = []
      const started = Date.now()
      const exit = yield* Llm.stream({ ...main, prompt: "p", timeout: "2 seconds" }).pipe(
        Stream.runForEach((d) => Effect.sync(() => seen.push(d))),
        Effect.provide(layer),
        Effect.exit
      )
      const elapsed = Date.now() - started
      assert.deepStrictEqual(seen, ["one ", "two "])
      assert.isTrue(Exit.isFailure(exit))
      const error = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
      assert.instanceOf(error, StepTimeout)
      assert.strictEqual((error as StepTimeout).message, "LLM call to 'main' (gpt-4o-mini) sent nothing for 2000 ms")
      assert.isAtLeast(elapsed, 2000)
      assert.isBelow(elapsed, 30_000, "the stall is cut by the timeout, not by a socket timeout")
      assert.deepStrictEqual(yield* aborted(1), [0], "the stalled HTTP request is aborted, not left open")
      assert.strictEqual(requests(), 1, "no retry was asked for")
    }))

  it.live("a stall before the first delta is retried on a new request; the stalled one is aborted", () =>
    Effect.gen(function*() {
      // first request: headers and the role chunk, then nothing; second: the whole answer
      const { requests, aborted, layer } = yield* setup((_, i) => i === 0 ? Wire.chatStream(["x"], { stallAfter: 1 }) : Wire.chatStream(["hello ", "world"]))
      const text = yield* Llm.stream({ ...main, prompt: "p", timeout: "2 seconds", retry: { times: 1 } }).pipe(
        Stream.runCollect,
        Effect.map((chunks) => [...chunks].join("")),
        Effect.provide(layer)
      )
      assert.strictEqual(text, "hello world")
      assert.strictEqual(requests(), 2)
      assert.deepStrictEqual(yield* aborted(1), [0])
    }))

  it.live("a stall after the first delta is not retried: the caller already has part of the answer", () =>
    Effect.gen(function*() {
      const { requests, aborted, layer } = yield* setup(() => Wire.chatStream(["partial "], { stallAfter: 2 }))
      const seen: Array<string> = []
      const exit = yield* Llm.stream({ ...main, prompt: "p", timeout: "2 seconds", retry: { times: 3 } }).pipe(
        Stream.runForEach((d) => Effect.sync(() => seen.push(d))),
        Effect.provide(layer),
        Effect.exit
      )
      assert.deepStrictEqual(seen, ["partial "])
      assert.strictEqual(Exit.isFailure(exit) ? (Cause.squash(exit.cause) as StepTimeout)._tag : "none", "StepTimeout")
      assert.strictEqual(requests(), 1)
      assert.deepStrictEqual(yield* aborted(1), [0])
    }))

  // The same guarantee for the other streaming adapters: after the stall's timeout their request is aborted too.
  const others = [
    {
      name: "Anthropic",
      make: (url: string) => Anthropic.make({ model: "claude-sonnet-4-5", apiKey: Redacted.make("sk-ant"), baseUrl: url }),
      // message_start, content_block_start, one delta, then silence
      stall: () => AnthropicWire.stream(["one "], { stallAfter: 3 }),
      warm: () => AnthropicWire.stream(["warm"])
    },
    {
      name: "Cohere",
      make: (url: string) => Cohere.make({ model: "command-r-plus", apiKey: Redacted.make("co-key"), baseUrl: url }),
      stall: () => CohereWire.chatStream(["one "], { stallAfter: 3 }),
      warm: () => CohereWire.chatStream(["warm"])
    }
  ] as const
  for (const provider of others) {
    it.live(`${provider.name}: a stalled stream times out and its request is aborted`, () =>
      Effect.gen(function*() {
        const server = yield* WireServer.start(provider.warm)
        const layer = Llm.layer("main", yield* provider.make(server.url))
        yield* Stream.runDrain(Llm.stream({ ...main, prompt: "warm" })).pipe(Effect.provide(layer))
        server.setHandler(provider.stall)
        const seen: Array<string> = []
        const exit = yield* Llm.stream({ ...main, prompt: "p", timeout: "2 seconds" }).pipe(
          Stream.runForEach((d) => Effect.sync(() => seen.push(d))),
          Effect.provide(layer),
          Effect.exit
        )
        assert.deepStrictEqual(seen, ["one "])
        assert.strictEqual(Exit.isFailure(exit) ? (Cause.squash(exit.cause) as StepTimeout)._tag : "none", "StepTimeout")
        for (let i = 0; i < 100 && server.aborted.length < 1; i++) yield* Effect.sleep("50 millis")
        assert.deepStrictEqual(server.aborted, [1], "the stalled request (after the warm-up) is aborted")
      }))
  }
})

import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Exit, Layer, Schema, Stream } from "effect"
import { AiError, LanguageModel, type Prompt, type Response } from "effect/ai"
import { GenerationOptions, type GenerationSettings } from "../../src/llm/GenerationOptions.ts"
import * as Llm from "../../src/llm/Llm.ts"
import { trackUsage } from "../../src/llm/Usage.ts"

// A fake effect/ai provider: answers with `answer(prompt)`, records the prompts and the GenerationOptions it saw.
const fakeModel = (answer: (text: string) => string | AiError.AiError) => {
  const seen: Array<{ prompt: Prompt.Prompt; settings: GenerationSettings }> = []
  const textOf = (prompt: Prompt.Prompt) =>
    prompt.content.map((m) =>
      typeof m.content === "string"
        ? `${m.role}:${m.content}`
        : `${m.role}:${m.content.map((p) => (p.type === "text" ? p.text : "")).join("")}`
    ).join("|")
  const make = LanguageModel.make({
    generateText: (options) =>
      Effect.gen(function*() {
        seen.push({ prompt: options.prompt, settings: yield* GenerationOptions })
        const out = answer(textOf(options.prompt))
        if (typeof out !== "string") return yield* Effect.fail(out)
        const parts: Array<Response.PartEncoded> = [
          { type: "text", text: out },
          { type: "finish", reason: "stop", usage: { inputTokens: { total: 11 }, outputTokens: { total: 4 } } }
        ]
        return parts
      }),
    streamText: (options) =>
      Stream.unwrap(Effect.gen(function*() {
        seen.push({ prompt: options.prompt, settings: yield* GenerationOptions })
        const parts: Array<Response.StreamPartEncoded> = [
          { type: "text-start", id: "t" },
          { type: "text-delta", id: "t", delta: "Hel" },
          { type: "text-delta", id: "t", delta: "lo" },
          { type: "text-end", id: "t" },
          { type: "finish", reason: "stop", usage: { inputTokens: { total: 3 }, outputTokens: { total: 2 } } }
        ]
        return Stream.fromIterable(parts)
      }))
  })
  return { make, seen, textOf }
}

describe("Llm over an effect/ai LanguageModel", () => {
  it.effect("generate passes system prompt and settings, reports usage", () =>
    Effect.gen(function*() {
      const fake = fakeModel((t) => `echo ${t}`)
      const layer = Llm.layer("openai", yield* fake.make)
      const [text, usage] = yield* trackUsage(
        Llm.generate({
          provider: "openai",
          model: "gpt-4",
          system: "Be brief",
          prompt: "Hi",
          temperature: 0.2,
          maxTokens: 50,
          stopSequences: ["\n"]
        }).pipe(Effect.provide(layer))
      )
      assert.strictEqual(text, "echo system:Be brief|user:Hi")
      assert.deepStrictEqual(fake.seen[0]!.settings, {
        provider: "openai",
        model: "gpt-4",
        temperature: 0.2,
        maxTokens: 50,
        stopSequences: ["\n"]
      })
      assert.deepStrictEqual([usage.inputTokens, usage.outputTokens, usage.calls], [11, 4, 1])
      assert.deepStrictEqual(usage.entries.map((e) => [e.provider, e.model]), [["openai", "gpt-4"]])
    }))

  it.effect("generateObject decodes a literal union (wrapped for effect/ai) and an object", () =>
    Effect.gen(function*() {
      const fake = fakeModel((t) => (t.includes("label") ? `{"value":"negative"}` : `{"score":7,"notes":"ok"}`))
      const layer = Llm.layer("anthropic", Layer.effect(LanguageModel.LanguageModel, fake.make))
      const label = yield* Llm.generateObject({
        provider: "anthropic",
        model: "claude",
        prompt: "label this",
        schema: Schema.Literals(["positive", "negative", "neutral"])
      }).pipe(Effect.provide(layer))
      assert.strictEqual(label, "negative")
      const obj = yield* Llm.generateObject({
        provider: "anthropic",
        model: "claude",
        prompt: "score",
        schema: Schema.Struct({ score: Schema.Number, notes: Schema.String })
      }).pipe(Effect.provide(layer))
      assert.deepStrictEqual(obj, { score: 7, notes: "ok" })
    }))

  it.effect("invalid structured output is InvalidOutput with the raw text, and can be retried", () =>
    Effect.gen(function*() {
      let calls = 0
      const fake = fakeModel(() => (++calls < 3 ? "not json" : `{"value":"positive"}`))
      const layer = Llm.layerFromLanguageModel("openai").pipe(Layer.provide(Layer.effect(LanguageModel.LanguageModel, fake.make)))
      const schema = Schema.Literals(["positive", "negative"])
      const failed = yield* Llm.generateObject({ provider: "openai", model: "m", prompt: "p", schema }).pipe(
        Effect.provide(layer),
        Effect.flip
      )
      assert.strictEqual(failed._tag, "InvalidOutput")
      assert.strictEqual(failed._tag === "InvalidOutput" ? failed.raw : "", "not json")
      const ok = yield* Llm.generateObject({ provider: "openai", model: "m", prompt: "p", schema, retryInvalidOutput: 2 }).pipe(
        Effect.provide(layer)
      )
      assert.strictEqual(ok, "positive")
      assert.strictEqual(calls, 3)
    }))

  it.effect("AiErrors map to LlmErrors (rate limit keeps retry-after)", () =>
    Effect.gen(function*() {
      const fake = fakeModel(() =>
        AiError.make({ module: "fake", method: "generateText", reason: new AiError.RateLimitError({ retryAfter: Duration.seconds(2) }) })
      )
      const error = yield* Llm.generate({ provider: "openai", model: "m", prompt: "p" }).pipe(
        Effect.provide(Llm.layer("openai", yield* fake.make)),
        Effect.flip
      )
      assert.strictEqual(error._tag, "RateLimited")
      assert.strictEqual(error._tag === "RateLimited" ? error.retryAfterMillis : 0, 2000)
      assert.strictEqual(error.provider, "openai")
    }))

  it.effect("stream emits deltas and reports usage at the end", () =>
    Effect.gen(function*() {
      const fake = fakeModel(() => "")
      const [deltas, usage] = yield* trackUsage(
        Llm.stream({ provider: "openai", model: "gpt-4", prompt: "Hi", temperature: 1 }).pipe(
          Stream.runCollect,
          Effect.provide(Llm.layer("openai", yield* fake.make))
        )
      )
      assert.deepStrictEqual(Array.from(deltas), ["Hel", "lo"])
      assert.deepStrictEqual([usage.inputTokens, usage.outputTokens], [3, 2])
      assert.strictEqual(fake.seen[0]!.settings.temperature, 1)
    }))

  it.effect("alias serves a role name with a concrete provider", () =>
    Effect.gen(function*() {
      const fake = fakeModel(() => "from openai")
      const layer = Llm.alias("primary", "openai").pipe(Layer.provide(Llm.layer("openai", yield* fake.make)))
      const [text, usage] = yield* trackUsage(
        Llm.generate({ provider: "primary", model: "m", prompt: "p" }).pipe(Effect.provide(layer))
      )
      assert.strictEqual(text, "from openai")
      assert.strictEqual(usage.entries[0]!.provider, "primary")
    }))

  it.effect("a missing provider fails at runtime only when forced past the type checker", () =>
    Effect.gen(function*() {
      const exit = yield* (Llm.generate({ provider: "ghost", model: "m", prompt: "p" }) as Effect.Effect<string, unknown>).pipe(
        Effect.exit
      )
      assert.isTrue(Exit.isFailure(exit))
    }))
})

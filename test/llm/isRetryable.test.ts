import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { InvalidRequest, isRetryable, RateLimited, Workflow } from "../../src/index.ts"
import { VectorStoreError } from "../../src/vector/index.ts"

describe("isRetryable", () => {
  it("covers LLM errors and any error flagged retryable", () => {
    assert.isTrue(isRetryable(new RateLimited({ provider: "openai", message: "429" })))
    assert.isFalse(isRetryable(new InvalidRequest({ provider: "openai", message: "400" })))
    assert.isTrue(isRetryable(new VectorStoreError({ store: "docs", operation: "search", retryable: true, message: "503" })))
    assert.isFalse(isRetryable(new VectorStoreError({ store: "docs", operation: "search", retryable: false, message: "400" })))
    assert.isFalse(isRetryable(new Error("boom")))
    assert.isFalse(isRetryable(undefined))
  })

  it.effect("as a step's retry predicate it retries a transient vector-store failure", () =>
    Effect.gen(function*() {
      let calls = 0
      const wf = Workflow.make("search", { input: Schema.Struct({}) })
        .step("hits", { retry: { times: 3, while: isRetryable } }, () =>
          Effect.suspend(() =>
            ++calls < 3
              ? Effect.fail(new VectorStoreError({ store: "docs", operation: "search", retryable: true, message: "503" }))
              : Effect.succeed(["hit"])
          ))
      const result = yield* Workflow.execute(wf, {})
      assert.deepStrictEqual(result.outputs.hits, ["hit"])
      assert.strictEqual(result.steps["hits"]!.attempts, 3)
    }))
})

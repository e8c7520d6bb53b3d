import { assert, describe, it } from "@effect/vitest"
import { Redacted } from "effect"
import {
  ContentFiltered,
  ContextLengthExceeded,
  fromAiError,
  InvalidOutput,
  InvalidRequest,
  isRetryable,
  type LlmError,
  ProviderTimeout,
  ProviderUnavailable,
  RateLimited
} from "../../src/llm/index.ts"
import { ErrorMapping } from "../../src/providers/index.ts"

const all: ReadonlyArray<LlmError> = [
  new RateLimited({ provider: "p", message: "m", retryAfterMillis: 1500 }),
  new ProviderTimeout({ provider: "p", message: "m" }),
  new ProviderUnavailable({ provider: "p", message: "m", status: 503 }),
  new InvalidRequest({ provider: "p", message: "m", status: 400 }),
  new InvalidRequest({ provider: "p", message: "m", status: 401 }),
  new ContextLengthExceeded({ provider: "p", message: "m" }),
  new ContentFiltered({ provider: "p", message: "m" }),
  new InvalidOutput({ provider: "p", message: "m", raw: "{oops" })
]

describe("ErrorMapping", () => {
  it("every LlmError survives the AiError round trip, through ours and through src/llm fromAiError", () => {
    for (const e of all) {
      const ai = ErrorMapping.toAiError("generateText", e)
      const back = ErrorMapping.toLlmError("p", ai)
      assert.strictEqual(back._tag, e._tag)
      assert.deepStrictEqual({ ...back }, { ...e })
      const viaLlm = fromAiError("p", ai)
      assert.strictEqual(viaLlm._tag, e._tag, `src/llm fromAiError keeps ${e._tag}`)
      assert.strictEqual(isRetryable(viaLlm), isRetryable(e))
      assert.strictEqual(ai.isRetryable, e.retryable, `AiError.isRetryable agrees for ${e._tag}`)
    }
    assert.strictEqual(fromAiError("p", ErrorMapping.toAiError("x", all[0]!))._tag === "RateLimited" &&
      (fromAiError("p", ErrorMapping.toAiError("x", all[0]!)) as RateLimited).retryAfterMillis, 1500)
  })

  it("Retry-After: seconds, milliseconds header, HTTP date", () => {
    const h = (o: Record<string, string>) => ({ get: (k: string) => o[k] ?? null })
    assert.strictEqual(ErrorMapping.parseRetryAfter(h({ "retry-after": "3" })), 3000)
    assert.strictEqual(ErrorMapping.parseRetryAfter(h({ "retry-after-ms": "250", "retry-after": "3" })), 250)
    assert.strictEqual(ErrorMapping.parseRetryAfter(h({ "retry-after": new Date(10_000).toUTCString() }), 4_000), 6_000)
    assert.strictEqual(ErrorMapping.parseRetryAfter(h({})), undefined)
  })

  it("classifies SDK-shaped errors by status and scrubs secrets", () => {
    const key = Redacted.make("sk-live-abcdef")
    const sdk = (status: number | undefined, message: string, error?: unknown) => Object.assign(new Error(message), { status, error })
    assert.strictEqual(ErrorMapping.fromSdkError("p", sdk(529, "overloaded"))._tag, "ProviderUnavailable")
    assert.strictEqual(ErrorMapping.fromSdkError("p", sdk(504, "gateway"))._tag, "ProviderTimeout")
    assert.strictEqual(ErrorMapping.fromSdkError("p", sdk(400, "prompt is too long: 300000 tokens"))._tag, "ContextLengthExceeded")
    assert.strictEqual(ErrorMapping.fromSdkError("p", sdk(400, "x", { error: { type: "content_policy_violation" } }))._tag, "ContentFiltered")
    const e = ErrorMapping.fromSdkError("p", sdk(401, "bad key sk-live-abcdef"), [key])
    assert.strictEqual(e.message, "bad key <redacted>")
  })
})

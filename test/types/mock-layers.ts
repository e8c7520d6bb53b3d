// Type tests: mocks that do not cover a provider leave it in R (compile error), like any missing Layer.
import { Effect } from "effect"
import * as Embeddings from "../../src/llm/Embeddings.ts"
import * as Llm from "../../src/llm/Llm.ts"
import type { LlmError } from "../../src/llm/LlmError.ts"
import * as Mock from "../../src/testing/Mock.ts"
import { MockRecorder } from "../../src/testing/MockRecorder.ts"

const program = Effect.gen(function*() {
  const v = yield* Embeddings.embed({ provider: "openai", model: "e", input: "q" })
  const a = yield* Llm.generate({ provider: "anthropic", model: "c", prompt: `${v.length}` })
  const recorder = yield* MockRecorder
  return [a, recorder.count()] as const
})

export const covered: Effect.Effect<readonly [string, number], LlmError> = program.pipe(
  Effect.provide(Mock.layer({ llm: { anthropic: { responses: (req) => req.prompt } }, embeddings: { openai: {} } }))
)
// @ts-expect-error -- the openai embedding provider is not mocked
export const noEmbeddings: Effect.Effect<readonly [string, number], LlmError> = program.pipe(
  Effect.provide(Mock.layer({ llm: { anthropic: {} } }))
)
// @ts-expect-error -- an LLM mock named "openai" does not serve the embedding provider "openai"
export const wrongKind: Effect.Effect<readonly [string, number], LlmError> = program.pipe(
  Effect.provide(Mock.layer({ llm: { anthropic: {}, openai: {} } }))
)

import { Effect } from "effect"
import { ResponseCache } from "../../../src/reliability/index.ts"

export const program = Effect.gen(function*() {
  const cache = yield* ResponseCache.make({ capacity: 1000, ttl: "10 minutes" })
  let calls = 0
  // stands in for Llm.generate({ provider: "openai", model: "gpt-4o", prompt, temperature: 0 })
  const answer = (prompt: string) =>
    cache.cached({ provider: "openai", model: "gpt-4o", prompt, params: { temperature: 0 } })(
      Effect.sync(() => `answer #${++calls} to ${prompt}`)
    )
  yield* answer("What is Effect?")
  const again = yield* answer("What is Effect?")
  const stats = yield* cache.stats
  return `${again}; hits ${stats.hits}, misses ${stats.misses}`
})

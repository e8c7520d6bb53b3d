// The collection configurations a remote store remembers (dimension, distance, the backend's own names), so only the
// first call on a collection asks the server. Every remote store had the same lookup; it lives here once.
import { Effect } from "effect"
import * as V from "./validation.ts"
import type { VectorStoreError } from "./VectorStoreError.ts"

/**
 * The configuration of `collection` for `operation`: the name is checked first (a bad one fails without a request),
 * then the cached configuration is returned, or `load` asks the server (and is expected to fill the cache).
 *
 * @example
 * ```ts
 * const configs = new Map<string, { dimension: number }>()
 * const configOf = (operation: string, collection: string) =>
 *   cachedConfig("docs", configs, operation, collection, () => describe(operation, collection))
 * ```
 */
export const cachedConfig = <C, E, R>(
  store: string,
  configs: ReadonlyMap<string, C>,
  operation: string,
  collection: string,
  load: () => Effect.Effect<C, E, R>
): Effect.Effect<C, E | VectorStoreError, R> => {
  const bad = V.checkCollection(store, operation, collection)
  if (bad !== undefined) return Effect.fail(bad)
  const cached = configs.get(collection)
  return cached !== undefined ? Effect.succeed(cached) : load()
}

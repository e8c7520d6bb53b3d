// Why this exists: an SDK's streaming call takes an AbortSignal, but the signal `Effect.tryPromise` hands out is only
// live until the call's promise settles (the response headers). After that, interrupting the stream (a per-delta
// timeout, a cancelled run, a consumer that stops early) ends the Effect stream but not the HTTP request: while the
// SDK's iterator waits for the next chunk, `return()` cannot reach it, so a stalled answer kept its connection (and
// the provider kept generating, and billing) until the socket timed out. test/providers/streamPolicy.test.ts shows it.
import { Effect, type Scope } from "effect"

/**
 * Opens a streaming SDK request whose abort signal lives as long as the enclosing scope (for `Stream.unwrap`, the
 * stream's life): closing the scope aborts the request, whatever the SDK is waiting for.
 *
 * @example
 * ```ts
 * Stream.unwrap(Effect.gen(function*() {
 *   const chunks = yield* openStream((signal) => client.chat.completions.create({ ...request, stream: true }, { signal }), fail)
 *   return Stream.fromAsyncIterable(chunks, fail)
 * }))
 * ```
 */
export const openStream = <A, E>(open: (signal: AbortSignal) => Promise<A>, onError: (e: unknown) => E): Effect.Effect<A, E, Scope.Scope> =>
  Effect.flatMap(
    Effect.acquireRelease(Effect.sync(() => new AbortController()), (controller) => Effect.sync(() => controller.abort())),
    (controller) =>
      Effect.tryPromise({
        try: (signal) => {
          // interrupted while connecting: abort at once too
          signal.addEventListener("abort", () => controller.abort(), { once: true })
          return open(controller.signal)
        },
        catch: onError
      })
  )

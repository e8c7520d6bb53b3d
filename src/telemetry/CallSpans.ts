/**
 * Client spans of the calls a step makes besides language-model and embedding calls (those are `GenAiSpan`): vector
 * store operations and actions, so a run's trace reads run → step → LLM / embedding / vector / action call. Like the
 * engine's own spans they are made only when a real tracer is installed (with Effect's native tracer, which nobody
 * reads, the effect runs unchanged and pays one reference read).
 *
 * - A vector store operation is a `client` span named `{operation} {collection}` (the database conventions' form:
 *   `search documentation`) with `db.operation.name`, `db.collection.name`, `vector_store.name` (the store's name in
 *   the workflow), `vector_store.top_k` for searches and `db.response.returned_rows` when it answers.
 * - An action is the GenAI conventions' `execute_tool {action}` span (kind `internal`) with `gen_ai.operation.name`
 *   `execute_tool` and `gen_ai.tool.name`. Its parameters and result are not recorded (they may hold anything).
 *
 * A failure sets `error.type` (the error's `_tag`) and the span's error status.
 *
 * @example
 * ```ts
 * import { CallSpans } from "llm-orchestrator/telemetry"
 * const hits = myStore.search(options).pipe(CallSpans.vector({ store: "docs", operation: "search", collection: "documentation", topK: 5 }))
 * const sent = publish(params).pipe(CallSpans.action("publish"))
 * ```
 */
import { Effect, Tracer } from "effect"
import { CurrentVersion, names } from "./Semconv.ts"

/**
 * What a vector store span names.
 *
 * @example
 * ```ts
 * const v: CallSpans.VectorCall = { store: "docs", operation: "upsert", collection: "documentation" }
 * ```
 */
export interface VectorCall {
  /** The store's name in the workflow (`VectorStore.layerQdrant("docs", ...)`: `docs`). */
  readonly store: string
  /** `search`, `keyword_search`, `upsert`, `delete`, `create_collection`, ... */
  readonly operation: string
  readonly collection: string
  readonly topK?: number | undefined
}

const tagOf = (e: unknown): string =>
  typeof e === "object" && e !== null && "_tag" in e ? String((e as { _tag: unknown })._tag) : "_OTHER"

// No stack trace: it would point into this module, not at the user's step, and it doubles the cost of a span.
const noTrace = { captureStackTrace: false } as const

const rowsOf = (a: unknown): number | undefined => (Array.isArray(a) ? a.length : undefined)

/**
 * Runs `self` inside a client span of vector store call `call` (unchanged when no real tracer is installed).
 *
 * @example
 * ```ts
 * store.search({ collection: "documentation", vector, topK: 5 }).pipe(CallSpans.vector({ store: "docs", operation: "search", collection: "documentation", topK: 5 }))
 * ```
 */
export const vector = (call: VectorCall) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withFiber((fiber) => {
    if (fiber.getRef(Tracer.Tracer) === Tracer.nativeTracer) return self
    const errorType = names(fiber.getRef(CurrentVersion)).attributes.errorType
    const attributes: Record<string, unknown> = {
      "db.operation.name": call.operation,
      "db.collection.name": call.collection,
      "vector_store.name": call.store
    }
    if (call.topK !== undefined) attributes["vector_store.top_k"] = call.topK
    return Effect.useSpan(`${call.operation} ${call.collection}`, { kind: "client", attributes }, (span) =>
      Effect.withParentSpan(self, span, noTrace).pipe(
        Effect.tap((a) =>
          Effect.sync(() => {
            const rows = rowsOf(a)
            if (rows !== undefined) span.attribute("db.response.returned_rows", rows)
          })),
        Effect.tapError((e) => Effect.sync(() => span.attribute(errorType, tagOf(e))))
      ))
  })

/**
 * Runs `self` inside the `execute_tool {name}` span of action `name` (unchanged when no real tracer is installed).
 *
 * @example
 * ```ts
 * handler(params).pipe(CallSpans.action("notify"))
 * ```
 */
export const action = (name: string) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withFiber((fiber) => {
    if (fiber.getRef(Tracer.Tracer) === Tracer.nativeTracer) return self
    const table = names(fiber.getRef(CurrentVersion))
    const a = table.attributes
    const op = table.operations.executeTool
    return Effect.useSpan(`${op} ${name}`, {
      kind: "internal",
      attributes: { [a.operationName]: op, [a.toolName]: name }
    }, (span) =>
      Effect.withParentSpan(self, span, noTrace).pipe(
        Effect.tapError((e) => Effect.sync(() => span.attribute(a.errorType, tagOf(e))))
      ))
  })

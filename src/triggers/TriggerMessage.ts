/**
 * A message that asks for a run, as a source hands it over, and how it is read: a JSON body
 * `{ "workflow"?: name, "input": {...}, "idempotency_key"?: string, "priority"?: number | "high" | "low" }`.
 * The idempotency key is, in order: the body's `idempotency_key`, the message's `idempotency-key` header, the
 * source's own message id (a Redis Stream entry id, an AMQP `messageId`). Starting a durable run with it twice starts
 * one run, so a redelivered message does not start a second one. A message that cannot be read is refused with the
 * reason (it goes to the dead-letter place, never back to the queue).
 *
 * @example
 * ```ts
 * const read = TriggerMessage.read({ id: "1700000000000-0", body: '{"input":{"q":"hi"}}', headers: {} }, "redis-stream jobs")
 * // { _tag: "Request", workflow: undefined, input: { q: "hi" }, idempotencyKey: "redis-stream jobs 1700000000000-0", priority: undefined }
 * ```
 */
import * as Priority from "../reliability/Priority.ts"

/**
 * A message as a source hands it over.
 *
 * @example
 * ```ts
 * const m: TriggerMessage.Inbound = { id: "42", body: '{"input":{}}', headers: { "idempotency-key": "order-7" } }
 * ```
 */
export interface Inbound {
  /** The source's id of the message (stable across redeliveries), if it has one. */
  readonly id: string | undefined
  readonly body: string
  readonly headers: Readonly<Record<string, string>>
  /** Whether the source says it delivered this message before. */
  readonly redelivered?: boolean | undefined
}

/**
 * What a message asks for, or why it cannot be served.
 *
 * @example
 * ```ts
 * if (r._tag === "Malformed") console.error(r.reason)
 * ```
 */
export type Read =
  | {
    readonly _tag: "Request"
    readonly workflow: string | undefined
    readonly input: unknown
    readonly idempotencyKey: string
    readonly priority: number | undefined
  }
  | { readonly _tag: "Malformed"; readonly reason: string }

const malformed = (reason: string): Read => ({ _tag: "Malformed", reason })

/**
 * Reads a message; `source` names the source in derived keys (`<source> <id>`), so two streams' ids never collide.
 *
 * @example
 * ```ts
 * TriggerMessage.read({ id: undefined, body: "not json", headers: {} }, "amqp jobs")
 * // { _tag: "Malformed", reason: "the body is not JSON: Unexpected token 'o', \"not json\" is not valid JSON" }
 * ```
 */
export const read = (message: Inbound, source: string): Read => {
  let body: unknown
  try {
    body = JSON.parse(message.body)
  } catch (e) {
    return malformed(`the body is not JSON: ${e instanceof Error ? e.message : String(e)}`)
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) return malformed("the body is not a JSON object")
  const o = body as Record<string, unknown>
  const unknownKeys = Object.keys(o).filter((k) => !["workflow", "input", "idempotency_key", "priority"].includes(k))
  if (unknownKeys.length > 0) return malformed(`unknown field(s) ${unknownKeys.map((k) => `"${k}"`).join(", ")} (expected workflow, input, idempotency_key, priority)`)
  if (!("input" in o)) return malformed(`field "input" is missing`)
  if (o["workflow"] !== undefined && (typeof o["workflow"] !== "string" || o["workflow"] === "")) return malformed(`field "workflow" must be a non-empty string`)
  const key = o["idempotency_key"]
  if (key !== undefined && (typeof key !== "string" || key === "")) return malformed(`field "idempotency_key" must be a non-empty string`)
  let priority: number | undefined
  if (o["priority"] !== undefined) {
    priority = typeof o["priority"] === "string" || typeof o["priority"] === "number" ? Priority.parse(o["priority"]) : undefined
    if (priority === undefined) return malformed(`field "priority" must be a number or one of high, normal, low`)
  }
  const header = message.headers["idempotency-key"]
  const idempotencyKey = (key as string | undefined) ?? (header !== undefined && header !== "" ? header : undefined) ??
    (message.id !== undefined && message.id !== "" ? `${source} ${message.id}` : undefined)
  if (idempotencyKey === undefined) {
    return malformed(`the message has no id, no "idempotency-key" header and no "idempotency_key" field: a redelivery could not be told from a new request`)
  }
  return { _tag: "Request", workflow: o["workflow"] as string | undefined, input: o["input"], idempotencyKey, priority }
}

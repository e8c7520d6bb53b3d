/** Anthropic Messages wire format replies (messages, SSE events, errors) for {@link WireServer}. */
import type { RecordedRequest, Reply } from "./WireServer.ts"

type Block = { type: "text"; text: string } | { type: "tool_use"; id: string; name: string; input: unknown }

export const message = (
  content: ReadonlyArray<Block>,
  options: { readonly stopReason?: string; readonly usage?: { input_tokens: number; output_tokens: number }; readonly model?: string } = {}
): Reply => ({
  kind: "json",
  body: {
    id: "msg_1",
    type: "message",
    role: "assistant",
    model: options.model ?? "claude-sonnet-4-5",
    content,
    stop_reason: options.stopReason ?? (content.some((b) => b.type === "tool_use") ? "tool_use" : "end_turn"),
    stop_sequence: null,
    usage: options.usage ?? { input_tokens: 12, output_tokens: 4 }
  }
})

export const text = (t: string, options: Parameters<typeof message>[1] = {}): Reply => message([{ type: "text", text: t }], options)

export const stream = (
  deltas: ReadonlyArray<string>,
  options: { readonly dropAfter?: number; readonly stallAfter?: number; readonly errorAfter?: number } = {}
): Reply => {
  const events: Array<{ event: string; data: unknown }> = [
    { event: "message_start", data: { type: "message_start", message: { id: "msg_1", type: "message", role: "assistant", model: "claude-sonnet-4-5", content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 9, output_tokens: 1 } } } },
    { event: "content_block_start", data: { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } } },
    ...deltas.map((d) => ({ event: "content_block_delta", data: { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: d } } })),
    { event: "content_block_stop", data: { type: "content_block_stop", index: 0 } },
    { event: "message_delta", data: { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: deltas.length } } },
    { event: "message_stop", data: { type: "message_stop" } }
  ]
  if (options.errorAfter !== undefined) {
    events.splice(options.errorAfter, events.length, { event: "error", data: { type: "error", error: { type: "overloaded_error", message: "Overloaded" } } })
  }
  return {
    kind: "sse",
    events,
    ...(options.dropAfter === undefined ? {} : { dropAfter: options.dropAfter }),
    ...(options.stallAfter === undefined ? {} : { stallAfter: options.stallAfter })
  }
}

export const error = (status: number, type: string, msg: string, headers?: Record<string, string>): Reply => ({
  kind: "json",
  status,
  ...(headers ? { headers } : {}),
  body: { type: "error", error: { type, message: msg } }
})

const lastUser = (request: RecordedRequest): string => {
  const messages: ReadonlyArray<{ role: string; content: ReadonlyArray<{ type: string; text?: string }> }> = request.body?.messages ?? []
  const user = [...messages].reverse().find((m) => m.role === "user")
  return user?.content.map((c) => c.text ?? "").join("") ?? ""
}

/** Echoes the last user message (streamed when asked). */
export const echo = (request: RecordedRequest): Reply => {
  const t = `echo: ${lastUser(request)}`
  return request.body?.stream ? stream(t.split(/(?<= )/)) : text(t)
}

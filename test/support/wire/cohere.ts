/** Cohere v2 wire format replies (chat, SSE chat stream, embed, rerank, errors) for {@link WireServer}. */
import type { RecordedRequest, Reply } from "./WireServer.ts"

const usage = (input: number, output: number) => ({ billed_units: { input_tokens: input, output_tokens: output }, tokens: { input_tokens: input + 3, output_tokens: output } })

export const chat = (
  text: string | null,
  options: {
    readonly finishReason?: string
    readonly toolCalls?: ReadonlyArray<{ id: string; name: string; arguments: string }>
    readonly usage?: { input: number; output: number }
  } = {}
): Reply => ({
  kind: "json",
  body: {
    id: "chat-1",
    finish_reason: options.finishReason ?? (options.toolCalls ? "TOOL_CALL" : "COMPLETE"),
    message: {
      role: "assistant",
      ...(text === null ? {} : { content: [{ type: "text", text }] }),
      ...(options.toolCalls ? { tool_calls: options.toolCalls.map((t) => ({ id: t.id, type: "function", function: { name: t.name, arguments: t.arguments } })) } : {})
    },
    usage: usage(options.usage?.input ?? 10, options.usage?.output ?? 5)
  }
})

export const chatStream = (
  deltas: ReadonlyArray<string>,
  options: {
    readonly dropAfter?: number
    readonly stallAfter?: number
    readonly finishReason?: string
    readonly toolCall?: { id: string; name: string; pieces: ReadonlyArray<string> }
  } = {}
): Reply => ({
  kind: "sse",
  ...(options.dropAfter === undefined ? {} : { dropAfter: options.dropAfter }),
  ...(options.stallAfter === undefined ? {} : { stallAfter: options.stallAfter }),
  events: [
    { event: "message-start", data: { type: "message-start", id: "chat-1", delta: { message: { role: "assistant" } } } },
    ...(deltas.length > 0 ? [{ event: "content-start", data: { type: "content-start", index: 0, delta: { message: { content: { type: "text", text: "" } } } } }] : []),
    ...deltas.map((d) => ({ event: "content-delta", data: { type: "content-delta", index: 0, delta: { message: { content: { text: d } } } } })),
    ...(deltas.length > 0 ? [{ event: "content-end", data: { type: "content-end", index: 0 } }] : []),
    ...(options.toolCall
      ? [
        { event: "tool-call-start", data: { type: "tool-call-start", index: 0, delta: { message: { tool_calls: { id: options.toolCall.id, type: "function", function: { name: options.toolCall.name, arguments: "" } } } } } },
        ...options.toolCall.pieces.map((p) => ({ event: "tool-call-delta", data: { type: "tool-call-delta", index: 0, delta: { message: { tool_calls: { function: { arguments: p } } } } } })),
        { event: "tool-call-end", data: { type: "tool-call-end", index: 0 } }
      ]
      : []),
    { event: "message-end", data: { type: "message-end", delta: { finish_reason: options.finishReason ?? (options.toolCall ? "TOOL_CALL" : "COMPLETE"), usage: usage(7, deltas.length) } } },
    { data: "[DONE]" }
  ]
})

/** Embeds each text as [length, index] (so tests can tell inputs apart), as float embeddings. */
export const embed = (request: RecordedRequest): Reply => {
  const texts: ReadonlyArray<string> = request.body?.texts ?? []
  return {
    kind: "json",
    body: {
      id: "embed-1",
      response_type: "embeddings_by_type",
      embeddings: { float: texts.map((t, i) => [t.length, i]) },
      texts,
      meta: { api_version: { version: "2" }, billed_units: { input_tokens: texts.length * 2 } }
    }
  }
}

/** Scores each document by how many query words it contains (a stand-in cross-encoder), best first, top_n applied. */
export const rerank = (request: RecordedRequest): Reply => {
  const query = String(request.body?.query ?? "").toLowerCase().split(/\W+/).filter((w) => w.length > 0)
  const docs: ReadonlyArray<string> = request.body?.documents ?? []
  const results = docs
    .map((d, index) => ({ index, relevance_score: query.filter((w) => d.toLowerCase().includes(w)).length / Math.max(1, query.length) }))
    .sort((a, b) => b.relevance_score - a.relevance_score || a.index - b.index)
    .slice(0, request.body?.top_n ?? docs.length)
  return { kind: "json", body: { id: "rerank-1", results, meta: { api_version: { version: "2" }, billed_units: { search_units: 1 } } } }
}

export const error = (status: number, message: string, headers?: Record<string, string>): Reply => ({
  kind: "json",
  status,
  ...(headers ? { headers } : {}),
  body: { id: "err-1", message }
})

/** chat echoes the last user message (streamed when asked); embed and rerank as above. */
export const echo = (request: RecordedRequest): Reply => {
  if (request.path.endsWith("/v2/embed")) return embed(request)
  if (request.path.endsWith("/v2/rerank")) return rerank(request)
  const messages: ReadonlyArray<{ role: string; content: unknown }> = request.body?.messages ?? []
  const user = [...messages].reverse().find((m) => m.role === "user")
  const text = `echo: ${typeof user?.content === "string" ? user.content : ""}`
  return request.body?.stream ? chatStream(text.split(/(?<= )/)) : chat(text)
}

/** OpenAI wire format replies (chat completions, SSE chunks, embeddings, errors) for {@link WireServer}. */
import type { RecordedRequest, Reply } from "./WireServer.ts"

export const chat = (
  content: string | null,
  options: {
    readonly finishReason?: string
    readonly toolCalls?: ReadonlyArray<{ id: string; name: string; arguments: string }>
    readonly usage?: { prompt_tokens: number; completion_tokens: number }
    readonly model?: string
    readonly refusal?: string
    readonly delayMillis?: number
  } = {}
): Reply => ({
  kind: "json",
  ...(options.delayMillis === undefined ? {} : { delayMillis: options.delayMillis }),
  body: {
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 1,
    model: options.model ?? "gpt-4o-mini",
    choices: [{
      index: 0,
      finish_reason: options.finishReason ?? (options.toolCalls ? "tool_calls" : "stop"),
      message: {
        role: "assistant",
        content,
        refusal: options.refusal ?? null,
        ...(options.toolCalls
          ? { tool_calls: options.toolCalls.map((t) => ({ id: t.id, type: "function", function: { name: t.name, arguments: t.arguments } })) }
          : {})
      }
    }],
    usage: { ...(options.usage ?? { prompt_tokens: 10, completion_tokens: 5 }), total_tokens: 15 }
  }
})

const chunk = (delta: object, finish: string | null = null, usage?: object) => ({
  data: {
    id: "chatcmpl-1",
    object: "chat.completion.chunk",
    created: 1,
    model: "gpt-4o-mini",
    choices: usage ? [] : [{ index: 0, delta, finish_reason: finish }],
    ...(usage ? { usage } : {})
  }
})

export const chatStream = (
  deltas: ReadonlyArray<string>,
  options: { readonly dropAfter?: number; readonly stallAfter?: number; readonly finishReason?: string; readonly delayMillis?: number } = {}
): Reply => ({
  kind: "sse",
  ...(options.dropAfter === undefined ? {} : { dropAfter: options.dropAfter }),
  ...(options.stallAfter === undefined ? {} : { stallAfter: options.stallAfter }),
  ...(options.delayMillis === undefined ? {} : { delayMillis: options.delayMillis }),
  events: [
    chunk({ role: "assistant", content: "" }),
    ...deltas.map((d) => chunk({ content: d })),
    chunk({}, options.finishReason ?? "stop"),
    chunk({}, null, { prompt_tokens: 7, completion_tokens: deltas.length, total_tokens: 7 + deltas.length }),
    { data: "[DONE]" }
  ]
})

export const toolCallStream = (name: string, argPieces: ReadonlyArray<string>): Reply => ({
  kind: "sse",
  events: [
    chunk({ role: "assistant", tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name, arguments: "" } }] }),
    ...argPieces.map((a) => chunk({ tool_calls: [{ index: 0, function: { arguments: a } }] })),
    chunk({}, "tool_calls"),
    chunk({}, null, { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 }),
    { data: "[DONE]" }
  ]
})

export const embeddings = (request: RecordedRequest): Reply => {
  const input: ReadonlyArray<string> = Array.isArray(request.body?.input) ? request.body.input : [request.body?.input]
  return {
    kind: "json",
    body: {
      object: "list",
      model: request.body?.model,
      // reversed order on purpose: the adapter must sort by index
      data: input.map((text, index) => ({ object: "embedding", index, embedding: [text.length, index] })).reverse(),
      usage: { prompt_tokens: input.length * 2, total_tokens: input.length * 2 }
    }
  }
}

export const error = (status: number, message: string, options: { readonly type?: string; readonly code?: string; readonly headers?: Record<string, string> } = {}): Reply => ({
  kind: "json",
  status,
  ...(options.headers ? { headers: options.headers } : {}),
  body: { error: { message, type: options.type ?? "error", code: options.code ?? null, param: null } }
})

const lastUser = (request: RecordedRequest): string => {
  const messages: ReadonlyArray<{ role: string; content: unknown }> = request.body?.messages ?? []
  const user = [...messages].reverse().find((m) => m.role === "user")
  return typeof user?.content === "string" ? user.content : ""
}

/** Echoes the last user message (streamed when asked), embeds by text length. */
export const echo = (request: RecordedRequest): Reply => {
  if (request.path.endsWith("/embeddings")) return embeddings(request)
  const text = `echo: ${lastUser(request)}`
  return request.body?.stream ? chatStream(text.split(/(?<= )/)) : chat(text)
}

/**
 * A real server on 127.0.0.1 (random port) for the tests, on a store (durable runs in memory by default: the real
 * engine, the real run index and event log), with keys of every role created up front.
 */
import { type Duration, Effect, Exit, Layer, Redacted, Scope } from "effect"
import { HttpServer } from "effect/http"
import { KeyStore } from "../../src/auth/KeyStore.ts"
import type { ServicesOptions } from "../../src/pipeline/Services.ts"
import { AuditLog } from "../../src/server/AuditLog.ts"
import * as Backend from "../../src/server/Backend.ts"
import { RunService } from "../../src/server/RunService.ts"
import * as Server from "../../src/server/Server.ts"
import * as WorkflowRegistry from "../../src/server/WorkflowRegistry.ts"
import type { ActionHandler } from "../../src/yaml/interpret.ts"

export interface TestServer {
  readonly url: string
  readonly keys: { readonly admin: string; readonly runner: string; readonly viewer: string; readonly restricted: string; readonly revoked: string }
  readonly audit: AuditLog["Service"]
  readonly registry: WorkflowRegistry.WorkflowRegistryShape
  readonly runs: RunService["Service"]
  readonly close: () => Promise<void>
}

export const startServer = async (
  options: Server.Options & {
    readonly services?: ServicesOptions | undefined
    readonly store?: string | undefined
    readonly syncInterval?: Duration.Input | undefined
    readonly approval?: Backend.Options["approval"]
    readonly governance?: Backend.Options["governance"]
    readonly actions?: Readonly<Record<string, ActionHandler>> | undefined
    readonly dailyBudgets?: Backend.Options["dailyBudgets"]
    /** Built first in the server's scope (a tracer, metrics on) and provided to everything else; released on close. */
    readonly telemetry?: Layer.Layer<any> | Layer.Layer<never> | undefined
  } = {}
): Promise<TestServer> => {
  const scope = Effect.runSync(Scope.make())
  const telemetry = options.telemetry === undefined ? undefined : Effect.runSync(Layer.buildWithScope(options.telemetry, scope))
  const program = Effect.gen(function*() {
    const providers = options.services?.catalogue?.filter((e) => e.kind === "llm").map((e) => e.id)
    const backend = Backend.layer({
      syncInterval: options.syncInterval,
      store: options.store ?? "memory",
      services: options.services,
      registry: {
        ...(providers === undefined ? {} : { analyze: { providers: { llm: providers, embeddings: [] } } }),
        ...(options.actions === undefined ? {} : { actions: options.actions })
      },
      approval: options.approval,
      governance: options.governance,
      ...(options.dailyBudgets === undefined ? {} : { dailyBudgets: options.dailyBudgets }),
      pollInterval: "20 millis",
      gracePeriod: "2 seconds",
      onProblem: () => {}
    })
    const context = yield* Layer.buildWithScope(backend, scope)
    const serverContext = yield* Layer.buildWithScope(Server.layer({ port: 0, pollInterval: "20 millis", ...options }).pipe(Layer.provide(Layer.succeedContext(context))), scope)
    const server = serverContext.mapUnsafe.get(HttpServer.HttpServer.key) as HttpServer.HttpServer
    const address = (server as unknown as { address: { hostname: string; port: number } }).address
    const keys = context.mapUnsafe.get(KeyStore.key) as KeyStore["Service"]
    const make = (name: string, role: "viewer" | "runner" | "admin", workflows: "*" | ReadonlyArray<string> = "*") =>
      Effect.map(keys.create({ name, role, workflows }), (k) => ({ token: Redacted.value(k.token), id: k.key.id }))
    const admin = yield* make("admin", "admin")
    const runner = yield* make("runner", "runner")
    const viewer = yield* make("viewer", "viewer")
    const restricted = yield* make("restricted", "runner", ["allowed-only"])
    const revoked = yield* make("revoked", "admin")
    yield* keys.revoke(revoked.id)
    return {
      url: `${options.tls !== undefined ? "https" : "http"}://127.0.0.1:${address.port}`,
      keys: { admin: admin.token, runner: runner.token, viewer: viewer.token, restricted: restricted.token, revoked: revoked.token },
      audit: context.mapUnsafe.get(AuditLog.key) as AuditLog["Service"],
      registry: context.mapUnsafe.get(WorkflowRegistry.WorkflowRegistry.key) as WorkflowRegistry.WorkflowRegistryShape,
      runs: context.mapUnsafe.get(RunService.key) as RunService["Service"],
      close: () => Effect.runPromise(Scope.close(scope, Exit.void))
    }
  })
  return Effect.runPromise((telemetry === undefined ? program : Effect.provide(program, telemetry)) as Effect.Effect<TestServer, unknown>)
}

export const call = async (
  server: { readonly url: string },
  method: string,
  path: string,
  options: { readonly token?: string | undefined; readonly body?: unknown; readonly headers?: Record<string, string>; readonly raw?: string } = {}
): Promise<{ readonly status: number; readonly body: any; readonly text: string; readonly headers: Headers }> => {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token !== undefined) headers["authorization"] = `Bearer ${options.token}`
  let body: string | undefined
  if (options.raw !== undefined) body = options.raw
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body)
    headers["content-type"] ??= "application/json"
  }
  const res = await fetch(`${server.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) })
  const text = await res.text()
  let parsed: unknown
  try {
    parsed = text === "" ? undefined : JSON.parse(text)
  } catch {
    parsed = undefined
  }
  return { status: res.status, body: parsed, text, headers: res.headers }
}

export const echoWorkflow = `name: echo
description: Repeats its input
inputs:
  text: { type: string }
steps:
  - id: shout
    type: transform
    function: template
    template: "echo: {{ input.text }}"
    output: loud
outputs:
  loud: "{{ loud }}"
`

export interface SseMessage {
  readonly id: string | undefined
  readonly event: string
  readonly data: string
}

/** Reads an SSE response until it ends (or `stopAfter` messages), parsing `id:`, `event:` and `data:` lines. */
export const readSse = async (
  server: { readonly url: string },
  path: string,
  options: { readonly token: string; readonly lastEventId?: string | undefined; readonly stopAfter?: number | undefined }
): Promise<ReadonlyArray<SseMessage>> => {
  const controller = new AbortController()
  const headers: Record<string, string> = { authorization: `Bearer ${options.token}`, accept: "text/event-stream" }
  if (options.lastEventId !== undefined) headers["last-event-id"] = options.lastEventId
  const res = await fetch(`${server.url}${path}`, { headers, signal: controller.signal })
  if (res.status !== 200) throw new Error(`SSE ${path}: ${res.status} ${await res.text()}`)
  const out: Array<SseMessage> = []
  const decoder = new TextDecoder()
  let buffer = ""
  const reader = res.body!.getReader()
  try {
    while (true) {
      const { done, value } = await reader.read()
      if (done) break
      buffer += decoder.decode(value, { stream: true })
      let end: number
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        let id: string | undefined
        let event = "message"
        const data: Array<string> = []
        for (const line of block.split("\n")) {
          if (line.startsWith("id: ")) id = line.slice(4)
          else if (line.startsWith("event: ")) event = line.slice(7)
          else if (line.startsWith("data: ")) data.push(line.slice(6))
        }
        out.push({ id, event, data: data.join("\n") })
        if (options.stopAfter !== undefined && out.length >= options.stopAfter) {
          controller.abort()
          return out
        }
      }
    }
  } catch (e) {
    if (!controller.signal.aborted) throw e
  }
  return out
}

export const streamingWorkflow = `name: storyteller
inputs:
  topic: { type: string }
steps:
  - id: tell
    type: llm
    provider: openai
    model: gpt-4o-mini
    prompt: "Tell a story about {{ input.topic }}"
    stream: true
    output: story
outputs:
  story: "{{ story }}"
`

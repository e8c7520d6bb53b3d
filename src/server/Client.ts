/**
 * The typed client of the REST API, derived from the same definition as the server (`Api.ts`): every endpoint is a
 * method with typed parameters, body, result and errors (`client.runs.get({ params: { id } })` fails with
 * `NotFound`, `Unauthorized`, ...). Used by the tests and by `llm-orchestrator --remote URL status|list|run`.
 *
 * {@link follow} reads a run's event stream and reconnects with `Last-Event-ID` when the connection drops, so a
 * caller sees every event exactly once.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Client } from "llm-orchestrator/server"
 * const program = Effect.gen(function*() {
 *   const client = yield* Client.make("http://127.0.0.1:8080", { token: process.env.LLMO_API_KEY })
 *   const run = yield* client.runs.start({ params: { name: "rag" }, query: { wait: "true" }, headers: {}, payload: { input: { query: "hi" } } })
 *   console.log(run.status)
 * }).pipe(Effect.provide(Client.layerHttp))
 * ```
 */
import { Duration, Effect, Layer, Redacted, Schedule, Stream } from "effect"
import { FetchHttpClient, HttpClient, HttpClientRequest } from "effect/http"
import { HttpApiClient, HttpApiMiddleware } from "effect/http-api"
import { Api, Authentication } from "./Api.ts"
import type * as Model from "./Model.ts"

/**
 * The client type.
 *
 * @example
 * ```ts
 * const useIt = (client: Client.ApiClient) => client.workflows.list()
 * ```
 */
export type ApiClient = HttpApiClient.ForApi<typeof Api>

/**
 * The HTTP client the API client runs on (fetch).
 *
 * @example
 * ```ts
 * program.pipe(Effect.provide(Client.layerHttp))
 * ```
 */
export const layerHttp: Layer.Layer<HttpClient.HttpClient> = FetchHttpClient.layer

/**
 * A client of the server at `baseUrl`, sending `token` (an API key or a JWT) as a bearer token.
 *
 * @example
 * ```ts
 * const client = yield* Client.make("https://orchestrator.internal", { token: Redacted.make(key) })
 * ```
 */
export const make = (
  baseUrl: string,
  options: { readonly token?: string | Redacted.Redacted<string> | undefined } = {}
): Effect.Effect<ApiClient, never, HttpClient.HttpClient> => {
  const token = options.token === undefined ? undefined : Redacted.isRedacted(options.token) ? options.token : Redacted.make(options.token)
  const auth = HttpApiMiddleware.layerClient(Authentication, ({ next, request }) =>
    next(token === undefined ? request : HttpClientRequest.bearerToken(request, Redacted.value(token))))
  return HttpApiClient.make(Api, { baseUrl }).pipe(Effect.provide(auth))
}

/**
 * The events of a run as they happen, reconnecting (with the last event id) after a dropped connection; ends after
 * the run's last event. `ping` keep-alives are left out.
 *
 * @example
 * ```ts
 * yield* Client.follow(client, runId, { types: "step.delta" }).pipe(
 *   Stream.runForEach((e) => Effect.sync(() => process.stdout.write((e.data as { text: string }).text)))
 * )
 * ```
 */
export const follow = (
  client: ApiClient,
  runId: string,
  options: { readonly types?: string | undefined; readonly steps?: string | undefined; readonly after?: number | undefined; readonly retries?: number | undefined } = {}
): Stream.Stream<Model.RunEvent, unknown> => {
  let last = options.after
  const connect = Stream.unwrap(
    Effect.suspend(() =>
      client.runs.events({
        params: { id: runId },
        query: { ...(options.types !== undefined ? { types: options.types } : {}), ...(options.steps !== undefined ? { steps: options.steps } : {}) },
        headers: last === undefined ? {} : { "last-event-id": String(last) }
      })
    )
  ).pipe(
    Stream.filter((e) => e.event !== "ping"),
    Stream.map((e) => {
      const event = JSON.parse(e.data) as Model.RunEvent
      last = event.id
      return event
    })
  )
  return (connect as Stream.Stream<Model.RunEvent, unknown>).pipe(
    Stream.retry(Schedule.max([Schedule.exponential(Duration.millis(100)), Schedule.recurs(options.retries ?? 5)]))
  )
}

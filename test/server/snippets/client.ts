import { Effect, Stream } from "effect"
import { Client } from "../../../src/server/index.ts"

// Start a run, print its answer as it is written, then read the finished run.
export const tell = (url: string, token: string, topic: string) =>
  Effect.gen(function*() {
    const client = yield* Client.make(url, { token })
    const started = yield* client.runs.start({ params: { name: "storyteller" }, query: {}, headers: {}, payload: { input: { topic } } })
    // every event once, reconnecting with Last-Event-ID if the connection drops
    yield* Client.follow(client, started.runId, { types: "step.delta" }).pipe(
      Stream.runForEach((e) => Effect.sync(() => process.stdout.write((e.data as { text: string }).text)))
    )
    return yield* client.runs.get({ params: { id: started.runId } })
  }).pipe(Effect.provide(Client.layerHttp))

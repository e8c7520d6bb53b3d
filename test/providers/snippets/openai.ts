import { Effect, Redacted, Schema, Stream } from "effect"
import { LanguageModel } from "effect/ai"
import { OpenAi } from "../../../src/providers/index.ts"

const Person = Schema.Struct({ name: Schema.String, born: Schema.Number })

export const program = (baseUrl: string) =>
  Effect.gen(function*() {
    // text
    const hello = yield* LanguageModel.generateText({ prompt: "Say hello" })
    // structured output: a JSON-schema response format, decoded with the Schema
    const person = yield* LanguageModel.generateObject({ prompt: "Who wrote the first program?", schema: Person, objectName: "person" })
    // streaming over SSE
    const streamed = yield* LanguageModel.streamText({ prompt: "Count" }).pipe(
      Stream.runFold(() => "", (text, part) => (part.type === "text-delta" ? text + part.delta : text))
    )
    return { hello: hello.text, person: person.value, streamed, usage: hello.usage.inputTokens.total }
  }).pipe(Effect.provide(OpenAi.layer({ model: "gpt-4o-mini", apiKey: Redacted.make("sk-demo"), baseUrl })))

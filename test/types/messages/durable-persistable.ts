// A durable run stores each step's output: a step with no output Schema must return JSON, or `Durable.start` (`run`,
// `register`) does not compile, naming the step, where in the value, and the fix. Declaring the Schema is the fix.
import { Effect, Schema } from "effect"
import { Durable } from "../../../src/durable/index.ts"
import { Workflow } from "../../../src/index.ts"

const Input = Schema.Struct({ text: Schema.String })

const json = Workflow.make("json", { input: Input })
  .step("count", (ctx) => Effect.succeed({ n: ctx.input.text.length, words: ctx.input.text.split(" "), tag: null }))
  .map("lengths", { needs: ["count"], over: (ctx) => ctx.count.words }, (word) => Effect.succeed(word.length))
const dated = Workflow.make("dated", { input: Input })
  .step("at", () => Effect.succeed({ at: new Date(0) }))
const datedWithSchema = Workflow.make("dated", { input: Input })
  .step("at", { output: Schema.Struct({ at: Schema.Date }) }, () => Effect.succeed({ at: new Date(0) }))
const callback = Workflow.make("callback", { input: Input })
  .step("make", () => Effect.succeed({ run: () => 1 }))
const nested = Workflow.make("nested", { input: Input })
  .map("items", { needs: [], over: () => [1, 2] }, (i) => Effect.succeed({ id: i, seen: new Set([i]) }))
const maybe = Workflow.make("maybe", { input: Input })
  .step("find", (ctx) => Effect.succeed(ctx.input.text === "" ? undefined : ctx.input.text))

// passes: JSON outputs, and a Date output with its Schema
export const okJson = Durable.start(json, { text: "a b" })
export const okSchema = Durable.run(datedWithSchema, { text: "t" })
export const okRegister = Durable.register(datedWithSchema)

// error TS2345: Argument of type 'Workflow<{ readonly text: string; }, { readonly text: string; }, JsonEntry<"at", { at: Date; }>, never, never, never, "at">' is not assignable to parameter of type '"Step 'at' cannot be stored by a durable run: value.at is a Date. Declare `output: <Schema>` on it (a Schema encodes the value to JSON), or return JSON (strings, numbers, booleans, null, arrays, plain objects)"'.
export const badDate = Durable.start(dated, { text: "t" })

// error TS2345: Argument of type 'Workflow<{ readonly text: string; }, { readonly text: string; }, JsonEntry<"make", { run: () => 1; }>, never, never, never, "make">' is not assignable to parameter of type '"Step 'make' cannot be stored by a durable run: value.run is a function. Declare `output: <Schema>` on it (a Schema encodes the value to JSON), or return JSON (strings, numbers, booleans, null, arrays, plain objects)"'.
export const badFunction = Durable.run(callback, { text: "t" })

// error TS2345: Argument of type 'Workflow<{ readonly text: string; }, { readonly text: string; }, JsonEntry<"items", readonly { id: number; seen: Set<number>; }[]>, never, never, never, "items">' is not assignable to parameter of type '"Step 'items' cannot be stored by a durable run: value[number].seen is a Set. Declare `output: <Schema>` on it (a Schema encodes the value to JSON), or return JSON (strings, numbers, booleans, null, arrays, plain objects)"'.
export const badMapItem = Durable.register(nested)

// error TS2345: Argument of type 'Workflow<{ readonly text: string; }, { readonly text: string; }, JsonEntry<"find", string | undefined>, never, never, never, "find">' is not assignable to parameter of type '"Step 'find' cannot be stored by a durable run: value may be undefined. Declare `output: <Schema>` on it (a Schema encodes the value to JSON), or return JSON (strings, numbers, booleans, null, arrays, plain objects)"'.
export const badUndefined = Durable.start(maybe, { text: "t" })

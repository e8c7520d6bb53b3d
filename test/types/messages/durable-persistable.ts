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

// Inside a branch case and inside a sub-workflow, each step's output is journaled too (under `route/case/step`,
// `call/step`): the same check reaches them, and the message names the step by its path.
const routed = Workflow.make("routed", { input: Input })
  .step("label", (ctx) => Effect.succeed(ctx.input.text === "" ? "empty" as const : "text" as const))
  .branch("route", { needs: ["label"], on: (ctx) => ctx.label }, {
    empty: (b) => b.step("none", () => Effect.succeed(0)),
    text: (b) => b.step("at", () => Effect.succeed({ at: new Date(0) }))
  })
const routedWithSchema = Workflow.make("routed", { input: Input })
  .step("label", (ctx) => Effect.succeed(ctx.input.text === "" ? "empty" as const : "text" as const))
  .branch("route", { needs: ["label"], on: (ctx) => ctx.label }, {
    empty: (b) => b.step("none", () => Effect.succeed(0)),
    text: (b) => b.step("at", { output: Schema.Struct({ at: Schema.Date }) }, () => Effect.succeed({ at: new Date(0) }))
  })
const inner = Workflow.make("inner", { input: Input })
  .step("seen", (ctx) => Effect.succeed({ words: new Set(ctx.input.text.split(" ")) }))
const innerJson = Workflow.make("inner", { input: Input })
  .step("seen", (ctx) => Effect.succeed({ words: [...new Set(ctx.input.text.split(" "))] }))
const outer = Workflow.make("outer", { input: Input })
  .call("sub", { needs: [], input: (ctx) => ({ text: ctx.input.text }) }, inner)
const outerJson = Workflow.make("outer", { input: Input })
  .call("sub", { needs: [], input: (ctx) => ({ text: ctx.input.text }) }, innerJson)
// A sub-workflow inside a branch case: the path goes through both.
const deep = Workflow.make("deep", { input: Input })
  .step("label", () => Effect.succeed("go" as const))
  .branch("route", { needs: ["label"], on: (ctx) => ctx.label }, {
    go: (b) => b.call("sub", { needs: [], input: (ctx) => ({ text: ctx.input.text }) }, inner)
  })

// passes: the same workflows with JSON outputs, or the Schema declared on the nested step
export const okBranch = Durable.start(routedWithSchema, { text: "t" })
export const okCall = Durable.run(outerJson, { text: "t" })

// error TS2345: Argument of type 'Workflow<{ readonly text: string; }, { readonly text: string; }, JsonEntry<"label", "empty" | "text"> | NestedEntry<"route", BranchOutput<{ readonly empty: (b: Workflow<{ readonly text: string; }, { readonly text: string; }, ... 4 more ..., "label">) => Workflow<...>; readonly text: (b: Workflow<...>) => Workflow<.....' is not assignable to parameter of type '"Step 'route/text/at' cannot be stored by a durable run: value.at is a Date. Declare `output: <Schema>` on it (a Schema encodes the value to JSON), or return JSON (strings, numbers, booleans, null, arrays, plain objects)"'.
export const badBranch = Durable.start(routed, { text: "t" })

// error TS2345: Argument of type 'Workflow<{ readonly text: string; }, { readonly text: string; }, NestedEntry<"sub", Outputs<JsonEntry<"seen", { words: Set<string>; }>>, "seen", Scoped<"", JsonEntry<"seen", { words: Set<...>; }>>>, never, never, never, "sub">' is not assignable to parameter of type '"Step 'sub/seen' cannot be stored by a durable run: value.words is a Set. Declare `output: <Schema>` on it (a Schema encodes the value to JSON), or return JSON (strings, numbers, booleans, null, arrays, plain objects)"'.
export const badCall = Durable.register(outer)

// error TS2345: Argument of type 'Workflow<{ readonly text: string; }, { readonly text: string; }, JsonEntry<"label", "go"> | NestedEntry<"route", { readonly case: "go"; readonly value: { readonly sub: Outputs<JsonEntry<"seen", { words: Set<string>; }>>; }; }, "go/sub" | "go/sub/seen", Scoped<...>>, never, never, never, "label" | "route">' is not assignable to parameter of type '"Step 'route/go/sub/seen' cannot be stored by a durable run: value.words is a Set. Declare `output: <Schema>` on it (a Schema encodes the value to JSON), or return JSON (strings, numbers, booleans, null, arrays, plain objects)"'.
export const badDeep = Durable.run(deep, { text: "t" })

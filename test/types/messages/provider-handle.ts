// A provider name must stay a literal: a handle (`Llm.model`) keeps it one wherever it is shared, and a name that
// widened to `string` is an error at the call, not a `LlmProvider<string>` requirement that fails far away.
import { Effect } from "effect"
import { Llm } from "../../../src/llm/index.ts"
import type { LlmError } from "../../../src/llm/LlmError.ts"
import type { LlmProvider } from "../../../src/llm/LlmProvider.ts"

const main = Llm.model("main", "gpt-4o-mini")

// passes: the handle's provider is the literal "main"
export const ok: Effect.Effect<string, LlmError, LlmProvider<"main">> = Llm.generate({ ...main, prompt: "hi" })
export const okObject = Llm.generateObject({ ...main, prompt: "hi", schema: null! as import("effect").Schema.Literals<["a", "b"]> })
// passes: a literal, or a union of literals
declare const cheap: boolean
export const okUnion = Llm.generate({ provider: cheap ? "cheap" : "main", model: "m", prompt: "p" })

const shared = { provider: "main", model: "gpt-4o-mini" }
// error TS2345: Argument of type '{ provider: string; model: string; prompt: string; }' is not assignable to parameter of type 'GenerateOptions<string, undefined>'.
// | Type '{ provider: string; model: string; prompt: string; }' is not assignable to type '{ readonly provider: "Provider name is a plain string: name it with a literal, or share it as a handle (const main = Llm.model(\"main\", \"gpt-4o-mini\"))"; }'.
// |   Types of property 'provider' are incompatible.
// |     Type 'string' is not assignable to type '"Provider name is a plain string: name it with a literal, or share it as a handle (const main = Llm.model(\"main\", \"gpt-4o-mini\"))"'.
export const widened = Llm.generate({ ...shared, prompt: "hi" })

declare const name: string
// error TS2345: Argument of type 'string' is not assignable to parameter of type '"Provider name is a plain string: name it with a literal, or share it as a handle (const main = Llm.model(\"main\", \"gpt-4o-mini\"))"'.
export const widenedHandle = Llm.model(name, "gpt-4o-mini")

// error TS2322: Type 'string' is not assignable to type '"Provider name is a plain string: name it with a literal, or share it as a handle (const main = Llm.model(\"main\", \"gpt-4o-mini\"))"'.
export const widenedStream = Llm.stream({ provider: name, model: "m", prompt: "p" })

export const use = Effect.void

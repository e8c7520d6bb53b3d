// A step's retry `while` is checked against the errors its run fails with, when its parameter is annotated.
import { Effect, Schema } from "effect"
import { Workflow } from "../../../src/index.ts"
import { isRetryable } from "../../../src/llm/index.ts"

class RateLimited extends Schema.TaggedError<RateLimited>()("RateLimited", {}) {}
class Refused extends Schema.TaggedError<Refused>()("Refused", {}) {}
declare const call: Effect.Effect<string, RateLimited | Refused>

const base = Workflow.make("t", { input: Schema.Struct({ q: Schema.String }) })

// passes: the annotation covers the step's errors; a guard on unknown; an unannotated predicate
export const ok = base.step("draft", { retry: { times: 2, while: (e: RateLimited | Refused) => e._tag === "RateLimited" } }, () => call)
export const okGuard = base.step("draft", { retry: { times: 2, while: isRetryable } }, () => call)
export const okPlain = base.step("draft", { retry: { times: 2, while: (e) => e !== null } }, () => call)

// error TS2345: Argument of type '"draft"' is not assignable to parameter of type '"Step 'draft': its retry 'while' takes a narrower error type than the step fails with (annotate it with the step's error type, or use isRetryable)"'.
export const narrow = base.step("draft", { retry: { times: 2, while: (e: RateLimited) => e._tag === "RateLimited" } }, () => call)

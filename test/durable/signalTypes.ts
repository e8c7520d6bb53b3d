/**
 * Compile-time checks of typed signals (type-checked by `npm run typecheck`; never run): `Durable.signal` accepts
 * only the workflow's wait steps, with the value their signal Schema describes.
 */
import { Effect, Schema } from "effect"
import { Durable } from "../../src/durable/index.ts"
import { Workflow } from "../../src/index.ts"

const review = Workflow.make("review", { input: Schema.Struct({ text: Schema.String }) })
  .step("draft", (ctx) => Effect.succeed(ctx.input.text))
  .wait("approve", { needs: ["draft"], signal: Schema.Struct({ approved: Schema.Boolean, note: Schema.String }) })
  .step("publish", { needs: ["approve"] }, (ctx) => Effect.succeed(ctx.approve.approved))

export const ok = Durable.signal(review, "run-1", "approve", { approved: true, note: "ship it" })

// @ts-expect-error 'draft' is a step, not a wait step
export const notAWait = Durable.signal(review, "run-1", "draft", "x")

// @ts-expect-error the signal's 'approved' is a boolean
export const wrongType = Durable.signal(review, "run-1", "approve", { approved: "yes", note: "x" })

// @ts-expect-error the signal lacks 'note'
export const missingField = Durable.signal(review, "run-1", "approve", { approved: true })

// The wait's output is typed by its Schema in later steps; a timeout adds WaitTimedOut to the errors.
const timed = Workflow.make("timed", { input: Schema.String }).wait("w", { signal: Schema.Number, timeout: "1 hour" })
export type TimedErrors = Workflow.ErrorOf<typeof timed>
export const timedHasTimeout: TimedErrors extends { readonly _tag: "WaitTimedOut" } ? true : false = true
const untimed = Workflow.make("untimed", { input: Schema.String }).wait("w", { signal: Schema.Number })
export const untimedHasNone: [Workflow.ErrorOf<typeof untimed>] extends [never] ? true : false = true

/** The workflow the trigger tests start: one step greeting `name`, logged to `log` (when given) with the pid. */
import { Effect, Schema } from "effect"
import { appendFileSync } from "node:fs"
import { Workflow } from "../../../src/index.ts"

export const greet = (log?: string) =>
  Workflow.make("greet", { input: Schema.Struct({ name: Schema.String }) })
    .step("hello", (ctx) =>
      Effect.sync(() => {
        if (log !== undefined) appendFileSync(log, `hello ${ctx.input.name} ${process.pid}\n`)
        return `hello ${ctx.input.name}`
      }))

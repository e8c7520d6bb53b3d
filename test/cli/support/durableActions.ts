/**
 * Actions for the durable CLI tests: `slow` logs `start <name> <pid>` / `end <name> <pid>` to `$DURABLE_LOG` (a
 * side-effect log that survives the process) around a sleep, so a test can kill or signal the CLI inside a step and
 * count what ran again.
 */
import { appendFileSync } from "node:fs"
import { Effect, Schema } from "effect"
import { Action } from "../../../src/actions/index.ts"

const log = (line: string) => appendFileSync(process.env["DURABLE_LOG"]!, `${line} ${process.pid}\n`)

export const slow = Action.make({
  description: "Sleeps, logging its start and end",
  params: Schema.Struct({ name: Schema.String, ms: Schema.Number }),
  run: ({ name, ms }) =>
    Effect.gen(function*() {
      log(`start ${name}`)
      yield* Effect.sleep(`${ms} millis`)
      log(`end ${name}`)
      return `${name}!`
    })
})

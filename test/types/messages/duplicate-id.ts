// Step ids are unique within a workflow, and 'input' is reserved.
import { Effect, Schema } from "effect"
import { Workflow } from "../../../src/index.ts"

const base = Workflow.make("t", { input: Schema.Struct({}) }).step("a", () => Effect.succeed(1))

// passes
export const ok = base.step("b", () => Effect.succeed(2))

// error TS2345: Argument of type '"a"' is not assignable to parameter of type '"Duplicate step id 'a'"'.
export const dup = base.step("a", () => Effect.succeed(2))

// error TS2345: Argument of type '"input"' is not assignable to parameter of type '"Step id 'input' is reserved for the workflow input"'.
export const reserved = base.step("input", () => Effect.succeed(2))

// error TS2345: Argument of type '"a"' is not assignable to parameter of type '"Duplicate step id 'a'"'.
export const dupMap = base.map("a", { needs: [], over: () => [1] }, (n) => Effect.succeed(n))

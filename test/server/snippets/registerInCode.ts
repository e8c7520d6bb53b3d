import { Effect, Schema } from "effect"
import { Workflow } from "../../../src/index.ts"
import { WorkflowRegistry } from "../../../src/server/index.ts"

const greet = Workflow.make("greet-ts", { input: Schema.Struct({ who: Schema.String }) })
  .step("hello", (ctx) => Effect.succeed(`Hello, ${ctx.input.who}!`))

// In the process that serves it: its steps run with the services in context here (providers, stores).
export const registerGreet = Effect.gen(function*() {
  const registry = yield* WorkflowRegistry.WorkflowRegistry
  yield* registry.registerGraph(greet, { context: yield* Effect.context<never>() })
})

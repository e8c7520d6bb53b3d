// ctx holds input plus exactly the declared needs; reading another step says how to make it readable.
import { Effect, Schema } from "effect"
import { Workflow } from "../../../src/index.ts"

const base = Workflow.make("t", { input: Schema.Struct({ q: Schema.String }) })
  .step("code", () => Effect.succeed(1))
  .step("docs", () => Effect.succeed("two"))

// passes: docs is declared
export const ok = base.step("answer", { needs: ["docs"] }, (ctx) => Effect.succeed(ctx.docs.toUpperCase()))

// error TS2339: Property 'code' does not exist on type '{ readonly docs: string; readonly input: { readonly q: string; }; } & { readonly "(to read another step's output, add its id to needs)"?: never; }'.
export const bad = base.step("answer", { needs: ["docs"] }, (ctx) => Effect.succeed(ctx.code))

// error TS2339: Property 'docs' does not exist on type '{ readonly input: { readonly q: string; }; } & { readonly "(to read another step's output, add its id to needs)"?: never; }'.
export const noNeeds = base.map("m", { needs: [], over: (ctx) => [ctx.docs] }, (n) => Effect.succeed(n))

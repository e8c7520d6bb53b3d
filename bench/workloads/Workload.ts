/**
 * A benchmark workload in its three versions: our engine (`Workflow.run`), the hand-written idiomatic Effect program,
 * and hand-written async/await. All three make the same mocked LLM calls with the same prompts.
 */
import type { Effect } from "effect"
import { Schema } from "effect"
import type { Workflow } from "../../src/index.ts"
import type { Mock } from "./mock.ts"

export interface Workload {
  readonly name: string
  readonly description: string
  /** Steps (mocked LLM calls, map items included) per run. */
  readonly steps: number
  /** The workflow and input that `ours` runs (for profiling other engines or options on the same graph). */
  readonly workflow: Workflow.Workflow<any, any, any, any, never>
  readonly input: { readonly query: string }
  readonly ours: () => Effect.Effect<unknown, unknown>
  readonly effect: () => Effect.Effect<unknown>
  readonly async: () => Promise<unknown>
}

/** Builds a workload around a mock (immediate or with latency). */
export type MakeWorkload = (mock: Mock) => Workload

/** The input of every workload; our engine decodes it with this Schema on each run, the hand-written ones do not. */
export const Input = Schema.Struct({ query: Schema.String })

export const input = { query: "what is effect?" } as const

/**
 * A fixed amount of work for instruction counting (`valgrind --tool=callgrind`, see docs/performance.md): warms up with
 * `WARM` runs of one version of one workload, then makes `N` more, one after another in one Effect program.
 * Counting a run with N = 0 and one with N > 0 gives the instructions per run, whatever else the machine is doing.
 *
 * `tsx bench/count.ts W3 events 2000 1000`
 */
import { Effect } from "effect"
import { Workflow } from "../src/index.ts"
import { immediate, w1, w2, w3, w4, type MakeWorkload } from "./workloads/index.ts"

const workloads: Record<string, MakeWorkload> = { W1: w1, W2: w2, W3: w3, W4: w4 }
const [name = "W1", version = "ours", warm = "2000", extra = "0"] = process.argv.slice(2)
const w = workloads[name]!(immediate)
const ignore = () => {}
const make: () => Effect.Effect<unknown, unknown> = version === "effect"
  ? w.effect
  : version === "ours"
  ? w.ours
  : version === "execute"
  ? () => Workflow.execute(w.workflow, w.input)
  : () => Workflow.execute(w.workflow, w.input, { onEvent: ignore })
const loop = (n: number) =>
  Effect.runPromise(Effect.gen(function*() {
    for (let i = 0; i < n; i++) yield* make()
  }) as Effect.Effect<void>)
await loop(Number(warm))
await loop(Number(extra))

import { assert, describe, it } from "@effect/vitest"
import { RunSummary } from "../../src/telemetry/index.ts"
import type { RunRecord, StepRow } from "../../src/store/RunStoreShape.ts"

const run = (runId: string, workflow: string, status: RunRecord["status"], startedAt: number, finishedAt?: number): RunRecord =>
  ({ runId, workflow, status, createdAt: startedAt - 5, startedAt, finishedAt } as unknown as RunRecord)
const step = (runId: string, usage: unknown, costUsd?: number): StepRow => ({ runId, usage, costUsd } as unknown as StepRow)

describe("RunSummary", () => {
  it("per workflow: runs by status, nearest-rank p50/p99 of finished runs, tokens, calls and cost from the steps", () => {
    const runs = [
      run("a", "rag", "succeeded", 0, 100),
      run("b", "rag", "failed", 0, 300),
      run("c", "rag", "succeeded", 0, 200),
      run("d", "rag", "running", 0),
      run("e", "triage", "succeeded", 10, 60)
    ]
    const steps: Record<string, Array<StepRow>> = {
      a: [step("a", { inputTokens: 100, outputTokens: 10, calls: 1 }, 0.001), step("a", undefined)],
      b: [step("b", { inputTokens: 50, outputTokens: 0, calls: 1 }, 0.0005)],
      e: [step("e", null)]
    }
    const summary = RunSummary.summarize(runs, (id) => steps[id] ?? [])
    assert.strictEqual(summary.runs, 5)
    assert.deepStrictEqual(summary.workflows.map((w) => w.workflow), ["rag", "triage"])
    const rag = summary.workflows[0]!
    assert.deepStrictEqual(rag.byStatus, { succeeded: 2, failed: 1, running: 1 })
    assert.deepStrictEqual([rag.p50Millis, rag.p99Millis], [200, 300])
    assert.deepInclude(rag, { inputTokens: 150, outputTokens: 10, calls: 2 })
    assert.closeTo(rag.costUsd, 0.0015, 1e-12)
    assert.deepStrictEqual([summary.workflows[1]!.p50Millis, summary.workflows[1]!.costUsd], [50, 0])
    const text = RunSummary.render(summary, "last 24h")
    assert.match(text, /^5 runs \(last 24h\), \$0\.001500/)
    assert.match(text, /rag\s+4\s+2\s+1\s+1\s+200ms\s+300ms\s+150\/10\s+2\s+\$0\.001500/)
    assert.strictEqual(RunSummary.render(RunSummary.summarize([], () => [])), "0 runs, $0.0000")
    assert.isUndefined(RunSummary.percentile([], 50))
  })
})

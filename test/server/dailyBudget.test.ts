/**
 * Per-workflow daily budgets of the server, over real HTTP with the OpenAI SDK talking to a local wire server that
 * reports fixed usage: the day's runs share one ledger in the SQLite run store, so the Nth run of the day stops at the
 * call that would pass the limit (nothing more is sent, the run fails with `BudgetExceeded` naming the workflow's daily
 * budget and the step), a restarted server keeps the day's spend, and the next day (a shifted `Clock`) starts afresh.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Clock, Effect, Exit, Layer, Option, Scope } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import * as DailyBudget from "../../src/budget/DailyBudget.ts"
import { serveSettings } from "../../src/cli/serveHandler.ts"
import * as Config from "../../src/config/Config.ts"
import * as OpenAi from "../support/wire/openai.ts"
import * as WireServer from "../support/wire/WireServer.ts"
import { call, startServer, type TestServer } from "./support.ts"

const dir = mkdtempSync(join(tmpdir(), "llmo-daily-budget-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const workflow = `name: two-calls
inputs:
  topic: { type: string }
steps:
  - id: draft
    type: llm
    provider: openai
    model: gpt-4o
    max_tokens: 400
    prompt: "Write about {{ input.topic }}"
    output: draft
  - id: polish
    type: llm
    provider: openai
    model: gpt-4o
    max_tokens: 400
    prompt: "Polish: {{ draft }}"
    output: polished
outputs:
  text: "{{ polished }}"
`

// The server's clock, shifted by `offset` (the runs' calls read the day from it); sleeps are real.
let offset = 0
const base = Effect.runSync(Clock.clockWith(Effect.succeed))
const shifted: Clock.Clock = {
  currentTimeMillisUnsafe: () => base.currentTimeMillisUnsafe() + offset,
  currentTimeMillis: Effect.sync(() => base.currentTimeMillisUnsafe() + offset),
  currentTimeNanosUnsafe: () => base.currentTimeNanosUnsafe() + BigInt(offset) * 1_000_000n,
  currentTimeNanos: Effect.sync(() => base.currentTimeNanosUnsafe() + BigInt(offset) * 1_000_000n),
  monotonicTimeNanosUnsafe: () => base.monotonicTimeNanosUnsafe(),
  monotonicTimeNanos: base.monotonicTimeNanos,
  sleep: (d) => base.sleep(d)
} as Clock.Clock

describe("daily budgets of the server", () => {
  it("the Nth run of the day stops at the right call; a restart keeps the spend; the next day starts afresh", async () => {
    // WireServer.start is scoped: its scope stays open for the whole test.
    const wireScope = Effect.runSync(Scope.make())
    const llm = await Effect.runPromise(Scope.provide(WireServer.start(() => OpenAi.chat("fine text", { model: "gpt-4o", usage: { prompt_tokens: 1000, completion_tokens: 200 } })), wireScope))
    const store = `sqlite:${join(dir, "runs.db")}`
    // gpt-4o at $2.50 / $10 per million: a call of 1000 in + 200 out costs $0.0045, and reserves about $0.004 (400
    // output tokens and the prompt's estimate). Two runs spend $0.018; the third's draft fits ($0.0225 spent), its
    // polish does not.
    const limit = 0.0225
    const open = (): Promise<TestServer> =>
      startServer({
        store,
        services: { env: { OPENAI_API_KEY: "sk-test-daily-000", OPENAI_BASE_URL: `${llm.url}/v1` } },
        dailyBudgets: { "two-calls": { usd: limit } },
        telemetry: Layer.succeed(Clock.Clock, shifted)
      })
    const start = (server: TestServer) =>
      call(server, "POST", "/workflows/two-calls/runs?wait=true", { token: server.keys.admin, body: { input: { topic: "otters" } } })
    const today = DailyBudget.dayOf(shifted.currentTimeMillisUnsafe())
    let server = await open()
    try {
      await Effect.runPromise(server.registry.register({ source: workflow, by: "test" }))
      for (const n of [1, 2]) {
        const run = await start(server)
        expect([run.status, run.body.status], `run ${n}: ${run.text}`).toEqual([200, "succeeded"])
      }
      expect(llm.requests.length).toBe(4)
      const third = await start(server)
      expect(third.body.status, third.text).toBe("failed")
      // the draft was sent, the polish never
      expect(llm.requests.length).toBe(5)
      const view = await call(server, "GET", `/runs/${third.body.runId}`, { token: server.keys.admin })
      expect(view.status).toBe(200)
      const error = JSON.stringify(view.body.error)
      expect(error).toContain(`Budget exceeded in step 'polish': the daily budget of workflow 'two-calls' for ${today} refused chat gpt-4o before sending (spent $0.0225 and $0.000000 reserved of $0.0225 today; this call may cost up to $0.004`)
      expect(view.body.steps.find((s: { stepId: string }) => s.stepId === "draft").status).toBe("succeeded")
      expect(view.body.dailyBudget).toMatchObject({ workflow: "two-calls", day: today, limitUsd: limit, spentTokens: 6000, reservedUsd: 0, calls: 5, refused: 1 })
      expect(view.body.dailyBudget.spentUsd).toBeCloseTo(0.0225, 9)
    } finally {
      await server.close()
    }

    // A fresh server on the same store: the day's spend is still there, the next run is refused at its first call.
    server = await open()
    try {
      const fourth = await start(server)
      expect(fourth.body.status, fourth.text).toBe("failed")
      expect(llm.requests.length).toBe(5)
      const view = await call(server, "GET", `/runs/${fourth.body.runId}`, { token: server.keys.admin })
      expect(JSON.stringify(view.body.error)).toContain("Budget exceeded in step 'draft': the daily budget of workflow 'two-calls'")
      expect(view.body.dailyBudget).toMatchObject({ day: today, calls: 5, refused: 2 })

      // The next day (UTC) has a ledger of its own.
      offset += 86_400_000
      const tomorrow = DailyBudget.dayOf(shifted.currentTimeMillisUnsafe())
      const fifth = await start(server)
      expect(fifth.body.status, fifth.text).toBe("succeeded")
      expect(llm.requests.length).toBe(7)
      const next = await call(server, "GET", `/runs/${fifth.body.runId}`, { token: server.keys.admin })
      expect(next.body.dailyBudget).toMatchObject({ day: tomorrow, calls: 2, refused: 0 })
      expect(next.body.dailyBudget.spentUsd).toBeCloseTo(0.009, 9)
    } finally {
      await server.close()
      await Effect.runPromise(Scope.close(wireScope, Exit.void))
    }
  }, 120_000)

  it("docs/observability.md's config: server.daily_budgets is read into serve's daily budgets; a bad one names its place", async () => {
    const doc = readFileSync(join(import.meta.dirname, "..", "..", "docs", "observability.md"), "utf8")
    const yaml = /<!-- daily-budgets -->\n```yaml\n([\s\S]*?)```/.exec(doc)?.[1]
    expect(yaml).toBeDefined()
    const config = await Effect.runPromise(Config.parse("/srv/llm-orchestrator.yaml", yaml!))
    const none = {
      port: Option.none(), host: Option.none(), store: Option.none(), workflows: [], tlsCert: Option.none(), tlsKey: Option.none(), cors: [],
      jwtSecret: Option.none(), jwks: Option.none(), jwtIssuer: Option.none(), jwtAudience: Option.none(), rate: Option.none(), maxRuns: Option.none(),
      bodyLimit: Option.none(), timeout: Option.none()
    } as const
    const settings = serveSettings(none, config.server, "/srv", "/srv")
    if (typeof settings === "string") throw new Error(settings)
    expect(settings.dailyBudgets).toEqual({ triage: { usd: 25 }, summarise: { usd: 5, tokens: 2_000_000, maxOutputTokens: 1024 } })
    const bad = await Effect.runPromise(Effect.flip(Config.parse("/srv/llm-orchestrator.yaml", "server:\n  daily_budgets:\n    triage: { max_output_tokens: 10 }\n")))
    expect(bad.problems.join("\n")).toMatch(/llm-orchestrator\.yaml:3:\d+: .*a daily budget needs usd or tokens/)
  })
})

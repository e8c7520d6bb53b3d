/**
 * docs/grafana/llm-orchestrator.json queries only metrics we export, under their Prometheus names (a histogram's
 * `_bucket`, `_sum` and `_count` series included), and covers every workflow and GenAI metric. The exported set is read
 * from the metric definitions themselves, so renaming a metric without the dashboard fails here.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Metric } from "effect"
import { UsageMetrics } from "../../src/providers/index.ts"
import { ReliabilityMetrics } from "../../src/reliability/index.ts"
import { Semconv, WorkflowMetrics } from "../../src/telemetry/index.ts"

const dashboard = JSON.parse(readFileSync(join(import.meta.dirname, "../../docs/grafana/llm-orchestrator.json"), "utf8")) as {
  readonly panels: ReadonlyArray<{ readonly type: string; readonly title: string; readonly targets?: ReadonlyArray<{ readonly expr: string }> }>
  readonly templating: { readonly list: ReadonlyArray<{ readonly query?: unknown }> }
}

/** name -> type of every metric the project defines (Prometheus names). */
const exported = new Map<string, string>()
for (const module of [WorkflowMetrics, ReliabilityMetrics, UsageMetrics]) {
  for (const value of Object.values(module)) if (Metric.isMetric(value)) exported.set(value.id, value.type)
}
for (const m of Object.values(Semconv.v1_41.metrics)) if (m !== undefined) exported.set(m.prometheus, m.instrument === "histogram" ? "Histogram" : "Counter")

/** The series names a PromQL expression reads (functions, label matchers, groupings, ranges and numbers removed). */
const metricsOf = (expr: string): ReadonlyArray<string> => {
  // label_values(metric, label): the metric is the first argument
  const variable = /^label_values\(\s*([^,{)]+)/.exec(expr)
  if (variable !== null) return [variable[1]!.trim()]
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, "")
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\b(by|without)\s*\([^)]*\)/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b\d+(\.\d+)?(e[-+]?\d+)?\b/gi, " ")
  const words = stripped.match(/[a-zA-Z_:][a-zA-Z0-9_:]*(?=\s*(\(|\)|,|$|[-+*/ ]))/g) ?? []
  const promql = new Set(["sum", "max", "min", "avg", "count", "rate", "increase", "irate", "histogram_quantile", "topk", "bottomk", "clamp_min", "clamp_max", "label_values", "by", "without", "on", "ignoring", "and", "or", "unless"])
  return words.filter((w) => !promql.has(w))
}

const series = (name: string): boolean => {
  if (exported.has(name)) return true
  const base = name.replace(/_(bucket|sum|count)$/, "")
  return base !== name && exported.get(base) === "Histogram"
}

describe("the Grafana dashboard", () => {
  const queries = [
    ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr }))),
    ...dashboard.templating.list.flatMap((v) => (typeof v.query === "string" && v.query.startsWith("label_values") ? [{ panel: "variables", expr: v.query }] : []))
  ]

  it("every query names a metric we export", () => {
    assert.isAbove(queries.length, 20)
    for (const { expr, panel } of queries) {
      const names = metricsOf(expr)
      assert.isAbove(names.length, 0, `${panel}: no metric in ${expr}`)
      for (const name of names) assert.isTrue(series(name), `${panel}: '${name}' is not an exported metric (${expr})`)
    }
  })

  it("every workflow and GenAI metric has a panel", () => {
    const used = new Set(queries.flatMap(({ expr }) => metricsOf(expr)).map((n) => n.replace(/_(bucket|sum|count)$/, "")))
    const required = [...WorkflowMetrics.names, Semconv.v1_41.metrics.operationDuration.prometheus, Semconv.v1_41.metrics.tokenUsage!.prometheus]
    for (const name of required) assert.isTrue(used.has(name), `no panel reads ${name}`)
  })

  it("the extraction itself: functions, matchers and numbers are not metrics", () => {
    assert.deepStrictEqual(
      metricsOf(`sum(rate(a_total{x="y"}[5m])) / clamp_min(sum by (le) (rate(b_bucket[$__rate_interval])), 1e-9)`),
      ["a_total", "b_bucket"]
    )
    assert.isFalse(series("workflow_runs_started_total_bucket"))
    assert.isTrue(series("workflow_run_duration_seconds_bucket"))
    assert.isFalse(series("no_such_metric_total"))
  })
})

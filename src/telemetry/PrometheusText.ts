/**
 * Reading the Prometheus text exposition format back: samples with their labels, families with their type, and the
 * summary `llm-orchestrator metrics --url` prints (runs by status, step and call latency percentiles from the
 * histograms, tokens and cost).
 *
 * @example
 * ```ts
 * import { PrometheusText } from "llm-orchestrator/telemetry"
 * const samples = PrometheusText.parse('workflow_runs_started_total{workflow="rag"} 3\n')
 * samples[0] // { name: "workflow_runs_started_total", labels: { workflow: "rag" }, value: 3 }
 * ```
 */

/**
 * One sample line.
 *
 * @example
 * ```ts
 * const s: PrometheusText.Sample = { name: "llm_calls_total", labels: { provider: "openai", outcome: "success" }, value: 10 }
 * ```
 */
export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

const unescape = (s: string) => s.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c))

const parseLabels = (s: string): Record<string, string> => {
  const out: Record<string, string> = {}
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g
  for (const m of s.matchAll(re)) out[m[1]!] = unescape(m[2]!)
  return out
}

const parseValue = (s: string): number =>
  s === "+Inf" ? Infinity : s === "-Inf" ? -Infinity : s === "NaN" ? NaN : Number(s)

/**
 * The samples of an exposition (comments skipped).
 *
 * @example
 * ```ts
 * PrometheusText.parse(text).filter((s) => s.name === "workflow_runs_finished_total")
 * ```
 */
export const parse = (text: string): ReadonlyArray<Sample> => {
  const out: Array<Sample> = []
  for (const raw of text.split("\n")) {
    const line = raw.trim()
    if (line === "" || line.startsWith("#")) continue
    const brace = line.indexOf("{")
    const space = line.lastIndexOf(" ")
    if (brace >= 0 && brace < space) {
      const close = line.lastIndexOf("}")
      out.push({ name: line.slice(0, brace), labels: parseLabels(line.slice(brace + 1, close)), value: parseValue(line.slice(close + 1).trim().split(" ")[0]!) })
    } else {
      const [name, value] = line.split(/\s+/)
      out.push({ name: name!, labels: {}, value: parseValue(value!) })
    }
  }
  return out
}

/**
 * The families declared by `# TYPE` lines: name -> type.
 *
 * @example
 * ```ts
 * PrometheusText.types(text).get("workflow_runs_started_total") // "counter"
 * ```
 */
export const types = (text: string): ReadonlyMap<string, string> => {
  const out = new Map<string, string>()
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) out.set(m[1]!, m[2]!)
  return out
}

/**
 * A quantile of a histogram from its cumulative buckets (linear inside the bucket, as PromQL's
 * `histogram_quantile` does); `undefined` without observations.
 *
 * @example
 * ```ts
 * PrometheusText.quantile([[0.1, 5], [1, 10], [Infinity, 10]], 0.5) // 0.1
 * ```
 */
export const quantile = (buckets: ReadonlyArray<readonly [number, number]>, q: number): number | undefined => {
  const sorted = [...buckets].sort((a, b) => a[0] - b[0])
  const total = sorted.at(-1)?.[1] ?? 0
  if (total === 0) return undefined
  const rank = q * total
  let prevBound = 0
  let prevCount = 0
  for (const [bound, count] of sorted) {
    if (count >= rank) {
      if (bound === Infinity) return prevBound
      const inBucket = count - prevCount
      return inBucket === 0 ? bound : prevBound + (bound - prevBound) * ((rank - prevCount) / inBucket)
    }
    prevBound = bound
    prevCount = count
  }
  return prevBound
}

const sum = (samples: ReadonlyArray<Sample>) => samples.reduce((n, s) => n + s.value, 0)

const keyOf = (labels: Readonly<Record<string, string>>, keys: ReadonlyArray<string>) => keys.map((k) => labels[k] ?? "").join("\0")

/** Groups the `_bucket` samples of histogram `name` by the labels `keys`, summing over the others. */
const histograms = (samples: ReadonlyArray<Sample>, name: string, keys: ReadonlyArray<string>) => {
  const groups = new Map<string, { labels: Record<string, string>; buckets: Map<number, number>; count: number }>()
  for (const s of samples) {
    if (s.name !== `${name}_bucket`) continue
    const key = keyOf(s.labels, keys)
    let g = groups.get(key)
    if (g === undefined) {
      g = { labels: Object.fromEntries(keys.map((k) => [k, s.labels[k] ?? ""])), buckets: new Map(), count: 0 }
      groups.set(key, g)
    }
    const le = parseValue(s.labels["le"] ?? "+Inf")
    g.buckets.set(le, (g.buckets.get(le) ?? 0) + s.value)
    if (le === Infinity) g.count += s.value
  }
  return [...groups.values()].map((g) => ({
    labels: g.labels,
    count: g.count,
    p50: quantile([...g.buckets.entries()], 0.5),
    p99: quantile([...g.buckets.entries()], 0.99)
  }))
}

const seconds = (s: number | undefined) =>
  s === undefined ? "-" : s < 1 ? `${Math.round(s * 1000)}ms` : `${s.toFixed(2)}s`

/**
 * A readable summary of an exposition: runs by workflow and status with p50/p99 durations, runs in flight, LLM calls by
 * provider and model with latency and tokens, cost, retries, failovers and open circuits.
 *
 * @example
 * ```ts
 * console.log(PrometheusText.summary(yield* Prometheus.format))
 * ```
 */
export const summary = (text: string): string => {
  const samples = parse(text)
  const named = (name: string) => samples.filter((s) => s.name === name)
  const lines: Array<string> = []

  const runs = histograms(samples, "workflow_run_duration_seconds", ["workflow", "status"])
  const inFlight = named("workflow_runs_in_flight")
  const costs = named("workflow_cost_usd_total")
  lines.push("Runs")
  if (runs.length === 0) lines.push("  (none)")
  for (const r of runs.sort((a, b) => keyOf(a.labels, ["workflow", "status"]).localeCompare(keyOf(b.labels, ["workflow", "status"])))) {
    lines.push(`  ${r.labels["workflow"]} ${r.labels["status"]}: ${r.count} (p50 ${seconds(r.p50)}, p99 ${seconds(r.p99)})`)
  }
  for (const s of inFlight) if (s.value > 0) lines.push(`  ${s.labels["workflow"]} in flight: ${s.value}`)
  for (const s of named("workflow_runs_suspended")) if (s.value > 0) lines.push(`  ${s.labels["workflow"]} suspended: ${s.value}`)
  for (const s of costs) lines.push(`  ${s.labels["workflow"]} cost: $${s.value.toFixed(4)}`)

  const durationName = samples.some((s) => s.name === "gen_ai_client_inference_duration_seconds_bucket")
    ? "gen_ai_client_inference_duration_seconds"
    : "gen_ai_client_operation_duration_seconds"
  const calls = histograms(samples, durationName, ["gen_ai_provider_name", "gen_ai_request_model"])
  lines.push("LLM calls")
  if (calls.length === 0) lines.push("  (none)")
  for (const c of calls) {
    const provider = c.labels["gen_ai_provider_name"]!
    const model = c.labels["gen_ai_request_model"]!
    const match = (s: Sample) => s.labels["gen_ai_provider_name"] === provider && s.labels["gen_ai_request_model"] === model
    const input = sum(samples.filter((s) =>
      match(s) && ((s.name === "gen_ai_client_token_usage_sum" && s.labels["gen_ai_token_type"] === "input") ||
        s.name === "gen_ai_client_inference_usage_input_tokens_total")
    ))
    const output = sum(samples.filter((s) =>
      match(s) && ((s.name === "gen_ai_client_token_usage_sum" && s.labels["gen_ai_token_type"] === "output") ||
        s.name === "gen_ai_client_inference_usage_output_tokens_total")
    ))
    lines.push(`  ${provider} ${model}: ${c.count} (p50 ${seconds(c.p50)}, p99 ${seconds(c.p99)}), tokens ${input} in / ${output} out`)
  }

  const total = (name: string) => sum(named(name))
  lines.push("Reliability")
  lines.push(`  retries ${total("llm_retries_total")}, failovers ${total("llm_failovers_total")}, circuit rejections ${total("llm_circuit_rejections_total")}`)
  lines.push(`  cache hits ${total("llm_cache_hits_total")}, misses ${total("llm_cache_misses_total")}, budget refusals ${total("workflow_budget_exceeded_total")}`)
  const open = named("llm_circuit_state").filter((s) => s.value === 2).map((s) => s.labels["provider"])
  if (open.length > 0) lines.push(`  open circuits: ${open.join(", ")}`)
  return lines.join("\n")
}

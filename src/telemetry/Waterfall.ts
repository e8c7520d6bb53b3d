/**
 * A span tree drawn as a waterfall: one line per span, indented under its parent, with its duration and a bar placed
 * on the run's time axis; LLM spans show their tokens, failed spans are marked. `run --trace` prints it at the end of
 * a CLI run.
 *
 * ```text
 * invoke_workflow rag                  1.20s  ████████████████████████████████████████
 *   workflow.step embed                 80ms  ███
 *     embeddings text-embedding-3-small 78ms  ███
 *   workflow.step answer               1.10s     █████████████████████████████████████
 *     chat gpt-4o (812 -> 95 tokens)   1.09s     █████████████████████████████████████
 * ```
 *
 * @example
 * ```ts
 * import { Waterfall } from "llm-orchestrator/telemetry"
 * process.stderr.write(Waterfall.render(recorder.spans(), { width: 40 }))
 * ```
 */
import type { Tracer } from "effect"

/**
 * One span, as the waterfall needs it.
 *
 * @example
 * ```ts
 * const row: Waterfall.Row = { id: "a1", parentId: undefined, name: "invoke_workflow rag", startNanos: 0n, endNanos: 1_000_000n, failed: false, attributes: {} }
 * ```
 */
export interface Row {
  readonly id: string
  readonly parentId: string | undefined
  readonly name: string
  readonly startNanos: bigint
  readonly endNanos: bigint
  readonly failed: boolean
  readonly attributes: Readonly<Record<string, unknown>>
}

/**
 * The rows of the ended spans among `spans`.
 *
 * @example
 * ```ts
 * Waterfall.rowsOf(recorder.spans()).length
 * ```
 */
export const rowsOf = (spans: ReadonlyArray<Tracer.Span>): ReadonlyArray<Row> =>
  spans.flatMap((s) => {
    if (s.status._tag !== "Ended") return []
    const parent = s.parent
    return [{
      id: s.spanId,
      parentId: parent._tag === "Some" ? parent.value.spanId : undefined,
      name: s.name,
      startNanos: s.status.startTime,
      endNanos: s.status.endTime,
      failed: s.status.exit._tag === "Failure",
      attributes: Object.fromEntries(s.attributes)
    }]
  })

const duration = (nanos: bigint): string => {
  const ms = Number(nanos) / 1e6
  if (ms < 1) return `${(ms * 1000).toFixed(0)}µs`
  if (ms < 1000) return `${ms.toFixed(ms < 10 ? 1 : 0)}ms`
  return `${(ms / 1000).toFixed(2)}s`
}

const label = (row: Row): string => {
  const input = row.attributes["gen_ai.usage.input_tokens"]
  const output = row.attributes["gen_ai.usage.output_tokens"]
  const tokens = typeof input === "number" && typeof output === "number" ? ` (${input} -> ${output} tokens)` : ""
  return `${row.failed ? "✗ " : ""}${row.name}${tokens}`
}

/**
 * The waterfall text of `spans` (or rows): every root span with its subtree, children in start order.
 *
 * @example
 * ```ts
 * Waterfall.render(recorder.spans(), { width: 30, maxNameWidth: 50 })
 * ```
 */
export const render = (
  spans: ReadonlyArray<Tracer.Span> | ReadonlyArray<Row>,
  options: { readonly width?: number | undefined; readonly maxNameWidth?: number | undefined } = {}
): string => {
  const rows: ReadonlyArray<Row> = spans.length > 0 && "spanId" in spans[0]! ? rowsOf(spans as ReadonlyArray<Tracer.Span>) : spans as ReadonlyArray<Row>
  if (rows.length === 0) return ""
  const width = options.width ?? 40
  const maxName = options.maxNameWidth ?? 60
  const ids = new Set(rows.map((r) => r.id))
  const children = new Map<string | undefined, Array<Row>>()
  for (const r of rows) {
    // a span whose parent was not recorded (an outer caller's, another process's) is drawn as a root
    const parent = r.parentId !== undefined && ids.has(r.parentId) ? r.parentId : undefined
    const list = children.get(parent) ?? []
    list.push(r)
    children.set(parent, list)
  }
  for (const list of children.values()) list.sort((a, b) => (a.startNanos < b.startNanos ? -1 : a.startNanos > b.startNanos ? 1 : 0))
  const start = rows.reduce((m, r) => (r.startNanos < m ? r.startNanos : m), rows[0]!.startNanos)
  const end = rows.reduce((m, r) => (r.endNanos > m ? r.endNanos : m), rows[0]!.endNanos)
  const total = Number(end - start) || 1
  const lines: Array<{ name: string; time: string; bar: string }> = []
  const visit = (row: Row, depth: number) => {
    let name = `${"  ".repeat(depth)}${label(row)}`
    if (name.length > maxName) name = `${name.slice(0, maxName - 1)}…`
    const from = Math.min(width - 1, Math.floor((Number(row.startNanos - start) / total) * width))
    const to = Math.max(from + 1, Math.min(width, Math.round((Number(row.endNanos - start) / total) * width)))
    lines.push({ name, time: duration(row.endNanos - row.startNanos), bar: `${" ".repeat(from)}${"█".repeat(to - from)}` })
    for (const child of children.get(row.id) ?? []) visit(child, depth + 1)
  }
  for (const root of children.get(undefined) ?? []) visit(root, 0)
  const nameWidth = Math.max(...lines.map((l) => l.name.length))
  const timeWidth = Math.max(...lines.map((l) => l.time.length))
  return lines.map((l) => `${l.name.padEnd(nameWidth)}  ${l.time.padStart(timeWidth)}  ${l.bar}`.trimEnd()).join("\n") + "\n"
}

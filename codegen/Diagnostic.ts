/**
 * A problem found in a workflow file, with its place. Printed as `file:line:col: message`
 * (warnings as `file:line:col: warning: message`).
 *
 * @example
 * ```ts
 * import { formatDiagnostic } from "llm-orchestrator/codegen"
 * formatDiagnostic({ file: "a.yaml", line: 3, column: 5, severity: "error", message: "unknown step type \"lm\"" })
 * // "a.yaml:3:5: unknown step type \"lm\""
 * ```
 */
export interface Diagnostic {
  readonly file: string
  readonly line: number
  readonly column: number
  readonly severity: "error" | "warning"
  readonly message: string
}

/**
 * `file:line:col: message`, `file:line:col: warning: message` for warnings.
 *
 * @example
 * ```ts
 * formatDiagnostic({ file: "a.yaml", line: 2, column: 3, severity: "warning", message: "unused output" })
 * // "a.yaml:2:3: warning: unused output"
 * ```
 */
export const formatDiagnostic = (d: Diagnostic): string =>
  `${d.file}:${d.line}:${d.column}: ${d.severity === "warning" ? "warning: " : ""}${d.message}`

/**
 * Errors only.
 *
 * @example
 * ```ts
 * const failed = errorsOf(analyzeFile("wf.yaml").diagnostics).length > 0
 * ```
 */
export const errorsOf = (ds: ReadonlyArray<Diagnostic>): ReadonlyArray<Diagnostic> => ds.filter((d) => d.severity === "error")

/**
 * Stable order: by line, then column, then message.
 *
 * @example
 * ```ts
 * sortDiagnostics(diagnostics).map(formatDiagnostic).join("\n")
 * ```
 */
export const sortDiagnostics = (ds: ReadonlyArray<Diagnostic>): Array<Diagnostic> =>
  [...ds].sort((a, b) => a.line - b.line || a.column - b.column || a.message.localeCompare(b.message))

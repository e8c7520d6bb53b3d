/**
 * Schema errors of a workflow file as positioned, readable diagnostics ("unknown field "promt" in llm step (did you mean
 * "prompt"?)"), and the repair that lets the semantic checks run on the rest of a file that has some.
 *
 * @example
 * ```ts
 * const { diagnostics, paths } = schemaDiagnostics(parseSource("wf.yaml", text))
 * const repaired = repair(source.value, paths) // undefined when an error is outside any step
 * ```
 */
import { Schema, SchemaIssue } from "effect"
import type { Diagnostic } from "./Diagnostic.ts"
import { didYouMean } from "./didYouMean.ts"
import type { Path, SourceFile } from "./SourceFile.ts"
import * as F from "./WorkflowFile.ts"

const fieldsOf: Record<string, ReadonlyArray<string>> = {
  llm: Object.keys(F.LlmStep.fields),
  embed: Object.keys(F.EmbedStep.fields),
  vector_search: Object.keys(F.VectorSearchStep.fields),
  chunk: Object.keys(F.ChunkStep.fields),
  ingest: Object.keys(F.IngestStep.fields),
  rerank: Object.keys(F.RerankStep.fields),
  context: Object.keys(F.ContextStep.fields),
  transform: Object.keys(F.TransformStep.fields),
  parallel: ["id", "type", "description", "output", "depends_on", "retry", "timeout", "cache", "tasks"],
  branch: ["id", "type", "description", "output", "depends_on", "retry", "timeout", "cache", "condition", "branches", "default"],
  map: ["id", "type", "description", "output", "depends_on", "retry", "timeout", "cache", "over", "as", "concurrency", "steps", "result"],
  loop: ["id", "type", "description", "output", "depends_on", "retry", "timeout", "cache", "steps", "until", "initial", "max_iterations", "on_max_iterations", "result"],
  workflow: ["id", "type", "description", "output", "depends_on", "retry", "timeout", "cache", "file", "input"]
}


export const valueAt = (root: unknown, path: Path): unknown => {
  let v: unknown = root
  for (const seg of path) {
    if (v === null || typeof v !== "object") return undefined
    v = (v as Record<string | number, unknown>)[seg]
  }
  return v
}

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

/** Schema errors of the format, mapped to positions with clear messages. */
export const schemaDiagnostics = (src: SourceFile): { readonly diagnostics: Array<Diagnostic>; readonly paths: Array<Path> } => {
  const out: Array<Diagnostic> = []
  const paths: Array<Path> = []
  const res = Schema.decodeUnknownResult(F.WorkflowFile)(src.value, { errors: "all", onExcessProperty: "error" })
  if (res._tag === "Success") return { diagnostics: out, paths }
  const issues = formatter(res.failure.issue).issues
  const seen = new Set<string>()
  for (const issue of issues) {
    const path = (issue.path ?? []).map((p) => (typeof p === "object" && p !== null && "key" in p ? p.key : p)) as Array<
      string | number
    >
    paths.push(path)
    const last = path[path.length - 1]
    const parentPath = path.slice(0, -1)
    const parent = valueAt(src.value, parentPath)
    const here = valueAt(src.value, path)
    let message = issue.message
    let pos = src.locate(path)
    if (message === "Missing key") {
      pos = src.locate(parentPath)
      message = `missing required field "${String(last)}"`
      const t = (parent as { type?: unknown } | undefined)?.type
      if (typeof t === "string" && typeof (parent as { id?: unknown }).id === "string") {
        message += ` in ${t} step "${(parent as { id: string }).id}"`
      }
    } else if (message.startsWith("Expected no excess property") || message.startsWith("Unexpected key")) {
      pos = src.locate(path, { key: true })
      const t = (parent as { type?: unknown } | undefined)?.type
      const candidates = parentPath.length === 0
        ? Object.keys(F.WorkflowFile.fields)
        : parentPath[parentPath.length - 1] === "defaults"
        ? Object.keys(F.Defaults.fields)
        : typeof t === "string"
        ? (fieldsOf[t] ?? [])
        : []
      message = `unknown field "${String(last)}"${typeof t === "string" ? ` in ${t} step` : ""}${didYouMean(String(last), candidates)}`
    } else if (message === "Expected Step" && here !== null && typeof here === "object" && !Array.isArray(here)) {
      const t = (here as { type?: unknown }).type
      if (t === undefined) {
        message = `missing required field "type" (one of ${F.stepTypes.join(", ")})`
      } else if (typeof t !== "string" || !(F.stepTypes as ReadonlyArray<string>).includes(t)) {
        pos = src.locate([...path, "type"])
        message = `unknown step type ${JSON.stringify(t)}${typeof t === "string" ? didYouMean(t, F.stepTypes) : ""}; expected one of ${F.stepTypes.join(", ")}`
      } else {
        message = `invalid ${t} step`
      }
    } else {
      const field = typeof last === "string" ? `field "${last}": ` : last === undefined ? "" : `item ${last}: `
      message = `${field}${message.charAt(0).toLowerCase()}${message.slice(1)}`
      if (typeof here === "string" && /^Expected "/.test(issue.message)) {
        message += didYouMean(here, [...issue.message.matchAll(/"([^"]+)"/g)].map((m) => m[1]!))
      }
    }
    const key = `${pos.line}:${pos.column}:${message}`
    if (seen.has(key)) continue
    seen.add(key)
    out.push({ file: src.file, ...pos, severity: "error", message })
  }
  return { diagnostics: out, paths }
}

/** Marks a step that replaced an invalid one, so the rest of the file can still be checked. */
export const placeholderAction = "__invalid_step__"

/** The path of the innermost step containing `path` (steps live in steps/tasks/default lists and branch cases). */
const enclosingStep = (path: Path): Path | undefined => {
  for (let i = path.length - 1; i >= 1; i--) {
    if (typeof path[i] !== "number") continue
    const list = path[i - 1]
    if (list === "steps" || list === "tasks" || list === "default" || (i >= 2 && path[i - 2] === "branches")) return path.slice(0, i + 1)
  }
  return undefined
}

/**
 * Replace each step with a schema error by a neutral placeholder keeping its id and output name, so references to it
 * still resolve and the other steps get their semantic checks. Undefined when an error is outside any step.
 */
export const repair = (value: unknown, paths: ReadonlyArray<Path>): unknown => {
  const copy = structuredClone(value)
  const steps = new Map<string, Path>()
  for (const p of paths) {
    const step = enclosingStep(p)
    if (step !== undefined) {
      steps.set(JSON.stringify(step), step)
      continue
    }
    // Outside the steps: drop what can be dropped without changing how the steps are checked.
    const top = p[0]
    if (copy === null || typeof copy !== "object" || typeof top !== "string") return undefined
    const record = copy as Record<string, unknown>
    if (top === "name") record["name"] = "invalid"
    else if (!(top in F.WorkflowFile.fields) || ["$schema", "version", "description", "outputs", "inputs"].includes(top)) delete record[top]
    else return undefined
  }
  let n = 0
  for (const step of steps.values()) {
    const parent = valueAt(copy, step.slice(0, -1))
    const index = step[step.length - 1] as number
    if (!Array.isArray(parent)) return undefined
    const old = parent[index] as { id?: unknown; output?: unknown } | null | undefined
    const id = typeof old?.id === "string" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(old.id) ? old.id : `__invalid_${n++}`
    const output = typeof old?.output === "string" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(old.output) ? { output: old.output } : {}
    parent[index] = { id, type: "action", action: placeholderAction, ...output }
  }
  return copy
}


/**
 * Reads a YAML or JSON data file (inputs, mocks, test cases). JSON is valid YAML, so one parser serves both.
 *
 * @example
 * ```ts
 * const mocks = loadData("examples/parallel-rag.mock.yaml") // { _tag: "Ok", value: {...} }
 * ```
 */
import { readFileSync } from "node:fs"
import { parse } from "yaml"

export type Loaded = { readonly _tag: "Ok"; readonly value: unknown } | { readonly _tag: "Error"; readonly message: string }

/** Parses YAML/JSON text; errors name `what` (the file or flag) and keep only the first line of the parser message. */
export const parseData = (text: string, what: string): Loaded => {
  try {
    return { _tag: "Ok", value: parse(text, { logLevel: "error" }) as unknown }
  } catch (e) {
    return { _tag: "Error", message: `${what}: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}` }
  }
}

/** Reads and parses a YAML/JSON data file; an unreadable file is an `Error` result, not a throw. */
export const loadData = (path: string): Loaded => {
  let text: string
  try {
    text = readFileSync(path, "utf8")
  } catch {
    return { _tag: "Error", message: `cannot read ${path}` }
  }
  return parseData(text, path)
}

/** A mapping, or a message saying what it should have been. */
export const asRecord = (v: unknown, what: string): Readonly<Record<string, unknown>> | string =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : `${what} must be a mapping of step ids to outputs`

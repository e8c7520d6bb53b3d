/**
 * A YAML source parsed with positions: every value of the file can be mapped back to its line:col.
 *
 * @example
 * ```ts
 * const src = parseSource("wf.yaml", "name: x\nsteps: []\n")
 * src.locate(["steps"]) // { line: 2, column: 8 }
 * ```
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from "yaml"
import type { Diagnostic } from "./Diagnostic.ts"

/**
 * A path into the YAML value: keys and list indexes, as used by {@link SourceFile.locate}.
 *
 * @example
 * ```ts
 * const p: Path = ["steps", 0, "prompt"]
 * ```
 */
export type Path = ReadonlyArray<string | number>

/**
 * A 1-based line and column in a source file.
 *
 * @example
 * ```ts
 * parseSource("wf.yaml", "name: x\n").locate(["name"]) // { line: 1, column: 7 }
 * ```
 */
export interface Position {
  readonly line: number
  readonly column: number
}

/**
 * A parsed YAML file: its text, its plain value, syntax errors, and lookups from paths to positions.
 *
 * @example
 * ```ts
 * const src: SourceFile = parseSource("wf.yaml", "name: x\nsteps: []\n")
 * src.value // { name: "x", steps: [] }
 * src.syntaxErrors // []
 * ```
 */
export interface SourceFile {
  readonly file: string
  readonly source: string
  /** The plain JS value, undefined when the YAML does not parse. */
  readonly value: unknown
  /** YAML syntax errors (none when the file parses) and YAML warnings (e.g. unresolved tags). */
  readonly syntaxErrors: ReadonlyArray<Diagnostic>
  /** Position of the value at `path` (or of its key with `{ key: true }`); falls back to the nearest ancestor. */
  readonly locate: (path: Path, options?: { readonly key?: boolean }) => Position
  /** Position of `needle` inside the source text of the value at `path` (e.g. a template in a prompt). */
  readonly locateText: (path: Path, needle: string) => Position
}

const nodeAt = (doc: Document, path: Path, key: boolean): Node | undefined => {
  let node: unknown = doc.contents
  let last: Node | undefined = (doc.contents ?? undefined) as Node | undefined
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]
    const isLast = i === path.length - 1
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg))
      if (pair === undefined) return last
      if (isLast && key && pair.key !== null && typeof pair.key === "object") return pair.key as Node
      node = pair.value
    } else if (isSeq(node) && typeof seg === "number") {
      node = node.items[seg]
    } else {
      return last
    }
    if (node === null || node === undefined || typeof node !== "object") return last
    last = node as Node
  }
  return last
}

/**
 * How deep containers may nest. Real workflows stay far below it (a step level is two containers: its list and its
 * mapping); past a few hundred levels the recursive decoders would overflow the stack instead of reporting a place.
 */
export const maxNesting = 256

/**
 * Structural problems `toJS` cannot survive, found without recursion: an alias inside the value its anchor names (a
 * recursive value: every later pass would loop or overflow the stack) and nesting deeper than {@link maxNesting}.
 */
const structureProblem = (doc: Document): { readonly node: Node; readonly message: string } | undefined => {
  const root = doc.contents as Node | null
  if (root === null || typeof root !== "object") return undefined
  // Depth-first with explicit enter/exit, so the ancestors of the node being visited are known.
  const ancestors = new Set<Node>()
  const stack: Array<{ readonly node: Node; readonly depth: number; exit?: true }> = [{ node: root, depth: 1 }]
  while (stack.length > 0) {
    const top = stack.pop()!
    if (top.exit === true) {
      ancestors.delete(top.node)
      continue
    }
    const node = top.node
    if (isAlias(node)) {
      const target = node.resolve(doc) as Node | undefined
      if (target !== undefined && ancestors.has(target)) {
        return {
          node,
          message: `YAML: alias *${node.source} is inside the value of its own anchor &${node.source} (a recursive value); a workflow file must be a tree: repeat the value or move it into a sub-workflow`
        }
      }
      continue
    }
    if (top.depth > maxNesting) return { node, message: `YAML: nested deeper than ${maxNesting} levels` }
    if (isMap(node) || isSeq(node)) {
      ancestors.add(node)
      stack.push({ node, depth: top.depth, exit: true })
      for (const item of node.items as ReadonlyArray<unknown>) {
        if (isPair(item)) {
          if (item.key !== null && typeof item.key === "object") stack.push({ node: item.key as Node, depth: top.depth + 1 })
          if (item.value !== null && typeof item.value === "object") stack.push({ node: item.value as Node, depth: top.depth + 1 })
        } else if (item !== null && typeof item === "object") stack.push({ node: item as Node, depth: top.depth + 1 })
      }
    }
  }
  return undefined
}

/**
 * Parse YAML keeping a line counter so any path or offset maps to line:col.
 *
 * @example
 * ```ts
 * const src = parseSource("wf.yaml", "steps:\n  - id: a\n")
 * src.locate(["steps", 0, "id"]) // { line: 2, column: 9 }
 * ```
 */
export const parseSource = (file: string, source: string): SourceFile => {
  const lineCounter = new LineCounter()
  const doc = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true, keepSourceTokens: false, logLevel: "error" })
  const pos = (offset: number): Position => {
    const lp = lineCounter.linePos(Math.max(0, Math.min(offset, source.length)))
    return { line: Math.max(1, lp.line), column: Math.max(1, lp.col) }
  }
  const syntaxErrors: Array<Diagnostic> = doc.errors.map((e) => {
    const p = pos(e.pos[0])
    const message = e.code === "MULTIPLE_DOCS"
      ? "a workflow file holds one YAML document; remove the \"---\" separator"
      : /call stack/i.test(e.message)
      ? `nested too deeply to parse (keep it under ${maxNesting} levels)`
      : e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "")
    return { file, ...p, severity: "error" as const, message: `YAML syntax: ${message}` }
  })
  const syntaxWarnings: Array<Diagnostic> = doc.warnings.map((w) => ({
    file,
    ...pos(w.pos[0]),
    severity: "warning" as const,
    message: `YAML: ${w.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "")}`
  }))
  let value: unknown = undefined
  const problem = syntaxErrors.length === 0 ? structureProblem(doc) : undefined
  if (problem !== undefined) {
    syntaxErrors.push({ file, ...pos(problem.node.range?.[0] ?? 0), severity: "error", message: problem.message })
  } else if (syntaxErrors.length === 0) {
    try {
      value = doc.toJS({ maxAliasCount: 1000 })
      syntaxErrors.push(...syntaxWarnings)
    } catch (e) {
      syntaxErrors.push({ file, line: 1, column: 1, severity: "error", message: `YAML: ${e instanceof Error ? e.message : String(e)}` })
    }
  }
  const locate = (path: Path, options?: { readonly key?: boolean }): Position => {
    const node = nodeAt(doc, path, options?.key === true)
    const start = node?.range?.[0]
    return start === undefined ? { line: 1, column: 1 } : pos(start)
  }
  const locateText = (path: Path, needle: string): Position => {
    const node = nodeAt(doc, path, false)
    const range = node?.range
    if (range === undefined || range === null) return { line: 1, column: 1 }
    const idx = source.slice(range[0], range[2]).indexOf(needle)
    return pos(idx < 0 ? range[0] : range[0] + idx)
  }
  return { file, source, value, syntaxErrors, locate, locateText }
}

/**
 * `codegen <files...> --out <dir>`: analyse each YAML file (and the sub-workflow files they call) and write one
 * TypeScript module per valid file into `outDir`. Invalid files are reported and skipped.
 *
 * @example
 * ```ts
 * const { written, diagnostics } = writeModules(["examples/parallel-rag.yaml"], ".generated")
 * ```
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { join, relative, resolve } from "node:path"
import { type Analysis, analyzeFile } from "./analyze.ts"
import type { Diagnostic } from "./Diagnostic.ts"
import { generateModule, type GenerateOptions, moduleFileName } from "./generate.ts"

/**
 * What {@link writeModules} did: the modules written and the diagnostics of every file.
 *
 * @example
 * ```ts
 * const r: WriteResult = writeModules(["examples/parallel-rag.yaml"], ".generated")
 * r.diagnostics.map(formatDiagnostic) // reasons a file was skipped, and warnings
 * ```
 */
export interface WriteResult {
  /** Paths of the modules written. */
  readonly written: ReadonlyArray<string>
  /** Diagnostics of every file (errors make a file skipped). */
  readonly diagnostics: ReadonlyArray<Diagnostic>
}

/**
 * Analyse `files` plus the sub-workflows they call; returns every analysis by absolute path.
 *
 * @example
 * ```ts
 * [...analyzeAll(["test/codegen/fixtures/calls.yaml"]).keys()] // calls.yaml and summarize-one.yaml
 * ```
 */
export const analyzeAll = (files: ReadonlyArray<string>): Map<string, Analysis> => {
  const all = new Map<string, Analysis>()
  const queue = files.map((f) => resolve(f))
  const cache = new Map<string, Analysis>()
  while (queue.length > 0) {
    const file = queue.shift()!
    if (all.has(file)) continue
    const a = cache.get(file) ?? analyzeFile(file, { cache })
    all.set(file, a)
    for (const n of a.nodes.values()) {
      if (n.sub !== undefined) queue.push(resolve(n.sub.file))
      for (const f of n.fallbackSubs?.values() ?? []) queue.push(resolve(f.analysis.file))
    }
  }
  return all
}

/**
 * Write one module per valid file into `outDir`.
 *
 * @example
 * ```ts
 * writeModules(["examples/parallel-rag.yaml"], "src/generated").written // ["src/generated/parallel-rag.ts"]
 * ```
 */
export const writeModules = (
  files: ReadonlyArray<string>,
  outDir: string,
  options: Omit<GenerateOptions, "source"> = {}
): WriteResult => {
  mkdirSync(outDir, { recursive: true })
  const written: Array<string> = []
  const diagnostics: Array<Diagnostic> = []
  for (const [file, a] of analyzeAll(files)) {
    diagnostics.push(...a.diagnostics.map((d) => ({ ...d, file: relative(process.cwd(), d.file) || d.file })))
    if (a.workflow === undefined || a.diagnostics.some((d) => d.severity === "error")) continue
    const target = join(outDir, moduleFileName(file))
    writeFileSync(target, generateModule(a, { ...options, source: relative(process.cwd(), file) }))
    written.push(target)
  }
  return { written, diagnostics }
}

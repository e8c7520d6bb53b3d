/**
 * Type-check timing: writes generated workflows into a temporary directory (under node_modules/.cache so that `effect`
 * resolves), runs `tsc --noEmit --extendedDiagnostics -p <dir>` and reads "Check time"; wall time is measured around
 * the process. A baseline over an empty file importing effect is subtracted.
 */
import { spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { baselineSource, builderSource, composedSources } from "./generate.ts"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..")
const tsc = join(root, "node_modules/.bin/tsc")

export interface TscTiming {
  /** "Check time" reported by tsc, seconds. */
  readonly checkSeconds: number
  /** Wall time of the whole tsc process, seconds. */
  readonly wallSeconds: number
  readonly errors: string | undefined
}

export interface Case {
  readonly name: string
  readonly steps: number
  readonly files: ReadonlyArray<{ readonly file: string; readonly source: string }>
}

const compilerOptions = () => {
  const project = JSON.parse(readFileSync(join(root, "tsconfig.json"), "utf8")) as { compilerOptions: Record<string, unknown> }
  return { ...project.compilerOptions, noEmit: true, incremental: false }
}

/** Runs tsc once on the case's files (the last file is the entry point). */
export const runTsc = (dir: string, files: Case["files"]): TscTiming => {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  for (const { file, source } of files) writeFileSync(join(dir, file), source)
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: compilerOptions(), files: [files.at(-1)!.file] }, null, 2))
  const started = performance.now()
  const out = spawnSync(tsc, ["--noEmit", "--extendedDiagnostics", "-p", join(dir, "tsconfig.json")], { encoding: "utf8" })
  const wallSeconds = (performance.now() - started) / 1000
  const text = `${out.stdout}${out.stderr}`
  const match = /Check time:\s+([\d.]+)s/.exec(text)
  const errors = out.status === 0 ? undefined : text.split("\n").filter((l) => /error TS/.test(l)).slice(0, 5).join("\n") || text.slice(0, 500)
  return { checkSeconds: match === null ? Number.NaN : Number(match[1]), wallSeconds, errors }
}

const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

export interface CaseResult {
  readonly name: string
  readonly steps: number
  /** Medians over the repetitions, baseline subtracted. */
  readonly checkSeconds: number
  readonly wallSeconds: number
  /** Raw medians, baseline included. */
  readonly rawCheckSeconds: number
  readonly rawWallSeconds: number
  readonly errors: string | undefined
}

export interface TypecheckResult {
  readonly typescript: string
  readonly repetitions: number
  readonly baseline: { readonly checkSeconds: number; readonly wallSeconds: number }
  readonly cases: ReadonlyArray<CaseResult>
}

/** Type-checks the baseline and each case `repetitions` times and reports medians. */
export const typecheckBench = (repetitions: number, log: (line: string) => void): TypecheckResult => {
  const cacheDir = join(root, "node_modules/.cache")
  mkdirSync(cacheDir, { recursive: true })
  const tmp = mkdtempSync(join(cacheDir, "bench-typecheck-"))
  try {
    const importPath = (dir: string) => {
      const rel = relative(dir, join(root, "src/index.ts"))
      return rel.startsWith(".") ? rel : `./${rel}`
    }
    const caseDir = (name: string) => join(tmp, name)
    const cases: ReadonlyArray<Case> = [
      { name: "1 step (checking the library itself)", steps: 1, files: [{ file: "main.ts", source: builderSource(importPath(caseDir("b1")), "wf", 1) }] },
      { name: "100 steps, one builder", steps: 100, files: [{ file: "main.ts", source: builderSource(importPath(caseDir("b100")), "wf", 100) }] },
      { name: "300 steps, 3 sub-workflows of 100 (.call)", steps: 300, files: composedSources(importPath(caseDir("c300")), 3, 100) },
      { name: "300 steps, 6 sub-workflows of 50 (.call)", steps: 300, files: composedSources(importPath(caseDir("c300x6")), 6, 50) },
      { name: "300 steps, 10 sub-workflows of 30 (.call)", steps: 300, files: composedSources(importPath(caseDir("c300x10")), 10, 30) },
      { name: "300 steps, one builder (not recommended)", steps: 300, files: [{ file: "main.ts", source: builderSource(importPath(caseDir("b300")), "wf", 300) }] }
    ]
    const dirs = ["b1", "b100", "c300", "c300x6", "c300x10", "b300"]
    const version = spawnSync(tsc, ["--version"], { encoding: "utf8" }).stdout.trim()
    const base: Array<TscTiming> = []
    for (let r = 0; r < repetitions; r++) base.push(runTsc(caseDir("baseline"), [{ file: "main.ts", source: baselineSource }]))
    const baseline = { checkSeconds: median(base.map((t) => t.checkSeconds)), wallSeconds: median(base.map((t) => t.wallSeconds)) }
    log(`  baseline: check ${baseline.checkSeconds.toFixed(3)} s, wall ${baseline.wallSeconds.toFixed(3)} s`)
    const results = cases.map((c, k): CaseResult => {
      const runs: Array<TscTiming> = []
      for (let r = 0; r < repetitions; r++) runs.push(runTsc(caseDir(dirs[k]!), c.files))
      const rawCheck = median(runs.map((t) => t.checkSeconds))
      const rawWall = median(runs.map((t) => t.wallSeconds))
      const result: CaseResult = {
        name: c.name,
        steps: c.steps,
        checkSeconds: Math.max(0, rawCheck - baseline.checkSeconds),
        wallSeconds: Math.max(0, rawWall - baseline.wallSeconds),
        rawCheckSeconds: rawCheck,
        rawWallSeconds: rawWall,
        errors: runs.find((t) => t.errors !== undefined)?.errors
      }
      log(`  ${c.name}: check ${result.checkSeconds.toFixed(3)} s, wall ${result.wallSeconds.toFixed(3)} s (raw ${rawCheck.toFixed(3)} / ${rawWall.toFixed(3)} s)${result.errors === undefined ? "" : `\n  ERRORS:\n${result.errors}`}`)
      return result
    })
    return { typescript: version, repetitions, baseline, cases: results }
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

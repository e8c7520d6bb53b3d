/**
 * `npm run coverage`: the test suite under V8 coverage (`@vitest/coverage-v8`), then line and branch coverage per
 * folder (dsl, codegen, each folder of src), printed as a table and written to coverage/folders.json. The HTML report
 * is in coverage/index.html.
 *
 * Arguments go to vitest, so a part of the suite can be measured on its own:
 * `npm run coverage -- test/engine test/reliability` (the folders the other tests cover then read low).
 */
import { spawnSync } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"
import { join, relative, sep } from "node:path"

const root = join(import.meta.dirname, "..")
const vitest = spawnSync(
  join(root, "node_modules", ".bin", "vitest"),
  [
    "run",
    "--coverage.enabled",
    "--coverage.provider=v8",
    "--coverage.include=dsl/**/*.ts",
    "--coverage.include=codegen/**/*.ts",
    "--coverage.include=src/**/*.ts",
    "--coverage.exclude=**/*.d.ts",
    "--coverage.reporter=json-summary",
    "--coverage.reporter=html",
    "--coverage.reportsDirectory=coverage",
    "--coverage.reportOnFailure",
    ...process.argv.slice(2)
  ],
  // instrumented code runs a few times slower: the chaos suite's adapter timeout grows with it, or healthy calls
  // time out (the suite asserts outcomes, and a stalled process times out every call in flight)
  { cwd: root, stdio: "inherit", env: { ...process.env, CHAOS_ADAPTER_TIMEOUT_MILLIS: process.env["CHAOS_ADAPTER_TIMEOUT_MILLIS"] ?? "8000" } }
)

interface Counts {
  total: number
  covered: number
}
type Summary = Record<string, { lines: Counts; branches: Counts }>

const summary = JSON.parse(readFileSync(join(root, "coverage", "coverage-summary.json"), "utf8")) as Summary
// dsl and codegen as a whole, src by its folders (src/engine, src/reliability, ...)
const folderOf = (file: string) => {
  const parts = relative(root, file).split(sep)
  return parts[0] === "src" && parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts[0]!
}
const folders = new Map<string, { lines: Counts; branches: Counts }>()
for (const [file, counts] of Object.entries(summary)) {
  if (file === "total") continue
  const folder = folderOf(file)
  const acc = folders.get(folder) ?? { lines: { total: 0, covered: 0 }, branches: { total: 0, covered: 0 } }
  acc.lines.total += counts.lines.total
  acc.lines.covered += counts.lines.covered
  acc.branches.total += counts.branches.total
  acc.branches.covered += counts.branches.covered
  folders.set(folder, acc)
}
const pct = (c: Counts) => (c.total === 0 ? 100 : (100 * c.covered) / c.total)
const rows = [...folders].sort(([a], [b]) => a.localeCompare(b)).map(([folder, c]) => ({
  folder,
  lines: +pct(c.lines).toFixed(1),
  branches: +pct(c.branches).toFixed(1),
  linesTotal: c.lines.total
}))
const total = summary["total"]!
console.log(`\n${"folder".padEnd(20)} ${"lines %".padStart(8)} ${"branches %".padStart(11)} ${"lines".padStart(7)}`)
for (const r of rows) console.log(`${r.folder.padEnd(20)} ${r.lines.toFixed(1).padStart(8)} ${r.branches.toFixed(1).padStart(11)} ${String(r.linesTotal).padStart(7)}`)
console.log(`${"all".padEnd(20)} ${pct(total.lines).toFixed(1).padStart(8)} ${pct(total.branches).toFixed(1).padStart(11)} ${String(total.lines.total).padStart(7)}`)
writeFileSync(join(root, "coverage", "folders.json"), JSON.stringify({ date: new Date().toISOString(), args: process.argv.slice(2), rows }, null, 2) + "\n")
process.exitCode = vitest.status ?? 1

/**
 * YAML codegen benchmark: validate + generate a 1,000-step workflow (target < 1 s), type-check the generated module
 * with TypeScript 7 (target < 2 s), and interpret + run it with mocked steps. Run: `npm run bench:yaml` (prints a table;
 * writes bench/results/yaml-codegen.json).
 */
import { spawnSync } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { analyzeSource } from "../codegen/analyze.ts"
import { generateModule } from "../codegen/generate.ts"
import { Effect } from "effect"
import { execute } from "../src/engine/run.ts"
import { interpret } from "../src/yaml/interpret.ts"

const root = join(import.meta.dirname, "..")

/** A 1,000-step file: 10 chains of ~100 steps mixing llm (some structured), transform, embed + vector_search, with fan-in. */
export const bigWorkflow = (steps: number): string => {
  const lines = ["name: big", "inputs:", "  text: string", "defaults:", "  provider: openai", "  model: gpt-4o-mini", "steps:"]
  const chains = 10
  let made = 0
  const last: Array<string> = []
  for (let c = 0; c < chains; c++) {
    let prev = "{{ input.text }}"
    for (let i = 0; made < steps - 1 && i < Math.ceil((steps - 1) / chains); i++, made++) {
      const id = `s${c}_${i}`
      switch (i % 5) {
        case 0:
          lines.push(`  - { id: ${id}, type: llm, prompt: "Step ${i}: ${prev}", output: o_${id} }`)
          break
        case 1:
          lines.push(`  - { id: ${id}, type: llm, prompt: "Classify ${prev}", output_schema: { enum: [a, b, c] }, output: o_${id} }`)
          break
        case 2:
          lines.push(`  - { id: ${id}, type: embed, provider: openai, model: text-embedding-3-small, input: "${prev}", output: o_${id} }`)
          break
        case 3:
          lines.push(`  - { id: ${id}, type: vector_search, database: docs, index: kb, query: "${prev}", top_k: 3, output: o_${id} }`)
          break
        default:
          lines.push(`  - { id: ${id}, type: transform, function: template, template: "${prev} | {{ o_s${c}_${i - 3} }}", output: o_${id} }`)
      }
      prev = `{{ o_${id} }}`
    }
    last.push(prev)
  }
  lines.push(`  - { id: final, type: llm, prompt: "${last.join(" ")}", output: answer }`)
  return lines.join("\n") + "\n"
}

const time = <A>(f: () => A): [A, number] => {
  const t0 = performance.now()
  const a = f()
  return [a, performance.now() - t0]
}

if (import.meta.main) {
  const text = bigWorkflow(1000)
  const runs: Array<number> = []
  let code = ""
  let steps = 0
  for (let i = 0; i < 6; i++) {
    const [out, ms] = time(() => {
      const a = analyzeSource("big.yaml", text)
      const errors = a.diagnostics.filter((d) => d.severity === "error")
      if (errors.length > 0) throw new Error(`invalid: ${errors[0]!.message}`)
      steps = a.nodes.size
      return generateModule(a, { source: "big.yaml" })
    })
    code = out
    if (i > 0) runs.push(ms) // the first run warms the JIT up
  }
  runs.sort((a, b) => a - b)
  const dir = join(root, ".generated", "bench")
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, "big.ts"), code)
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ extends: "../../tsconfig.json", include: ["big.ts"] }))
  const tsc = join(root, "node_modules", ".bin", "tsc")
  // tsc's own "Total time" (--extendedDiagnostics) excludes process start-up; the wall clock includes it. The baseline is
  // a one-step module importing the same library, so the difference is what the 1,000 steps cost.
  const baseDir = join(root, ".generated", "bench-baseline")
  mkdirSync(baseDir, { recursive: true })
  writeFileSync(join(baseDir, "one.ts"), generateModule(analyzeSource("one.yaml", bigWorkflow(1)), { source: "one.yaml" }))
  writeFileSync(join(baseDir, "tsconfig.json"), JSON.stringify({ extends: "../../tsconfig.json", include: ["one.ts"] }))
  const check = (project: string) => {
    const [r, wall] = time(() => spawnSync(tsc, ["-p", project, "--extendedDiagnostics"], { cwd: root, encoding: "utf8" }))
    const own = `${r.stdout}`.split("\n").filter((l) => l.startsWith(".generated/bench"))
    if (own.length > 0) throw new Error(own.slice(0, 5).join("\n"))
    const total = Number(/Total time:\s+([\d.]+)s/.exec(r.stdout)?.[1] ?? NaN) * 1000
    return { wall, total }
  }
  const tscRuns: Array<{ wall: number; total: number }> = []
  const baseRuns: Array<{ wall: number; total: number }> = []
  for (let i = 0; i < 5; i++) {
    tscRuns.push(check(join(dir, "tsconfig.json")))
    baseRuns.push(check(join(baseDir, "tsconfig.json")))
  }
  const med = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  // The interpreter on the same file: build the workflow value, then run all 1,000 steps with mocked outputs.
  const analysis = analyzeSource("big.yaml", text)
  const mocks: Record<string, unknown> = {}
  for (const n of analysis.nodes.values()) {
    if (n.step.type === "llm") mocks[n.id] = n.step.output_schema !== undefined ? "a" : "text"
    else if (n.step.type === "embed") mocks[n.id] = [0.1, 0.2]
    else if (n.step.type === "vector_search") mocks[n.id] = [{ id: "doc", score: 0.9, payload: {} }]
  }
  const interpretRuns: Array<number> = []
  const runRuns: Array<number> = []
  for (let i = 0; i < 6; i++) {
    const [built, buildMs] = time(() => interpret(analysis, { mocks }))
    const t0 = performance.now()
    await Effect.runPromise(execute(built.workflow, { text: "hi" } as never) as Effect.Effect<unknown>)
    if (i > 0) {
      interpretRuns.push(buildMs)
      runRuns.push(performance.now() - t0)
    }
  }
  const tscOk = true
  const { version } = JSON.parse(spawnSync(process.execPath, ["-e", "console.log(JSON.stringify(require('typescript/package.json')))"], { cwd: root, encoding: "utf8" }).stdout) as { version: string }
  const result = {
    steps,
    yamlBytes: text.length,
    generatedBytes: code.length,
    validatePlusCodegenMillis: { median: runs[Math.floor(runs.length / 2)], min: runs[0], target: 1000 },
    typecheckMillis: {
      tscTotal: { median: med(tscRuns.map((r) => r.total)), min: Math.min(...tscRuns.map((r) => r.total)) },
      wallClock: { median: med(tscRuns.map((r) => r.wall)), min: Math.min(...tscRuns.map((r) => r.wall)) },
      baselineOneStep: { tscTotalMedian: med(baseRuns.map((r) => r.total)), wallClockMedian: med(baseRuns.map((r) => r.wall)) },
      target: 2000,
      typescript: version,
      ok: tscOk
    },
    interpreterMillis: { build: med(interpretRuns), runWithMocks: med(runRuns) },
    node: process.version,
    cpus: (await import("node:os")).cpus().length
  }
  console.table({
    "validate + codegen, 1,000 steps (ms)": { median: result.validatePlusCodegenMillis.median?.toFixed(1), min: result.validatePlusCodegenMillis.min?.toFixed(1), target: "< 1000" },
    [`tsc ${version} Total time (ms)`]: { median: result.typecheckMillis.tscTotal.median.toFixed(0), min: result.typecheckMillis.tscTotal.min.toFixed(0), target: "< 2000" },
    [`tsc ${version} wall clock (ms)`]: { median: result.typecheckMillis.wallClock.median.toFixed(0), min: result.typecheckMillis.wallClock.min.toFixed(0), target: "" },
    "tsc, 1-step baseline (Total ms)": { median: result.typecheckMillis.baselineOneStep.tscTotalMedian.toFixed(0), min: "", target: "" },
    "interpret (build workflow, ms)": { median: result.interpreterMillis.build.toFixed(1), min: "", target: "" },
    "run 1,000 mocked steps (ms)": { median: result.interpreterMillis.runWithMocks.toFixed(1), min: "", target: "" }
  })
  mkdirSync(join(root, "bench", "results"), { recursive: true })
  writeFileSync(join(root, "bench", "results", "yaml-codegen.json"), `${JSON.stringify(result, null, 2)}\n`)
}

/**
 * `npm run bench:start`: start time of the built CLI and import cost of the package entry, as median and spread
 * (min..max, interquartile range) over repeated runs, each in a fresh process. Builds first when dist/ is missing.
 *
 *   --help, validate of a small file, `run --mock` of a 3-step workflow, the package entry importing only Workflow
 *   (and building + running a 3-step workflow), and an idle worker's RSS.
 */
import { spawnSync } from "node:child_process"
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { loadavg } from "node:os"
import { join } from "node:path"

const root = join(import.meta.dirname, "..")
const node = process.execPath
const runs = Number(process.env["RUNS"] ?? 15)
if (!existsSync(join(root, "dist", "cli", "llm-orchestrator.mjs"))) spawnSync("npm", ["run", "build"], { cwd: root, stdio: "inherit" })

// Inside the checkout, so the scripts resolve `effect` from its node_modules as an installed project would.
mkdirSync(join(root, ".scratch"), { recursive: true })
const dir = mkdtempSync(join(root, ".scratch", "bench-start-"))
const wf = join(dir, "three.yaml")
writeFileSync(wf, `name: three
inputs:
  text: string
steps:
  - { id: a, type: llm, provider: openai, model: m, prompt: "a {{ input.text }}", output: a }
  - { id: b, type: llm, provider: openai, model: m, prompt: "b {{ a }}", output: b }
  - { id: c, type: transform, function: identity, input: "{{ b }}", output: c }
`)
const mock = join(dir, "three.mock.yaml")
writeFileSync(mock, "a: x\nb: y\n")
const entry = join(dir, "entry.mjs")
writeFileSync(entry, `const t0 = performance.now()
const { Workflow } = await import(${JSON.stringify(join(root, "dist", "src", "index.js"))})
const { Effect, Schema } = await import("effect")
const t1 = performance.now()
const wf = Workflow.make("three", { input: Schema.Struct({ n: Schema.Number }) })
  .step("a", (ctx) => Effect.succeed(ctx.input.n))
  .step("b", { needs: ["a"] }, (ctx) => Effect.succeed(ctx.a + 1))
  .step("c", { needs: ["b"] }, (ctx) => Effect.succeed(ctx.b * 2))
await Effect.runPromise(Workflow.run(wf, { n: 1 }))
const t2 = performance.now()
console.log(JSON.stringify({ importMillis: t1 - t0, buildAndRunMillis: t2 - t1 }))
`)
const idle = join(dir, "idle.mjs")
writeFileSync(idle, `await import(${JSON.stringify(join(root, "dist", "src", "index.js"))})
await import(${JSON.stringify(join(root, "dist", "src", "pipeline", "index.js"))})
setTimeout(() => { globalThis.gc?.(); console.log(JSON.stringify({ rss: process.memoryUsage().rss })) }, 300)
`)

const stats = (xs: Array<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))]!
  return { median: q(0.5), min: s[0]!, max: s[s.length - 1]!, p25: q(0.25), p75: q(0.75) }
}
const fmt = (x: number) => `${x.toFixed(0)} ms`

const time = (args: ReadonlyArray<string>) => {
  const ms: Array<number> = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    const r = spawnSync(node, args, { cwd: dir, encoding: "utf8" })
    ms.push(performance.now() - t0)
    if (r.status !== 0) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr}`)
  }
  return stats(ms)
}

// The package as installed: bin/ and dist/ under node_modules/llm-orchestrator (the bin runs the bundled CLI).
const installed = join(dir, "node_modules", "llm-orchestrator")
mkdirSync(installed, { recursive: true })
for (const f of ["bin", "dist", "package.json"]) cpSync(join(root, f), join(installed, f), { recursive: true })
const bin = join(installed, "bin", "llm-orchestrator.js")
console.log(`node ${process.version}, ${runs} runs each, load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`)
for (const [name, args] of [
  ["--help", [bin, "--help"]],
  ["--version", [bin, "--version"]],
  ["validate (3 steps)", [bin, "validate", wf]],
  ["run --mock (3 steps)", [bin, "run", wf, "--mock", mock, "--input", `{"text":"t"}`]],
  ["node -e 0 (baseline)", ["-e", "0"]]
] as const) {
  const s = time(args)
  console.log(`${name.padEnd(24)} median ${fmt(s.median)}  IQR ${fmt(s.p25)}..${fmt(s.p75)}  range ${fmt(s.min)}..${fmt(s.max)}`)
}
const inProcess: Array<{ importMillis: number; buildAndRunMillis: number }> = []
const wall: Array<number> = []
for (let i = 0; i < runs; i++) {
  const t0 = performance.now()
  const r = spawnSync(node, [entry], { encoding: "utf8" })
  wall.push(performance.now() - t0)
  inProcess.push(JSON.parse(r.stdout))
}
const imp = stats(inProcess.map((x) => x.importMillis))
const total = stats(inProcess.map((x) => x.importMillis + x.buildAndRunMillis))
console.log(`import { Workflow }       median ${fmt(imp.median)}  IQR ${fmt(imp.p25)}..${fmt(imp.p75)}`)
console.log(`import + build + run 3    median ${fmt(total.median)}  IQR ${fmt(total.p25)}..${fmt(total.p75)}  (process wall ${fmt(stats(wall).median)})`)
const rss = stats(Array.from({ length: 5 }, () => JSON.parse(spawnSync(node, ["--expose-gc", idle], { encoding: "utf8" }).stdout).rss / 2 ** 20))
rmSync(dir, { recursive: true, force: true })
console.log(`idle worker RSS           median ${rss.median.toFixed(0)} MB  range ${rss.min.toFixed(0)}..${rss.max.toFixed(0)} MB`)

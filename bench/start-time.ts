/**
 * `npm run bench:start`: start time of the built CLI and import cost of the package entry, as median and spread
 * (min..max, interquartile range) over repeated runs, each in a fresh process. Builds first when dist/ is missing.
 *
 *   --help, --version, validate of a small file, `run --mock` of a 3-step workflow, the package entry importing only
 *   Workflow (and building + running a 3-step workflow; with `effect` imported as the barrel and as its modules), and
 *   the same effect modules alone (what the user's own imports cost), modules evaluated (a load hook: deterministic),
 *   and the idle RSS of the library, of `serve`, of a `resume --worker` and (LLMO_BENCH_PG set) of a cluster `worker`.
 *
 * Wall time on a shared machine mostly measures the other processes: where /usr/bin/time exists, each command's CPU
 * time (user + system) is printed too, the figure to compare between runs; in-process figures are CPU time as well.
 */
import { spawn, spawnSync } from "node:child_process"
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { loadavg } from "node:os"
import { join } from "node:path"

const root = join(import.meta.dirname, "..")
// LLMO_BENCH_BUILD=dir: measure another build (a directory with bin/, dist/ and package.json: an older commit's).
const build = process.env["LLMO_BENCH_BUILD"] ?? root
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
/** The 3-step library workflow; `effect` imported as the barrel or as its modules (effect/Effect, effect/Schema). */
const entryOf = (name: string, importEffect: string) => {
  const file = join(dir, name)
  writeFileSync(file, `const c0 = process.cpuUsage()
const t0 = performance.now()
const { Workflow } = await import(${JSON.stringify(join(build, "dist", "src", "index.js"))})
${importEffect}
const t1 = performance.now()
const c1 = process.cpuUsage(c0)
const wf = Workflow.make("three", { input: Schema.Struct({ n: Schema.Number }) })
  .step("a", (ctx) => Effect.succeed(ctx.input.n))
  .step("b", { needs: ["a"] }, (ctx) => Effect.succeed(ctx.a + 1))
  .step("c", { needs: ["b"] }, (ctx) => Effect.succeed(ctx.b * 2))
await Effect.runPromise(Workflow.run(wf, { n: 1 }))
const t2 = performance.now()
const c2 = process.cpuUsage(c0)
const cpu = (c) => (c.user + c.system) / 1000
console.log(JSON.stringify({ importMillis: t1 - t0, totalMillis: t2 - t0, importCpu: cpu(c1), totalCpu: cpu(c2) }))
`)
  return file
}
const entries = [
  ["barrel: import { Effect, Schema } from \"effect\"", entryOf("entry-barrel.mjs", `const { Effect, Schema } = await import("effect")`)],
  ["modules: effect/Effect, effect/Schema", entryOf("entry-modules.mjs", `const Effect = await import("effect/Effect")\nconst Schema = await import("effect/Schema")`)]
] as const
// The same effect modules and one Effect.runPromise without our package: what the user's own imports cost, so
// "ours" = the entry's figure minus this one.
const effectAlone = join(dir, "effect-alone.mjs")
writeFileSync(effectAlone, `const c0 = process.cpuUsage()
const t0 = performance.now()
const Effect = await import("effect/Effect")
const Schema = await import("effect/Schema")
await Effect.runPromise(Effect.succeed(Schema.Number))
const c = process.cpuUsage(c0)
console.log(JSON.stringify({ totalMillis: performance.now() - t0, totalCpu: (c.user + c.system) / 1000 }))
`)
// A module-load hook (deterministic, unlike time): how many modules, and how many bytes of source, a script evaluates.
const hook = join(dir, "hook.mjs")
writeFileSync(hook, `import { appendFileSync } from "node:fs"
export async function load(url, context, next) { appendFileSync(process.env.LOAD_LOG, url + "\\n"); return next(url, context) }`)
const register = join(dir, "register.mjs")
writeFileSync(register, `import { register } from "node:module"; register(new URL("./hook.mjs", import.meta.url))`)
let logs = 0
const loaded = (args: ReadonlyArray<string>) => {
  const log = join(dir, `load-${logs++}.log`)
  spawnSync(node, ["--import", register, ...args], { cwd: dir, env: { ...process.env, LOAD_LOG: log }, encoding: "utf8" })
  const urls = existsSync(log) ? readFileSync(log, "utf8").split("\n").filter((u) => u.startsWith("file:")) : []
  const bytes = urls.reduce((n, u) => n + readFileSync(new URL(u)).length, 0)
  return { modules: urls.length, bytes }
}
const idle = join(dir, "idle.mjs")
writeFileSync(idle, `await import(${JSON.stringify(join(build, "dist", "src", "index.js"))})
await import(${JSON.stringify(join(build, "dist", "src", "pipeline", "index.js"))})
setTimeout(() => { globalThis.gc?.(); console.log(JSON.stringify({ rss: process.memoryUsage().rss })) }, 300)
`)

const stats = (xs: Array<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))]!
  return { median: q(0.5), min: s[0]!, max: s[s.length - 1]!, p25: q(0.25), p75: q(0.75) }
}
const fmt = (x: number) => `${x.toFixed(0)} ms`

const timeBin = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined
const time = (args: ReadonlyArray<string>) => {
  const ms: Array<number> = []
  const cpu: Array<number> = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    const r = timeBin !== undefined
      ? spawnSync(timeBin, ["-f", "%U %S", node, ...args], { cwd: dir, encoding: "utf8" })
      : spawnSync(node, args, { cwd: dir, encoding: "utf8" })
    ms.push(performance.now() - t0)
    if (r.status !== 0) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr}`)
    if (timeBin !== undefined) {
      const [user, system] = r.stderr.trim().split("\n").pop()!.split(" ").map(Number)
      cpu.push((user! + system!) * 1000)
    }
  }
  return { wall: stats(ms), cpu: cpu.length > 0 ? stats(cpu) : undefined }
}

// The package as installed: bin/ and dist/ under node_modules/llm-orchestrator (the bin runs the bundled CLI).
const installed = join(dir, "node_modules", "llm-orchestrator")
mkdirSync(installed, { recursive: true })
for (const f of ["bin", "dist", "package.json"]) cpSync(join(build, f), join(installed, f), { recursive: true })
const bin = join(installed, "bin", "llm-orchestrator.js")
console.log(`node ${process.version}, ${runs} runs each, load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`)
for (const [name, args] of [
  ["--help", [bin, "--help"]],
  ["--version", [bin, "--version"]],
  ["validate (3 steps)", [bin, "validate", wf]],
  ["run --mock (3 steps)", [bin, "run", wf, "--mock", mock, "--input", `{"text":"t"}`]],
  ["node -e 0 (baseline)", ["-e", "0"]]
] as const) {
  const { wall: s, cpu } = time(args)
  console.log(`${name.padEnd(24)} median ${fmt(s.median)}  IQR ${fmt(s.p25)}..${fmt(s.p75)}  range ${fmt(s.min)}..${fmt(s.max)}` +
    (cpu === undefined ? "" : `  | CPU median ${fmt(cpu.median)}  range ${fmt(cpu.min)}..${fmt(cpu.max)}`))
}
for (const [name, entry] of entries) {
  const inProcess: Array<{ importMillis: number; totalMillis: number; importCpu: number; totalCpu: number }> = []
  for (let i = 0; i < runs; i++) inProcess.push(JSON.parse(spawnSync(node, [entry], { encoding: "utf8" }).stdout))
  const pick = (k: keyof (typeof inProcess)[number]) => stats(inProcess.map((x) => x[k]))
  const [imp, total, impCpu, totalCpu] = [pick("importMillis"), pick("totalMillis"), pick("importCpu"), pick("totalCpu")]
  console.log(`library, ${name}`)
  console.log(`  import { Workflow }      median ${fmt(imp.median)}  IQR ${fmt(imp.p25)}..${fmt(imp.p75)}  | CPU median ${fmt(impCpu.median)}`)
  console.log(`  import + build + run 3   median ${fmt(total.median)}  IQR ${fmt(total.p25)}..${fmt(total.p75)}  | CPU median ${fmt(totalCpu.median)}  range ${fmt(totalCpu.min)}..${fmt(totalCpu.max)}`)
  const l = loaded([entry])
  console.log(`  modules evaluated        ${l.modules} (${(l.bytes / 2 ** 20).toFixed(2)} MB of source)`)
}
{
  const alone: Array<{ totalMillis: number; totalCpu: number }> = []
  for (let i = 0; i < runs; i++) alone.push(JSON.parse(spawnSync(node, [effectAlone], { encoding: "utf8" }).stdout))
  const [wall, cpu] = [stats(alone.map((x) => x.totalMillis)), stats(alone.map((x) => x.totalCpu))]
  const l = loaded([effectAlone])
  console.log(`effect/Effect + effect/Schema alone (no llm-orchestrator), import + one runPromise`)
  console.log(`  median ${fmt(wall.median)}  IQR ${fmt(wall.p25)}..${fmt(wall.p75)}  | CPU median ${fmt(cpu.median)}  range ${fmt(cpu.min)}..${fmt(cpu.max)}  | ${l.modules} modules (${(l.bytes / 2 ** 20).toFixed(2)} MB)`)
}
{
  const [name, args] = ["--help", [bin, "--help"]] as const
  const l = loaded(args)
  console.log(`${name} modules evaluated      ${l.modules} (${(l.bytes / 2 ** 10).toFixed(0)} KB of source)`)
}
const rss = stats(Array.from({ length: 5 }, () => JSON.parse(spawnSync(node, ["--expose-gc", idle], { encoding: "utf8" }).stdout).rss / 2 ** 20))
console.log(`idle library RSS          median ${rss.median.toFixed(0)} MB  range ${rss.min.toFixed(0)}..${rss.max.toFixed(0)} MB  (index + pipeline imported, after GC)`)

/**
 * RSS of a long-running command once it is idle: started, `ready` seen on stderr, then 1 s of nothing, and again 10 s
 * later (an idle process's polls still allocate; V8 grows its heap until a collection, so the figure drifts up).
 */
const idleRss = (args: ReadonlyArray<string>, ready: RegExp): Promise<readonly [number, number]> =>
  new Promise((resolve, reject) => {
    const child = spawn(node, [bin, ...args], { cwd: dir, stdio: ["ignore", "ignore", "pipe"] })
    let err = ""
    const timer = setTimeout(() => (child.kill("SIGKILL"), reject(new Error(`${args.join(" ")}: not ready in 60 s: ${err}`))), 60_000)
    child.stderr.on("data", (d) => {
      err += d
      if (!ready.test(err)) return
      ready = /$^/ // once
      const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1]) / 1024
      setTimeout(() => {
        const first = rss()
        setTimeout(() => {
          clearTimeout(timer)
          const later = rss()
          child.kill("SIGKILL")
          resolve([first, later])
        }, 10_000)
      }, 1_000)
    })
  })
// LLMO_BENCH_PG=postgres://user@host:port/db: also a cluster worker on that (scratch) database; it creates its tables there.
const pg = process.env["LLMO_BENCH_PG"]
if (existsSync("/proc/self/status")) {
  for (const [name, args, ready] of [
    ["serve (sqlite store)", ["serve", "--port", "0", "--store", `sqlite:${join(dir, "serve.db")}`], /serving on/],
    ["resume --worker (sqlite)", ["resume", "--worker", "--store", `sqlite:${join(dir, "worker.db")}`], /resuming \d+ unfinished/],
    ...(pg === undefined ? [] : [["worker (postgres, none)", ["worker", "--store", pg, "--address", "127.0.0.1:21311", "--listen", "127.0.0.1:21311"], /ready on/] as const])
  ] as const) {
    const xs: Array<readonly [number, number]> = []
    for (let i = 0; i < 3; i++) xs.push(await idleRss(args, ready))
    const [s, later] = [stats(xs.map((x) => x[0])), stats(xs.map((x) => x[1]))]
    console.log(`idle ${name.padEnd(24)} RSS median ${s.median.toFixed(0)} MB  range ${s.min.toFixed(0)}..${s.max.toFixed(0)} MB; 10 s later ${later.median.toFixed(0)} MB (${later.min.toFixed(0)}..${later.max.toFixed(0)})`)
  }
}
rmSync(dir, { recursive: true, force: true })

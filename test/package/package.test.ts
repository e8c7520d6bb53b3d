/**
 * The package as a user gets it: `npm pack` (which builds), a fresh project scaffolded by `init --from <tarball>`,
 * installed with `npm ci --offline` (dependencies from the npm cache, pinned by a lockfile made from this checkout's),
 * then the installed bin: --help, validate, a mocked run, the scaffold's own `npm test`, a clear refusal on an old
 * Node, and a TypeScript workflow type-checked against the published `.d.ts`.
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { delimiter, dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const root = join(import.meta.dirname, "..", "..")
const dir = mkdtempSync(join(tmpdir(), "llmo-package-"))
const app = join(dir, "app")
// `node` on PATH is this Node (>= 22.19): the bin's `#!/usr/bin/env node` and npm itself run on it.
const env = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env["PATH"]}`, NO_COLOR: "1", npm_config_update_notifier: "false" }
const sh = (cmd: string, args: ReadonlyArray<string>, cwd: string, extraEnv: Record<string, string> = {}): SpawnSyncReturns<string> =>
  // Generous limits: they only stop a hang. On a loaded 2-core machine `npm ci` alone has taken 140 s (45 s quiet).
  spawnSync(cmd, args, { cwd, env: { ...env, ...extraEnv }, encoding: "utf8", timeout: 480_000 })
const ok = (r: SpawnSyncReturns<string>) => {
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0)
  return r.stdout
}
let tarball = ""
const flowSource = `import { Effect, Schema } from "effect"
import { Workflow } from "llm-orchestrator"

export const flow = Workflow.make("flow", { input: Schema.Struct({ n: Schema.Number }) })
  .step("double", (ctx) => Effect.succeed(ctx.input.n * 2))
  .step("label", { needs: ["double"] }, (ctx) => Effect.succeed(\`n=\${ctx.double}\`))

export const run = Workflow.run(flow, { n: 2 })
`

beforeAll(() => {
  const packed = ok(sh("npm", ["pack", "--silent", "--pack-destination", dir], root)).trim().split("\n").pop()!
  tarball = join(dir, packed)
  ok(sh(process.execPath, [join(root, "dist", "cli", "llm-orchestrator.mjs"), "init", app, "--from", tarball], root))
  // A lockfile for the scaffold from this checkout's: the same dependency versions, installable from the npm cache.
  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean }> }
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as Record<string, unknown>
  const appPkg = JSON.parse(readFileSync(join(app, "package.json"), "utf8")) as { name: string; dependencies: Record<string, string> }
  const packages: Record<string, unknown> = {
    "": { name: appPkg.name, dependencies: appPkg.dependencies },
    "node_modules/llm-orchestrator": { version: pkg["version"], resolved: appPkg.dependencies["llm-orchestrator"], dependencies: pkg["dependencies"], bin: pkg["bin"], engines: pkg["engines"] }
  }
  for (const [k, v] of Object.entries(lock.packages)) if (k.startsWith("node_modules/") && v.dev !== true) packages[k] = v
  writeFileSync(join(app, "package-lock.json"), JSON.stringify({ name: appPkg.name, lockfileVersion: 3, requires: true, packages }, null, 2))
  ok(sh("npm", ["ci", "--offline", "--no-audit", "--no-fund", "--loglevel=error"], app))
}, 900_000)
afterAll(() => rmSync(dir, { recursive: true, force: true }), 180_000)

describe("the packed package", { timeout: 240_000 }, () => {
  const bin = () => join(app, "node_modules", ".bin", "llm-orchestrator")

  it("holds the built files and nothing of the checkout's sources or tests", () => {
    const files = ok(sh("tar", ["tzf", tarball], dir)).split("\n").filter((f) => f !== "")
    for (const f of ["package/bin/llm-orchestrator.js", "package/dist/cli/llm-orchestrator.mjs", "package/dist/src/index.js", "package/dist/src/index.d.ts", "package/dist/codegen/schema/workflow.schema.json"]) {
      expect(files).toContain(f)
    }
    expect(files.filter((f) => /^package\/(src|test|examples|bench|codegen|dsl)\//.test(f) || f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([])
    expect(existsSync(join(app, "node_modules", "llm-orchestrator", "src"))).toBe(false)
  })

  it("--help, validate and a mocked run work from the installed bin", () => {
    expect(ok(sh(bin(), ["--help"], app))).toContain("USAGE")
    expect(ok(sh(bin(), ["--version"], app)).trim()).toBe(`llm-orchestrator v${JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version}`)
    const v = sh(bin(), ["validate", "workflows/summarize.yaml"], app)
    expect(v.status, v.stderr).toBe(0)
    expect(v.stderr).toContain("1 file(s) valid")
    const run = JSON.parse(ok(sh(bin(), ["run", "workflows/summarize.yaml", "--mock", "workflows/summarize.mock.yaml", "--input", `{"text":"hi"}`, "--json"], app))) as { status: string; outputs: unknown }
    expect(run).toMatchObject({ status: "succeeded", outputs: { summary: "Effect composes programs.", tone: "positive" } })
  })

  it("the scaffold's npm test runs its workflow's test cases, npm start its mocked run", () => {
    const out = ok(sh("npm", ["test", "--silent"], app))
    expect(out).toContain("✓ summarizes and classifies")
    expect(out).toContain("1 passed, 0 failed")
    const start = ok(sh("npm", ["start", "--silent"], app))
    expect(start).toMatch(/^ok\s+summarize \(\d+ms\)$/m)
    expect(start).toContain(`"tone": "positive"`)
  })

  it("docs/getting-started.md shows the steps this test takes, in this order", () => {
    const doc = readFileSync(join(root, "docs", "getting-started.md"), "utf8")
    const steps = ["npm ci", "npm pack", "npm run cli -- init ../my-flows --from llm-orchestrator-0.1.0.tgz", "cd ../my-flows", "npm install", "npm test", "npx llm-orchestrator validate workflows/summarize.yaml", "npm start"]
    const blocks = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.trim().split("\n"))
    expect(blocks.slice(0, steps.length)).toEqual(steps)
    // The TypeScript example of the page is the one type-checked below.
    expect(doc).toContain(flowSource.split("\n\nexport const run")[0])
  })

  it.skipIf(!existsSync("/usr/bin/node") || Number(spawnSync("/usr/bin/node", ["-p", "process.versions.node.split('.')[0]"], { encoding: "utf8" }).stdout) >= 22)(
    "on an old Node the bin refuses with the version it needs, exit 1",
    () => {
      const r = spawnSync("/usr/bin/node", [bin(), "--help"], { cwd: app, encoding: "utf8" })
      expect(r.status).toBe(1)
      expect(r.stderr).toMatch(/^llm-orchestrator needs Node >= 22\.19, found 2\d\.\d+\.\d+/)
      expect(r.stdout).toBe("")
    }
  )

  it("a TypeScript workflow type-checks against the published .d.ts (and a wrong one does not)", () => {
    writeFileSync(join(app, "flow.ts"), flowSource)
    writeFileSync(join(app, "wrong.ts"), `import { Effect, Schema } from "effect"
import { Workflow } from "llm-orchestrator"

export const flow = Workflow.make("flow", { input: Schema.Struct({ n: Schema.Number }) })
  .step("double", (ctx) => Effect.succeed(ctx.input.n * 2))
  .step("label", { needs: ["double"] }, (ctx) => Effect.succeed(ctx.double.toUpperCase()))
`)
    const tsconfig = { compilerOptions: { target: "ES2023", module: "nodenext", moduleResolution: "nodenext", strict: true, noEmit: true, skipLibCheck: true, types: [] } }
    writeFileSync(join(app, "tsconfig.json"), JSON.stringify({ ...tsconfig, files: ["flow.ts"] }))
    writeFileSync(join(app, "tsconfig.wrong.json"), JSON.stringify({ ...tsconfig, files: ["wrong.ts"] }))
    const tsc = join(root, "node_modules", ".bin", "tsc")
    ok(sh(tsc, ["-p", "tsconfig.json"], app))
    const wrong = sh(tsc, ["-p", "tsconfig.wrong.json"], app)
    expect(wrong.status).not.toBe(0)
    expect(wrong.stdout).toMatch(/wrong\.ts\(6,\d+\): error TS2339: Property 'toUpperCase' does not exist on type 'number'/)
  })

  // A load hook lists every module a process evaluates. It appends to a file synchronously: hooks run on their own
  // thread, and a write to stderr from there can be lost when a short script exits.
  let hooked = 0
  const loadedBy = (args: ReadonlyArray<string>) => {
    writeFileSync(join(app, "hook.mjs"), `import { appendFileSync } from "node:fs"
export async function load(url, context, next) { appendFileSync(process.env.LOAD_LOG, url + "\\n"); return next(url, context) }`)
    writeFileSync(join(app, "register.mjs"), `import { register } from "node:module"; register(new URL("./hook.mjs", import.meta.url))`)
    const log = join(dir, `loaded-${hooked++}.log`)
    const r = sh(process.execPath, ["--import", "./register.mjs", ...args], app, { LOAD_LOG: log })
    expect(r.status, r.stderr).toBe(0)
    return { stdout: r.stdout, urls: readFileSync(log, "utf8").split("\n").filter((l) => l !== "") }
  }

  it("--help and --version load no effect and no command: the entry prints what the build recorded", () => {
    const cli = "/node_modules/llm-orchestrator/dist/cli/"
    const handlers = (urls: ReadonlyArray<string>) => urls.filter((u) => u.includes(cli) && /Handlers?-\w+\.mjs$/.test(u)).map((u) => u.replace(/^.*\/(\w+)-\w+\.mjs$/, "$1"))
    for (const args of [["--help"], ["--version"], ["run", "--help"], ["keys", "create", "-h"]]) {
      const { stdout, urls } = loadedBy([bin(), ...args])
      expect(stdout).toContain(args[0] === "--version" ? "llm-orchestrator v" : "USAGE")
      // The entry and esbuild's runtime helpers (a few KB), nothing of effect or the command tree; Node's modules.
      const ours = urls.filter((u) => !u.startsWith("node:") && !u.endsWith("/bin/llm-orchestrator.js") && !u.endsWith("/register.mjs"))
      expect(ours.every((u) => u.includes(cli))).toBe(true)
      expect(ours.reduce((n, u) => n + statSync(fileURLToPath(u)).size, 0)).toBeLessThan(10_000)
    }
    const validate = loadedBy([bin(), "validate", "workflows/summarize.yaml"])
    expect(handlers(validate.urls)).toEqual(["validateHandler"])
  })

  it("the recorded help is the live CLI's: the installed table equals one recorded now, the bin's output effect/cli's", async () => {
    const installed = JSON.parse(readFileSync(join(app, "node_modules", "llm-orchestrator", "dist", "cli", "static-help.json"), "utf8")) as unknown
    const { recordStaticHelp } = await import("../../src/cli/staticHelpRecord.ts")
    expect(installed).toEqual(await recordStaticHelp())
    // The same bin through effect/cli (LLMO_STATIC_HELP=0): stdout, stderr and exit code alike.
    for (const args of [[], ["--help"], ["-v"], ["run", "--help"], ["keys", "create", "-h"]]) {
      const fast = sh(bin(), args, app)
      const full = sh(bin(), args, app, { LLMO_STATIC_HELP: "0" })
      expect({ stdout: fast.stdout, stderr: fast.stderr, status: fast.status }, args.join(" ")).toEqual({ stdout: full.stdout, stderr: full.stderr, status: full.status })
    }
  })

  it("importing the package entry loads effect and our engine, and nothing else: no effect/ai, effect/testing or provider SDK", () => {
    writeFileSync(join(app, "entry.mjs"), `const { Workflow } = await import("llm-orchestrator"); console.log(typeof Workflow.make)`)
    writeFileSync(join(app, "effect-only.mjs"), `await import("effect")`)
    const entry = loadedBy(["entry.mjs"])
    expect(entry.stdout.trim()).toBe("function")
    const effectOnly = new Set(loadedBy(["effect-only.mjs"]).urls)
    const extra = entry.urls.filter((u) => !effectOnly.has(u) && !u.endsWith("/entry.mjs"))
    expect(extra.some((u) => u.includes("/node_modules/llm-orchestrator/dist/src/engine/"))).toBe(true)
    // effect/sql's client comes in with the pgvector store's layer tag; effect/ai, effect/testing and the SDKs must not.
    expect(extra.filter((u) => !u.includes("/node_modules/llm-orchestrator/dist/") && !u.startsWith("node:") && !/\/node_modules\/effect\/dist\/(sql|reactivity)\//.test(u))).toEqual([])
  })
})

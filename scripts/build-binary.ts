/**
 * `npm run build:binary`: `dist/bin/llm-orchestrator`, one executable file that runs the CLI on a machine without
 * Node: a Node single-executable application (SEA) made from the Node binary running this script (no download),
 * with the CLI bundled into one CommonJS script (provider SDKs included) and injected with postject.
 *
 * `LLMO_BINARY_OUT=dir` writes it elsewhere (the tests do).
 *
 * Limits: custom action modules (`--actions`) cannot be loaded by the executable (a SEA has no module loader for
 * files on disk); everything else (validate, codegen, run with live providers or mocks, test, graph, init) works.
 */
import { spawnSync } from "node:child_process"
import { copyFileSync, chmodSync, mkdirSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { build } from "esbuild"

const root = join(import.meta.dirname, "..")
const out = process.env["LLMO_BINARY_OUT"] ?? join(root, "dist", "bin")
mkdirSync(out, { recursive: true })
const script = join(out, "llm-orchestrator.cjs")

await build({
  entryPoints: [join(root, "src", "cli", "bin.ts")],
  outfile: script,
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node22",
  // Optional native/wasm clients that cannot be embedded: the commands that need them say so when used.
  external: ["@electric-sql/pglite", "pg-native", "tsx", "tsx/*"],
  define: { "import.meta.url": "__llmoImportMetaUrl", "import.meta.dirname": "__dirname", "import.meta.main": "false" },
  banner: { js: `const __llmoImportMetaUrl = require("node:url").pathToFileURL(__filename).href;` },
  legalComments: "none",
  logLevel: "error"
})

const blob = join(out, "sea-prep.blob")
const config = join(out, "sea-config.json")
writeFileSync(config, JSON.stringify({ main: script, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true }))
const prep = spawnSync(process.execPath, ["--experimental-sea-config", config], { stdio: "inherit" })
if (prep.status !== 0) process.exit(prep.status ?? 1)

const exe = join(out, "llm-orchestrator")
copyFileSync(process.execPath, exe)
chmodSync(exe, 0o755)
const inject = spawnSync(process.execPath, [
  join(root, "node_modules", "postject", "dist", "cli.js"),
  exe,
  "NODE_SEA_BLOB",
  blob,
  "--sentinel-fuse",
  "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2"
], { stdio: ["ignore", "ignore", "inherit"] })
if (inject.status !== 0) process.exit(inject.status ?? 1)
console.log(`built ${exe} (${(statSync(exe).size / 2 ** 20).toFixed(0)} MiB; from Node ${process.version})`)

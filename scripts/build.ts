/**
 * `npm run build`: the package as users install it.
 *  - dist/{src,dsl,codegen}: the library as JavaScript + `.d.ts` (tsc, tsconfig.build.json), what `exports` serves;
 *  - dist/cli/: the CLI bundled by esbuild into one ESM file plus lazily loaded chunks (each command's handler is a
 *    dynamic import, so `--help` and a command load only what they use; see src/cli/main.ts), with the provider SDKs
 *    left as imports of the installed packages;
 *  - in both, imports of effect's barrels become imports of the modules they re-export (scripts/effectImports.ts):
 *    importing `effect` itself would load all of effect.
 *  - dist/cli/static-help.json: what every `--help`, `-h`, `--version` prints, recorded from the real command tree, so
 *    the bin prints help without loading effect (src/cli/staticHelp.ts);
 *  - dist/codegen/schema/workflow.schema.json and dist/schema/config.schema.json for editors.
 */
import { spawnSync } from "node:child_process"
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { build, type BuildOptions, type Plugin } from "esbuild"
import { rewriteEffectImports } from "./effectImports.ts"

const root = join(import.meta.dirname, "..")
const dist = join(root, "dist")

/** What the CLI bundle contains; every other dependency (provider SDKs, database clients) stays an import of the installed package, loaded when used. */
// Everything that imports `effect` must be bundled with it: a second copy (an external package importing the
// installed effect) breaks what effect keeps per module, e.g. `Redacted` values made by one copy and read by the other.
const bundled = new Set(["effect", "@effect/platform-node", "@effect/sql-pg", "yaml"])
const dependencies = Object.keys((JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies)
export const external = [...dependencies.filter((d) => !bundled.has(d)).flatMap((d) => [d, `${d}/*`]), "tsx", "tsx/*", "redis", "@redis/*", "ws"]

/** Our TypeScript files with effect's barrel imports rewritten to the modules (node_modules is left alone). */
const effectModules: Plugin = {
  name: "effect-modules",
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) =>
      args.path.includes("/node_modules/") ? undefined : { contents: rewriteEffectImports(readFileSync(args.path, "utf8")), loader: "ts" })
  }
}

/** Rewrites the effect barrel imports of every .js file under `dir` (tsc's output). */
export const rewriteDir = (dir: string): void => {
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".js")) continue
    const file = join(entry.parentPath, entry.name)
    const code = readFileSync(file, "utf8")
    const rewritten = rewriteEffectImports(code)
    if (rewritten !== code) writeFileSync(file, rewritten)
  }
}

/** The esbuild options of the CLI bundle in `outdir` (ESM with code splitting). */
export const cliOptions = (outdir: string): BuildOptions => ({
    entryPoints: { "llm-orchestrator": join(root, "src", "cli", "bin.ts") },
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node22",
    external,
    outExtension: { ".js": ".mjs" },
    chunkNames: "chunks/[name]-[hash]",
    legalComments: "none",
    logLevel: "warning",
    plugins: [effectModules],
    // Bundled CommonJS dependencies (yaml) call require: give them one.
    banner: { js: `import { createRequire as __llmoCreateRequire } from "node:module"; const require = __llmoCreateRequire(import.meta.url);` }
})

/** Bundles the CLI entry into `outdir`. */
export const bundleCli = (outdir: string) => build(cliOptions(outdir))

if (import.meta.main) {
  rmSync(dist, { recursive: true, force: true })
  const tsc = spawnSync(join(root, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" })
  if (tsc.status !== 0) process.exit(tsc.status ?? 1)
  for (const d of ["src", "dsl", "codegen"]) rewriteDir(join(dist, d))
  await bundleCli(join(dist, "cli"))
  // What --help and --version print, recorded from the real command tree (src/cli/staticHelp.ts prints it).
  const { recordStaticHelp } = await import("../src/cli/staticHelpRecord.ts")
  writeFileSync(join(dist, "cli", "static-help.json"), JSON.stringify(await recordStaticHelp()))
  mkdirSync(join(dist, "codegen", "schema"), { recursive: true })
  cpSync(join(root, "codegen", "schema"), join(dist, "codegen", "schema"), { recursive: true })
  cpSync(join(root, "schema"), join(dist, "schema"), { recursive: true })
  console.log("built dist/ (library + .d.ts) and dist/cli/llm-orchestrator.mjs")
}

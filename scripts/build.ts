/**
 * `npm run build`: the package as users install it.
 *  - dist/{src,dsl,codegen}: the library as JavaScript + `.d.ts` (tsc, tsconfig.build.json), what `exports` serves;
 *  - dist/cli/: the CLI bundled by esbuild into one ESM file plus lazily loaded chunks (a command loads only what it
 *    uses; effect is tree-shaken), with the provider SDKs left as imports of the installed packages;
 *  - dist/codegen/schema/workflow.schema.json and dist/schema/config.schema.json for editors.
 */
import { spawnSync } from "node:child_process"
import { cpSync, mkdirSync, readFileSync, rmSync } from "node:fs"
import { join } from "node:path"
import { build } from "esbuild"

const root = join(import.meta.dirname, "..")
const dist = join(root, "dist")

/** What the CLI bundle contains; every other dependency (provider SDKs, database clients) stays an import of the installed package, loaded when used. */
// Everything that imports `effect` must be bundled with it: a second copy (an external package importing the
// installed effect) breaks what effect keeps per module, e.g. `Redacted` values made by one copy and read by the other.
const bundled = new Set(["effect", "@effect/platform-node", "@effect/sql-pg", "yaml"])
const dependencies = Object.keys((JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies)
export const external = [...dependencies.filter((d) => !bundled.has(d)).flatMap((d) => [d, `${d}/*`]), "tsx", "tsx/*", "redis", "@redis/*", "ws"]

/** Bundles the CLI entry into `outdir` (ESM with code splitting). */
export const bundleCli = (outdir: string) =>
  build({
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
    // Bundled CommonJS dependencies (yaml) call require: give them one.
    banner: { js: `import { createRequire as __llmoCreateRequire } from "node:module"; const require = __llmoCreateRequire(import.meta.url);` }
  })

if (import.meta.main) {
  rmSync(dist, { recursive: true, force: true })
  const tsc = spawnSync(join(root, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" })
  if (tsc.status !== 0) process.exit(tsc.status ?? 1)
  await bundleCli(join(dist, "cli"))
  mkdirSync(join(dist, "codegen", "schema"), { recursive: true })
  cpSync(join(root, "codegen", "schema"), join(dist, "codegen", "schema"), { recursive: true })
  cpSync(join(root, "schema"), join(dist, "schema"), { recursive: true })
  console.log("built dist/ (library + .d.ts) and dist/cli/llm-orchestrator.mjs")
}

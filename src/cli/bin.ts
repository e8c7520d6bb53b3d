/**
 * The process entry of the `llm-orchestrator` command: importing this module runs the CLI on `process.argv`.
 * `bin/llm-orchestrator.js` checks the Node version and then loads this file (built, or the source in a checkout).
 * Help and version are printed from the table recorded at build time (staticHelp.ts) without loading the CLI; every
 * other invocation imports main.ts, which esbuild therefore puts in a chunk of its own.
 *
 * @example
 * ```sh
 * node --import tsx src/cli/bin.ts validate examples/*.yaml
 * ```
 */
import { printStatic } from "./staticHelp.ts"

const args = process.argv.slice(2)
// No top-level await: the single executable (scripts/build-binary.ts) bundles this file as CommonJS.
if (!printStatic(new URL("./static-help.json", import.meta.url), args)) void import("./main.ts").then((cli) => cli.runProcess(args))

/**
 * The process entry of the `llm-orchestrator` command: importing this module runs the CLI on `process.argv`.
 * `bin/llm-orchestrator.js` checks the Node version and then loads this file (built, or the source in a checkout).
 *
 * @example
 * ```sh
 * node --import tsx src/cli/bin.ts validate examples/*.yaml
 * ```
 */
import { runProcess } from "./main.ts"

runProcess(process.argv.slice(2))

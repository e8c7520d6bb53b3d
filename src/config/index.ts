/**
 * The project configuration file (`llm-orchestrator.yaml`): its schema, loading with located errors, and what it
 * gives the run pipeline.
 *
 * @example
 * ```ts
 * import { Config } from "llm-orchestrator/config"
 * const loaded = yield* Config.load({ cwd: process.cwd() })
 * ```
 */
export * as Config from "./Config.ts"
export * as ConfigFile from "./ConfigFile.ts"
export * as Project from "./Project.ts"

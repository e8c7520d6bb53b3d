/**
 * The run pipeline shared by the CLI, the REST server and workers: load -> validate -> resolve providers and stores ->
 * run -> report, with typed errors.
 *
 * @example
 * ```ts
 * import { Pipeline, PipelineError } from "llm-orchestrator/pipeline"
 * const report = yield* Pipeline.runFile("wf.yaml", { input: { text: "hi" }, env: process.env })
 * ```
 */
export * as Pipeline from "./Pipeline.ts"
export * as PipelineError from "./PipelineError.ts"
export * as RunReport from "./RunReport.ts"
export * as Services from "./Services.ts"

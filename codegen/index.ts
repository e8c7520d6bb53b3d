/**
 * YAML workflows: the format (Effect Schema + JSON Schema), parsing with positions, validation, graphs and TypeScript
 * code generation. Pure: depends on `effect`, `yaml` and `dsl/` only.
 *
 * @example
 * ```ts
 * import { analyzeFile, formatDiagnostic } from "llm-orchestrator/codegen"
 * analyzeFile("examples/parallel-rag.yaml").diagnostics.map(formatDiagnostic)
 * ```
 */
export { analyzeFile, analyzeSource, knownEmbeddingProviders, knownProviders } from "./analyze.ts"
export type { Analysis, AnalyzeOptions, Node, Scope } from "./analyze.ts"
export { errorsOf, formatDiagnostic, sortDiagnostics } from "./Diagnostic.ts"
export type { Diagnostic } from "./Diagnostic.ts"
export { closest, didYouMean } from "./didYouMean.ts"
export { workflowJsonSchema, workflowJsonSchemaText } from "./jsonSchema.ts"
export { parseSource } from "./SourceFile.ts"
export type { Path, Position, SourceFile } from "./SourceFile.ts"
export { filterNames, parseCondition, parseTemplate } from "./Template.ts"
export type { Condition, Filter, Literal, Ref, Template } from "./Template.ts"
export { fromTypeSpec, showType } from "./Type.ts"
export type { Type } from "./Type.ts"
export * from "./WorkflowFile.ts"
export { typeSchema } from "./typeSchema.ts"
export { generateModule, moduleFileName, schemaCode } from "./generate.ts"
export { lower, topoOrder } from "./lower.ts"
export type * as Lowered from "./Lowered.ts"
export type { GenerateOptions } from "./generate.ts"
export { analyzeAll, writeModules } from "./writeModules.ts"
export type { WriteResult } from "./writeModules.ts"
export { toDurationInput, toMillis } from "./duration.ts"
export type { Resolution } from "./analyze.ts"
export { toDot, toMermaid } from "./graph.ts"

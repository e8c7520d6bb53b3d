/**
 * Test kit: mock providers, the call recorder and the offline embedding. The way to test workflows without models.
 *
 * @example
 * ```ts
 * import { Mock, MockLlm, MockEmbeddings, MockRecorder, OfflineEmbedding } from "./src/testing/index.ts"
 * ```
 */
export * from "./Mock.ts"
export * from "./MockEmbeddings.ts"
export * from "./MockLlm.ts"
export * from "./MockRecorder.ts"
export * from "./MockScript.ts"
export * from "./OfflineEmbedding.ts"
export type { TestMocks, TestOptions, TestResult } from "./WorkflowTest.ts"

/**
 * Test kit: mock providers, the call recorder and the offline embedding. The way to test workflows without models.
 *
 * @example
 * ```ts
 * import { Mock, MockLlm, MockEmbeddings, MockRecorder, OfflineEmbedding } from "./src/testing/index.ts"
 * ```
 */
export * as Mock from "./Mock.ts"
export type { MockServices } from "./Mock.ts"
export * as MockEmbeddings from "./MockEmbeddings.ts"
export type { MockEmbedRequest, MockEmbeddingsOptions } from "./MockEmbeddings.ts"
export * as MockLlm from "./MockLlm.ts"
export { renderPrompt, MockScriptError } from "./MockLlm.ts"
export type { MockRequest, MockReply, MockAnswer, MockResponses, MockLlmOptions, FromFunctionOptions } from "./MockLlm.ts"
export * from "./MockRecorder.ts"
export * from "./MockScript.ts"
export * as OfflineEmbedding from "./OfflineEmbedding.ts"
export { estimateTokens } from "./OfflineEmbedding.ts"
export type { TestMocks, TestOptions, TestResult } from "./WorkflowTest.ts"

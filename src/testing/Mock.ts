/**
 * One Layer for all the mocks of a test: language-model and embedding providers by name, plus the shared
 * {@link MockRecorder}. Its type lists exactly the providers it serves, so running a workflow whose providers are not
 * all mocked is a compile error, like any missing Layer.
 *
 * @example
 * ```ts
 * import { Mock } from "llm-orchestrator/testing"
 * const TestLayer = Mock.layer({
 *   llm: { openai: { responses: ["positive"] }, anthropic: { responses: "Glad to hear it!" } },
 *   embeddings: { openai: {} }
 * })  // Layer<LlmProvider<"openai"> | LlmProvider<"anthropic"> | EmbeddingsProvider<"openai"> | MockRecorder>
 * ```
 */
import { Layer } from "effect"
import type { EmbeddingsProvider } from "../llm/EmbeddingsProvider.ts"
import type { LlmProvider } from "../llm/LlmProvider.ts"
import * as MockEmbeddings from "./MockEmbeddings.ts"
import { type MockEmbeddingsOptions } from "./MockEmbeddings.ts"
import * as MockLlm from "./MockLlm.ts"
import { type MockLlmOptions } from "./MockLlm.ts"
import { MockRecorder } from "./MockRecorder.ts"
import { type Failures, targetsSteps } from "./MockScript.ts"
import * as Correlation from "../telemetry/Correlation.ts"

/**
 * What {@link Mock.layer} provides: one service per mocked provider name, and the recorder.
 *
 * @example
 * ```ts
 * const TestLayer: Layer.Layer<MockServices<"openai", never>> = Mock.layer({ llm: { openai: { responses: "ok" } } })
 * ```
 */
export type MockServices<L extends string, E extends string> =
  | (L extends string ? LlmProvider<L> : never)
  | (E extends string ? EmbeddingsProvider<E> : never)
  | MockRecorder

/**
 * Mock providers by name, sharing a fresh {@link MockRecorder}.
 *
 * @example
 * ```ts
 * Mock.layer({ llm: { cheap: { responses: "ok" } } })
 * ```
 */
export const layer = <const L extends string = never, const E extends string = never>(spec: {
  readonly llm?: { readonly [K in L]: MockLlmOptions }
  readonly embeddings?: { readonly [K in E]: MockEmbeddingsOptions }
}): Layer.Layer<MockServices<L, E>> => layerWith(spec, MockRecorder.layer) as Layer.Layer<MockServices<L, E>>

/**
 * {@link layer} recording into the recorder `recorder` builds (used by `Workflow.test`).
 *
 * @example
 * ```ts
 * const recorder = makeMockRecorder()
 * Mock.layerWith({ llm: { main: {} } }, Layer.succeed(MockRecorder, recorder))
 * ```
 */
export const layerWith = (
  spec: {
    readonly llm?: Readonly<Record<string, MockLlmOptions>> | undefined
    readonly embeddings?: Readonly<Record<string, MockEmbeddingsOptions>> | undefined
  },
  recorder: Layer.Layer<MockRecorder>
): Layer.Layer<MockRecorder> => {
  const llm = Object.entries<MockLlmOptions>(spec.llm ?? {})
  const layers: Array<Layer.Layer<any, never, MockRecorder>> = [
    ...llm.map(([name, o]) => MockLlm.layer(name, o)),
    ...Object.entries<MockEmbeddingsOptions>(spec.embeddings ?? {}).map(([name, o]) => MockEmbeddings.layer(name, o))
  ]
  // A failure rule aimed at a step needs to know which step calls: runs then record it (Correlation.CurrentStep).
  const embeddings = Object.values<MockEmbeddingsOptions>(spec.embeddings ?? {})
  if (
    llm.some(([, o]) => targetsSteps(o.failures as Failures<unknown> | undefined)) ||
    embeddings.some((o) => targetsSteps(o.failures as Failures<unknown> | undefined))
  ) layers.push(Layer.succeed(Correlation.Enabled, true) as unknown as Layer.Layer<any, never, MockRecorder>)
  const merged = layers.length === 0
    ? Layer.empty
    : Layer.mergeAll(...(layers as [Layer.Layer<any, never, MockRecorder>, ...Array<Layer.Layer<any, never, MockRecorder>>]))
  return merged.pipe(Layer.provideMerge(recorder)) as Layer.Layer<MockRecorder>
}

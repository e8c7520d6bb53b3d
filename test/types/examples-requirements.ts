// Type tests: each example workflow's R names exactly the providers (and stores) it uses.
import type { Workflow } from "../../src/index.ts"
import type { EmbeddingsProvider, LlmProvider } from "../../src/llm/index.ts"
import type { VectorStoreFor } from "../../src/vector/index.ts"
import type { contentModeration } from "../../examples/content-moderation.ts"
import type { iterativeRefinement } from "../../examples/iterative-refinement.ts"
import type { mapReduceSummary } from "../../examples/map-reduce-summary.ts"
import type { parallelRag } from "../../examples/parallel-rag.ts"
import type { sentimentAnalysis } from "../../examples/sentiment-analysis.ts"

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false
const check = <T extends true>(_?: T) => {}

check<Equals<Workflow.RequirementsOf<typeof sentimentAnalysis>, LlmProvider<"openai"> | LlmProvider<"anthropic">>>()
check<Equals<Workflow.RequirementsOf<typeof contentModeration>, LlmProvider<"openai"> | LlmProvider<"anthropic">>>()
check<Equals<Workflow.RequirementsOf<typeof mapReduceSummary>, LlmProvider<"openai"> | LlmProvider<"anthropic">>>()
check<Equals<Workflow.RequirementsOf<typeof iterativeRefinement>, LlmProvider<"openai"> | LlmProvider<"anthropic">>>()
check<
  Equals<
    Workflow.RequirementsOf<typeof parallelRag>,
    EmbeddingsProvider<"openai"> | VectorStoreFor<"pinecone"> | LlmProvider<"anthropic">
  >
>()
// @ts-expect-error -- parallel-rag does not use the openai LLM
check<Equals<Workflow.RequirementsOf<typeof parallelRag>, LlmProvider<"openai"> | LlmProvider<"anthropic">>>()

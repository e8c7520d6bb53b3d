/**
 * Type tests for code generated from YAML (the committed snapshots in ./generated, kept in sync by
 * test/codegen/snapshot.test.ts): every resource a YAML file names is a typed requirement.
 */
import { Effect, Layer } from "effect"
import { Workflow } from "llm-orchestrator"
import { Embeddings } from "llm-orchestrator/llm"
import { VectorStore } from "llm-orchestrator/vector"
import { MockLlm, MockRecorder } from "llm-orchestrator/testing"
import * as Moderation from "./generated/content-moderation.ts"
import * as Rag from "./generated/parallel-rag.ts"
import * as Failover from "./generated/provider-failover.ts"

const llms = Layer.mergeAll(MockLlm.layer("openai", { responses: ["block"] }), MockLlm.layer("anthropic", { responses: ["Sorry."] }))
  .pipe(Layer.provideMerge(MockRecorder.layer))
const action = { run: () => Effect.succeed("done") }
const publish = Layer.succeed(Moderation.PublishAction, action)
const review = Layer.succeed(Moderation.QueueReviewAction, action)
const notify = Layer.succeed(Moderation.SendNotificationAction, action)

// Every provider and action supplied: compiles.
export const ok = Workflow.runWith(Moderation.workflow, { content: "x" }, Layer.mergeAll(llms, publish, review, notify))

// The "publish" action (action: publish in the YAML) is not supplied.
// @ts-expect-error Missing provider(s): llm-orchestrator/action/publish
export const noPublish = Workflow.runWith(Moderation.workflow, { content: "x" }, Layer.mergeAll(llms, review, notify))

// The anthropic provider of a fallback is a requirement too.
const openaiOnly = MockLlm.layer("openai", { responses: ["Paris."] }).pipe(Layer.provideMerge(MockRecorder.layer))
const log = Layer.succeed(Failover.LogAction, action)
export const failoverOk = Workflow.runWith(Failover.workflow, { question: "?" }, Layer.mergeAll(llms, log))
// @ts-expect-error Missing provider(s): Llm/anthropic
export const failoverMissing = Workflow.runWith(Failover.workflow, { question: "?" }, Layer.mergeAll(openaiOnly, log))

// Inputs are typed from the YAML `inputs` block.
// @ts-expect-error question must be a string
export const badInput = Workflow.runWith(Failover.workflow, { question: 42 }, Layer.mergeAll(llms, log))

// Structured output: the enum output is a literal union.
export const label = (outputs: Workflow.OutputsOf<typeof Failover.workflow>): "confident" | "hedged" => outputs.classify

// `database: pinecone` is a typed requirement: the store must be supplied under that name.
const embeddings = Embeddings.layerCustom("openai", ({ inputs }) => Effect.succeed({ embeddings: inputs.map(() => [1, 0]), usage: { inputTokens: 1, outputTokens: 0 } }))
export const ragOk = Workflow.runWith(Rag.workflow, { query: "q" }, Layer.mergeAll(llms, embeddings, VectorStore.layerMemory("pinecone")))
// @ts-expect-error Missing provider(s): VectorStore/pinecone
export const ragWrongStore = Workflow.runWith(Rag.workflow, { query: "q" }, Layer.mergeAll(llms, embeddings, VectorStore.layerMemory("qdrant")))

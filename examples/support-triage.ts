import { Effect, Schedule, Schema } from "effect"
import { Workflow } from "llm-orchestrator"
import { Embeddings, isRetryable, Llm } from "llm-orchestrator/llm"
import { type SearchHit, VectorStore } from "llm-orchestrator/vector"

const cheap = Llm.model("cheap", "gpt-4o-mini")
const main = Llm.model("main", "gpt-4o")
const Ticket = Schema.Struct({ kind: Schema.Literals(["bug", "billing", "other"]), product: Schema.String })
const Critique = Schema.Struct({ score: Schema.Number, advice: Schema.String })
// shared by the LLM steps: checked once, no `as const`
const llmStep = Workflow.options({ timeout: "30 seconds", retry: { schedule: Schedule.exponential("1 second"), times: 3, while: isRetryable } })
const text = (hits: ReadonlyArray<SearchHit>) => hits.map((h) => h.payload["text"]).join("\n")

export const triage = Workflow.make("support-triage", { input: Schema.Struct({ ticket: Schema.String }) })
  .step("classify", llmStep, (ctx) => Llm.generateObject({ ...cheap, prompt: `Classify: ${ctx.input.ticket}`, schema: Ticket }))
  .step("embed", (ctx) => Embeddings.embed({ provider: "embed", model: "text-embedding-3-small", input: ctx.input.ticket }))
  .step("faq", { needs: ["embed"] }, (ctx) => VectorStore.search({ store: "kb", collection: "faq", vector: ctx.embed, topK: 2 }))
  .step("past", { needs: ["embed"] }, (ctx) => VectorStore.search({ store: "kb", collection: "tickets", vector: ctx.embed, topK: 2 }))
  .branch("route", { needs: ["classify", "faq", "past"], on: (ctx) => ctx.classify.kind }, {
    bug: (b) => b.step("draft", llmStep, (ctx) => Llm.generate({ ...main, prompt: `Fix plan for ${ctx.classify.product}:\n${text(ctx.past)}` })),
    billing: (b) => b.step("refund", llmStep, (ctx) => Llm.generate({ ...main, prompt: `Refund reply:\n${text(ctx.faq)}` })),
    other: (b) => b.step("reply", llmStep, (ctx) => Llm.generate({ ...cheap, prompt: `Short reply:\n${text(ctx.faq)}` }))
  })
  .map("notes", { needs: ["faq"], over: (ctx) => ctx.faq, concurrency: 2, item: { timeout: "10 seconds", retry: { times: 1 } } }, (hit) =>
    Llm.generate({ ...cheap, prompt: `One-line note: ${hit.payload["text"]}` }))
  .loop("polish", {
    needs: ["route", "notes"],
    initial: (ctx) => ({ text: Object.values(ctx.route.value).join(""), score: 0 }),
    until: (s) => s.score >= 8,
    maxIterations: 3,
    onMaxIterations: "return"
  }, (s) =>
    Effect.gen(function*() {
      const critique = yield* Llm.generateObject({ ...cheap, prompt: `Score 0-10: ${s.text}`, schema: Critique, timeout: "10 seconds" })
      if (critique.score >= 8) return { text: s.text, score: critique.score }
      const text = yield* Llm.generate({ ...main, prompt: `Improve (${critique.advice}): ${s.text}`, timeout: "20 seconds", retry: { times: 1 } })
      return { text, score: critique.score }
    }))

/**
 * The policy around a real provider: the official OpenAI SDK talks to a local wire server; workflows run through the
 * engine (which gives the policy the current step). What the server receives is what a provider would.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, Redacted, Schema, Stream } from "effect"
import { Workflow } from "../../src/index.ts"
import { Llm } from "../../src/llm/index.ts"
import { OpenAi } from "../../src/providers/index.ts"
import { Cipher, Governance, PiiVault } from "../../src/governance/index.ts"
import { capture } from "../support/capture.ts"
import * as Wire from "../support/wire/openai.ts"
import * as WireServer from "../support/wire/WireServer.ts"

const EMAIL = "ada.lovelace@example.com"
const CARD = "4111 1111 1111 1111"
const IBAN = "DE89 3704 0044 0532 0130 00"
const PHONE = "+49 30 901820"
const PII = [EMAIL, CARD, IBAN, PHONE, "4111111111111111", "DE89370400440532013000", "901820"]

const key = Redacted.make("sk-test-governance")
const cipherLayer = Cipher.layerKeys({ current: "k1", keys: { k1: Redacted.make(Cipher.generateKey()) } })

// answers with the placeholders it was sent (as a model that follows instructions would)
const echoPlaceholders: WireServer.Handler = (request) => {
  const text = JSON.stringify(request.body?.messages ?? [])
  const seen = [...new Set(text.match(/\[[A-Z_]+_\d+\]/g) ?? [])]
  return Wire.chat(`Noted for ${seen.join(" and ") || "nobody"}.`, { usage: { prompt_tokens: 40, completion_tokens: 8 } })
}

const failureOf = (exit: Exit.Exit<unknown, unknown>) => {
  assert.isTrue(Exit.isFailure(exit))
  const reason = (exit as Exit.Failure<unknown, unknown>).cause.reasons.find((r) => r._tag === "Fail") as { readonly error: any }
  return reason.error
}

const support = Workflow.make("support", { input: Schema.Struct({ message: Schema.String }) })
  .step("draft", (ctx) =>
    Effect.gen(function*() {
      yield* Effect.log(`drafting a reply to: ${ctx.input.message}`)
      return yield* Llm.generate({ provider: "openai", model: "gpt-4o-mini", system: `You help ${EMAIL}.`, prompt: ctx.input.message })
    }))
  .step("followup", { needs: ["draft"] }, (ctx) =>
    Llm.generate({ provider: "openai", model: "gpt-4o-mini", prompt: `Earlier you wrote: ${ctx.draft}. Follow up with ${EMAIL}.` }))

const message = `Customer ${EMAIL} paid with card ${CARD} from IBAN ${IBAN}; call ${PHONE}.`

describe("Governance around the OpenAI SDK over the wire", () => {
  it.live("masks every piece of personal data before the provider; placeholders are stable per run and restored in the answers", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start(echoPlaceholders)
      const store = PiiVault.memoryStore()
      const captured = capture()
      const policy = Governance.policy({ pii: { prompt: "mask", reversible: true, restoreOutput: true } })
      const providers = Governance.layerLlm(policy, "openai", OpenAi.layerLlm("openai", { model: "gpt-4o-mini", apiKey: key, baseUrl: `${server.url}/v1` })).pipe(
        Layer.provide(PiiVault.layerStore(store)),
        Layer.provide(cipherLayer)
      )
      const out = yield* Workflow.run(support, { message }).pipe(Effect.provide(providers), Effect.provide(captured.layer))

      assert.strictEqual(server.requests.length, 2)
      for (const r of server.requests) for (const pii of PII) assert.notInclude(r.rawBody, pii, `request to the provider contains ${pii}`)
      const [first, second] = server.requests.map((r) => JSON.stringify(r.body.messages))
      for (const p of ["[EMAIL_1]", "[CARD_1]", "[IBAN_1]", "[PHONE_1]"]) assert.include(first!, p)
      assert.include(second!, "[EMAIL_1]", "the same address has the same placeholder in the run's next call")
      // the answers come back with the originals
      assert.strictEqual(out.draft, `Noted for [EMAIL_1] and [CARD_1] and [IBAN_1] and [PHONE_1].`.replace("[EMAIL_1]", EMAIL).replace("[CARD_1]", CARD).replace("[IBAN_1]", IBAN).replace("[PHONE_1]", PHONE))
      assert.include(out.followup, EMAIL)
      // the vault holds the originals, encrypted
      const runs = store.runs()
      assert.strictEqual(runs.length, 1)
      const entries = [...store.raw(runs[0]!)!.entries()]
      assert.deepStrictEqual(entries.map(([p]) => p).sort(), ["[CARD_1]", "[EMAIL_1]", "[IBAN_1]", "[PHONE_1]"])
      for (const [, envelope] of entries) {
        assert.match(envelope, /^enc:v1:k1:/)
        for (const pii of PII) assert.notInclude(envelope, pii)
      }
      // logs and spans: masked, whatever reached the provider
      const telemetry = captured.text()
      assert.include(telemetry, "drafting a reply to: Customer [EMAIL] paid with card [CARD]")
      for (const pii of PII) assert.notInclude(telemetry, pii, `telemetry contains ${pii}`)
    }))

  it.live("refuse: the step fails with PiiRefused naming the step, and nothing reaches the provider", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start(echoPlaceholders)
      const policy = Governance.policy({ steps: { draft: { pii: { prompt: "refuse" } } } })
      const providers = Governance.layerLlm(policy, "openai", OpenAi.layerLlm("openai", { model: "gpt-4o-mini", apiKey: key, baseUrl: `${server.url}/v1` }))
      const exit = yield* Effect.exit(Workflow.run(support, { message }).pipe(Effect.provide(providers)))
      const failed = failureOf(exit)
      assert.strictEqual(failed._tag, "StepFailed")
      assert.strictEqual(failed.stepId, "draft")
      const refused = failed.error
      assert.strictEqual(refused._tag, "PiiRefused")
      assert.strictEqual(refused.step, "draft")
      assert.deepStrictEqual(refused.kinds, ["card", "email", "iban", "phone"])
      assert.strictEqual(refused.message, "Step 'draft' of workflow 'support': the prompt contains personal data (card, email, iban, phone) and the policy refuses it")
      assert.isFalse(refused.retryable)
      for (const pii of PII) assert.notInclude(Cause.pretty((exit as Exit.Failure<unknown, unknown>).cause), pii)
      assert.strictEqual(server.requests.length, 0)
    }))

  it.live("prompt limits per step and per run, output tokens: refused before the call with the step named", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.start(echoPlaceholders)
      const words = (n: number) => Array.from({ length: n }, (_, i) => `word${i}`).join(" ")
      const wf = Workflow.make("limits", { input: Schema.Struct({ n: Schema.Number }) })
        .step("small", () => Llm.generate({ provider: "openai", model: "gpt-4o-mini", prompt: words(10) }))
        .step("big", { needs: ["small"] }, (ctx) => Llm.generate({ provider: "openai", model: "gpt-4o-mini", prompt: words(ctx.input.n) }))
      const openai = OpenAi.layerLlm("openai", { model: "gpt-4o-mini", apiKey: key, baseUrl: `${server.url}/v1` })
      const run = (policy: Governance.Policy, n: number) =>
        Effect.exit(Workflow.run(wf, { n }).pipe(Effect.provide(Governance.layerLlm(policy, "openai", openai))))

      // per step: "big" may send 100 tokens, everything else 1,000
      const perStep = failureOf(yield* run(Governance.policy({ limits: { promptTokens: 1_000 }, steps: { big: { limits: { promptTokens: 100 } } } }), 60))
      assert.strictEqual(perStep.stepId, "big")
      assert.deepStrictEqual([perStep.error._tag, perStep.error.limit, perStep.error.step, perStep.error.max], ["PromptLimitExceeded", "promptTokens", "big", 100])
      assert.strictEqual(perStep.error.message, `Step 'big' of workflow 'limits': the prompt has ~${perStep.error.tokens} tokens, more than the limit (promptTokens 100); refused before the call`)
      assert.strictEqual(server.requests.length, 1, "only 'small' reached the provider")

      // per run: the provider reported 40 input tokens for 'small' (replacing the estimate of 15); 40 + ~68 > 100
      const perRun = failureOf(yield* run(Governance.policy({ limits: { runPromptTokens: 100 } }), 40))
      assert.deepStrictEqual([perRun.stepId, perRun.error.limit, perRun.error.tokens > 100], ["big", "runPromptTokens", true])
      assert.strictEqual(server.requests.length, 2)
      // a new run starts from zero
      assert.isTrue(Exit.isFailure(yield* run(Governance.policy({ limits: { runPromptTokens: 100 } }), 40)))
      assert.strictEqual(server.requests.length, 3)

      // output tokens: a call without maxTokens is capped, one asking for more is refused
      const capped = Governance.policy({ limits: { outputTokens: 64 } })
      assert.isTrue(Exit.isSuccess(yield* run(capped, 5)))
      assert.strictEqual(server.requests.at(-1)!.body.max_completion_tokens, 64)
      const greedy = yield* Effect.exit(Llm.generate({ provider: "openai", model: "gpt-4o-mini", prompt: "hi", maxTokens: 500 }).pipe(
        Effect.provide(Governance.layerLlm(capped, "openai", openai))
      ))
      const e = failureOf(greedy)
      assert.deepStrictEqual([e._tag, e.limit, e.tokens, e.max, e.step], ["PromptLimitExceeded", "outputTokens", 500, 64, undefined])
      assert.strictEqual(e.message, "A call to openai outside a workflow step: the call asks for up to 500 output tokens (outputTokens 64); refused before the call")
    }))
})

describe("Governance: streams, structured output, storage", () => {
  // a provider that answers with whatever placeholders it got, split across deltas mid-placeholder
  const splitting = Llm.layerCustom("mock", {
    name: "mock",
    generateText: (r) => Effect.succeed({ text: `re ${JSON.stringify(r.prompt)}`, usage: { inputTokens: 1, outputTokens: 1 }, finishReason: "stop" }),
    generateObject: (r) =>
      Effect.sync(() => {
        const ph = String(r.prompt).match(/\[[A-Z_]+_\d+\]/g) ?? []
        const value = { to: ph[0] ?? "", cc: ph.slice(1) }
        return { value: value as any, raw: JSON.stringify(value), usage: { inputTokens: 1, outputTokens: 1 } }
      }),
    streamText: (r) => {
      const ph = String(r.prompt).match(/\[[A-Z_]+_\d+\]/)?.[0] ?? "?"
      const text = `Mail ${ph} today`
      const cut = text.indexOf("[") + 4 // inside the placeholder
      return Stream.make(
        { _tag: "Delta" as const, text: text.slice(0, cut) },
        { _tag: "Delta" as const, text: text.slice(cut) },
        { _tag: "Finish" as const, usage: { inputTokens: 3, outputTokens: 3 }, finishReason: "stop" as const }
      )
    }
  })
  const reversible = Governance.policy({ pii: { restoreOutput: true } })
  const provided = (policy: Governance.Policy) => Governance.layerLlm(policy, "mock", splitting).pipe(Layer.provide(cipherLayer))

  it.effect("a stream restores a placeholder split across deltas; structured output is restored field by field", () =>
    Effect.gen(function*() {
      const streamed = yield* Llm.stream({ provider: "mock", model: "m", prompt: `write to ${EMAIL}` }).pipe(Stream.mkString)
      assert.strictEqual(streamed, `Mail ${EMAIL} today`)
      const object = yield* Llm.generateObject({
        provider: "mock",
        model: "m",
        prompt: `to ${EMAIL}, cc bob@example.org`,
        schema: Schema.Struct({ to: Schema.String, cc: Schema.Array(Schema.String) })
      })
      assert.deepStrictEqual(object, { to: EMAIL, cc: ["bob@example.org"] })
      const text = yield* Llm.generate({ provider: "mock", model: "m", prompt: `card ${CARD}` })
      assert.strictEqual(text, `re "card ${CARD}"`)
    }).pipe(Effect.provide(provided(reversible))))

  it.effect("without restoreOutput the answer keeps its placeholders", () =>
    Effect.gen(function*() {
      const text = yield* Llm.generate({ provider: "mock", model: "m", prompt: `card ${CARD}` })
      assert.strictEqual(text, `re "card [CARD_1]"`)
    }).pipe(Effect.provide(Governance.layerLlm(Governance.defaultPolicy, "mock", splitting))))

  it.effect("stored inputs and outputs: mask, keep, encrypt (readable after key rotation)", () =>
    Effect.gen(function*() {
      const policy = Governance.policy({
        pii: { storage: "mask" },
        workflows: { vault: { pii: { storage: "encrypt" } }, raw: { pii: { storage: "keep" } } }
      })
      const k1 = Redacted.make(Cipher.generateKey())
      const k2 = Redacted.make(Cipher.generateKey())
      const value = { reply: `Dear ${EMAIL}`, meta: { card: CARD, n: 3 } }
      const at = (workflow: string) => ({ runId: "run-9", workflow, stepId: "answer", field: "output" as const })
      const before = yield* Effect.gen(function*() {
        const g = yield* Governance.Governance
        const masked = yield* g.protect(value, at("support"))
        assert.deepStrictEqual(masked, { _tag: "Plain", value: { reply: "Dear [EMAIL]", meta: { card: "[CARD]", n: 3 } } })
        assert.deepStrictEqual(yield* g.protect(value, at("raw")), { _tag: "Plain", value })
        const encrypted = yield* g.protect(value, at("vault"))
        assert.strictEqual(encrypted._tag, "Encrypted")
        for (const pii of PII) assert.notInclude(JSON.stringify(encrypted), pii)
        assert.deepStrictEqual(yield* g.unprotect(encrypted, at("vault")), value)
        const moved = yield* Effect.exit(g.unprotect(encrypted, { ...at("vault"), runId: "run-10" }))
        assert.strictEqual(failureOf(moved)._tag, "DecryptionFailed", "a stored value cannot be moved to another run")
        return encrypted
      }).pipe(Effect.provide(Governance.layer(policy).pipe(Layer.provide(Cipher.layerKeys({ current: "k1", keys: { k1 } })))))
      // rotated: k2 current, k1 kept for reading
      yield* Effect.gen(function*() {
        const g = yield* Governance.Governance
        assert.deepStrictEqual(yield* g.unprotect(before, at("vault")), value)
        const fresh = yield* g.protect(value, at("vault"))
        assert.strictEqual(fresh._tag === "Encrypted" && fresh.keyId, "k2")
      }).pipe(Effect.provide(Governance.layer(policy).pipe(Layer.provide(Cipher.layerKeys({ current: "k2", keys: { k1, k2 } })))))
    }))

  it.effect("a policy that encrypts without a Cipher fails when the layer is built, saying what to add", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Governance.Governance.use((g) => Effect.succeed(g)).pipe(Effect.provide(Governance.layer(Governance.policy({ pii: { storage: "encrypt" } })))))
      const e = failureOf(exit)
      assert.strictEqual(e._tag, "GovernanceConfigError")
      assert.include(e.message, "no Cipher is provided: add Cipher.layer")
    }))

  it.effect("allow: personal data passes to the provider (telemetry stays masked)", () =>
    Effect.gen(function*() {
      const text = yield* Llm.generate({ provider: "mock", model: "m", prompt: `card ${CARD}` })
      assert.strictEqual(text, `re "card ${CARD}"`)
    }).pipe(Effect.provide(Governance.layerLlm(Governance.policy({ pii: { prompt: "allow" } }), "mock", splitting))))
})

describe("Telemetry masking", () => {
  it.effect("log messages, annotations and causes, span names, attributes, events and failures: no personal data", () =>
    Effect.gen(function*() {
      const captured = capture()
      const { Telemetry } = yield* Effect.promise(() => import("../../src/governance/index.ts"))
      yield* Effect.gen(function*() {
        yield* Effect.log(`mail from ${EMAIL}`).pipe(Effect.annotateLogs({ customer: EMAIL, iban: IBAN }))
        yield* Effect.gen(function*() {
          yield* Effect.annotateCurrentSpan({ "customer.card": CARD, nested: { phone: PHONE } })
          yield* Effect.fail(new Error(`refund to ${IBAN} failed`))
        }).pipe(Effect.withSpan(`lookup ${EMAIL}`), Effect.catchCause((cause) => Effect.logError("lookup failed", cause)))
      }).pipe(Effect.withSpan("request"), Effect.provide(Telemetry.layer()), Effect.provide(captured.layer))
      const text = captured.text()
      assert.include(text, "mail from [EMAIL]")
      assert.include(text, "lookup [EMAIL]")
      assert.include(text, "[CARD]")
      for (const pii of PII) assert.notInclude(text, pii, text)
      // annotations are masked in what the logger is handed
      const { Logger, References } = yield* Effect.promise(() => import("effect"))
      const seen: Array<unknown> = []
      const spy = Logger.make((o) => void seen.push(o.fiber.getRef(References.CurrentLogAnnotations)))
      yield* Effect.log("x").pipe(Effect.annotateLogs({ customer: EMAIL }), Effect.provide(Telemetry.layer()), Effect.provide(Logger.layer([spy])))
      assert.deepStrictEqual(seen, [{ customer: "[EMAIL]" }])
    }))
})

describe("Governance and effect/ai models", () => {
  it.effect("Llm.withLanguageModel on a governed provider goes through the policy, not the native model", () =>
    Effect.gen(function*() {
      const { LanguageModel } = yield* Effect.promise(() => import("effect/ai"))
      const seen: Array<string> = []
      const native = yield* LanguageModel.make({
        generateText: (options) => Effect.sync(() => {
          seen.push(JSON.stringify(options.prompt))
          return [{ type: "text", text: "native" }, { type: "finish", reason: "stop", usage: { inputTokens: { total: 1 }, outputTokens: { total: 1 } } }] as any
        }),
        streamText: () => Stream.empty
      })
      const provider = Llm.layer("nat", native)
      const governed = Governance.layerLlm(Governance.defaultPolicy, "nat", provider)
      const res = yield* Llm.withLanguageModel({ provider: "nat", model: "m" }, LanguageModel.generateText({ prompt: `mail ${EMAIL}` })).pipe(Effect.provide(governed))
      assert.strictEqual(res.text, "native")
      assert.strictEqual(seen.length, 1)
      assert.notInclude(seen[0]!, EMAIL)
      assert.include(seen[0]!, "[EMAIL_1]")
    }))
})

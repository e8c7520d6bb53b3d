/**
 * Data-protection figures: detector throughput (MB/s) on ordinary text and on chat-sized prompts, the per-call
 * overhead of a governed provider over the same provider unwrapped (mask, refuse check, limits, reversible with the
 * encrypted vault), and the cost of one AES-256-GCM envelope. Prints a table and writes bench/results/governance.json.
 *
 * Run: `npm run bench:governance` (option: `--scale 1` multiplies the iteration counts).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { cpus } from "node:os"
import { join } from "node:path"
import { parseArgs } from "node:util"
import { Effect, Layer, Redacted } from "effect"
import { Cipher, type Detector, Detectors, Governance } from "../src/governance/index.ts"
import { Llm } from "../src/llm/index.ts"

const { values: args } = parseArgs({ options: { scale: { type: "string", default: "1" } } })
const scale = Number(args.scale)
const results: Record<string, unknown> = {}
const row = (name: string, value: string) => console.log(`${name.padEnd(64)} ${value}`)
const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

// ---- corpora ----
const files: Array<string> = []
const walk = (dir: string) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) {
      if (e.name !== "test" && e.name !== ".bin" && e.name !== "libphonenumber-js") walk(p)
    } else if (/\.md$|^LICEN[CS]E/i.test(e.name)) files.push(p)
  }
}
walk(join(import.meta.dirname, "../node_modules"))
const docs = files.sort().map((f) => readFileSync(f, "utf8")).join("\n")
// chat-like prompts: sentences of the docs with a piece of personal data every ~500 characters
const pii = ["ada.lovelace@example.com", "4111 1111 1111 1111", "DE89 3704 0044 0532 0130 00", "+49 30 901820", "(415) 555-2671"]
const prose = docs.replace(/```[\s\S]*?```/g, " ").replace(/\s+/g, " ")
let chat = ""
for (let i = 0; chat.length < 2_000_000; i++) chat += prose.slice(i * 480, i * 480 + 480) + ` contact ${pii[i % pii.length]}. `

const throughput = (name: string, text: string, detectors: ReadonlyArray<Detector>) => {
  Detectors.detect(text.slice(0, 200_000), detectors) // warm up
  const samples: Array<number> = []
  for (let i = 0; i < Math.max(3, 3 * scale); i++) {
    const t = performance.now()
    Detectors.detect(text, detectors)
    samples.push(performance.now() - t)
  }
  const mbs = text.length / 1e6 / (median(samples) / 1000)
  results[`throughput.${name}`] = +mbs.toFixed(2)
  row(`detect ${name} (${(text.length / 1e6).toFixed(1)} MB)`, `${mbs.toFixed(1)} MB/s`)
}

console.log(`governance bench on ${cpus().length} cores (${cpus()[0]?.model ?? "?"})`)
for (const [corpus, text] of [["docs", docs], ["chat", chat]] as const) {
  throughput(`${corpus}: all detectors`, text, Detectors.defaults)
  for (const d of Detectors.defaults) throughput(`${corpus}: ${d.kind}`, text, [d])
}

// ---- per-call overhead ----
const echo = Llm.layerCustom("mock", {
  name: "mock",
  generateText: (r) => Effect.succeed({ text: typeof r.prompt === "string" ? r.prompt.slice(0, 64) : "ok", usage: { inputTokens: 10, outputTokens: 5 }, finishReason: "stop" as const }),
  generateObject: () => Effect.die("unused"),
  streamText: () => Effect.die("unused") as never
})
const cipher = Cipher.layerKeys({ current: "k1", keys: { k1: Redacted.make(Cipher.generateKey()) } })
const layers = {
  bare: echo,
  mask: Governance.layerLlm(Governance.defaultPolicy, "mock", echo),
  "mask + limits": Governance.layerLlm(Governance.policy({ limits: { promptTokens: 100_000, outputTokens: 1_000 } }), "mock", echo),
  "reversible (vault, AES-GCM)": Governance.layerLlm(Governance.policy({ pii: { reversible: true, restoreOutput: true } }), "mock", echo).pipe(Layer.provide(cipher))
} as const

const prompts = {
  "200 chars, no PII": prose.slice(0, 200),
  "200 chars, 2 PII": `Hi, I am ${pii[0]}, card ${pii[1]}. ` + prose.slice(0, 140),
  "2 KB, 4 PII": chat.slice(0, 2_000),
  "20 KB, 40 PII": chat.slice(0, 20_000)
}

const perCall = async (layer: Layer.Layer<any, any, never>, prompt: string, n: number) => {
  const program = Effect.gen(function*() {
    for (let i = 0; i < n; i++) yield* Llm.generate({ provider: "mock", model: "m", prompt })
  })
  const run = () => Effect.runPromise(Effect.provide(program, layer) as Effect.Effect<void>)
  await run()
  const samples: Array<number> = []
  for (let r = 0; r < 5; r++) {
    const t = performance.now()
    await run()
    samples.push((performance.now() - t) * 1000 / n)
  }
  return median(samples)
}

for (const [label, prompt] of Object.entries(prompts)) {
  const n = Math.max(50, Math.round((label.startsWith("20 KB") ? 200 : 2_000) * scale))
  const base = await perCall(layers.bare, prompt, n)
  row(`call ${label}: bare provider`, `${base.toFixed(1)} µs/call`)
  results[`call.${label}.bare`] = +base.toFixed(2)
  for (const [name, layer] of Object.entries(layers)) {
    if (name === "bare") continue
    const us = await perCall(layer, prompt, n)
    results[`call.${label}.${name}`] = +us.toFixed(2)
    row(`call ${label}: ${name}`, `${us.toFixed(1)} µs/call (+${(us - base).toFixed(1)} µs, ${(us / base).toFixed(2)}x)`)
  }
}

// ---- envelopes ----
await Effect.runPromise(Effect.gen(function*() {
  const c = yield* Cipher.Cipher
  const value = { text: prose.slice(0, 1_000) }
  const n = Math.round(20_000 * scale)
  let t = performance.now()
  let envelope = ""
  for (let i = 0; i < n; i++) envelope = yield* c.encryptJson(value, "run:1/step:a/output")
  const enc = (performance.now() - t) * 1000 / n
  t = performance.now()
  for (let i = 0; i < n; i++) yield* c.decryptJson(envelope, "run:1/step:a/output")
  const dec = (performance.now() - t) * 1000 / n
  results["cipher.encrypt1KB"] = +enc.toFixed(2)
  results["cipher.decrypt1KB"] = +dec.toFixed(2)
  row("AES-256-GCM envelope, 1 KB JSON: encrypt / decrypt", `${enc.toFixed(1)} / ${dec.toFixed(1)} µs`)
}).pipe(Effect.provide(cipher)))

mkdirSync(join(import.meta.dirname, "results"), { recursive: true })
writeFileSync(join(import.meta.dirname, "results/governance.json"), JSON.stringify({ date: new Date().toISOString(), cores: cpus().length, results }, null, 2) + "\n")

/**
 * Fuzz: thousands of random mutations of the valid examples (text edits and structural edits) must never make the
 * validator throw or report an internal error. Seeded, so a failure is reproducible from the printed seed.
 */
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { parse, stringify } from "yaml"
import { analyzeSource, generateModule } from "../../codegen/index.ts"
import { interpret } from "../../src/yaml/interpret.ts"
import { seededRandom } from "../../src/testing/index.ts"

const examplesDir = join(import.meta.dirname, "..", "..", "examples")
const sources = readdirSync(examplesDir)
  .filter((f) => f.endsWith(".yaml") && !/\.(test|mock|input)\.yaml$/.test(f))
  .map((f) => ({ file: f, text: readFileSync(join(examplesDir, f), "utf8") }))

// mulberry32: small deterministic PRNG.
const rng = seededRandom

const junk = ["{", "}", "[", "]", ":", "- ", "{{", "}}", "\"", "'", "#", "&a", "*a", "!!int ", "\t", "\n", "  ", "|", ">", "?", ",", "%", "@", "\u0000", "🙂", "{{ x | jion }}", "{{ input. }}", "type: loop", "id: a"]
const values: ReadonlyArray<unknown> = [null, 0, -1, 1e9, "", "x", "{{ nope }}", "{{ input.text | join }}", true, [], {}, [1, "a"], { type: "llm" }, "llm", "map", "loop", "branch", "parallel", "workflow", "embed"]

const textMutation = (text: string, r: () => number): string => {
  const pick = <A>(xs: ReadonlyArray<A>): A => xs[Math.floor(r() * xs.length)]!
  const pos = Math.floor(r() * (text.length + 1))
  const lines = text.split("\n")
  switch (Math.floor(r() * 6)) {
    case 0:
      return text.slice(0, pos) + pick(junk) + text.slice(pos)
    case 1:
      return text.slice(0, pos) + text.slice(pos + 1 + Math.floor(r() * 20))
    case 2: {
      const i = Math.floor(r() * lines.length)
      lines.splice(i, 0, lines[Math.floor(r() * lines.length)] ?? "")
      return lines.join("\n")
    }
    case 3: {
      const i = Math.floor(r() * lines.length)
      lines.splice(i, 1)
      return lines.join("\n")
    }
    case 4: {
      const i = Math.floor(r() * lines.length)
      lines[i] = (r() < 0.5 ? "  " : "") + (lines[i] ?? "").replace(/^ {1,2}/, r() < 0.5 ? "" : " ")
      return lines.join("\n")
    }
    default:
      return text.slice(0, pos)
  }
}

const structuralMutation = (text: string, r: () => number): string => {
  const pick = <A>(xs: ReadonlyArray<A>): A => xs[Math.floor(r() * xs.length)]!
  let doc: unknown
  try {
    doc = parse(text, { logLevel: "error" })
  } catch {
    return textMutation(text, r) // already not YAML: keep mutating the text
  }
  // Collect every container and key, then replace, delete or duplicate one.
  const slots: Array<{ parent: Record<string | number, unknown> | Array<unknown>; key: string | number }> = []
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach((x, i) => (slots.push({ parent: v, key: i }), walk(x)))
    else if (v !== null && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) (slots.push({ parent: v as Record<string, unknown>, key: k }), walk(x))
    }
  }
  walk(doc)
  const times = 1 + Math.floor(r() * 3)
  for (let n = 0; n < times && slots.length > 0; n++) {
    const s = pick(slots)
    const op = Math.floor(r() * 4)
    if (op === 0) (s.parent as Record<string | number, unknown>)[s.key] = pick(values)
    else if (op === 1) {
      if (Array.isArray(s.parent)) s.parent.splice(Number(s.key), 1)
      else delete (s.parent as Record<string, unknown>)[s.key]
    } else if (op === 2 && Array.isArray(s.parent)) s.parent.push(structuredClone(s.parent[Number(s.key)]))
    else (s.parent as Record<string | number, unknown>)[s.key] = structuredClone(pick(slots).parent)
  }
  return stringify(doc)
}

describe("validator fuzz", () => {
  it("has valid examples to mutate", () => {
    assert.isAtLeast(sources.length, 3)
    for (const s of sources) {
      const errors = analyzeSource(s.file, s.text).diagnostics.filter((d) => d.severity === "error")
      assert.deepStrictEqual(errors, [], s.file)
    }
  })

  it("survives 1,200 random mutations without throwing", () => {
    const seed = 20261124
    const r = rng(seed)
    let invalid = 0
    let valid = 0
    for (let i = 0; i < 1200; i++) {
      const src = sources[i % sources.length]!
      let text = src.text
      const rounds = 1 + Math.floor(r() * 3)
      for (let k = 0; k < rounds; k++) text = r() < 0.5 ? textMutation(text, r) : structuralMutation(text, r)
      let result
      try {
        result = analyzeSource(src.file, text)
      } catch (e) {
        assert.fail(`mutation ${i} (seed ${seed}) of ${src.file} threw ${String(e)}\n---\n${text}`)
      }
      const internal = result.diagnostics.find((d) => d.message.startsWith("internal error"))
      assert.isUndefined(internal, `mutation ${i} of ${src.file}: ${internal?.message}\n---\n${text}`)
      for (const d of result.diagnostics) {
        assert.isAtLeast(d.line, 1)
        assert.isAtLeast(d.column, 1)
      }
      if (result.diagnostics.some((d) => d.severity === "error")) invalid++
      else {
        // A file that validates must also generate code and build an interpreted workflow without throwing.
        try {
          generateModule(result, { source: src.file })
          interpret(result, {})
          valid++
        } catch (e) {
          assert.fail(`mutation ${i} of ${src.file} validated but codegen/interpret threw ${String(e)}\n---\n${text}`)
        }
      }
    }
    // The mutations must actually exercise the error paths.
    assert.isAbove(invalid, 300)
    assert.isAbove(valid, 50)
  })
})

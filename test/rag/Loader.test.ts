import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll } from "vitest"
import * as HtmlText from "../../src/rag/HtmlText.ts"
import * as Loader from "../../src/rag/Loader.ts"

let root: string
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "rag-loader-"))
  const files: Record<string, string> = {
    "guide/intro.md": "---\ntitle: Intro\nlang: en\ntags: [a, b]\n---\n# Welcome\n\nHello.",
    "guide/setup.md": "# Setup\n\nRun it.",
    "guide/drafts/wip.md": "# WIP",
    "notes.txt": "\uFEFFplain text",
    "page.html": "<html lang=\"en\"><head><title>Page</title><meta name=\"description\" content=\"About\"><style>p{}</style></head><body><h2>Part</h2><p>One &amp; two</p><script>x()</script></body></html>",
    "faq.json": JSON.stringify([{ slug: "reset", answer: "Open settings.", lang: "en" }, { slug: "bill", answer: "Monthly." }]),
    "one.json": JSON.stringify({ text: "single", kind: "note" }),
    "log.jsonl": "{\"text\":\"first\"}\n\n{\"text\":\"second\",\"n\":2}\n",
    "bad.json": "[{\"text\": 1}]",
    "broken.jsonl": "{\"text\":\"ok\"}\n{oops}\n",
    ".hidden.md": "# hidden",
    "image.png": "not text"
  }
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true })
    writeFileSync(join(root, path), content)
  }
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

const run = <A, E>(effect: Effect.Effect<A, E, any>) => effect.pipe(Effect.provide(NodeServices.layer))

describe("Loader", () => {
  it.effect("directory: globs with include/exclude, ids relative to the folder, sources reachable, metadata kept", () =>
    run(Effect.gen(function*() {
      const docs = yield* Loader.directory(root, { include: ["**/*.md", "*.txt"], exclude: ["**/drafts/**"], metadata: { team: "docs" } })
      assert.deepStrictEqual(docs.map((d) => d.id), ["guide/intro.md", "guide/setup.md", "notes.txt"])
      assert.deepStrictEqual(docs[0], {
        id: "guide/intro.md",
        source: join(root, "guide/intro.md"),
        text: "# Welcome\n\nHello.",
        metadata: { title: "Intro", lang: "en", tags: ["a", "b"], team: "docs" }
      })
      assert.deepStrictEqual(docs[1]!.metadata, { title: "Setup", team: "docs" })
      assert.strictEqual(docs[2]!.text, "plain text", "BOM removed")
    })))

  it.effect("default include: every known format; dot files and unknown extensions are skipped", () =>
    run(Effect.gen(function*() {
      const e = yield* Effect.flip(Loader.directory(root))
      assert.strictEqual(e._tag, "LoadError")
      assert.strictEqual(e.message, `${join(root, "bad.json")}[0].text: expected a string`)
      const docs = yield* Loader.directory(root, { exclude: ["bad.json", "broken.jsonl", "faq.json"] })
      assert.deepStrictEqual(docs.map((d) => d.id), [
        "guide/drafts/wip.md",
        "guide/intro.md",
        "guide/setup.md",
        "log.jsonl#0",
        "log.jsonl#1",
        "notes.txt",
        "one.json",
        "page.html"
      ])
    })))

  it.effect("JSON: one document per record with textField/idField; other fields become metadata; JSON Lines name the line", () =>
    run(Effect.gen(function*() {
      const faq = yield* Loader.file(join(root, "faq.json"), { textField: "answer", idField: "slug", id: "faq" })
      assert.deepStrictEqual(faq.map((d) => [d.id, d.text, d.metadata, d.source.endsWith("faq.json[0]") || d.source.endsWith("faq.json[1]")]), [
        ["faq#reset", "Open settings.", { slug: "reset", lang: "en" }, true],
        ["faq#bill", "Monthly.", { slug: "bill" }, true]
      ])
      const one = yield* Loader.file(join(root, "one.json"), { id: "one" })
      assert.deepStrictEqual(one.map((d) => [d.id, d.text, d.metadata]), [["one", "single", { kind: "note" }]])
      const log = yield* Loader.file(join(root, "log.jsonl"), { id: "log" })
      assert.deepStrictEqual(log.map((d) => [d.id, d.text, d.source]), [["log#0", "first", `${join(root, "log.jsonl")}:1`], ["log#1", "second", `${join(root, "log.jsonl")}:3`]])
      const broken = yield* Effect.flip(Loader.file(join(root, "broken.jsonl")))
      assert.include(broken.message, `${join(root, "broken.jsonl")}:2: invalid JSON`)
      const missing = yield* Effect.flip(Loader.file(join(root, "faq.json"), { textField: "body" }))
      assert.strictEqual(missing.message, `${join(root, "faq.json")}[0].body: missing; set textField to the field holding the text (fields: slug, answer, lang)`)
      const nofile = yield* Effect.flip(Loader.file(join(root, "nope.md")))
      assert.include(nofile.message, join(root, "nope.md"))
    })))

  it.effect("HTML: text extracted, headings kept as Markdown, title/description/lang as metadata", () =>
    run(Effect.gen(function*() {
      const [page] = yield* Loader.file(join(root, "page.html"))
      assert.strictEqual(page!.text, "## Part\n\nOne & two")
      assert.deepStrictEqual(page!.metadata, { title: "Page", description: "About", lang: "en" })
    })))

  it.effect("paths: files and folders together, ids relative to the working directory", () =>
    run(Effect.gen(function*() {
      const docs = yield* Loader.paths([join(root, "guide"), join(root, "notes.txt")], { include: ["*.md"] })
      assert.deepStrictEqual(docs.map((d) => d.id), [`${join(root, "guide")}/intro.md`, `${join(root, "guide")}/setup.md`, join(root, "notes.txt")])
    })))
})

describe("HtmlText.extract", () => {
  it("lists, line breaks, tables, pre blocks and entities", () => {
    const { text } = HtmlText.extract(
      "<h1>T</h1><ul><li>one</li><li>two <b>bold</b></li></ul><p>a<br>b</p><table><tr><th>k</th><td>v</td></tr></table><pre>  x = 1\n  y = 2</pre><!-- c --><noscript>n</noscript><p>caf&eacute;&nbsp;ok</p>"
    )
    assert.strictEqual(text, "# T\n\n- one\n\n- two bold\n\na\nb\n\nk | v\n\n  x = 1\n  y = 2\n\ncafé ok")
  })
})

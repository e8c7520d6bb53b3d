/**
 * HTML to plain text for chunking, on `htmlparser2` (a tolerant, spec-following tokenizer that also decodes entities).
 * The output is Markdown-shaped on purpose, so the Markdown chunker keeps an HTML page's headings as context:
 * - `<h1>`…`<h6>` become `#`…`######` lines; paragraphs, list items, table rows and other blocks become lines separated
 *   by blank lines; `<li>` gets a `- ` prefix, `<br>` a line break;
 * - `<pre>` keeps its whitespace; elsewhere runs of whitespace collapse to one space;
 * - `<script>`, `<style>`, `<noscript>`, `<template>`, `<svg>`, `<head>` contents and comments are dropped;
 * - `<title>`, `<meta name="description">` and `<html lang>` are returned as metadata.
 *
 * @example
 * ```ts
 * import { HtmlText } from "llm-orchestrator/rag"
 * HtmlText.extract("<title>T</title><h1>Intro</h1><p>Hello&nbsp;<b>world</b></p>")
 * // { text: "# Intro\n\nHello world", title: "T", description: undefined, lang: undefined }
 * ```
 */
import { Parser } from "htmlparser2"

/**
 * What {@link extract} returns.
 *
 * @example
 * ```ts
 * const { text, title } = HtmlText.extract(html)
 * ```
 */
export interface Extracted {
  readonly text: string
  readonly title: string | undefined
  readonly description: string | undefined
  readonly lang: string | undefined
}

const SKIP = new Set(["script", "style", "noscript", "template", "svg", "head", "iframe", "object", "canvas"])
const BLOCK = new Set([
  "address", "article", "aside", "blockquote", "body", "dd", "details", "dialog", "div", "dl", "dt", "fieldset",
  "figcaption", "figure", "footer", "form", "header", "hr", "html", "li", "main", "nav", "ol", "p", "pre", "section",
  "summary", "table", "tbody", "thead", "tfoot", "tr", "ul", "caption"
])
const HEADING = /^h([1-6])$/

/**
 * Extracts the readable text of an HTML document (see the module description for the rules).
 *
 * @example
 * ```ts
 * HtmlText.extract("<ul><li>a</li><li>b</li></ul>").text // "- a\n\n- b"
 * ```
 */
export const extract = (html: string): Extracted => {
  const blocks: Array<string> = []
  let current = ""
  let skipDepth = 0
  let preDepth = 0
  let inTitle = false
  let title = ""
  let description: string | undefined
  let lang: string | undefined
  let heading = 0

  const flush = () => {
    const text = preDepth > 0 ? current.replace(/^\n+|\s+$/g, "") : current.replace(/[ \t]+\n/g, "\n").trim()
    if (text.length > 0) blocks.push(heading > 0 ? `${"#".repeat(heading)} ${text.replace(/\s+/g, " ")}` : text)
    current = ""
  }

  const parser = new Parser({
    onopentag(name, attribs) {
      if (name === "html" && attribs["lang"] !== undefined) lang = attribs["lang"]
      if (name === "meta" && attribs["name"]?.toLowerCase() === "description") description = attribs["content"]
      if (name === "title") inTitle = true
      if (SKIP.has(name)) {
        skipDepth++
        return
      }
      if (skipDepth > 0) return
      const h = HEADING.exec(name)
      if (h !== null) {
        flush()
        heading = Number(h[1])
      } else if (BLOCK.has(name)) {
        flush()
        if (name === "pre") preDepth++
        if (name === "li") current = "- "
      } else if (name === "br") {
        current += "\n"
      } else if (name === "td" || name === "th") {
        if (current.length > 0 && !current.endsWith(" ")) current += " | "
      }
    },
    ontext(data) {
      if (inTitle) title += data
      if (skipDepth > 0) return
      if (preDepth > 0) {
        current += data
        return
      }
      const collapsed = data.replace(/\s+/g, " ")
      // One space between inline runs, none at the start of a line.
      current += current.length === 0 || current.endsWith(" ") || current.endsWith("\n") ? collapsed.replace(/^ /, "") : collapsed
    },
    onclosetag(name) {
      if (name === "title") inTitle = false
      if (SKIP.has(name)) {
        skipDepth = Math.max(0, skipDepth - 1)
        return
      }
      if (skipDepth > 0) return
      if (HEADING.test(name)) {
        flush()
        heading = 0
      } else if (BLOCK.has(name)) {
        flush()
        if (name === "pre") preDepth = Math.max(0, preDepth - 1)
      }
    }
  }, { decodeEntities: true })
  parser.write(html)
  parser.end()
  flush()
  // &nbsp; decodes to U+00A0: plain spaces are what tokenizers and keyword search expect.
  const text = blocks.join("\n\n").replace(/\u00a0/g, " ")
  const t = title.replace(/\s+/g, " ").trim()
  return { text, title: t.length > 0 ? t : undefined, description, lang }
}

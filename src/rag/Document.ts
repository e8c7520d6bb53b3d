/**
 * A document to chunk and ingest: its text, a stable id, where it came from and any metadata (front matter, a JSON
 * record's other fields, an HTML title). Loaders build these from files; you can build them by hand.
 *
 * @example
 * ```ts
 * import { Document } from "llm-orchestrator/rag"
 * const doc = Document.make({ id: "faq/reset", source: "faq/reset.md", text: "# Reset\nOpen settings…", metadata: { lang: "en" } })
 * ```
 */

/**
 * A loaded document.
 *
 * - `id` identifies the document across ingestions: re-ingesting a document with the same id replaces its chunks.
 *   Loaders use the path relative to the folder you load (posix separators), plus `#n` for the n-th record of a JSON file.
 * - `source` is what citations show (the path as given, or a URL).
 * - `metadata` travels to every chunk's payload (under `metadata`), so searches can filter on it.
 *
 * @example
 * ```ts
 * const d: Document.Document = { id: "a.md", source: "docs/a.md", text: "…", metadata: { title: "A" } }
 * ```
 */
export interface Document {
  readonly id: string
  readonly source: string
  readonly text: string
  readonly metadata: Readonly<Record<string, unknown>>
}

/**
 * Builds a document; `source` defaults to `id`, `metadata` to `{}`.
 *
 * @example
 * ```ts
 * Document.make({ id: "note-1", text: "Remember the milk" }) // { id: "note-1", source: "note-1", text: …, metadata: {} }
 * ```
 */
export const make = (options: {
  readonly id: string
  readonly text: string
  readonly source?: string | undefined
  readonly metadata?: Readonly<Record<string, unknown>> | undefined
}): Document => ({
  id: options.id,
  source: options.source ?? options.id,
  text: options.text,
  metadata: options.metadata ?? {}
})

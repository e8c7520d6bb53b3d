/**
 * A retrieved piece of a document, as re-ranking and the context budget see it: text, where it came from (source and
 * character offsets) and its relevance. {@link fromHit} reads one from a search hit of a collection written by
 * `Ingest` (payload fields `text`, `source`, `document_id`, `start`, `end`, `headings`).
 *
 * @example
 * ```ts
 * import { Passage } from "llm-orchestrator/rag"
 * const passages = hits.map(Passage.fromHit)
 * ```
 */
import type { PointId, SearchHit } from "../vector/VectorStoreShape.ts"

/**
 * A passage.
 *
 * @example
 * ```ts
 * const p: Passage.Passage = { id: "a.md#0", documentId: "a.md", source: "docs/a.md", start: 0, end: 42, text: "…", score: 0.9, headings: [] }
 * ```
 */
export interface Passage {
  readonly id: PointId
  readonly documentId: string
  readonly source: string
  readonly start: number
  readonly end: number
  readonly text: string
  /** Relevance, higher is better (a fused score, a re-rank score…). */
  readonly score: number
  readonly headings: ReadonlyArray<string>
}

const str = (v: unknown, fallback: string): string => (typeof v === "string" ? v : fallback)
const num = (v: unknown, fallback: number): number => (typeof v === "number" && Number.isFinite(v) ? v : fallback)

/**
 * A passage from a search hit. Missing fields fall back: `text` to `""`, `document_id` and `source` to the point id,
 * offsets to `[0, text.length)`.
 *
 * @example
 * ```ts
 * Passage.fromHit({ id: "a.md#0", score: 0.8, payload: { text: "Hi", source: "a.md", document_id: "a.md", start: 0, end: 2 } })
 * ```
 */
export const fromHit = (hit: SearchHit): Passage => {
  const p = hit.payload
  const text = str(p["text"], "")
  const documentId = str(p["document_id"], String(hit.id))
  const start = num(p["start"], 0)
  return {
    id: hit.id,
    documentId,
    source: str(p["source"], documentId),
    start,
    end: num(p["end"], start + text.length),
    text,
    score: hit.score,
    headings: Array.isArray(p["headings"]) ? p["headings"].filter((h): h is string => typeof h === "string") : []
  }
}

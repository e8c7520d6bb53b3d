/**
 * The provider catalogue: one table of every provider the CLI, validate, codegen, the run pipeline and the docs know
 * (language models, embedding models, vector stores), with how each is configured and built. Adding a provider is
 * one entry file under `entries/` (plus its adapter) and one line in {@link entries}.
 *
 * @example
 * ```ts
 * import { Catalogue } from "llm-orchestrator/providers"
 * Catalogue.ids("llm") // ["openai", "anthropic"]
 * Catalogue.find("vector", "qdrant")?.settings.map((s) => s.env) // ["QDRANT_URL", "QDRANT_API_KEY"]
 * ```
 */
import type { Entry, EmbeddingsEntry, Kind, LlmEntry, Setting, VectorEntry } from "./Entry.ts"
import { anthropicLlm } from "./entries/anthropic.ts"
import { chroma } from "./entries/chroma.ts"
import { cohereEmbeddings, cohereLlm } from "./entries/cohere.ts"
import { localEmbeddings, localLlm } from "./entries/local.ts"
import { milvus } from "./entries/milvus.ts"
import { offlineEmbeddings } from "./entries/offline.ts"
import { openAiEmbeddings, openAiLlm } from "./entries/openai.ts"
import { memory, pglite, pgvector } from "./entries/pgvector.ts"
import { pinecone } from "./entries/pinecone.ts"
import { qdrant } from "./entries/qdrant.ts"
import { weaviate } from "./entries/weaviate.ts"

/**
 * Every provider, in the order they are documented and suggested. Vector stores without a required setting
 * (`pglite`, `memory`) serve a store only when it is named after them or configured with `use:`, never as a fallback.
 */
export const entries: ReadonlyArray<Entry> = [
  openAiLlm,
  anthropicLlm,
  cohereLlm,
  ...localLlm,
  openAiEmbeddings,
  cohereEmbeddings,
  ...localEmbeddings,
  offlineEmbeddings,
  qdrant,
  pgvector,
  pinecone,
  chroma,
  milvus,
  weaviate,
  pglite,
  memory
]

type ByKind = { readonly llm: LlmEntry; readonly embeddings: EmbeddingsEntry; readonly vector: VectorEntry }

/** The entries of one kind (of `from`, default: the built-in table). */
export const ofKind = <K extends Kind>(kind: K, from: ReadonlyArray<Entry> = entries): ReadonlyArray<ByKind[K]> =>
  from.filter((e): e is ByKind[K] => e.kind === kind)

/** The names of the providers of one kind (what `provider:` may say in a workflow). */
export const ids = (kind: Kind, from: ReadonlyArray<Entry> = entries): ReadonlyArray<string> => ofKind(kind, from).map((e) => e.id)

/** The entry `id` of `kind`, if there is one (later entries of `from` win, so an added entry can replace a built-in). */
export const find = <K extends Kind>(kind: K, id: string, from: ReadonlyArray<Entry> = entries): ByKind[K] | undefined =>
  ofKind(kind, from).findLast((e) => e.id === id)

/** The environment variables an entry reads, required ones first: for messages such as "set OPENAI_API_KEY". */
export const requiredEnv = (entry: Entry): ReadonlyArray<string> =>
  entry.settings.filter((s: Setting) => s.required && s.default === undefined).map((s) => s.env)

/**
 * A Markdown table of the catalogue (kind, name, settings with their environment variables): docs/providers.md
 * embeds it and a test keeps the two equal.
 */
export const markdownTable = (): string => {
  const rows = entries.map((e) => {
    const settings = e.settings.map((s) =>
      `\`${s.key}\` (\`${s.env}\`${s.secret ? ", secret" : ""}${s.required && s.default === undefined ? ", required" : ""}${s.default !== undefined ? `, default \`${s.default}\`` : ""})`
    ).join("<br>")
    return `| ${e.kind} | \`${e.id}\` | ${e.description} | ${settings} |`
  })
  return ["| kind | name | what | settings (environment variable) |", "|---|---|---|---|", ...rows].join("\n")
}

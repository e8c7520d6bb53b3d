/**
 * `llm-orchestrator ingest <paths...> --store NAME --collection C --provider P [--model M]`: loads files and folders
 * (text, Markdown, HTML, JSON; `--include`/`--exclude` globs), chunks them by tokens, embeds them in provider-sized
 * batches and upserts them with deterministic ids into a vector store from the configuration (the same catalogue as
 * `run`: `--store pglite`, `pgvector`, `qdrant`, `milvus`...). Re-ingesting unchanged files writes nothing; a changed
 * file replaces its chunks. A progress bar on a terminal, a line per tenth otherwise; `--json` prints the summary only.
 * Exit codes: 0 done, 1 failed, 2 invalid arguments or configuration.
 *
 * @example
 * ```sh
 * llm-orchestrator ingest docs/ --store pglite --collection kb --provider offline --strategy markdown
 * ```
 */
import { Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"

const strategies = ["fixed", "recursive", "sentence", "markdown"] as const

const config = {
  paths: Argument.String("paths").pipe(Argument.withDescription("Files and folders to ingest"), Argument.atLeast(1)),
  store: Flag.String("store").pipe(Flag.withDescription("The vector store: a catalogue name (memory, pglite, pgvector, qdrant, pinecone, chroma, milvus, weaviate) or a store of the config file")),
  collection: Flag.String("collection").pipe(Flag.withDescription("Collection the chunks go to (created when missing)")),
  provider: Flag.String("provider").pipe(Flag.withDescription("Embedding provider (openai, cohere, ollama, ..., offline for demos)")),
  model: Flag.String("model").pipe(Flag.withDescription("Embedding model (default: the provider's)"), Flag.optional),
  strategy: Flag.Literals("strategy", strategies).pipe(Flag.withDescription("Chunking: fixed, recursive (default), sentence or markdown"), Flag.optional),
  maxTokens: Flag.Int("max-tokens").pipe(Flag.withDescription("Largest chunk in tokens (default 512)"), Flag.optional),
  overlap: Flag.Int("overlap").pipe(Flag.withDescription("Tokens shared by consecutive chunks (default 64)"), Flag.optional),
  include: Flag.String("include").pipe(Flag.withDescription("Glob of files to read in folders (repeatable; default: text, Markdown, HTML, JSON)"), Flag.atLeast(0)),
  exclude: Flag.String("exclude").pipe(Flag.withDescription("Glob of paths to skip (repeatable)"), Flag.atLeast(0)),
  config: Flag.String("config").pipe(Flag.withDescription("Configuration file (default: ./llm-orchestrator.yaml when present)"), Flag.optional),
  envFile: Flag.String("env-file").pipe(Flag.withDescription("Load environment variables from this file (KEY=value lines)"), Flag.optional),
  json: Flag.Boolean("json").pipe(Flag.withDescription("Print the summary as JSON and nothing else"), Flag.withDefault(false))
}

/** The parsed arguments of `ingest`. */
export type IngestArgs = Command.Command.Config.Infer<typeof config>

/** `ingest <paths...>`. */
export const ingestCommand = Command.make("ingest", config, (args) =>
  Effect.flatMap(Effect.promise(() => import("./ingestHandler.ts")), (handler) => handler.ingest(args))
).pipe(Command.withDescription("Load, chunk, embed and store files into a vector store collection (re-ingesting unchanged files writes nothing)"))

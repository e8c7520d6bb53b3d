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
import { Effect, Option, Redacted } from "effect"
import * as Project from "../config/Project.ts"
import { describeMissing } from "../pipeline/PipelineError.ts"
import * as Services from "../pipeline/Services.ts"
import * as Catalogue from "../providers/catalogue/Catalogue.ts"
import * as Ingest from "../rag/Ingest.ts"
import * as Loader from "../rag/Loader.ts"
import { Output, style } from "./Output.ts"
import type { IngestArgs } from "./ingestCommand.ts"

/**
 * The progress line of an ingestion: a bar over documents, with chunks embedded so far.
 *
 * @example
 * ```ts
 * progressLine({ documents: 10, done: 4, embedded: 120, written: 3, skipped: 1 }, 20) // "[########------------]  40% 4/10 documents · 120 chunks embedded · 1 unchanged"
 * ```
 */
export const progressLine = (
  p: { readonly documents: number; readonly done: number; readonly embedded: number; readonly skipped: number },
  width = 24
): string => {
  const ratio = p.documents === 0 ? 1 : p.done / p.documents
  const full = Math.round(ratio * width)
  const pct = `${Math.floor(ratio * 100)}%`.padStart(4)
  return `[${"#".repeat(full)}${"-".repeat(width - full)}] ${pct} ${p.done}/${p.documents} documents · ${p.embedded} chunks embedded · ${p.skipped} unchanged`
}

/** Runs `ingest` (loaded by `ingestCommand.ts` when the command runs). */
export const ingest = (args: IngestArgs) =>
  Effect.gen(function*() {
    const o = yield* Output
    const s = style(o.color && !args.json)
    const invalid = (messages: ReadonlyArray<string>) => {
      if (args.json) o.out(JSON.stringify({ status: "invalid", errors: messages }, null, 2))
      else for (const m of messages) o.err(`${s.red("error:")} ${m}`)
      o.exit(2)
    }
    const project = yield* Effect.result(Project.load({
      cwd: o.cwd,
      config: Option.getOrUndefined(args.config),
      envFiles: Option.isSome(args.envFile) ? [args.envFile.value] : []
    }))
    if (project._tag === "Failure") {
      const e = project.failure
      return invalid(e._tag === "ConfigInvalid" ? e.problems : [e._tag === "ProviderConfigInvalid" ? `${e.provider} ${e.setting}: ${e.message}` : e.message])
    }
    const options = Project.runOptions(project.success)
    const entry = Catalogue.find("embeddings", options.providers?.[args.provider]?.use ?? args.provider)
    const model = Option.getOrUndefined(args.model) ??
      options.providers?.[args.provider]?.settings?.["model"] ??
      entry?.settings.find((x) => x.key === "model")?.default ??
      (entry?.id === "offline" ? "hash" : undefined)
    if (model === undefined) return invalid([`--model is needed: provider "${args.provider}" has no default embedding model`])
    const requirements = {
      providers: new Map(),
      embeddingProviders: new Map([[args.provider, ["ingest"]]]),
      stores: new Map([[args.store, ["ingest"]]]),
      actions: new Map(),
      rerankers: new Map()
    }
    const used: Array<Redacted.Redacted<string>> = []
    const scrub = (text: string) => used.map(Redacted.value).filter((v) => v.length >= 4).reduce((t, v) => t.split(v).join("<redacted>"), text)
    const services = yield* Effect.result(Effect.scoped(Effect.gen(function*() {
      const resolved = yield* Services.resolve(requirements, options)
      used.push(...resolved.secrets)
      const documents = yield* Loader.paths(args.paths, {
        ...(args.include.length > 0 ? { include: args.include } : {}),
        ...(args.exclude.length > 0 ? { exclude: args.exclude } : {})
      })
      const state = { documents: documents.length, done: 0, embedded: 0, skipped: 0 }
      let tenth = 0
      const live = o.isTTY && !args.json
      const show = () => {
        if (args.json) return
        if (live) o.stream(`\r${progressLine(state)}`)
        else if (state.documents > 0 && Math.floor((state.done / state.documents) * 10) > tenth) {
          tenth = Math.floor((state.done / state.documents) * 10)
          o.out(progressLine(state))
        }
      }
      const summary = yield* Ingest.ingest({
        store: args.store,
        collection: args.collection,
        embeddings: { provider: args.provider, model },
        documents,
        settings: Ingest.settings({
          chunking: {
            ...(Option.isSome(args.strategy) ? { strategy: args.strategy.value } : {}),
            ...(Option.isSome(args.maxTokens) ? { maxTokens: args.maxTokens.value } : {}),
            ...(Option.isSome(args.overlap) ? { overlapTokens: args.overlap.value } : {})
          }
        }),
        onEvent: (e) =>
          Effect.sync(() => {
            if (e._tag === "DocumentSkipped") (state.done++, state.skipped++)
            else if (e._tag === "DocumentWritten") state.done++
            else if (e._tag === "BatchEmbedded") state.embedded += e.size
            else return
            show()
          })
      }).pipe(Effect.provide(resolved.layer))
      if (live) o.stream("\n")
      return summary
    })))
    if (services._tag === "Failure") {
      const e = services.failure as { _tag?: string; message?: string; missing?: ReadonlyArray<Parameters<typeof describeMissing>[0]> }
      const message = scrub(e.message ?? String(e))
      const messages = e._tag === "ServicesMissing" && e.missing !== undefined ? e.missing.map(describeMissing) : [message]
      if (e._tag === "ServicesMissing" || e._tag === "ProviderConfigInvalid" || e._tag === "LoadError") return invalid(messages)
      if (args.json) o.out(JSON.stringify({ status: "failed", error: { tag: e._tag, message } }, null, 2))
      else o.err(`${s.red("error:")} ${e._tag ?? "Error"}: ${message}`)
      o.exit(1)
      return
    }
    const summary = services.success
    if (args.json) {
      o.out(JSON.stringify({ status: "succeeded", store: args.store, collection: args.collection, ...summary }, null, 2))
      return
    }
    o.out(
      `${s.green("done")} ${summary.documents} document(s) in ${summary.millis}ms: ${summary.added} added, ${summary.replaced} replaced, ${summary.unchanged} unchanged; ` +
        `${summary.chunks} chunk(s) written, ${summary.deleted} deleted, ${summary.embedded} embedded → ${args.store}/${args.collection}`
    )
  })

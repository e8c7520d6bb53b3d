/**
 * Loaders: files and folders to {@link Document}s. Text, Markdown (YAML front matter becomes metadata), HTML (text
 * extracted by {@link HtmlText}), JSON (an array of records, one document each) and JSON Lines; a folder with include
 * and exclude globs. Every document keeps its source path and its metadata; ids are paths relative to the folder you
 * load (posix separators), so the same folder ingested from another machine or checkout gets the same ids.
 *
 * Loaders read through effect's `FileSystem` (provide `NodeFileSystem.layer`, or `NodeServices.layer`).
 *
 * @example
 * ```ts
 * import { NodeServices } from "@effect/platform-node"
 * import { Effect } from "effect"
 * import { Loader } from "llm-orchestrator/rag"
 * const docs = Loader.directory("docs", { include: ["**\/*.md"] }).pipe(Effect.provide(NodeServices.layer))
 * ```
 */
import { Effect, FileSystem, Schema } from "effect"
import * as path from "node:path"
import { parse as parseYaml } from "yaml"
import * as Document from "./Document.ts"
import type * as HtmlText from "./HtmlText.ts"

/**
 * A file could not be read or parsed; `path` names it (and the record, as `file.json[3]`).
 *
 * @example
 * ```ts
 * new LoadError({ path: "data/faq.json[2].text", message: "expected a string" }).message
 * // "data/faq.json[2].text: expected a string"
 * ```
 */
export class LoadError extends Schema.TaggedError<LoadError>()("LoadError", {
  path: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `${this.path}: ${this.reason}`
  }
}

/**
 * The formats a loader understands.
 *
 * @example
 * ```ts
 * const f: Loader.Format = "markdown"
 * ```
 */
export type Format = "text" | "markdown" | "html" | "json" | "jsonl"

const byExtension: Readonly<Record<string, Format>> = {
  ".txt": "text",
  ".text": "text",
  ".md": "markdown",
  ".markdown": "markdown",
  ".mdx": "markdown",
  ".html": "html",
  ".htm": "html",
  ".json": "json",
  ".jsonl": "jsonl",
  ".ndjson": "jsonl"
}

/**
 * The format of a path by its extension (`undefined` for an unknown extension).
 *
 * @example
 * ```ts
 * Loader.formatOf("guide/intro.md") // "markdown"
 * ```
 */
export const formatOf = (file: string): Format | undefined => byExtension[path.extname(file).toLowerCase()]

/**
 * Default include globs of {@link directory}: every extension in {@link formatOf}.
 *
 * @example
 * ```ts
 * Loader.defaultInclude // ["**\/*.{txt,text,md,markdown,mdx,html,htm,json,jsonl,ndjson}"]
 * ```
 */
export const defaultInclude: ReadonlyArray<string> = ["**/*.{txt,text,md,markdown,mdx,html,htm,json,jsonl,ndjson}"]

/**
 * Options of a file loader.
 *
 * @example
 * ```ts
 * const o: Loader.FileOptions = { id: "faq", metadata: { lang: "en" }, textField: "answer" }
 * ```
 */
export interface FileOptions {
  /** Document id (default: the path as given, posix separators). JSON records get `${id}#${index}`. */
  readonly id?: string | undefined
  /** Extra metadata merged into every document from this file. */
  readonly metadata?: Readonly<Record<string, unknown>> | undefined
  /** Force a format instead of guessing it from the extension. */
  readonly format?: Format | undefined
  /** JSON / JSON Lines: the field holding the text (default `text`; `content`, `body` are tried next). */
  readonly textField?: string | undefined
  /** JSON / JSON Lines: a field holding a record id (default: the record's index). */
  readonly idField?: string | undefined
}

const posix = (p: string) => p.split(path.sep).join("/")

const FRONT_MATTER = /^---\r?\n([\s\S]*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/

/**
 * Parses Markdown: YAML front matter (when present) becomes metadata and is removed from the text; `title` defaults to
 * the first `# ` heading. Chunk offsets count from the end of the front matter.
 *
 * @example
 * ```ts
 * Loader.parseMarkdown("---\nlang: en\n---\n# Setup\nRun it.")
 * // { text: "# Setup\nRun it.", metadata: { lang: "en", title: "Setup" } }
 * ```
 */
export const parseMarkdown = (source: string): { readonly text: string; readonly metadata: Record<string, unknown> } => {
  let text = source.replace(/^\uFEFF/, "")
  let metadata: Record<string, unknown> = {}
  const fm = FRONT_MATTER.exec(text)
  if (fm !== null) {
    try {
      const parsed: unknown = parseYaml(fm[1]!)
      if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) metadata = { ...(parsed as Record<string, unknown>) }
      text = text.slice(fm[0].length)
    } catch {
      // Not YAML after all (a thematic break at the top): keep it as text.
    }
  }
  if (metadata["title"] === undefined) {
    const h1 = /^#[ \t]+(.+?)[ \t#]*$/m.exec(text)
    if (h1 !== null) metadata["title"] = h1[1]!
  }
  return { text, metadata }
}

const pickText = (record: Record<string, unknown>, field: string | undefined): unknown =>
  field !== undefined ? record[field] : record["text"] ?? record["content"] ?? record["body"]

const fromRecords = (
  file: string,
  records: ReadonlyArray<{ readonly value: unknown; readonly where: string }>,
  options: FileOptions,
  id: string
): Effect.Effect<ReadonlyArray<Document.Document>, LoadError> =>
  Effect.suspend(() => {
    const out: Array<Document.Document> = []
    for (let i = 0; i < records.length; i++) {
      const { value, where } = records[i]!
      if (typeof value === "string") {
        out.push(Document.make({ id: `${id}#${i}`, source: `${file}${where}`, text: value, metadata: { ...options.metadata } }))
        continue
      }
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        return Effect.fail(new LoadError({ path: `${file}${where}`, reason: "expected an object or a string" }))
      }
      const record = value as Record<string, unknown>
      const text = pickText(record, options.textField)
      if (typeof text !== "string") {
        const field = options.textField ?? "text"
        return Effect.fail(
          new LoadError({
            path: `${file}${where}.${field}`,
            reason: text === undefined
              ? `missing; set textField to the field holding the text (fields: ${Object.keys(record).join(", ")})`
              : "expected a string"
          })
        )
      }
      const textKey = options.textField ?? (record["text"] !== undefined ? "text" : record["content"] !== undefined ? "content" : "body")
      const rawId = options.idField === undefined ? undefined : record[options.idField]
      if (options.idField !== undefined && typeof rawId !== "string" && typeof rawId !== "number") {
        return Effect.fail(new LoadError({ path: `${file}${where}.${options.idField}`, reason: "expected a string or number id" }))
      }
      const metadata: Record<string, unknown> = { ...options.metadata }
      for (const [k, v] of Object.entries(record)) if (k !== textKey) metadata[k] = v
      out.push(Document.make({
        id: `${id}#${rawId ?? i}`,
        source: `${file}${where}`,
        text,
        metadata
      }))
    }
    return Effect.succeed(out)
  })

/**
 * Parses file contents already read (for sources that are not files, e.g. an HTTP body).
 *
 * @example
 * ```ts
 * const docs = yield* Loader.parse("notes/a.md", "# A\ntext", { format: "markdown" })
 * ```
 */
export const parse = (
  file: string,
  content: string,
  options: FileOptions = {}
): Effect.Effect<ReadonlyArray<Document.Document>, LoadError> => {
  const format = options.format ?? formatOf(file) ?? "text"
  const id = options.id ?? posix(file)
  const extra = options.metadata ?? {}
  switch (format) {
    case "text":
      return Effect.succeed([Document.make({ id, source: file, text: content.replace(/^\uFEFF/, ""), metadata: { ...extra } })])
    case "markdown": {
      const md = parseMarkdown(content)
      return Effect.succeed([Document.make({ id, source: file, text: md.text, metadata: { ...md.metadata, ...extra } })])
    }
    case "html":
      // The HTML parser loads with the first HTML file: a process that never reads one (a worker) does not hold it.
      return Effect.map(Effect.promise((): Promise<typeof HtmlText> => import("./HtmlText.ts")), (HtmlText) => {
        const html = HtmlText.extract(content)
        const metadata: Record<string, unknown> = {}
        if (html.title !== undefined) metadata["title"] = html.title
        if (html.description !== undefined) metadata["description"] = html.description
        if (html.lang !== undefined) metadata["lang"] = html.lang
        return [Document.make({ id, source: file, text: html.text, metadata: { ...metadata, ...extra } })]
      })
    case "json": {
      let value: unknown
      try {
        value = JSON.parse(content)
      } catch (e) {
        return Effect.fail(new LoadError({ path: file, reason: `invalid JSON: ${e instanceof Error ? e.message : String(e)}` }))
      }
      const records = Array.isArray(value)
        ? value.map((v, i) => ({ value: v, where: `[${i}]` }))
        : [{ value, where: "" }]
      if (!Array.isArray(value) && typeof value === "object" && value !== null) {
        // A single object is one document with the file's id (no "#0").
        return Effect.map(fromRecords(file, records, options, id), (docs) => docs.map((d) => ({ ...d, id })))
      }
      return fromRecords(file, records, options, id)
    }
    case "jsonl": {
      const records: Array<{ value: unknown; where: string }> = []
      const lines = content.split(/\r?\n/)
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i]!.trim()
        if (line.length === 0) continue
        try {
          records.push({ value: JSON.parse(line), where: `:${i + 1}` })
        } catch (e) {
          return Effect.fail(new LoadError({ path: `${file}:${i + 1}`, reason: `invalid JSON: ${e instanceof Error ? e.message : String(e)}` }))
        }
      }
      return fromRecords(file, records, options, id)
    }
  }
}

/**
 * Loads one file (format from its extension unless `format` is given). JSON files give one document per record.
 *
 * @example
 * ```ts
 * const docs = yield* Loader.file("data/faq.json", { textField: "answer", idField: "slug" })
 * ```
 */
export const file = (
  file: string,
  options: FileOptions = {}
): Effect.Effect<ReadonlyArray<Document.Document>, LoadError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const content = yield* fs.readFileString(file).pipe(
      Effect.mapError((e) => new LoadError({ path: file, reason: e.message }))
    )
    return yield* parse(file, content, options)
  })

/**
 * Options of {@link directory}.
 *
 * @example
 * ```ts
 * const o: Loader.DirectoryOptions = { include: ["guides/**\/*.md"], exclude: ["**\/drafts/**"], metadata: { team: "docs" } }
 * ```
 */
export interface DirectoryOptions extends Omit<FileOptions, "id" | "format"> {
  /** Globs relative to the folder (default {@link defaultInclude}); braces and `**` work. */
  readonly include?: ReadonlyArray<string> | undefined
  /** Globs of paths to skip; excluded folders are not read. */
  readonly exclude?: ReadonlyArray<string> | undefined
  /** Prefix of every document id (default none: ids are paths relative to the folder). */
  readonly idPrefix?: string | undefined
}

/**
 * Loads every matching file under a folder, in path order. Ids are `idPrefix` + the path relative to the folder;
 * sources are the paths as reachable from the working directory. Files with an unknown extension are skipped unless an
 * include glob names them (then they load as text).
 *
 * @example
 * ```ts
 * const docs = yield* Loader.directory("docs", { include: ["**\/*.md"], exclude: ["**\/node_modules/**"] })
 * ```
 */
export const directory = (
  root: string,
  options: DirectoryOptions = {}
): Effect.Effect<ReadonlyArray<Document.Document>, LoadError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const info = yield* fs.stat(root).pipe(Effect.mapError((e) => new LoadError({ path: root, reason: e.message })))
    if (info.type !== "Directory") return yield* new LoadError({ path: root, reason: "not a directory" })
    const exclude = options.exclude ?? []
    const found = new Set<string>()
    for (const pattern of options.include ?? defaultInclude) {
      const matches = yield* fs.glob(pattern, { root, exclude }).pipe(
        Effect.mapError((e) => new LoadError({ path: root, reason: `glob ${JSON.stringify(pattern)}: ${e.message}` }))
      )
      for (const m of matches) found.add(m)
    }
    const docs: Array<Document.Document> = []
    for (const relative of [...found].sort()) {
      const full = path.join(root, relative)
      const stat = yield* fs.stat(full).pipe(Effect.mapError((e) => new LoadError({ path: full, reason: e.message })))
      if (stat.type !== "File") continue
      const loaded = yield* file(full, {
        ...options,
        id: `${options.idPrefix ?? ""}${posix(relative)}`,
        format: formatOf(relative) ?? "text"
      })
      docs.push(...loaded)
    }
    return docs
  })

/**
 * Loads files and folders (what `llm-orchestrator ingest <paths>` does): a folder with {@link directory}, a file with
 * {@link file} (its id is its path relative to the working directory).
 *
 * @example
 * ```ts
 * const docs = yield* Loader.paths(["docs", "README.md"], { include: ["**\/*.md"] })
 * ```
 */
export const paths = (
  inputs: ReadonlyArray<string>,
  options: DirectoryOptions = {}
): Effect.Effect<ReadonlyArray<Document.Document>, LoadError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const docs: Array<Document.Document> = []
    for (const input of inputs) {
      const info = yield* fs.stat(input).pipe(Effect.mapError((e) => new LoadError({ path: input, reason: e.message })))
      if (info.type === "Directory") {
        const dir = posix(path.normalize(input)).replace(/\/$/, "")
        docs.push(...(yield* directory(input, { ...options, idPrefix: `${options.idPrefix ?? ""}${dir === "." ? "" : `${dir}/`}` })))
      } else {
        const { include: _i, exclude: _e, idPrefix, ...fileOptions } = options
        docs.push(...(yield* file(input, { ...fileOptions, id: `${idPrefix ?? ""}${posix(path.normalize(input))}` })))
      }
    }
    return docs
  })

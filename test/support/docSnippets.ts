/**
 * Docs code blocks marked `<!-- snippet: file -->` must be the tested snippet files, with imports spelled as the
 * package exports them.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"

const root = join(import.meta.dirname, "../..")

/** A snippet's code with in-repo import paths rewritten to the package's export names, trimmed. */
export const normalise = (code: string) =>
  code
    .replaceAll(/"(\.\.\/)+src\/reliability\/index\.ts"/g, `"llm-orchestrator/reliability"`)
    .replaceAll(/"(\.\.\/)+src\/providers\/index\.ts"/g, `"llm-orchestrator/providers"`)
    .replaceAll(/"(\.\.\/)+src\/llm\/index\.ts"/g, `"llm-orchestrator"`)
    .replaceAll(/"(\.\.\/)+src\/secrets\/index\.ts"/g, `"llm-orchestrator/secrets"`)
    .replaceAll(/"(\.\.\/)+src\/governance\/index\.ts"/g, `"llm-orchestrator/governance"`)
    .replaceAll(/"(\.\.\/)+src\/server\/index\.ts"/g, `"llm-orchestrator/server"`)
    .replaceAll(/"(\.\.\/)+src\/rag\/index\.ts"/g, `"llm-orchestrator/rag"`)
    .replaceAll(/"(\.\.\/)+src\/vector\/index\.ts"/g, `"llm-orchestrator/vector"`)
    .replaceAll(/"(\.\.\/)+src\/index\.ts"/g, `"llm-orchestrator"`)
    .replaceAll(/"(\.\.\/)+src\/testing\/index\.ts"/g, `"llm-orchestrator/testing"`)
    .trim()

/** The snippet blocks of a markdown file (path from the repository root): file name -> code. */
export const snippets = (doc: string): Map<string, string> => {
  const text = readFileSync(join(root, doc), "utf8")
  const out = new Map<string, string>()
  for (const m of text.matchAll(/<!-- snippet: (\S+) -->\s*```ts\n([\s\S]*?)```/g)) out.set(m[1]!, m[2]!)
  return out
}

/**
 * The engine's modules import each other without a cycle at run time (type-only imports do not count): nested graphs
 * reach the runner through `RunState.runGraph`, so the kinds never import it back.
 */
import { assert, describe, it } from "@effect/vitest"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"

const dir = join(import.meta.dirname, "..", "..", "src", "engine")

/** The engine modules a module imports at run time (`import type` and `import { type X }`-only imports excluded). */
const runtimeImports = (file: string): ReadonlyArray<string> => {
  const source = readFileSync(join(dir, file), "utf8")
  const out: Array<string> = []
  for (const match of source.matchAll(/^import\s+(type\s+)?([^;]*?)\s+from\s+"\.\/([^"]+)"/gms)) {
    if (match[1] !== undefined) continue
    const names = match[2]!.replace(/[{}]/g, "").split(",").map((s) => s.trim()).filter((s) => s !== "")
    if (names.every((name) => name.startsWith("type "))) continue
    out.push(match[3]!)
  }
  return out
}

describe("engine imports", () => {
  it("form no cycle at run time", () => {
    const files = readdirSync(dir).filter((f) => f.endsWith(".ts"))
    const graph = new Map(files.map((f) => [f, runtimeImports(f)]))
    assert.includeMembers([...graph.get("runGraph.ts")!], ["compiled.ts", "driver.ts"])
    const cycles: Array<string> = []
    const visit = (file: string, stack: ReadonlyArray<string>) => {
      if (stack.includes(file)) {
        cycles.push([...stack.slice(stack.indexOf(file)), file].join(" -> "))
        return
      }
      for (const next of graph.get(file) ?? []) visit(next, [...stack, file])
    }
    for (const file of files) visit(file, [])
    assert.deepStrictEqual(cycles, [])
    // The kinds table needs nothing of the runner but its types.
    assert.notInclude(graph.get("kinds.ts")!, "runGraph.ts")
  })
})

/**
 * Build step: rewrites imports of effect's barrels (`import { Effect, Schema } from "effect"`, `... from "effect/cli"`)
 * into imports of the modules they re-export (`import * as Effect from "effect/Effect"`), in the built library
 * (dist/) and in the CLI bundle. The source keeps the idiomatic barrel imports; what runs is the same modules.
 *
 * Why: importing `effect` evaluates the barrel, which loads every effect module (~170 ms and ~45 MB on this machine);
 * a module that only needs Effect, Schema and Layer loads a fraction of that. In the CLI bundle, a barrel shared by
 * the entry and the lazily imported command chunks drags every namespace any chunk uses into the entry's chunks, so
 * `--help` would load the SQL client and the HTTP server.
 *
 * @example
 * ```ts
 * rewriteEffectImports(`import { Effect, type Layer, pipe } from "effect"`)
 * // `import * as Effect from "effect/Effect"; import { pipe } from "effect/Function";`
 * ```
 */
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"

const require = createRequire(import.meta.url)
const effectDist = join(dirname(require.resolve("effect/package.json")), "dist")

/** What a barrel exports: a namespace (`export * as X from "./X.js"`) or a named export of a module. */
type Target = { readonly _tag: "namespace"; readonly from: string } | { readonly _tag: "named"; readonly from: string }

const barrels = new Map<string, ReadonlyMap<string, Target> | undefined>()

/** The exports of `effect` (sub = "") or `effect/<sub>`, read from the barrel's index.js; undefined when there is none. */
const barrelOf = (sub: string): ReadonlyMap<string, Target> | undefined => {
  if (barrels.has(sub)) return barrels.get(sub)
  let text: string
  try {
    text = readFileSync(join(effectDist, sub, "index.js"), "utf8")
  } catch {
    barrels.set(sub, undefined)
    return undefined
  }
  const prefix = sub === "" ? "effect/" : `effect/${sub}/`
  const map = new Map<string, Target>()
  for (const m of text.matchAll(/export \* as (\w+) from "\.\/([\w/-]+)\.js"/g)) map.set(m[1]!, { _tag: "namespace", from: `${prefix}${m[2]}` })
  for (const m of text.matchAll(/export \{([^}]*)\} from "\.\/([\w/-]+)\.js"/g)) {
    for (const name of m[1]!.split(",").map((n) => n.trim()).filter((n) => n !== "")) map.set(name, { _tag: "named", from: `${prefix}${m[2]}` })
  }
  barrels.set(sub, map)
  return map
}

/**
 * Rewrites every value import of an effect barrel in `code` (TypeScript or JavaScript); type-only imports and names
 * the barrel does not re-export are left as they are.
 */
export const rewriteEffectImports = (code: string): string =>
  code.replace(/import\s*\{([^}]*)\}\s*from\s*"effect(?:\/([a-z-]+))?"\s*;?/g, (all, names: string, sub: string | undefined) => {
    const barrel = barrelOf(sub ?? "")
    if (barrel === undefined) return all
    const specifiers = names.split(",").map((n) => n.trim()).filter((n) => n !== "" && !n.startsWith("type "))
    const out: Array<string> = []
    const named = new Map<string, Array<string>>()
    for (const s of specifiers) {
      const [imported, local = imported] = s.split(/\s+as\s+/).map((x) => x.trim()) as [string, string?]
      const target = barrel.get(imported)
      if (target === undefined) return all
      if (target._tag === "namespace") out.push(`import * as ${local} from "${target.from}";`)
      else named.set(target.from, [...(named.get(target.from) ?? []), local === imported ? imported : `${imported} as ${local}`])
    }
    for (const [from, list] of named) out.push(`import { ${list.join(", ")} } from "${from}";`)
    // Keep the line count (source maps, error positions): the replacement goes on the lines the import took.
    return out.join(" ") + "\n".repeat((all.match(/\n/g) ?? []).length)
  })

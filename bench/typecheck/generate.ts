/**
 * Generates builder-DSL workflows for the type-check benchmark. Steps alternate number and string outputs; step i needs
 * steps i-1 and i-3 (same type), so every `ctx` member is read with its inferred type.
 */

const header = (importPath: string) =>
  `import { Effect, Schema } from "effect"\nimport { Workflow } from ${JSON.stringify(importPath)}\n`

const stepLine = (i: number): string => {
  if (i === 0) return `  .step("s0", (ctx) => Effect.succeed(ctx.input.query.length))`
  const needs = i >= 3 ? [`s${i - 1}`, `s${i - 3}`] : [`s${i - 1}`]
  const list = needs.map((n) => JSON.stringify(n)).join(", ")
  // even steps produce numbers from the strings of odd steps, odd steps produce strings from numbers
  const body = i % 2 === 0
    ? needs.map((n) => `ctx.${n}.length`).join(" + ")
    : `\`v\${${needs.map((n) => `ctx.${n}`).join(" + ")}}\``
  return `  .step("s${i}", { needs: [${list}] }, (ctx) => Effect.succeed(${body}))`
}

/** One builder of `steps` steps, exported as `name`. */
export const builderSource = (importPath: string, name: string, steps: number): string =>
  header(importPath) +
  `\nexport const ${name} = Workflow.make(${JSON.stringify(name)}, { input: Schema.Struct({ query: Schema.String }) })\n` +
  Array.from({ length: steps }, (_, i) => stepLine(i)).join("\n") + "\n"

/**
 * A workflow of `parts` sub-workflows of `stepsPerPart` steps each, composed with `.call`; each call reads the last
 * (string) output of the previous sub-workflow. Returns the files to write (main file last).
 */
export const composedSources = (
  importPath: string,
  parts: number,
  stepsPerPart: number
): ReadonlyArray<{ readonly file: string; readonly source: string }> => {
  if (stepsPerPart % 2 !== 0) throw new Error("stepsPerPart must be even (the last step must produce a string)")
  const files = Array.from({ length: parts }, (_, k) => ({ file: `part${k}.ts`, source: builderSource(importPath, `part${k}`, stepsPerPart) }))
  const last = `s${stepsPerPart - 1}`
  const calls = Array.from({ length: parts }, (_, k) =>
    k === 0
      ? `  .call("c0", { needs: [], input: (ctx) => ({ query: ctx.input.query }) }, part0)`
      : `  .call("c${k}", { needs: ["c${k - 1}"], input: (ctx) => ({ query: ctx.c${k - 1}.${last} }) }, part${k})`).join("\n")
  const main = header(importPath) +
    files.map((_, k) => `import { part${k} } from "./part${k}.ts"\n`).join("") +
    `\nexport const composed = Workflow.make("composed", { input: Schema.Struct({ query: Schema.String }) })\n${calls}\n` +
    `  .step("final", { needs: ["c${parts - 1}"] }, (ctx) => Effect.succeed(ctx.c${parts - 1}.${last}.length))\n`
  return [...files, { file: "main.ts", source: main }]
}

/** The baseline: an empty module importing effect. */
export const baselineSource = `import { Effect } from "effect"\nexport const x = Effect.succeed(1)\n`

/**
 * `codegen --actions`: action steps of the generated module take parameters typed by each action's Schema, so tsc
 * rejects what `validate` would (an unknown, a missing or a wrongly typed parameter), and the module's `actionsLayer`
 * serves the actions with their parameters decoded at run time.
 */
import { spawnSync } from "node:child_process"
import { readFileSync, rmSync, writeFileSync } from "node:fs"
import { join, relative } from "node:path"
import { pathToFileURL } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Exit } from "effect"
import { analyzeSource, generateModule } from "../../codegen/index.ts"
import { runWith } from "../../src/cli/main.ts"
import { Output } from "../../src/cli/Output.ts"

const root = join(import.meta.dirname, "..", "..")
const outDir = join(root, ".generated", "typed-actions")
const yamlPath = join(root, "examples", "content-moderation.yaml")
const yaml = readFileSync(yamlPath, "utf8")
const exports = ["publish", "queue_review", "send_notification"].map((name) => ({ name, named: true }))
const from = "../../examples/content-moderation.actions.ts"

describe("codegen --actions", () => {
  it.live("the CLI writes typed action classes and an actionsLayer; tsc accepts the example and rejects wrong parameters with their names", () =>
    Effect.gen(function*() {
      rmSync(outDir, { recursive: true, force: true })
      const cap = Output.capture()
      const code = yield* runWith(["codegen", yamlPath, "--out", outDir, "--actions", join(root, "examples", "content-moderation.actions.ts")], cap.layer)
      assert.strictEqual(code, 0, cap.stdout.join("\n"))
      const good = readFileSync(join(outDir, "content-moderation.ts"), "utf8")
      assert.include(good, `import * as Actions from "${from}"`)
      assert.include(good, "export class PublishAction extends Context.Service<PublishAction, Y.ActionShape<Action.Params<typeof Actions.publish>>>()")
      assert.include(good, `export const actionsLayer = Layer.mergeAll(Action.layer(PublishAction, "publish", Actions.publish), `)

      // The same workflow with three mistakes validate catches statically: tsc must catch them in the generated code too.
      const bad = yaml
        .replace(/(action: "publish"\n(\s+))content:/, "$1contnt:")
        .replace(/priority: "medium"/, "priority: \"urgent\"")
        .replace(/(action: "send_notification"\n(\s+))message:/, "$1msg:")
      assert.notStrictEqual(bad, yaml)
      const analysis = analyzeSource("bad-moderation.yaml", bad)
      assert.deepStrictEqual(analysis.diagnostics.filter((d) => d.severity === "error"), [])
      writeFileSync(join(outDir, "bad-moderation.ts"), generateModule(analysis, { source: "bad-moderation.yaml", actions: { from, exports } }))
      writeFileSync(join(outDir, "tsconfig.json"), JSON.stringify({ extends: "../../tsconfig.json", include: ["*.ts"] }))
      const r = spawnSync(join(root, "node_modules", ".bin", "tsc"), ["-p", relative(root, join(outDir, "tsconfig.json"))], { cwd: root, encoding: "utf8" })
      const errors = `${r.stdout}${r.stderr}`.split("\n").filter((l) => l.includes("error TS") && l.startsWith(".generated/typed-actions/"))
      assert.isFalse(errors.some((l) => l.includes("content-moderation.ts")), errors.join("\n"))
      const text = errors.join("\n")
      assert.match(text, /bad-moderation\.ts\(\d+,\d+\): error TS2561: Object literal may only specify known properties, but 'contnt' does not exist in type '\{ readonly content: string; \}'\. Did you mean to write 'content'\?/)
      assert.match(text, /bad-moderation\.ts\(\d+,\d+\): error TS2322: Type '"urgent"' is not assignable to type '"high" \| "low" \| "medium"'/)
      assert.match(text, /bad-moderation\.ts\(\d+,\d+\): error TS2353: Object literal may only specify known properties, and 'msg' does not exist/)
      assert.strictEqual(errors.length, 3, text)
    }), 120_000)

  it.live("actionsLayer decodes parameters with the action's Schema before it runs", () =>
    Effect.gen(function*() {
      const file = join(outDir, "runtime-moderation.ts")
      writeFileSync(file, generateModule(analyzeSource(yamlPath, yaml), { source: "content-moderation.yaml", actions: { from, exports } }))
      const mod = (yield* Effect.promise(() => import(pathToFileURL(file).href))) as {
        readonly QueueReviewAction: Context.Key<unknown, { readonly run: (p: unknown) => Effect.Effect<unknown, unknown> }>
        readonly actionsLayer: import("effect").Layer.Layer<unknown>
      }
      const exit = yield* Effect.exit(
        Effect.flatMap(mod.QueueReviewAction, (a) => a.run({ content: "x", priority: "urgent" })).pipe(Effect.provide(mod.actionsLayer))
      )
      assert.isTrue(Exit.isFailure(exit))
      const err = Exit.isFailure(exit) ? JSON.stringify(exit.cause) : ""
      assert.include(err, "ActionParamsInvalid")
      assert.include(err, `action \\"queue_review\\": parameter \\"priority\\"`)
    }))
})

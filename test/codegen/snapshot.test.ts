/**
 * The generated modules committed under test/types/generated (used by the type tests) are exactly what codegen
 * produces today, and they run: the generated content-moderation workflow, given mock providers and actions.
 * Refresh after a codegen change: `npm run cli -- codegen examples/content-moderation.yaml examples/parallel-rag.yaml
 * examples/provider-failover.yaml --out test/types/generated`.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { analyzeFile, generateModule } from "../../codegen/index.ts"
import { Workflow } from "../../src/index.ts"
import { MockLlm, MockRecorder } from "../../src/testing/index.ts"
import * as Moderation from "../types/generated/content-moderation.ts"

const root = join(import.meta.dirname, "..", "..")

describe("generated snapshots", () => {
  for (const name of ["content-moderation", "parallel-rag", "provider-failover"]) {
    it(`${name}.ts is up to date`, () => {
      const fresh = generateModule(analyzeFile(join(root, "examples", `${name}.yaml`)), { source: `examples/${name}.yaml` })
      assert.strictEqual(readFileSync(join(root, "test", "types", "generated", `${name}.ts`), "utf8"), fresh)
    })
  }

  it.live("the generated content-moderation workflow runs: block -> explanation -> notification", () =>
    Effect.gen(function*() {
      const sent: Array<unknown> = []
      const layer = Layer.mergeAll(
        MockLlm.layer("openai", { responses: ["block"] }),
        MockLlm.layer("anthropic", { responses: ["It shares a phone number."] })
      ).pipe(
        Layer.provideMerge(MockRecorder.layer),
        Layer.merge(Layer.mergeAll(
          Layer.succeed(Moderation.PublishAction, { run: () => Effect.die("not this case") }),
          Layer.succeed(Moderation.QueueReviewAction, { run: () => Effect.die("not this case") }),
          Layer.succeed(Moderation.SendNotificationAction, { run: (p) => Effect.sync(() => sent.push(p)).pipe(Effect.as("sent")) })
        ))
      )
      const out = yield* Workflow.runWith(Moderation.workflow, { content: "call me at 555" }, layer)
      assert.strictEqual(out.moderate_content, "block")
      assert.deepStrictEqual(out.route_based_on_moderation, {
        case: "block",
        value: { generate_explanation: "It shares a phone number.", notify_user: "sent" }
      })
      assert.deepStrictEqual(sent, [{ message: "It shares a phone number." }])
    }))
})

import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { VectorStore } from "../../src/vector/index.ts"
import { vectorStoreContract } from "./contract.ts"

vectorStoreContract("in-memory", (name) => VectorStore.layerMemory(name))

describe("VectorStore.layerMemory", () => {
  it.effect("pre-creates the configured collections", () =>
    Effect.gen(function*() {
      const info = yield* VectorStore.getCollection({ store: "docs", collection: "documentation" })
      assert.deepStrictEqual(info, { collection: "documentation", dimension: 384, distance: "cosine", pointsCount: 0 })
    }).pipe(Effect.provide(VectorStore.layerMemory("docs", {
      collections: [{ collection: "documentation", dimension: 384, distance: "cosine" }]
    }))))
})

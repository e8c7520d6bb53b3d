import { defineConfig } from "vitest/config"

// Self-imports (`import { Workflow } from "llm-orchestrator"`) resolve to the TypeScript sources through the package's
// "source" export condition; installed consumers get dist/ (see package.json exports, docs/packaging.md).
export default defineConfig({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"], externalConditions: ["source"] } },
  test: {
    include: ["test/**/*.test.ts", "examples/**/*.test.ts"],
    // `run` is durable by default on ./.llm-orchestrator/runs.db: tests that do not choose a store run in memory, so
    // test files never share one SQLite file (the durable CLI has its own tests, which set the store).
    env: { LLM_ORCHESTRATOR_STORE: "memory" },
    testTimeout: 30_000,
    hookTimeout: 30_000
  }
})

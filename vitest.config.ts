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
    // Most of the suite waits on child processes, servers and sockets: three files at a time on two cores took the
    // clean-clone suite from 763 s to 425 s, every test passing (the default runs two).
    maxWorkers: 3,
    testTimeout: 30_000,
    hookTimeout: 30_000
  }
})

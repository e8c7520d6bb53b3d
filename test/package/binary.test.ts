/**
 * `npm run build:binary`: a single executable (Node SEA from the installed Node, no download) that runs validate and a
 * mocked run with no Node on PATH and an empty environment.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const root = join(import.meta.dirname, "..", "..")
const out = mkdtempSync(join(tmpdir(), "llmo-binary-"))
const exe = join(out, "llm-orchestrator")
const ex = (f: string) => join(root, "examples", f)
// No Node anywhere: only the system's basic tools on PATH, nothing else in the environment.
const bare = (args: ReadonlyArray<string>) => spawnSync(exe, args, { env: { PATH: "/nonexistent" }, encoding: "utf8", cwd: out })

beforeAll(() => {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "scripts", "build-binary.ts")], {
    cwd: root,
    env: { ...process.env, LLMO_BINARY_OUT: out },
    encoding: "utf8"
  })
  expect(r.status, r.stderr).toBe(0)
}, 120_000)
afterAll(() => rmSync(out, { recursive: true, force: true }))

describe("the single executable", () => {
  it("is one file that runs --version, validate and a mocked run without Node", () => {
    expect(statSync(exe).size).toBeGreaterThan(10 * 2 ** 20)
    expect(bare(["--version"]).stdout.trim()).toBe("llm-orchestrator v0.1.0")
    const v = bare(["validate", ex("content-moderation.yaml")])
    expect(v.status, v.stderr).toBe(0)
    const r = bare(["run", ex("content-moderation.yaml"), "--mock", ex("content-moderation.mock.yaml"), "--input", `{"content":"x"}`, "--json"])
    expect(r.status, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ status: "succeeded", outputs: { moderation_result: "block" } })
  })
})

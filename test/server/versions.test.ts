/**
 * The versioned registry and its lifecycle over REST, on a real server: every transition from every state by every
 * kind of caller (expected outcomes written out here from the issue's rules, not read from the code), who may start
 * which version, runs pinned to the version they started on (also across a restart on SQLite, after the version was
 * deprecated), concurrent transitions (compare-and-set), and the audit entries of each transition.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { call, startServer, type TestServer } from "./support.ts"

const until = async (check: () => Promise<boolean>, what: string) => {
  const end = Date.now() + 15_000
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const states = ["draft", "pending_approval", "approved", "deployed", "deprecated"] as const
type State = typeof states[number]
const transitions = ["submit", "approve", "reject", "deploy", "deprecate"] as const
type T = typeof transitions[number]

/** The issue's lifecycle, written out independently of src/server/Lifecycle.ts. */
const expected: Record<T, { readonly from: ReadonlyArray<State>; readonly to: State }> = {
  submit: { from: ["draft"], to: "pending_approval" },
  approve: { from: ["pending_approval"], to: "approved" },
  reject: { from: ["pending_approval"], to: "draft" },
  deploy: { from: ["approved"], to: "deployed" },
  deprecate: { from: ["draft", "pending_approval", "approved", "deployed"], to: "deprecated" }
}
/** How to bring a fresh version (draft) to each state: (transition, by author?) steps. */
const path: Record<State, ReadonlyArray<readonly [T, "author" | "other"]>> = {
  draft: [],
  pending_approval: [["submit", "author"]],
  approved: [["submit", "author"], ["approve", "other"]],
  deployed: [["submit", "author"], ["approve", "other"], ["deploy", "author"]],
  deprecated: [["deprecate", "author"]]
}

const workflow = (name: string, text = "hello") => `name: ${name}
inputs:
  text: { type: string }
steps:
  - id: say
    type: transform
    function: template
    template: "${text} {{ input.text }}"
    output: said
outputs:
  said: "{{ said }}"
`

const keyOf = async (server: TestServer, name: string, role: "viewer" | "runner" | "admin") => {
  const created = await call(server, "POST", "/keys", { token: server.keys.admin, body: { name, role } })
  expect(created.status, created.text).toBe(201)
  return { token: created.body.token as string, id: `key:${created.body.key.id as string}` }
}

describe("lifecycle with approval required", () => {
  let server: TestServer
  let author: { token: string; id: string }
  let other: { token: string; id: string }
  let n = 0
  beforeAll(async () => {
    server = await startServer({ approval: { required: true }, limits: { requestsPerWindow: 1_000_000 } })
    author = { token: server.keys.admin, id: "" }
    other = await keyOf(server, "second-admin", "admin")
  })
  afterAll(() => server.close())

  const fresh = async (state: State) => {
    const name = `wf-${++n}`
    const reg = await call(server, "POST", "/workflows", { token: author.token, body: { source: workflow(name) } })
    expect(reg.status, reg.text).toBe(201)
    expect(reg.body).toMatchObject({ name, version: 1, label: "v1", state: "draft" })
    expect(reg.body.hash).toMatch(/^[0-9a-f]{64}$/)
    for (const [t, who] of path[state]) {
      const r = await call(server, "POST", `/workflows/${name}/versions/1/${t}`, { token: who === "author" ? author.token : other.token })
      expect(r.status, `${t} while preparing ${state}: ${r.text}`).toBe(200)
    }
    const now = await call(server, "GET", `/workflows/${name}/versions/1`, { token: server.keys.viewer })
    expect(now.body.state).toBe(state)
    return name
  }

  it("every transition x every state x every caller: allowed ones move the state and are audited, the others change nothing", async () => {
    const callers = [
      { name: "viewer", token: () => server.keys.viewer, role: "viewer" },
      { name: "runner", token: () => server.keys.runner, role: "runner" },
      { name: "admin (author)", token: () => author.token, role: "admin" },
      { name: "admin (another)", token: () => other.token, role: "admin" }
    ] as const
    const rows: Array<string> = []
    let cases = 0
    for (const state of states) {
      for (const t of transitions) {
        for (const caller of callers) {
          cases++
          const name = await fresh(state)
          const seen = (await Effect.runPromise(server.audit.list({ limit: 100_000 }))).at(-1)?.seq ?? 0
          const res = await call(server, "POST", `/workflows/${name}/versions/1/${t}`, { token: caller.token() })
          const rule = expected[t]
          let want: { status: number; code?: string; state: State }
          if (caller.role !== "admin") want = { status: 403, code: "forbidden", state }
          else if (!rule.from.includes(state)) want = { status: 409, code: "invalid_transition", state }
          else if (t === "approve" && caller.name === "admin (author)") want = { status: 403, code: "self_approval", state }
          else want = { status: 200, state: rule.to }
          const after = await call(server, "GET", `/workflows/${name}/versions/1`, { token: server.keys.viewer })
          const ok = res.status === want.status && (want.code === undefined || res.body?.code === want.code) && after.body.state === want.state &&
            (want.status !== 200 || res.body.state === want.state)
          rows.push(`${ok ? "ok  " : "FAIL"} ${t} from ${state} by ${caller.name}: ${res.status} ${res.body?.code ?? res.body?.state} -> ${after.body.state} (want ${want.status} ${want.code ?? ""} ${want.state})`)
          const audit = await Effect.runPromise(server.audit.list({ after: seen, limit: 100_000 }))
          // a refused request is audited by the authentication middleware (target: the workflow), an admitted one with its version
          const request = audit.filter((e) => e.action === `versions.${t}` && (e.target === `workflow:${name}@1` || e.target === `workflow:${name}`))
          if (request.length !== 1 || request[0]!.status !== want.status) rows.push(`FAIL ${t} from ${state} by ${caller.name}: request audit ${JSON.stringify(request)}`)
          const moved = audit.filter((e) => e.action === `workflow.${t}` && e.target === `workflow:${name}@1`)
          if (want.status === 200) {
            if (moved.length !== 1 || moved[0]!.detail !== `${state} -> ${want.state}`) rows.push(`FAIL ${t} from ${state} by ${caller.name}: transition audit ${JSON.stringify(moved)}`)
          } else if (moved.length !== 0) rows.push(`FAIL ${t} from ${state} by ${caller.name}: refused but audited as done`)
        }
      }
    }
    const failures = rows.filter((r) => r.startsWith("FAIL"))
    expect(failures, failures.join("\n")).toEqual([])
    expect(cases).toBe(100)
  }, 120_000)

  it("refusals say why", async () => {
    const name = await fresh("pending_approval")
    const self = await call(server, "POST", `/workflows/${name}/versions/1/approve`, { token: author.token })
    expect(self.body.message).toMatch(new RegExp(`^Cannot approve version 1 of '${name}': key:\\w+ registered it, and approval needs another admin$`))
    const early = await call(server, "POST", `/workflows/${name}/versions/1/deploy`, { token: other.token })
    expect(early.body.message).toBe(`Cannot deploy version 1 of '${name}': it is pending approval; deploy applies to approved versions`)
    const runner = await call(server, "POST", `/workflows/${name}/versions/1/approve`, { token: server.keys.runner })
    expect(runner.body).toMatchObject({ _tag: "Forbidden", permission: "workflows:approve" })
    const missing = await call(server, "POST", `/workflows/${name}/versions/7/submit`, { token: author.token })
    expect(missing.status).toBe(404)
    expect(missing.body.message).toBe(`Workflow '${name}' has no version 7 (versions: 1)`)
  })

  it("only a deployed version is started by a runner; an admin may try an undeployed one; nobody starts a deprecated one", async () => {
    const outcome: Record<string, string> = {}
    for (const state of states) {
      const name = await fresh(state)
      for (const [who, token] of [["runner", server.keys.runner], ["admin", other.token]] as const) {
        const r = await call(server, "POST", `/workflows/${name}/runs?version=1&wait=true`, { token, body: { input: { text: "x" } } })
        outcome[`${state}/${who}`] = `${r.status}${r.status >= 400 ? ` ${r.body.code}` : ` ${r.body.output?.said}`}`
      }
    }
    expect(outcome).toEqual({
      "draft/runner": "403 not_deployed",
      "draft/admin": "200 hello x",
      "pending_approval/runner": "403 not_deployed",
      "pending_approval/admin": "200 hello x",
      "approved/runner": "403 not_deployed",
      "approved/admin": "200 hello x",
      "deployed/runner": "200 hello x",
      "deployed/admin": "200 hello x",
      "deprecated/runner": "409 deprecated",
      "deprecated/admin": "409 deprecated"
    })
    // without ?version the deployed one is meant; a name with none deployed cannot be started by a runner
    const draftOnly = await fresh("draft")
    const r = await call(server, "POST", `/workflows/${draftOnly}/runs`, { token: server.keys.runner, body: { input: { text: "x" } } })
    expect(r.status).toBe(403)
    expect(r.body.message).toBe(`Version 1 of '${draftOnly}' is draft; only a deployed version can be started by a runner (an admin may try other versions)`)
  })

  it("a new text is a new version, the same text the same one; deploying one deprecates the one deployed before", async () => {
    const name = await fresh("deployed")
    const again = await call(server, "POST", "/workflows", { token: author.token, body: { source: workflow(name) } })
    expect(again.body).toMatchObject({ version: 1, state: "deployed" })
    const v2 = await call(server, "POST", "/workflows", { token: author.token, body: { source: workflow(name, "bonjour") } })
    expect(v2.body).toMatchObject({ version: 2, state: "draft" })
    for (const [t, token] of [["submit", author.token], ["approve", other.token], ["deploy", author.token]] as const) {
      expect((await call(server, "POST", `/workflows/${name}/versions/2/${t}`, { token })).status).toBe(200)
    }
    const list = await call(server, "GET", `/workflows/${name}/versions`, { token: server.keys.viewer })
    expect(list.body.versions.map((v: { version: number; state: string }) => `${v.version}:${v.state}`)).toEqual(["1:deprecated", "2:deployed"])
    const current = await call(server, "GET", `/workflows/${name}`, { token: server.keys.viewer })
    expect(current.body).toMatchObject({ version: 2, state: "deployed" })
    expect(current.body.source).toContain("bonjour")
    const all = await call(server, "GET", "/workflows", { token: server.keys.viewer })
    expect(all.body.workflows.filter((w: { name: string }) => w.name === name)).toEqual([expect.objectContaining({ version: 2 })])
    const audit = await Effect.runPromise(server.audit.list({ limit: 100_000 }))
    expect(audit.find((e) => e.action === "workflow.deprecate" && e.target === `workflow:${name}@1`)?.detail).toBe("deployed -> deprecated; replaced by version 2")
  })

  it("concurrent transitions: ten admins approving at once, one wins; two versions deployed at once, one ends deployed", async () => {
    const name = await fresh("pending_approval")
    const keys = await Promise.all(Array.from({ length: 10 }, (_, i) => keyOf(server, `approver-${i}`, "admin")))
    const results = await Promise.all(keys.map((k) => call(server, "POST", `/workflows/${name}/versions/1/approve`, { token: k.token })))
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409, 409, 409, 409, 409, 409])
    for (const r of results.filter((r) => r.status === 409)) expect(r.body.code).toBe("invalid_transition")
    const audit = await Effect.runPromise(server.audit.list({ action: "workflow.approve", limit: 100_000 }))
    expect(audit.filter((e) => e.target === `workflow:${name}@1`)).toHaveLength(1)

    // two more approved versions, deployed at the same time
    for (const text of ["two", "three"]) {
      const v = await call(server, "POST", "/workflows", { token: author.token, body: { source: workflow(name, text) } })
      for (const [t, token] of [["submit", author.token], ["approve", other.token]] as const) {
        expect((await call(server, "POST", `/workflows/${name}/versions/${v.body.version}/${t}`, { token })).status).toBe(200)
      }
    }
    await Promise.all([1, 2, 3].map((v) => call(server, "POST", `/workflows/${name}/versions/${v}/deploy`, { token: other.token })))
    const list = await call(server, "GET", `/workflows/${name}/versions`, { token: server.keys.viewer })
    const deployed = list.body.versions.filter((v: { state: string }) => v.state === "deployed")
    expect(deployed).toHaveLength(1)
    expect(list.body.versions.filter((v: { state: string }) => v.state === "deprecated")).toHaveLength(2)
  })
})

describe("runs pin their version", () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "llmo-versions-"))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  const gated = (name: string, text: string) => `name: ${name}
inputs:
  text: { type: string }
steps:
  - { id: hold, type: action, action: gate, output: held }
  - id: say
    type: transform
    function: template
    template: "${text}{{ held }} {{ input.text }}"
    output: said
outputs:
  said: "{{ said }}"
`

  it("a run going on a version that is deprecated meanwhile finishes on it; new runs take the new version", async () => {
    let release: () => void = () => {}
    const gate = new Promise<void>((r) => (release = r))
    let calls = 0
    const server = await startServer({ actions: { gate: () => Effect.promise(() => (++calls === 1 ? gate : Promise.resolve()).then(() => "")) } })
    try {
      expect((await call(server, "POST", "/workflows", { token: server.keys.admin, body: { source: gated("pin", "one") } })).body).toMatchObject({ version: 1, state: "deployed" })
      const first = await call(server, "POST", "/workflows/pin/runs", { token: server.keys.runner, body: { input: { text: "a" } } })
      expect(first.status, first.text).toBe(202)
      await until(async () => calls === 1, "the first run to reach the gate")
      const v2 = await call(server, "POST", "/workflows", { token: server.keys.admin, body: { source: gated("pin", "two") } })
      expect(v2.body).toMatchObject({ version: 2, state: "deployed" })
      const v1 = await call(server, "GET", "/workflows/pin/versions/1", { token: server.keys.viewer })
      expect(v1.body.state).toBe("deprecated")
      const second = await call(server, "POST", "/workflows/pin/runs?wait=true", { token: server.keys.runner, body: { input: { text: "b" } } })
      expect(second.body.output).toEqual({ said: "two b" })
      release()
      await until(async () => (await call(server, "GET", `/runs/${first.body.runId}`, { token: server.keys.viewer })).body.status === "succeeded", "the first run")
      const done = await call(server, "GET", `/runs/${first.body.runId}`, { token: server.keys.viewer })
      expect(done.body.output).toEqual({ said: "one a" })
    } finally {
      release()
      await server.close()
    }
  }, 30_000)

  it("after a restart on SQLite, a run of a deprecated version resumes on that version", async () => {
    const store = `sqlite:${join(dir, "pin.db")}`
    let calls = 0
    const first = await startServer({ store, actions: { gate: () => Effect.promise(() => (++calls === 1 ? new Promise<string>(() => {}) : Promise.resolve(""))) } })
    // keys live in the store: the first process's runner key works on the second
    const key = first.keys.runner
    await call(first, "POST", "/workflows", { token: first.keys.admin, body: { source: gated("survivor", "old") } })
    const run = await call(first, "POST", "/workflows/survivor/runs", { token: key, body: { input: { text: "z" } } })
    await until(async () => calls === 1, "the run to reach the gate")
    await call(first, "POST", "/workflows", { token: first.keys.admin, body: { source: gated("survivor", "new") } })
    await first.close()

    // the second process: the gate opens, the run resumes from the store and must use version 1
    const second = await startServer({ store, actions: { gate: () => Effect.succeed("") } })
    try {
      await until(async () => (await call(second, "GET", `/runs/${run.body.runId}`, { token: key })).body.status === "succeeded", "the resumed run")
      const done = await call(second, "GET", `/runs/${run.body.runId}`, { token: key })
      expect(done.body.output).toEqual({ said: "old z" })
      const versions = await call(second, "GET", "/workflows/survivor/versions", { token: key })
      expect(versions.body.versions.map((v: { version: number; state: string }) => `${v.version}:${v.state}`)).toEqual(["1:deprecated", "2:deployed"])
      const fresh = await call(second, "POST", "/workflows/survivor/runs?wait=true", { token: key, body: { input: { text: "y" } } })
      expect(fresh.body.output).toEqual({ said: "new y" })
    } finally {
      await second.close()
    }
  }, 60_000)
})

describe("the CLI: workflows register, versions, submit, approve, deploy over --remote", () => {
  it("drives the lifecycle as the REST API does, with the same refusals and exit codes", async () => {
    const { runWith } = await import("../../src/cli/main.ts")
    const { Output } = await import("../../src/cli/Output.ts")
    const { writeFileSync } = await import("node:fs")
    const server = await startServer({ approval: { required: true } })
    const tmp = mkdtempSync(join(tmpdir(), "llmo-cli-versions-"))
    const cli = async (key: string, args: ReadonlyArray<string>) => {
      const out = Output.capture({ cwd: tmp })
      const before = process.env["LLM_ORCHESTRATOR_API_KEY"]
      process.env["LLM_ORCHESTRATOR_API_KEY"] = key
      try {
        const code = await Effect.runPromise(runWith(["--remote", server.url, "workflows", ...args], out.layer))
        return { code, stdout: out.stdout.join("\n"), stderr: out.stderr.join("\n") }
      } finally {
        if (before === undefined) delete process.env["LLM_ORCHESTRATOR_API_KEY"]
        else process.env["LLM_ORCHESTRATOR_API_KEY"] = before
      }
    }
    try {
      const other = await keyOf(server, "reviewer", "admin")
      writeFileSync(join(tmp, "greet.yaml"), workflow("greet"))
      const reg = await cli(server.keys.admin, ["register", "greet.yaml"])
      expect(reg.code, reg.stderr).toBe(0)
      expect(reg.stdout).toMatch(/^greet {2}v1 {2}draft {2}[0-9a-f]{12} {2}by key:\w+ /)
      expect((await cli(server.keys.admin, ["submit", "greet", "1"])).stdout).toContain("pending_approval")
      const self = await cli(server.keys.admin, ["approve", "greet", "1"])
      expect(self.code).toBe(3)
      expect(self.stderr).toMatch(/^error: self_approval: Cannot approve version 1 of 'greet': key:\w+ registered it, and approval needs another admin$/)
      const runner = await cli(server.keys.runner, ["approve", "greet", "1"])
      expect(runner.code).toBe(3)
      expect((await cli(other.token, ["approve", "greet", "1"])).stdout).toContain("approved")
      const early = await cli(server.keys.admin, ["submit", "greet", "1"])
      expect(early.code).toBe(1)
      expect(early.stderr).toBe("error: invalid_transition: Cannot submit version 1 of 'greet': it is approved; submit applies to draft versions")
      expect((await cli(server.keys.admin, ["deploy", "greet", "1"])).stdout).toContain("deployed")
      writeFileSync(join(tmp, "greet.yaml"), workflow("greet", "hi"))
      expect((await cli(server.keys.admin, ["register", "greet.yaml"])).stdout).toMatch(/^greet {2}v2 {2}draft/)
      const listed = await cli(server.keys.viewer, ["versions", "greet", "--json"])
      expect(JSON.parse(listed.stdout).map((v: { version: number; state: string }) => `${v.version}:${v.state}`)).toEqual(["1:deployed", "2:draft"])
      const shown = await cli(server.keys.viewer, ["show", "greet", "2"])
      expect(shown.stdout).toContain('template: "hi {{ input.text }}"')
      const missing = await cli(server.keys.viewer, ["show", "greet", "9"])
      expect(missing.code).toBe(2)
      expect(missing.stderr).toBe("error: workflow_not_found: Workflow 'greet' has no version 9 (versions: 1, 2)")
    } finally {
      rmSync(tmp, { recursive: true, force: true })
      await server.close()
    }
  }, 30_000)
})

describe("templates", () => {
  const template = `name: \${{ params.name }}
description: Says hello in a tone
inputs:
  who: { type: string }
steps:
  - id: greet
    type: transform
    function: template
    template: "\${{ params.greeting }} {{ input.who }}\${{ params.mark }}"
    output: said
outputs:
  said: "{{ said }}"
`
  it("a template with parameters instantiates into validated, versioned workflows; bad parameters are refused by field", async () => {
    const server = await startServer({ approval: { required: true } })
    try {
      const reg = await call(server, "POST", "/templates", {
        token: server.keys.admin,
        body: { name: "greeter", source: template, parameters: { greeting: { type: "string" }, mark: { type: "string", default: "!" } } }
      })
      expect(reg.status, reg.text).toBe(201)
      expect(reg.body).toMatchObject({ name: "greeter", parameters: { greeting: { type: "string" }, mark: { type: "string", default: "!" } } })
      const undeclared = await call(server, "POST", "/templates", { token: server.keys.admin, body: { name: "broken", source: template, parameters: { greeting: { type: "string" } } } })
      expect(undeclared.status).toBe(400)
      expect(undeclared.body.errors).toEqual([{ path: "source:9:54", message: "parameter 'mark' is not declared (declared: greeting)" }])

      const made = await call(server, "POST", "/templates/greeter/instantiate", { token: server.keys.admin, body: { name: "hello-fr", parameters: { greeting: "Bonjour" } } })
      expect(made.status, made.text).toBe(201)
      expect(made.body).toMatchObject({ name: "hello-fr", version: 1, state: "draft" })
      expect(made.body.source).toContain('template: "Bonjour {{ input.who }}!"')
      // an admin may try the draft; it says what the template made
      const tried = await call(server, "POST", "/workflows/hello-fr/runs?version=1&wait=true", { token: server.keys.admin, body: { input: { who: "Ada" } } })
      expect(tried.body.output).toEqual({ said: "Bonjour Ada!" })
      const again = await call(server, "POST", "/templates/greeter/instantiate", { token: server.keys.admin, body: { name: "hello-fr", parameters: { greeting: "Salut", mark: "." } } })
      expect(again.body).toMatchObject({ name: "hello-fr", version: 2 })

      const wrong = await call(server, "POST", "/templates/greeter/instantiate", { token: server.keys.admin, body: { name: "x", parameters: { greeting: 3, tone: "warm" } } })
      expect(wrong.status).toBe(400)
      expect(wrong.body.errors).toEqual([
        { path: "parameters.tone", message: "not a parameter of template 'greeter' (greeting, mark)" },
        { path: "parameters.greeting", message: "expected a string, got 3" }
      ])
      const injected = await call(server, "POST", "/templates/greeter/instantiate", { token: server.keys.admin, body: { name: "x", parameters: { greeting: "hi\"\n  - id: evil" } } })
      expect(injected.status).toBe(400)
      expect(injected.body.errors).toEqual([{ path: "parameters.greeting", message: "may not hold a line break or '{{'" }])
      // the instance is validated like any workflow: a value that breaks the YAML is a problem with line:col
      const invalid = await call(server, "POST", "/templates/greeter/instantiate", { token: server.keys.admin, body: { name: "x", parameters: { greeting: "\"" } } })
      expect(invalid.status).toBe(400)
      expect(invalid.body.code).toBe("invalid_definition")
      expect(invalid.body.problems[0].line).toBe(9)
      const missing = await call(server, "POST", "/templates/nope/instantiate", { token: server.keys.admin, body: { name: "x" } })
      expect(missing.status).toBe(404)
      const listed = await call(server, "GET", "/templates", { token: server.keys.viewer })
      expect(listed.body.templates.map((t: { name: string }) => t.name)).toEqual(["greeter"])
    } finally {
      await server.close()
    }
  }, 30_000)
})

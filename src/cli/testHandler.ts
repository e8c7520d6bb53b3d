/**
 * `llm-orchestrator test <file>`: runs the cases of the sidecar `<name>.test.yaml` (input, mocks, expected outputs,
 * steps that must run or be skipped, or an expected error) and prints pass/fail per case; exit 1 when any fails.
 *
 * Sidecar format:
 * ```yaml
 * # unmocked: call    # steps without a mock call their services (default fail: every service call must be mocked);
 * #                   # for workflows whose services run offline (memory store, offline embedding)
 * cases:
 *   - name: blocks bad content
 *     input: { content: "..." }
 *     mocks: { moderate_content: block }          # or mock_file: ./x.mock.yaml
 *     expect:
 *       outputs: { moderation_result: block }     # partial match
 *       path: [moderate_content, route_based_on_moderation/block/notify_user]
 *       skipped: [route_based_on_moderation/safe/auto_publish]
 *       # error: StepFailed                      # expect a failure with this tag instead
 * ```
 */
import { existsSync } from "node:fs"
import { dirname, resolve } from "node:path"
import { Effect, Option, Schema } from "effect"
import { analyzeFile } from "../../codegen/analyze.ts"
import { formatDiagnostic } from "../../codegen/Diagnostic.ts"
import * as ActionModule from "../actions/ActionModule.ts"
import * as Project from "../config/Project.ts"
import { asRecord, loadData } from "./loadData.ts"
import { exitCodeOf, Interrupt, type Signal } from "./Interrupt.ts"
import { Output, style } from "./Output.ts"
import * as Pipeline from "../pipeline/Pipeline.ts"
import { describeMissing } from "../pipeline/PipelineError.ts"
import type { TestArgs } from "./testCommand.ts"

const TestCase = Schema.Struct({
  name: Schema.String,
  input: Schema.optionalKey(Schema.Record(Schema.String, Schema.Unknown)),
  mocks: Schema.optionalKey(Schema.Record(Schema.String, Schema.Unknown)),
  mock_file: Schema.optionalKey(Schema.String),
  expect: Schema.Struct({
    outputs: Schema.optionalKey(Schema.Record(Schema.String, Schema.Unknown)),
    path: Schema.optionalKey(Schema.Array(Schema.String)),
    skipped: Schema.optionalKey(Schema.Array(Schema.String)),
    error: Schema.optionalKey(Schema.String)
  })
})
/** The sidecar test file. */
export const TestFile = Schema.Struct({
  workflow: Schema.optionalKey(Schema.String),
  unmocked: Schema.optionalKey(Schema.Literals(["call", "fail"])),
  cases: Schema.Array(TestCase)
})

/** Where the difference is, or undefined when `actual` contains `expected`. */
export const partialMismatch = (expected: unknown, actual: unknown, path = "outputs"): string | undefined => {
  if (expected !== null && typeof expected === "object") {
    if (Array.isArray(expected)) {
      if (!Array.isArray(actual)) return `${path}: expected a list, got ${JSON.stringify(actual)}`
      if (actual.length !== expected.length) return `${path}: expected ${expected.length} item(s), got ${actual.length}`
      for (let i = 0; i < expected.length; i++) {
        const m = partialMismatch(expected[i], actual[i], `${path}[${i}]`)
        if (m !== undefined) return m
      }
      return undefined
    }
    if (actual === null || typeof actual !== "object") return `${path}: expected an object, got ${JSON.stringify(actual)}`
    for (const [k, v] of Object.entries(expected)) {
      const m = partialMismatch(v, (actual as Record<string, unknown>)[k], `${path}.${k}`)
      if (m !== undefined) return m
    }
    return undefined
  }
  return expected === actual ? undefined : `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`
}

/** The sidecar of a workflow file: `x.yaml` -> `x.test.yaml`; a `.test.yaml` given directly is used as is. */
export const sidecarOf = (file: string) => (/\.test\.ya?ml$/.test(file) ? file : file.replace(/\.ya?ml$/, ".test.yaml"))

/** Runs the cases of one sidecar; prints a line per case; resolves to the counts, or undefined when unreadable or invalid. */
const runTestFile = (file: string, sidecar: string, project: Project.Project) =>
  Effect.gen(function*() {
    const o = yield* Output
    const s = style(o.color)
    const loaded = loadData(sidecar)
    if (loaded._tag === "Error") {
      o.err(`error: ${loaded.message}`)
      return undefined
    }
    const decoded = Schema.decodeUnknownResult(TestFile)(loaded.value, { errors: "all" })
    if (decoded._tag === "Failure") {
      o.err(`error: ${sidecar}: ${decoded.failure.message}`)
      return undefined
    }
    const tests = decoded.success
    const interrupt = yield* Interrupt
    const workflowFile = tests.workflow !== undefined
      ? resolve(dirname(sidecar), tests.workflow)
      : /\.test\.ya?ml$/.test(file) ? file.replace(/\.test\.ya?ml$/, ".yaml") : file
    // The custom actions' parameters, checked statically as validate does: a wrong one fails the file, not each case.
    if ((project.custom ?? []).length > 0 && existsSync(workflowFile)) {
      const analysis = analyzeFile(workflowFile)
      const errors = analysis.diagnostics.some((d) => d.severity === "error") ? [] : ActionModule.checkSteps(analysis, project.actions)
      if (errors.length > 0) {
        for (const d of errors) o.err(formatDiagnostic(d))
        return undefined
      }
    }
    const runOptions = { ...Project.runOptions(project), runUnmocked: project.custom }
    let failed = 0
    for (const c of tests.cases) {
      let mocks: Record<string, unknown> = { ...c.mocks }
      if (c.mock_file !== undefined) {
        const m = loadData(resolve(dirname(sidecar), c.mock_file))
        const r = m._tag === "Ok" ? asRecord(m.value, c.mock_file) : m.message
        if (typeof r === "string") {
          failed++
          o.out(`${s.red("✗")} ${c.name}: ${r}`)
          continue
        }
        mocks = { ...r, ...mocks }
      }
      const result = yield* Effect.result(Pipeline.runFile(workflowFile, { ...runOptions, input: c.input ?? {}, mocks, unmocked: tests.unmocked ?? "fail", interrupt }))
      const problems: Array<string> = []
      if (result._tag === "Failure" && result.failure._tag === "RunInterrupted") {
        o.out(`${s.yellow("-")} ${c.name}: interrupted by ${result.failure.reason}`)
        o.exit(exitCodeOf(result.failure.reason as Signal))
        return undefined
      }
      const e = result._tag === "Failure" ? result.failure : undefined
      if (e !== undefined && e._tag !== "RunFailed") {
        problems.push(...(e._tag === "ServicesMissing" ? e.missing.map(describeMissing) : "problems" in e ? e.problems : [e.message]))
      } else if (c.expect.error !== undefined) {
        if (e === undefined) problems.push(`expected error ${c.expect.error}, but the run succeeded`)
        else if (e.errorTag !== c.expect.error && !e.message.includes(c.expect.error)) {
          problems.push(`expected error ${c.expect.error}, got ${e.errorTag}: ${e.message}`)
        }
      } else if (e !== undefined) problems.push(`run failed: ${e.errorTag}: ${e.message}`)
      else if (result._tag === "Success") {
        const report = result.success
        if (c.expect.outputs !== undefined) {
          const m = partialMismatch(c.expect.outputs, report.outputs)
          if (m !== undefined) problems.push(m)
        }
        for (const p of c.expect.path ?? []) {
          const st = report.steps[p]
          if (st?.status !== "succeeded") problems.push(`step ${p} should have run, but ${st === undefined ? "did not" : `was ${st.status}`}`)
        }
        for (const p of c.expect.skipped ?? []) {
          const st = report.steps[p]
          if (st !== undefined && st.status !== "skipped") problems.push(`step ${p} should have been skipped, but was ${st.status}`)
        }
      }
      if (problems.length === 0) o.out(`${s.green("✓")} ${c.name}`)
      else {
        failed++
        o.out(`${s.red("✗")} ${c.name}`)
        for (const p of problems) o.out(`    ${p}`)
      }
    }
    return { passed: tests.cases.length - failed, failed }
  })

/** Runs `test` (loaded by `testCommand.ts` when the command runs). */
export const test = ({ files, actions, config }: TestArgs) =>
  Effect.gen(function*() {
    const o = yield* Output
    const s = style(o.color)
    const project = yield* Effect.result(Project.load({ cwd: o.cwd, config: Option.getOrUndefined(config), actionsModule: Option.getOrUndefined(actions) }))
    if (project._tag === "Failure") {
      const e = project.failure
      for (const m of e._tag === "ConfigInvalid" ? e.problems : [e._tag === "ProviderConfigInvalid" ? `${e.provider} ${e.setting}: ${e.message}` : e.message]) o.err(`error: ${m}`)
      return o.exit(2)
    }
    const sidecars = new Map<string, string>()
    for (const f of files) {
      if (/\.(mock|input)\.(ya?ml|json)$/.test(f)) continue
      const sidecar = sidecarOf(f)
      // With several files (a glob), workflows without tests are skipped; a single one must have its test file.
      if (files.length > 1 && !/\.test\.ya?ml$/.test(f) && !existsSync(sidecar)) continue
      if (![...sidecars.values()].includes(sidecar)) sidecars.set(f, sidecar)
    }
    if (sidecars.size === 0) {
      o.err("error: no test files among the arguments")
      return o.exit(2)
    }
    let passed = 0
    let failed = 0
    for (const [file, sidecar] of sidecars) {
      if (sidecars.size > 1) o.out(s.bold(sidecar))
      const r = yield* runTestFile(file, sidecar, project.success)
      if (r === undefined) {
        o.exit(2)
        continue
      }
      passed += r.passed
      failed += r.failed
    }
    const summary = `${passed} passed, ${failed} failed`
    o.out(failed === 0 ? s.green(summary) : s.red(summary))
    if (failed > 0) o.exit(1)
  })

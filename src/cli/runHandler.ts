/**
 * `llm-orchestrator run <file> [--input JSON | --input-file F] [--mock F] [--output F] [--json] [--store S]`: runs a
 * YAML workflow durably on the run store (default `.llm-orchestrator/runs.db`; `--store memory` runs it in memory only,
 * see `durableRun.ts`). Exit codes: 0 success, 1 workflow failure, 2 invalid definition or input, 4 suspended (waiting
 * for a signal), 5 cancelled, 130/143 interrupted (the run is saved and resumes).
 *
 * @example
 * ```sh
 * llm-orchestrator run examples/parallel-rag.yaml --input '{"query":"what is effect?"}' --mock examples/parallel-rag.mock.yaml
 * ```
 */
import { writeFileSync } from "node:fs"
import { Duration, Effect, identity, Option, Redacted } from "effect"
import { asRecord, loadData, parseData } from "./loadData.ts"
import { Output, style } from "./Output.ts"
import { progress } from "./Progress.ts"
import { exitCodeOf, Interrupt, type Signal } from "./Interrupt.ts"
import { runLog } from "./RunLog.ts"
import { costLines, summaryLine, telemetryOf, waterfallOf } from "./RunTelemetry.ts"
import * as TraceContext from "../telemetry/TraceContext.ts"
import { Remote, remoteInput, remoteRun } from "./remote.ts"
import { durableRun } from "./durableRun.ts"
import * as RunStoreCli from "./RunStoreCli.ts"
import * as Project from "../config/Project.ts"
import * as Pipeline from "../pipeline/Pipeline.ts"
import { describeMissing } from "../pipeline/PipelineError.ts"
import type { StepStatus } from "../pipeline/RunReport.ts"
import * as Priority from "../reliability/Priority.ts"
import type { RunArgs } from "./runCommand.ts"

/** Values of the environment's secrets (names ending in KEY, TOKEN, SECRET or PASSWORD), redacted from the run log. */
const secretValues = (env: Readonly<Record<string, string | undefined>>): ReadonlyArray<string> =>
  Object.entries(env).flatMap(([k, v]) => (/(KEY|TOKEN|SECRET|PASSWORD)$/i.test(k) && v !== undefined && v !== "" ? [v] : []))

/** Runs `run` (loaded by `runCommand.ts` when the command runs). */
export const run = (args: RunArgs) =>
  Effect.gen(function*() {
    const o = yield* Output
    const s = style(o.color && !args.json)
    const invalid = (messages: ReadonlyArray<string>) => {
      if (args.json) o.out(JSON.stringify({ status: "invalid", errors: messages }, null, 2))
      else for (const m of messages) o.err(`${s.red("error:")} ${m}`)
      o.exit(2)
    }
    if (Option.isSome(args.input) && Option.isSome(args.inputFile)) return invalid(["use --input or --input-file, not both"])
    const remote = yield* Remote
    if (Option.isSome(remote)) {
      // <file> names a workflow registered on the server.
      const input = Option.isSome(args.inputFile) ? loadData(args.inputFile.value) : remoteInput(Option.getOrUndefined(args.input))
      if (input._tag === "Error") return invalid([input.message])
      return yield* remoteRun(remote.value, args.file, input.value ?? {}, { stream: args.stream, json: args.json, write: o.stream })
    }
    if (Option.isSome(args.concurrency) && args.concurrency.value < 1) return invalid(["--concurrency must be at least 1"])
    const priority = Option.isSome(args.priority) ? Priority.parse(args.priority.value) : undefined
    if (Option.isSome(args.priority) && priority === undefined) return invalid([`--priority must be a number or one of high, normal, low (got "${args.priority.value}")`])
    const loaded = Option.isSome(args.input)
      ? parseData(args.input.value, "--input")
      : Option.isSome(args.inputFile)
      ? loadData(args.inputFile.value)
      : ({ _tag: "Ok", value: {} } as const)
    if (loaded._tag === "Error") return invalid([loaded.message])
    let mocks: Readonly<Record<string, unknown>> | undefined
    if (Option.isSome(args.mock)) {
      const m = loadData(args.mock.value)
      if (m._tag === "Error") return invalid([m.message])
      const r = asRecord(m.value ?? {}, `--mock ${args.mock.value}`)
      if (typeof r === "string") return invalid([r])
      mocks = r
    }
    const project = yield* Effect.result(Project.load({
      cwd: o.cwd,
      config: Option.getOrUndefined(args.config),
      envFiles: Option.isSome(args.envFile) ? [args.envFile.value] : [],
      actionsModule: Option.getOrUndefined(args.actions)
    }))
    if (project._tag === "Failure") {
      const e = project.failure
      return invalid(e._tag === "ConfigInvalid" ? e.problems : [e._tag === "ProviderConfigInvalid" ? `${e.provider} ${e.setting}: ${e.message}` : e.message])
    }
    const config = project.success.config.config
    const secrets = [...secretValues(project.success.env), ...project.success.secrets.map(Redacted.value)]
    const telemetry = telemetryOf(args, config, project.success.env, secrets)
    if (telemetry.problems.length > 0) return invalid(telemetry.problems)
    const jsonLog = (Option.getOrUndefined(args.logFormat) ?? config.logging?.format) === "json"
    const mode = args.json || jsonLog ? "none" : o.isTTY ? "live" : "plain"
    const view = progress(o, mode)
    const level = args.verbose ? "debug" : Option.getOrElse(args.logLevel, () => config.logging?.level ?? "warn")
    const log = runLog({ level, write: (line) => o.err(jsonLog ? line : s.dim(line)), secrets, json: jsonLog })
    const interrupt = yield* Interrupt
    const store = RunStoreCli.storeOf({ flag: args.store, env: project.success.env, config, cwd: o.cwd })
    if (store._tag === "Error") return invalid([store.message])
    if (store.spec._tag !== "memory") {
      const grace = RunStoreCli.durationMillis(args.grace)
      if (grace === undefined) return invalid([`--grace '${args.grace}' is not a duration (30s, 2m)`])
      const budget = telemetry.budget
      return yield* durableRun({
        spec: store.spec,
        source: RunStoreCli.yamlSource(o.cwd, args.file, {
          mock: Option.getOrUndefined(args.mock),
          config: Option.getOrUndefined(args.config) ?? project.success.config.file,
          envFile: Option.getOrUndefined(args.envFile),
          actions: Option.getOrUndefined(args.actions)
        }),
        project: project.success,
        input: loaded.value ?? {},
        json: args.json,
        stream: args.stream,
        concurrency: Option.getOrUndefined(args.concurrency),
        priority,
        budget,
        grace: Duration.millis(grace),
        interrupt,
        onEvent: (e) => {
          log.onEvent(e)
          view.onEvent(e)
        },
        onLog: view.log,
        addSecrets: (values) => log.addSecrets(values),
        invalid,
        writeOutput: (text) => {
          if (Option.isSome(args.output)) writeFileSync(args.output.value, `${text}\n`)
        }
      }).pipe(TraceContext.withParent(project.success.env["TRACEPARENT"]), Effect.provide(telemetry.layer))
    }
    const streamed = new Set<string>()
    const result = yield* Effect.result(Pipeline.runFile(args.file, {
      input: loaded.value ?? {},
      mocks,
      ...Project.runOptions(project.success),
      interrupt,
      onSecrets: (secrets) => log.addSecrets(secrets.map(Redacted.value)),
      onEvent: (e) => {
        if (args.stream && e._tag === "StepDelta") {
          streamed.add(e.stepId)
          return o.stream(e.text)
        }
        if (args.stream && e._tag === "StepSucceeded" && streamed.has(e.stepId)) o.stream("\n")
        log.onEvent(e)
        view.onEvent(e)
      },
      ...(Option.isSome(args.concurrency) ? { concurrency: args.concurrency.value } : {}),
      ...(telemetry.budget === undefined ? {} : { budget: telemetry.budget }),
      onLog: view.log
    }).pipe(priority === undefined ? identity : Priority.with(priority), TraceContext.withParent(project.success.env["TRACEPARENT"]), Effect.provide(telemetry.layer)))
    if (telemetry.recorder !== undefined) o.err(waterfallOf(telemetry.recorder))
    if (result._tag === "Success") {
      const report = result.success
      const text = JSON.stringify(report.outputs, null, 2)
      if (Option.isSome(args.output)) writeFileSync(args.output.value, `${text}\n`)
      if (args.json) {
        o.out(JSON.stringify({
          status: "succeeded",
          outputs: report.outputs,
          steps: report.steps,
          durationMillis: report.durationMillis,
          usage: report.usage,
          costUsd: report.costUsd,
          ...(report.budget === undefined ? {} : { budget: report.budget })
        }, null, 2))
      } else {
        o.out(text)
        for (const line of costLines(report)) o.err(s.dim(line))
        o.err(s.green(summaryLine(report)))
      }
      return
    }
    const e = result.failure
    switch (e._tag) {
      case "WorkflowInvalid":
      case "InputInvalid":
        return invalid(e.problems)
      case "ServicesMissing":
        return invalid(e.missing.map(describeMissing))
      case "ProviderConfigInvalid":
        return invalid([`provider "${e.provider}" setting ${e.setting}: ${e.message}`])
      case "RunInterrupted": {
        const signal = e.reason as Signal
        if (args.json) {
          o.out(JSON.stringify({ status: "interrupted", signal, steps: e.steps, durationMillis: e.durationMillis }, null, 2))
        } else {
          const by = (st: string) => Object.values(e.steps).filter((x) => x.status === st).map((x) => x.stepId)
          o.err(s.yellow(`interrupted by ${signal} after ${e.durationMillis}ms`))
          o.err(`  finished:    ${by("succeeded").join(", ") || "none"}`)
          o.err(`  interrupted: ${by("interrupted").join(", ") || "none"}`)
        }
        o.exit(exitCodeOf(signal))
        return
      }
      case "RunFailed": {
        if (args.json) {
          o.out(JSON.stringify({ status: "failed", error: { tag: e.errorTag, message: e.message }, steps: e.steps }, null, 2))
        } else o.err(`${s.red("failed:")} ${e.errorTag}: ${e.message}`)
        o.exit(e.inputError ? 2 : 1)
        return
      }
      case "ServeError":
        return invalid([`--metrics-port: cannot listen (${String((e.cause as { message?: unknown } | undefined)?.message ?? e.cause)})`])
    }
  })

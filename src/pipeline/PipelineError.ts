/**
 * The typed failures of the run pipeline, one per stage: the definition is invalid, the input is wrong, services are
 * missing (a provider with no key, a store with no URL), a secret could not be read, the run failed, or it was
 * interrupted. Each carries what a caller needs to report it (CLI, REST server, worker) without parsing messages.
 *
 * @example
 * ```ts
 * Pipeline.runFile("wf.yaml", { input }).pipe(
 *   Effect.catchTag("ServicesMissing", (e) => Effect.logError(e.message))
 * )
 * ```
 */
import { Schema } from "effect"
import { StepStatus } from "./RunReport.ts"

/** The workflow file has errors (each a `file:line:col: message`), or its steps cannot be interpreted. */
export class WorkflowInvalid extends Schema.TaggedError<WorkflowInvalid>()("WorkflowInvalid", {
  file: Schema.String,
  problems: Schema.Array(Schema.String)
}) {
  override get message() {
    return this.problems.join("\n")
  }
}

/** The input is not an object, names unknown inputs, or fails the workflow's input schema. */
export class InputInvalid extends Schema.TaggedError<InputInvalid>()("InputInvalid", {
  problems: Schema.Array(Schema.String)
}) {
  override get message() {
    return this.problems.join("\n")
  }
}

/** One service the run needs and cannot get: which kind, which name, the steps that need it, and how to supply it. */
export const MissingService = Schema.Struct({
  kind: Schema.Literals(["llm", "embeddings", "vector", "action"]),
  name: Schema.String,
  steps: Schema.Array(Schema.String),
  hint: Schema.String
})
export type MissingService = typeof MissingService.Type

/** Unmocked steps need services that are not configured; nothing ran. */
export class ServicesMissing extends Schema.TaggedError<ServicesMissing>()("ServicesMissing", {
  missing: Schema.Array(MissingService)
}) {
  override get message() {
    return this.missing.map(describeMissing).join("\n")
  }
}

const kindName = { llm: "provider", embeddings: "embedding provider", vector: "vector store", action: "action" } as const

/** `step "a" needs provider "openai": set OPENAI_API_KEY or mock it (--mock)`. */
export const describeMissing = (m: MissingService): string => {
  const many = m.steps.length > 1
  const steps = `step${many ? "s" : ""} ${m.steps.map((i) => `"${i}"`).join(", ")}`
  return `${steps} need${many ? "" : "s"} ${kindName[m.kind]} "${m.name}": ${m.hint} or mock ${many ? "them" : "it"} (--mock)`
}

/** A provider setting could not be resolved (an unreadable secret reference, an unknown provider in the config). */
export class ProviderConfigInvalid extends Schema.TaggedError<ProviderConfigInvalid>()("ProviderConfigInvalid", {
  provider: Schema.String,
  setting: Schema.String,
  message: Schema.String
}) {}

/** The run failed: `errorTag`/`message` are the engine's error; `steps` what each step did. */
export class RunFailed extends Schema.TaggedError<RunFailed>()("RunFailed", {
  errorTag: Schema.String,
  message: Schema.String,
  /** The failure is bad input or definition found while running (exit 2 in the CLI) rather than a step failure. */
  inputError: Schema.Boolean,
  steps: Schema.Record(Schema.String, StepStatus),
  durationMillis: Schema.Number
}) {}

/** The run was interrupted from outside (a signal, a cancel request): finalizers ran; `steps` says what finished. */
export class RunInterrupted extends Schema.TaggedError<RunInterrupted>()("RunInterrupted", {
  reason: Schema.String,
  steps: Schema.Record(Schema.String, StepStatus),
  durationMillis: Schema.Number
}) {
  override get message() {
    return `interrupted by ${this.reason}`
  }
}

/** Anything the pipeline fails with. */
export type PipelineError = WorkflowInvalid | InputInvalid | ServicesMissing | ProviderConfigInvalid | RunFailed | RunInterrupted

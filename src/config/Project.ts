/**
 * Everything a front end (CLI, server, worker) loads once for a project: the configuration file, `--env-file`
 * variables, and the actions (built-ins with their directory and signing secret, plus a custom module), ready to hand
 * to the run pipeline.
 *
 * @example
 * ```ts
 * const project = yield* Project.load({ cwd: process.cwd(), envFiles: [".env"], actionsModule: "./actions.ts" })
 * const report = yield* Pipeline.runFile("wf.yaml", { input, ...Project.runOptions(project) })
 * ```
 */
import { resolve } from "node:path"
import { ConfigProvider, Effect, type Redacted } from "effect"
import { type Action, toHandler } from "../actions/Action.ts"
import * as ActionModule from "../actions/ActionModule.ts"
import * as Builtin from "../actions/Builtin.ts"
import type { RunOptions } from "../pipeline/Pipeline.ts"
import { ProviderConfigInvalid } from "../pipeline/PipelineError.ts"
import * as Config from "./Config.ts"

/** What to load. */
export interface LoadOptions {
  readonly cwd: string
  /** `--config PATH` (default: `llm-orchestrator.yaml` in `cwd` when present). */
  readonly config?: string | undefined
  readonly envFiles?: ReadonlyArray<string> | undefined
  /** `--actions PATH`, on top of the config file's `actions.module`. */
  readonly actionsModule?: string | undefined
  /** The process environment (default `process.env`); it wins over `--env-file` values, as with Node's own flag. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined
}

/** A loaded project. */
export interface Project {
  readonly config: Config.Loaded
  readonly env: Readonly<Record<string, string | undefined>>
  readonly actions: Readonly<Record<string, Action<any, any, any>>>
  /** The names of `actions` from the config's module and `--actions` (not built in). */
  readonly custom?: ReadonlyArray<string> | undefined
  /** Secret values loaded for actions (redacted from logs). */
  readonly secrets: ReadonlyArray<Redacted.Redacted<string>>
}

/** Loads the configuration, env files and actions. */
export const load = (options: LoadOptions) =>
  Effect.gen(function*() {
    const config = yield* Config.load({ path: options.config, cwd: options.cwd })
    const fromFiles = yield* Config.loadEnvFiles(options.envFiles ?? [], options.cwd)
    const env = { ...fromFiles, ...(options.env ?? process.env) }
    const a = config.config.actions
    const secrets: Array<Redacted.Redacted<string>> = []
    let webhookSecret: Redacted.Redacted<string> | undefined
    if (a?.webhook_secret !== undefined) {
      const reference = a.webhook_secret
      webhookSecret = yield* Effect.promise(() => import("../secrets/Secrets.ts")).pipe(
        Effect.flatMap((m) => Effect.flatMap(m.make(), (s) => s.resolve(reference))),
        Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnvRecord({ ...env })),
        Effect.scoped,
        Effect.mapError((e) => new ProviderConfigInvalid({ provider: "actions", setting: "webhook_secret", message: e.message }))
      )
      secrets.push(webhookSecret)
    }
    const builtins = Builtin.builtins({ filesDir: resolve(config.dir, a?.files_dir ?? "."), webhookSecret })
    const fromConfig = a?.module !== undefined ? yield* ActionModule.load(a.module, config.dir) : {}
    const fromFlag = options.actionsModule !== undefined ? yield* ActionModule.load(options.actionsModule, options.cwd) : {}
    return { config, env, actions: { ...builtins, ...fromConfig, ...fromFlag }, custom: [...new Set([...Object.keys(fromConfig), ...Object.keys(fromFlag)])], secrets } satisfies Project
  })

/** The run pipeline options a project gives: environment, providers, stores, policy, actions. */
export const runOptions = (project: Project): Pick<RunOptions, "env" | "providers" | "stores" | "policy" | "actions" | "sharedState" | "responseCache"> => ({
  env: project.env,
  ...Config.toRunOptions(project.config, { ...process.env, ...project.env }),
  actions: Object.fromEntries(Object.entries(project.actions).map(([name, action]) => [name, toHandler(name, action)]))
})

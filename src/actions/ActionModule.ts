/**
 * Custom actions from a module (`--actions ./actions.ts` or `actions.module` in the config file): every export that
 * is an {@link Action} (named exports by their name, or a default export holding a record of them). TypeScript modules
 * load on plain Node >= 22.18 (type stripping) or under tsx. Also the static check `validate` runs: each action step's
 * literal parameters against its action's schema, with the step's file:line:col.
 *
 * @example
 * ```ts
 * const actions = yield* ActionModule.load("./actions.ts", process.cwd())
 * ```
 */
import { pathToFileURL } from "node:url"
import { resolve } from "node:path"
import { Effect, Schema } from "effect"
import type { Analysis } from "../../codegen/analyze.ts"
import { type Diagnostic } from "../../codegen/Diagnostic.ts"
import { actionReservedKeys } from "../../codegen/WorkflowFile.ts"
import { type Action, check, isAction } from "./Action.ts"

/** The module cannot be loaded or exports no action. */
export class ActionModuleInvalid extends Schema.TaggedError<ActionModuleInvalid>()("ActionModuleInvalid", {
  module: Schema.String,
  message: Schema.String
}) {}

/**
 * The actions a module exports, each with whether it is a named export (`false`: inside a default-exported record),
 * and the module's absolute path: what `codegen --actions` types the generated action steps with.
 *
 * @example
 * ```ts
 * const { path, exports } = yield* ActionModule.describe("./actions.ts", process.cwd())
 * ```
 */
export const describe = (module: string, cwd: string): Effect.Effect<{
  readonly path: string
  readonly exports: ReadonlyArray<{ readonly name: string; readonly named: boolean; readonly action: Action<any, any, any> }>
}, ActionModuleInvalid> =>
  Effect.gen(function*() {
    const path = resolve(cwd, module)
    const mod = yield* Effect.tryPromise({
      try: () => import(pathToFileURL(path).href) as Promise<Record<string, unknown>>,
      catch: (e) => new ActionModuleInvalid({ module: path, message: `cannot load ${path}: ${e instanceof Error ? e.message : String(e)}` })
    })
    const out = new Map<string, { readonly name: string; readonly named: boolean; readonly action: Action<any, any, any> }>()
    const fromDefault = mod["default"]
    if (fromDefault !== null && typeof fromDefault === "object" && !isAction(fromDefault)) {
      for (const [k, v] of Object.entries(fromDefault)) if (isAction(v)) out.set(k, { name: k, named: false, action: v })
    }
    // A named export wins over a default record's entry of the same name (as load() has always done).
    for (const [k, v] of Object.entries(mod)) if (k !== "default" && isAction(v)) out.set(k, { name: k, named: true, action: v })
    if (out.size === 0) {
      return yield* new ActionModuleInvalid({ module: path, message: `${path} exports no action (export const name = Action.make({ params, run }))` })
    }
    return { path, exports: [...out.values()] }
  })

/** Loads the actions a module exports. */
export const load = (module: string, cwd: string): Effect.Effect<Readonly<Record<string, Action<any, any, any>>>, ActionModuleInvalid> =>
  Effect.map(describe(module, cwd), ({ exports }) => Object.fromEntries(exports.map((e) => [e.name, e.action])))

const hasTemplate = (v: unknown): boolean =>
  typeof v === "string" ? v.includes("{{") : Array.isArray(v) ? v.some(hasTemplate) : v !== null && typeof v === "object" ? Object.values(v).some(hasTemplate) : false

/**
 * Checks every action step of `analysis` whose action is in `actions`: unknown parameters, missing ones and literal
 * values of the wrong type (a templated value is checked when the step runs).
 */
export const checkSteps = (analysis: Analysis, actions: Readonly<Record<string, Action<any, any, any>>>): ReadonlyArray<Diagnostic> => {
  const out: Array<Diagnostic> = []
  for (const node of analysis.nodes.values()) {
    const step = node.step as { type: string; action?: string } & Record<string, unknown>
    if (step.type !== "action" || step.action === undefined) continue
    const action = actions[step.action]
    if (action === undefined) continue
    const params = Object.fromEntries(Object.entries(step).filter(([k]) => !actionReservedKeys.includes(k)))
    const literal = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, hasTemplate(v) ? undefined : v]))
    for (const problem of check(action, literal)) {
      // Templated values are unknown until the run: only their absence or name can be wrong here.
      const field = /^parameter "([^".]+)/.exec(problem)?.[1]
      if (field !== undefined && hasTemplate(params[field]) && !problem.endsWith("unknown parameter")) continue
      const pos = analysis.source.locate(field !== undefined && field in params ? [...node.path, field] : node.path, { key: true })
      out.push({ file: analysis.file, ...pos, severity: "error", message: `step "${node.id}" (action ${step.action}): ${problem}` })
    }
  }
  return out
}

/**
 * What each YAML step type is, decided once: the lowering, both back ends, the interpreter's mock checks and the
 * validator read these flags instead of keeping their own lists of type names. A new step type must get an entry
 * (the table is keyed by every {@link StepType}, so the compiler asks for it).
 *
 * @example
 * ```ts
 * stepTraits.llm.callsService    // true: mockable, needs a provider when not mocked
 * stepTraits.map.container       // true: holds steps; mock those instead
 * ```
 */
import type { StepType } from "./WorkflowFile.ts"

/**
 * The traits of one step type.
 *
 * @example
 * ```ts
 * const t: StepTraits = stepTraits.transform // pure: no service, no inherited policies, not cached
 * ```
 */
export interface StepTraits {
  /** Calls something outside the workflow (a provider, a store, an action): a test mocks it, a run needs the service. */
  readonly callsService: boolean
  /** Inherits `defaults.retry` and `defaults.timeout` (steps that do I/O). */
  readonly inheritsPolicies: boolean
  /** Honours `cache` (and `defaults.cache`): its result is cached by its resolved parameters. */
  readonly cacheable: boolean
  /** Holds other steps (tasks, cases, a body): it is not mocked itself; its steps are. */
  readonly container: boolean
}

/**
 * Traits by step type.
 *
 * @example
 * ```ts
 * Object.entries(stepTraits).filter(([, t]) => t.callsService).map(([k]) => k) // ["llm", "embed", "vector_search", "action"]
 * ```
 */
export const stepTraits: { readonly [K in StepType]: StepTraits } = {
  llm: { callsService: true, inheritsPolicies: true, cacheable: true, container: false },
  embed: { callsService: true, inheritsPolicies: true, cacheable: true, container: false },
  vector_search: { callsService: true, inheritsPolicies: true, cacheable: true, container: false },
  ingest: { callsService: true, inheritsPolicies: true, cacheable: false, container: false },
  rerank: { callsService: true, inheritsPolicies: true, cacheable: true, container: false },
  chunk: { callsService: false, inheritsPolicies: false, cacheable: false, container: false },
  context: { callsService: false, inheritsPolicies: false, cacheable: false, container: false },
  action: { callsService: true, inheritsPolicies: true, cacheable: true, container: false },
  transform: { callsService: false, inheritsPolicies: false, cacheable: false, container: false },
  workflow: { callsService: false, inheritsPolicies: true, cacheable: false, container: false },
  parallel: { callsService: false, inheritsPolicies: false, cacheable: false, container: true },
  branch: { callsService: false, inheritsPolicies: false, cacheable: false, container: true },
  map: { callsService: false, inheritsPolicies: false, cacheable: false, container: true },
  loop: { callsService: false, inheritsPolicies: false, cacheable: false, container: true },
  // A wait is given its value from outside: a test mocks it (the value), a run suspends for it.
  wait: { callsService: false, inheritsPolicies: false, cacheable: false, container: false },
  approval: { callsService: false, inheritsPolicies: false, cacheable: false, container: false }
}

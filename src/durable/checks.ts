/**
 * What a workflow must satisfy to run durably, checked before a run starts (`Durable.start` refuses with
 * `NotDurable`, naming each step and the fix):
 *
 * - unit names must be unique and unambiguous: step ids are unique per graph (the builder enforces it for typed code;
 *   checked again here for graphs built by hand) and contain none of `/ # @ ~`, which unit names use;
 * - every declared output Schema, and every wait's signal Schema, must have a JSON encoding (the journal stores JSON).
 *
 * A step with no output Schema is stored as JSON; whether its value is JSON is known only when it returns, so such a
 * value fails that step with `NotPersistable` before anything is stored (see `codec.ts`).
 */
import type { Graph } from "../../dsl/Node.ts"
import { jsonCodec } from "./codec.ts"
import { NotDurable } from "./errors.ts"

/** One problem: the step path and what to do. */
export interface Problem {
  readonly stepId: string
  readonly message: string
}

const reserved = /[/#@~]/

const hasJsonEncoding = (schema: Parameters<typeof jsonCodec>[0]): string | undefined => {
  try {
    jsonCodec(schema)
    return undefined
  } catch (e) {
    return e instanceof Error ? e.message : String(e)
  }
}

const collect = (graph: Graph, prefix: string, problems: Array<Problem>) => {
  const seen = new Set<string>()
  for (const node of graph.nodes) {
    const path = prefix === "" ? node.id : `${prefix}/${node.id}`
    if (seen.has(node.id)) problems.push({ stepId: path, message: `duplicate step id '${node.id}' in '${graph.name}': unit names must be unique` })
    seen.add(node.id)
    const bad = reserved.exec(node.id)
    if (bad !== null) {
      problems.push({ stepId: path, message: `step ids of durable runs cannot contain '${bad[0]}' (it separates parts of unit names: / # @ ~); rename the step` })
    }
    if (node.output !== undefined) {
      const reason = hasJsonEncoding(node.output)
      if (reason !== undefined) problems.push({ stepId: path, message: `its output Schema has no JSON encoding, so its output cannot be stored: ${reason}` })
    }
    if (node.kind === "branch") for (const [name, sub] of Object.entries(node.cases)) collect(sub, `${path}/${name}`, problems)
    if (node.kind === "call") collect(node.workflow, path, problems)
  }
}

/**
 * The problems that keep `graph` from running durably (empty when it can).
 *
 * @example
 * ```ts
 * durableProblems(wf) // [{ stepId: "a#1", message: "step ids of durable runs cannot contain '#' ..." }]
 * ```
 */
export const durableProblems = (graph: Graph): ReadonlyArray<Problem> => {
  const problems: Array<Problem> = []
  collect(graph, "", problems)
  return problems
}

/**
 * `NotDurable` for `graph`, or undefined when it can run durably.
 *
 * @example
 * ```ts
 * const refused = checkDurable(wf)
 * if (refused !== undefined) yield* refused
 * ```
 */
export const checkDurable = (graph: Graph): NotDurable | undefined => {
  const problems = durableProblems(graph)
  if (problems.length === 0) return undefined
  return new NotDurable({
    workflow: graph.name,
    problems,
    message: `Workflow '${graph.name}' cannot run durably: ${problems.map((p) => `step '${p.stepId}': ${p.message}`).join("; ")}`
  })
}

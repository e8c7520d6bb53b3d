/**
 * The workflows a process can run durably, by name: the graph, its shape and hash, where it was loaded from, and the
 * services its steps need (captured when it was registered, so the runner runs each workflow with its own providers).
 */
import type { Context } from "effect"
import type { Graph } from "../../dsl/Node.ts"
import type { Json } from "../store/RunStoreShape.ts"
import * as GraphShape from "./GraphShape.ts"

/**
 * A registered workflow.
 *
 * @example
 * ```ts
 * const entry = registry.get("rag")
 * entry?.hash
 * ```
 */
export interface Registered {
  readonly graph: Graph
  readonly shape: GraphShape.Shape
  readonly hash: string
  /** Where the definition lives (a YAML file), stored with each run so another process can load it to resume. */
  readonly source: Json | undefined
  readonly context: Context.Context<never>
}

/**
 * Registered workflows by name and version. Registering the same graph again replaces its services; another graph
 * under the same name and version replaces the definition (the latest registration is the current definition; runs
 * started on an older one are checked against it on resume). Graphs of several versions of one workflow (a versioned
 * registry gives each its number as `version`) are kept side by side, so each run finds the version it pinned.
 *
 * @example
 * ```ts
 * const registry = new Registry()
 * registry.register(wf, context, undefined)
 * ```
 */
export class Registry {
  private readonly entries = new Map<string, Registered>()
  private readonly latest = new Map<string, Registered>()
  private readonly listeners: Array<(entry: Registered) => void> = []

  register(graph: Graph, context: Context.Context<never>, source: Json | undefined): Registered {
    const key = keyOf(graph.name, graph.version)
    const existing = this.entries.get(key)
    const shape = existing?.graph === graph ? existing.shape : GraphShape.of(graph)
    const entry: Registered = { graph, shape, hash: existing?.graph === graph ? existing.hash : GraphShape.hash(shape), source, context }
    this.entries.set(key, entry)
    this.latest.set(graph.name, entry)
    for (const listener of this.listeners) listener(entry)
    return entry
  }

  /**
   * The graph registered as `name` at `version`; without `version`, or when that version is not registered here, the
   * latest registration of `name` (whose hash says whether it can run the run).
   */
  get(name: string, version?: string | undefined): Registered | undefined {
    return (version === undefined ? undefined : this.entries.get(keyOf(name, version))) ?? this.latest.get(name)
  }

  /** Exactly `name` at `version` (undefined when that version is not registered here). */
  exact(name: string, version: string | undefined): Registered | undefined {
    return this.entries.get(keyOf(name, version))
  }

  names(): ReadonlyArray<string> {
    return [...this.latest.keys()]
  }

  /** Called after each registration (the runner resumes runs that were waiting for the definition). */
  onRegister(listener: (entry: Registered) => void): void {
    this.listeners.push(listener)
  }
}

const keyOf = (name: string, version: string | undefined) => `${name}\u0000${version ?? ""}`

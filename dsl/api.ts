/** The `Workflow` namespace of the DSL: building, inspecting and drawing workflows. */
export {
  type Any,
  type BranchOutput,
  type EncodedInputOf,
  type ErrorOf,
  type InputOf,
  isWorkflow,
  make,
  options,
  type OutputsOf,
  type Policy,
  type RequirementsOf,
  type JsonEntry,
  type NestedEntry,
  type Scoped,
  type SignalOf,
  type StepPathsOf,
  type WaitEntry,
  type WaitIdsOf,
  type Workflow
} from "./Workflow.ts"
export { fromRecord, type Implementation, type Spec } from "./record.ts"
export { toMermaid } from "./mermaid.ts"

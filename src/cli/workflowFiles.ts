/**
 * Separates workflow files from their sidecars, so `validate examples/*.yaml` checks workflows only.
 *
 * @example
 * ```ts
 * workflowFilesOf(["a.yaml", "a.test.yaml", "a.mock.yaml"]) // { files: ["a.yaml"], skipped: ["a.test.yaml", "a.mock.yaml"] }
 * ```
 */
const sidecar = /\.(test|mock|input)\.(ya?ml|json)$/

/** Splits the given paths into workflow files and skipped sidecars (`.test`, `.mock`, `.input`). */
export const workflowFilesOf = (given: ReadonlyArray<string>) => ({
  files: given.filter((f) => !sidecar.test(f)),
  skipped: given.filter((f) => sidecar.test(f))
})

/**
 * The package version, printed by `--version` and written by `init` (kept equal to package.json by a test).
 *
 * @example
 * ```ts
 * import { version } from "./version.ts" // "0.1.0"
 * ```
 */
export const version = "0.1.0"

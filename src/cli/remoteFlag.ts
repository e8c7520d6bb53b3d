/**
 * The global `--remote URL` flag: the CLI as a client of a running server (see `remote.ts`). Its own module, so the
 * command tree (main.ts) declares it without loading the API client.
 *
 * @example
 * ```ts
 * const remote = yield* Remote // Option<string>
 * ```
 */
import { Flag, GlobalFlag } from "effect/cli"

/**
 * The global `--remote URL` flag.
 *
 * @example
 * ```ts
 * const remote = yield* Remote // Option<string>
 * ```
 */
export const Remote = GlobalFlag.Setting("remote")({
  flag: Flag.String("remote").pipe(Flag.withDescription("Act on the server at this URL (key from LLM_ORCHESTRATOR_API_KEY)"), Flag.optional)
})

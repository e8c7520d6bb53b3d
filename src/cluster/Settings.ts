/**
 * The settings of a cluster of workers, set explicitly (effect/cluster's `ShardingConfig.layerFromEnv` would read
 * un-prefixed variables such as `PORT` and `HOST`; nothing here is read from the environment). The defaults are tuned
 * for workflows whose steps are LLM calls that can run for minutes:
 *
 * | setting | default | what it trades |
 * | --- | --- | --- |
 * | `lockExpiry` | 9 s | a dead worker's runs wait at most this long (usually less: the health check finds it first); shorter means more false takeovers of a worker that only stalled |
 * | `lockRefresh` | 3 s | how often a worker renews its shard locks and heartbeat; a renewal that takes longer than this (or a third of the expiry) makes the worker drop all its shards, and its steps in flight run again |
 * | `healthCheck` | 2 s | how often the runners' health is checked by ping (5 tries, 0.5 s apart) |
 * | `assignmentsRefresh` | 1 s | how soon a freed shard is taken by another worker |
 * | `messagePoll` | 1 s | how often a worker reads storage for messages it was not told about (durable timers, a fresh submitter's first runs) |
 * | `inboxPoll` | 500 ms | how often the run store's inbox (runs, cancels, signals from processes outside the cluster) is read |
 * | `gracePeriod` | 120 s | how long a worker shutting down (SIGTERM) waits for its steps in flight; after it they are abandoned and run again elsewhere |
 * | `shards` | 300 | shards per group: the unit of ownership; every member must agree |
 *
 * With these, a worker killed with `kill -9` has its runs taken over in about 5-10 s (measured in `npm run bench:cluster`).
 *
 * @example
 * ```ts
 * import { Settings } from "llm-orchestrator/cluster"
 * const settings = Settings.resolve({ gracePeriod: "5 minutes" })
 * ```
 */
import { Duration, Option } from "effect"
import { RunnerAddress, ShardingConfig } from "effect/cluster"

/**
 * The settings (each optional: the defaults above apply).
 *
 * @example
 * ```ts
 * const settings: Settings.Settings = { lockExpiry: "20 seconds", healthCheck: "5 seconds" }
 * ```
 */
export interface Settings {
  readonly lockExpiry?: Duration.Input | undefined
  readonly lockRefresh?: Duration.Input | undefined
  readonly healthCheck?: Duration.Input | undefined
  readonly assignmentsRefresh?: Duration.Input | undefined
  readonly messagePoll?: Duration.Input | undefined
  readonly inboxPoll?: Duration.Input | undefined
  readonly gracePeriod?: Duration.Input | undefined
  readonly shards?: number | undefined
}

/**
 * Every setting with a value.
 *
 * @example
 * ```ts
 * Duration.toMillis(Settings.resolve({}).lockExpiry) // 9000
 * ```
 */
export interface Resolved {
  readonly lockExpiry: Duration.Duration
  readonly lockRefresh: Duration.Duration
  readonly healthCheck: Duration.Duration
  readonly assignmentsRefresh: Duration.Duration
  readonly messagePoll: Duration.Duration
  readonly inboxPoll: Duration.Duration
  readonly gracePeriod: Duration.Duration
  readonly shards: number
}

/**
 * The defaults.
 *
 * @example
 * ```ts
 * Duration.toSeconds(Settings.defaults.gracePeriod) // 120
 * ```
 */
export const defaults: Resolved = {
  lockExpiry: Duration.seconds(9),
  lockRefresh: Duration.seconds(3),
  healthCheck: Duration.seconds(2),
  assignmentsRefresh: Duration.seconds(1),
  messagePoll: Duration.seconds(1),
  inboxPoll: Duration.millis(500),
  gracePeriod: Duration.seconds(120),
  shards: 300
}

/**
 * The settings with the defaults filled in.
 *
 * @example
 * ```ts
 * Settings.resolve({ gracePeriod: "10 seconds" }).gracePeriod // Duration.seconds(10)
 * ```
 */
export const resolve = (settings: Settings = {}): Resolved => {
  const d = (value: Duration.Input | undefined, fallback: Duration.Duration) => (value === undefined ? fallback : Duration.fromInputUnsafe(value))
  return {
    lockExpiry: d(settings.lockExpiry, defaults.lockExpiry),
    lockRefresh: d(settings.lockRefresh, defaults.lockRefresh),
    healthCheck: d(settings.healthCheck, defaults.healthCheck),
    assignmentsRefresh: d(settings.assignmentsRefresh, defaults.assignmentsRefresh),
    messagePoll: d(settings.messagePoll, defaults.messagePoll),
    inboxPoll: d(settings.inboxPoll, defaults.inboxPoll),
    gracePeriod: d(settings.gracePeriod, defaults.gracePeriod),
    shards: settings.shards ?? defaults.shards
  }
}

/**
 * What is wrong with the settings (a refresh not below the expiry would let locks lapse while their holder is alive).
 *
 * @example
 * ```ts
 * Settings.problems(Settings.resolve({ lockRefresh: "20 seconds" })) // ["lock refresh (20s) must be below lock expiry (9s)"]
 * ```
 */
export const problems = (settings: Resolved): ReadonlyArray<string> => {
  const out: Array<string> = []
  const ms = Duration.toMillis
  if (ms(settings.lockRefresh) >= ms(settings.lockExpiry)) out.push(`lock refresh (${Duration.format(settings.lockRefresh)}) must be below lock expiry (${Duration.format(settings.lockExpiry)})`)
  if (!Number.isInteger(settings.shards) || settings.shards < 1) out.push(`shards must be a positive integer (got ${settings.shards})`)
  for (const [name, value] of [["lock expiry", settings.lockExpiry], ["health check", settings.healthCheck], ["assignments refresh", settings.assignmentsRefresh], ["message poll", settings.messagePoll], ["inbox poll", settings.inboxPoll]] as const) {
    if (ms(value) <= 0) out.push(`${name} must be above zero`)
  }
  return out
}

/**
 * A runner address `host:port` (the host as the other members reach it); undefined when it is not one.
 *
 * @example
 * ```ts
 * Settings.parseAddress("10.0.0.7:34431") // RunnerAddress { host: "10.0.0.7", port: 34431 }
 * ```
 */
export const parseAddress = (text: string): RunnerAddress.RunnerAddress | undefined => {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(text.trim())
  if (m === null) return undefined
  const port = Number(m[2])
  if (port < 1 || port > 65535) return undefined
  return RunnerAddress.make(m[1]!, port)
}

/**
 * effect/cluster's whole `ShardingConfig` for a member: a worker at `address` (listening on `listen`, default the
 * address), or a client-only member (`address` undefined).
 *
 * @example
 * ```ts
 * const config = Settings.shardingConfig(Settings.resolve(), { address: Settings.parseAddress("127.0.0.1:34431") })
 * ```
 */
export const shardingConfig = (
  settings: Resolved,
  member: { readonly address?: RunnerAddress.RunnerAddress | undefined; readonly listen?: RunnerAddress.RunnerAddress | undefined }
): ShardingConfig.ShardingConfig["Service"] => ({
  ...ShardingConfig.defaults,
  runnerAddress: Option.fromNullishOr(member.address),
  runnerListenAddress: Option.fromNullishOr(member.listen),
  shardsPerGroup: settings.shards,
  shardLockExpiration: settings.lockExpiry,
  shardLockRefreshInterval: settings.lockRefresh,
  runnerHealthCheckInterval: settings.healthCheck,
  refreshAssignmentsInterval: settings.assignmentsRefresh,
  entityMessagePollInterval: settings.messagePoll,
  entityTerminationTimeout: settings.gracePeriod,
  // Workflows are resident while they run; an idle one is evicted and replayed when woken (as in the single runner).
  entityMaxIdleTime: Duration.minutes(1)
})

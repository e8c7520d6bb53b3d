/**
 * Errors of the cluster members.
 *
 * @example
 * ```ts
 * ClusterRuns.worker(options).pipe(Effect.catchTag("ClusterSettingsInvalid", (e) => Console.error(e.message)))
 * ```
 */
import { Schema } from "effect"

/**
 * The settings of a worker or client cannot work (a lock refresh not below the lock expiry, an address that is not
 * `host:port`); `problems` names each.
 *
 * @example
 * ```ts
 * // ClusterSettingsInvalid: Cluster settings invalid: lock refresh (20s) must be below lock expiry (10s)
 * ```
 */
export class ClusterSettingsInvalid extends Schema.TaggedError<ClusterSettingsInvalid>()("ClusterSettingsInvalid", {
  problems: Schema.Array(Schema.String),
  message: Schema.String
}) {}

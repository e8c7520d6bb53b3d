/**
 * The workflow engine of a cluster member: effect/cluster's `ClusterWorkflowEngine` on socket runners (TCP between
 * the members, msgpack), with its messages, replies, runners and shard locks in the Postgres database of the
 * `SqlClient` in context (the same tables the single-process engine uses, so runs started on one process move to a
 * cluster unchanged). A **worker** hosts shards and runs workflows; a **client** (a submitter: the CLI, the server, a
 * library user) hosts none and only sends messages.
 *
 * This is `NodeClusterSocket.layer` put together by hand, with the whole `ShardingConfig` given (see `Settings`)
 * instead of read from un-prefixed environment variables.
 *
 * @example
 * ```ts
 * import { ClusterEngine, Settings } from "llm-orchestrator/cluster"
 * const engine = ClusterEngine.layer({ member: "worker", address: Settings.parseAddress("127.0.0.1:34431")!, settings: Settings.resolve() })
 * ```
 */
import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket"
import { Layer } from "effect"
import {
  ClusterWorkflowEngine,
  type MessageStorage,
  RunnerHealth,
  type RunnerAddress,
  Runners,
  type Sharding,
  ShardingConfig,
  SocketRunner,
  SqlMessageStorage,
  SqlRunnerStorage
} from "effect/cluster"
import * as Digest from "effect/crypto/Digest"
import { RpcSerialization } from "effect/rpc"
import type { SqlClient } from "effect/sql"
import type { WorkflowEngine } from "effect/workflow"
import * as Settings from "./Settings.ts"

/**
 * Which member this process is.
 *
 * @example
 * ```ts
 * const member: ClusterEngine.Member = { member: "client", settings: Settings.resolve() }
 * ```
 */
export type Member =
  | {
    readonly member: "worker"
    /** How the other members reach this worker (always explicit). */
    readonly address: RunnerAddress.RunnerAddress
    /** Where it listens, when not the address (`0.0.0.0:34431` in a container). */
    readonly listen?: RunnerAddress.RunnerAddress | undefined
    readonly settings: Settings.Resolved
  }
  | { readonly member: "client"; readonly settings: Settings.Resolved }

/** What the engine layer provides. */
export type Services = WorkflowEngine.WorkflowEngine | Sharding.Sharding | MessageStorage.MessageStorage

/**
 * The engine of a member, on the `SqlClient` in context.
 *
 * @example
 * ```ts
 * const engine = ClusterEngine.layer({ member: "client", settings: Settings.resolve() })
 * ```
 */
export const layer = (member: Member): Layer.Layer<Services, unknown, SqlClient.SqlClient> => {
  const config = ShardingConfig.layer(
    Settings.shardingConfig(member.settings, member.member === "worker" ? { address: member.address, listen: member.listen } : {})
  )
  const transport = member.member === "client"
    ? SocketRunner.layerClientOnly.pipe(Layer.provide(NodeClusterSocket.layerClientProtocol))
    : SocketRunner.layer.pipe(
      Layer.provide([NodeClusterSocket.layerSocketServer, NodeClusterSocket.layerClientProtocol]),
      Layer.provide(RunnerHealth.layerPing.pipe(Layer.provide(Runners.layerRpc), Layer.provide(NodeClusterSocket.layerClientProtocol)))
    )
  const sharding = transport.pipe(
    Layer.provideMerge(SqlMessageStorage.layer.pipe(Layer.provide(Digest.layerWebCrypto))),
    Layer.provide(SqlRunnerStorage.layer),
    Layer.provide(config),
    Layer.provide(RpcSerialization.layerSchemaBinary())
  )
  return ClusterWorkflowEngine.layer.pipe(Layer.provideMerge(sharding)) as Layer.Layer<Services, unknown, SqlClient.SqlClient>
}

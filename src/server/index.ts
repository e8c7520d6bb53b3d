/**
 * The REST API (`llm-orchestrator serve`): one HttpApi definition for the server, the typed client and
 * `/openapi.json`; API keys and JWTs with roles; an append-only audit log; live run events over SSE.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Client } from "llm-orchestrator/server"
 * const runs = Effect.flatMap(Client.make("http://127.0.0.1:8080", { token }), (c) => c.runs.list({ query: {} }))
 * ```
 */
export * as Api from "./Api.ts"
export * as ApiError from "./ApiError.ts"
export * as AuditLog from "./AuditLog.ts"
export * as Backend from "./Backend.ts"
export * as Client from "./Client.ts"
export * as DurableRunService from "./DurableRunService.ts"
export * as EventStream from "./EventStream.ts"
export * as Lifecycle from "./Lifecycle.ts"
export * as Limits from "./Limits.ts"
export * as Model from "./Model.ts"
export * as Permission from "./Permission.ts"
export * as RunService from "./RunService.ts"
export * as Security from "./Security.ts"
export * as Server from "./Server.ts"
export * as ServerMetrics from "./ServerMetrics.ts"
export * as WorkflowRegistry from "./WorkflowRegistry.ts"
export * as VersionHandlers from "./VersionHandlers.ts"
export * as WorkflowServices from "./WorkflowServices.ts"
export * as WorkflowTemplates from "./WorkflowTemplates.ts"
export * as WorkflowVersions from "./WorkflowVersions.ts"

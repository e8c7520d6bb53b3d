/**
 * `llm-orchestrator serve [--port N] [--host H] [--store S] [--workflows PATH]... [--tls-cert F --tls-key F]`: the REST
 * API on the project's configuration (providers, secrets, and the `server:` section of `llm-orchestrator.yaml`, which
 * the flags override). Workflow
 * files given with `--workflows` (files or directories of `.yaml`) are registered at start. When the key store holds
 * no key, an admin key is created and printed once, so a fresh server can be used at all.
 *
 * Stops on SIGINT/SIGTERM: event streams end, requests in flight finish, runs checkpoint, then it exits.
 *
 * @example
 * ```sh
 * llm-orchestrator serve --port 8080 --workflows examples/   # on .llm-orchestrator/runs.db, like the CLI
 * ```
 */
import { Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { telemetryFlags } from "./TelemetryFlags.ts"

const config = {
  port: Flag.Int("port").pipe(Flag.withDescription("Port to listen on (default 8080; 0 picks a free one)"), Flag.optional),
  host: Flag.String("host").pipe(Flag.withDescription("Interface to listen on (default 127.0.0.1: this machine only)"), Flag.optional),
  store: Flag.String("store").pipe(Flag.withDescription("Where runs, keys, audit log and workflows live: memory, sqlite:PATH or postgres://..., or a secret reference holding one (file:/run/secrets/store-url, env:NAME) (default: LLM_ORCHESTRATOR_STORE, else .llm-orchestrator/runs.db, the CLI's store)"), Flag.optional),
  workflows: Flag.String("workflows").pipe(Flag.withDescription("A YAML workflow file, or a directory of them, to register at start (repeatable)"), Flag.atLeast(0)),
  tlsCert: Flag.String("tls-cert").pipe(Flag.withDescription("Serve HTTPS with this certificate (PEM)"), Flag.optional),
  tlsKey: Flag.String("tls-key").pipe(Flag.withDescription("The certificate's private key (PEM)"), Flag.optional),
  cors: Flag.String("cors").pipe(Flag.withDescription("Allow browser calls from this origin (repeatable; CORS is off without it)"), Flag.atLeast(0)),
  jwtSecret: Flag.String("jwt-secret").pipe(Flag.withDescription("Accept HS256 JWTs signed with this secret, given as a reference (env:JWT_SECRET, file:/run/secrets/jwt, vault:...)"), Flag.optional),
  jwks: Flag.String("jwks").pipe(Flag.withDescription("Accept RS256/ES256 JWTs signed by the keys of this JWKS file"), Flag.optional),
  jwtIssuer: Flag.String("jwt-issuer").pipe(Flag.withDescription("Required `iss` of JWTs"), Flag.optional),
  jwtAudience: Flag.String("jwt-audience").pipe(Flag.withDescription("Required `aud` of JWTs"), Flag.optional),
  rate: Flag.Int("rate").pipe(Flag.withDescription("Requests per minute per key or token subject (default 600)"), Flag.optional),
  maxRuns: Flag.Int("max-runs").pipe(Flag.withDescription("Runs going at once per key or subject (default 100)"), Flag.optional),
  bodyLimit: Flag.Int("body-limit").pipe(Flag.withDescription("Largest request body in bytes (default 1048576)"), Flag.optional),
  timeout: Flag.Int("timeout").pipe(Flag.withDescription("Request timeout in seconds (default 30)"), Flag.optional),
  requireApproval: Flag.Boolean("require-approval").pipe(
    Flag.withDescription("New workflow versions start as drafts: submitted, approved by another admin, then deployed (default: deployed when registered)"),
    Flag.withDefault(false)
  ),
  client: Flag.Boolean("client").pipe(
    Flag.withDescription("Never run workflows in this process: submit runs through the store to the workers (llm-orchestrator worker), even before one is up (or LLM_ORCHESTRATOR_CLUSTER=client)"),
    Flag.withDefault(false)
  ),
  config: Flag.String("config").pipe(Flag.withDescription("Configuration file (default: ./llm-orchestrator.yaml when present)"), Flag.optional),
  envFile: Flag.String("env-file").pipe(Flag.withDescription("Load environment variables from this file"), Flag.optional),
  otlpEndpoint: telemetryFlags.otlpEndpoint,
  logFormat: telemetryFlags.logFormat
}

/** The parsed arguments of `serve`. */
export type ServeArgs = Command.Command.Config.Infer<typeof config>

/** `serve`. */
export const serveCommand = Command.make("serve", config, (args) =>
  Effect.flatMap(Effect.promise(() => import("./serveHandler.ts")), (handler) => handler.serve(args))
).pipe(Command.withDescription("Serve the REST API (workflows, runs, live events over SSE, keys, audit log)"))

/**
 * Credentials and roles of the REST API: API keys (salted hashes in a key store), JWT verification (HS256 or a
 * JWKS), the caller (`Principal`) and the roles' permissions.
 *
 * @example
 * ```ts
 * import { Role } from "llm-orchestrator/auth"
 * Role.can("runner", "runs:write") // true
 * ```
 */
export * as ApiKey from "./ApiKey.ts"
export * as Jwt from "./Jwt.ts"
export * as KeyStore from "./KeyStore.ts"
export * as Principal from "./Principal.ts"
export * as Role from "./Role.ts"
export * as Tables from "./Tables.ts"

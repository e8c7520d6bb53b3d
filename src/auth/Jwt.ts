/**
 * JWT bearer tokens, verified with `jose`: HS256 with a shared secret, or RS256/ES256 with the public keys of a JWKS
 * file (what identity providers publish; the file is read once at start). The token's role comes from a claim
 * (`role` by default, a role name or an array of them: the strongest wins) and its workflow allow list from another
 * (`workflows`, an array; absent means every workflow). `exp`, `nbf`, `iss` and `aud` are checked when configured.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { Jwt } from "llm-orchestrator/auth"
 * const verifier = yield* Jwt.make({ secret: Redacted.make(process.env.JWT_SECRET!), issuer: "https://auth.example.com" })
 * const result = yield* verifier.verify(token)   // { _tag: "Accepted", principal } | { _tag: "Rejected", reason }
 * ```
 */
import { readFileSync } from "node:fs"
import { Effect, Redacted, Schema } from "effect"
import type { JSONWebKeySet, JWTVerifyGetKey } from "jose"
import type { Principal } from "./Principal.ts"
import { isRole, type Role } from "./Role.ts"

/**
 * How tokens are checked. Give `secret` (HS256), or `jwksFile` / `jwks` (RS256, ES256), or both.
 *
 * @example
 * ```ts
 * const options: Jwt.Options = { jwksFile: "/etc/llm-orchestrator/jwks.json", audience: "llm-orchestrator" }
 * ```
 */
export interface Options {
  readonly secret?: Redacted.Redacted<string> | undefined
  readonly jwksFile?: string | undefined
  readonly jwks?: JSONWebKeySet | undefined
  readonly issuer?: string | undefined
  readonly audience?: string | undefined
  /** The claim holding the role (default `role`). */
  readonly roleClaim?: string | undefined
  /** The claim holding the workflow allow list (default `workflows`). */
  readonly workflowsClaim?: string | undefined
  /** Seconds of clock skew allowed on `exp` and `nbf` (default 5). */
  readonly clockToleranceSeconds?: number | undefined
}

/**
 * Why a token does not authenticate.
 *
 * @example
 * ```ts
 * const reason: Jwt.Rejection = "expired_token"
 * ```
 */
export type Rejection = "expired_token" | "invalid_token" | "missing_role"

/**
 * The JWT settings could not be loaded (an unreadable or malformed JWKS file).
 *
 * @example
 * ```ts
 * Effect.catchTag("JwtConfigInvalid", (e) => Console.error(e.message))
 * ```
 */
export class JwtConfigInvalid extends Schema.TaggedError<JwtConfigInvalid>()("JwtConfigInvalid", {
  message: Schema.String
}) {}

/**
 * A configured verifier.
 *
 * @example
 * ```ts
 * const r = yield* verifier.verify(token)
 * ```
 */
export interface Verifier {
  readonly verify: (
    token: string
  ) => Effect.Effect<{ readonly _tag: "Accepted"; readonly principal: Principal } | { readonly _tag: "Rejected"; readonly reason: Rejection }>
}

const strongest = (roles: ReadonlyArray<Role>): Role | undefined =>
  roles.includes("admin") ? "admin" : roles.includes("runner") ? "runner" : roles.includes("viewer") ? "viewer" : undefined

/**
 * True when `token` looks like a JWT (three base64url parts), so the server knows which check to apply.
 *
 * @example
 * ```ts
 * Jwt.looksLikeJwt("eyJhbGciOiJIUzI1NiJ9.e30.sig") // true
 * ```
 */
export const looksLikeJwt = (token: string): boolean => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token)

/**
 * Builds a verifier (reads the JWKS file now).
 *
 * @example
 * ```ts
 * const verifier = yield* Jwt.make({ secret: Redacted.make("a-32-byte-or-longer-shared-secret") })
 * ```
 */
export const make = (options: Options): Effect.Effect<Verifier, JwtConfigInvalid> =>
  Effect.gen(function*() {
    // jose is loaded with the first verifier: a server without JWT auth (the default) never loads it.
    const { createLocalJWKSet, errors, jwtVerify } = yield* Effect.promise(() => import("jose"))
    let jwks: JWTVerifyGetKey | undefined
    const set = options.jwks ?? (options.jwksFile === undefined ? undefined : yield* Effect.try({
      try: () => JSON.parse(readFileSync(options.jwksFile!, "utf8")) as JSONWebKeySet,
      catch: (e) => new JwtConfigInvalid({ message: `JWKS file ${options.jwksFile}: ${e instanceof Error ? e.message : String(e)}` })
    }))
    if (set !== undefined) {
      if (!Array.isArray(set.keys)) return yield* new JwtConfigInvalid({ message: `JWKS ${options.jwksFile ?? ""}: no "keys" array` })
      jwks = createLocalJWKSet(set)
    }
    const secret = options.secret === undefined ? undefined : new TextEncoder().encode(Redacted.value(options.secret))
    if (secret === undefined && jwks === undefined) return yield* new JwtConfigInvalid({ message: "JWT verification needs a secret (HS256) or a JWKS (RS256/ES256)" })
    const roleClaim = options.roleClaim ?? "role"
    const workflowsClaim = options.workflowsClaim ?? "workflows"
    const common = {
      ...(options.issuer !== undefined ? { issuer: options.issuer } : {}),
      ...(options.audience !== undefined ? { audience: options.audience } : {}),
      clockTolerance: options.clockToleranceSeconds ?? 5
    }

    const check = async (token: string) => {
      const header = JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString("utf8")) as { alg?: unknown }
      if (header.alg === "HS256") {
        if (secret === undefined) throw new errors.JOSEAlgNotAllowed("HS256 is not configured")
        return jwtVerify(token, secret, { ...common, algorithms: ["HS256"] })
      }
      if (jwks === undefined) throw new errors.JOSEAlgNotAllowed(`${String(header.alg)} is not configured`)
      return jwtVerify(token, jwks, { ...common, algorithms: ["RS256", "ES256"] })
    }

    const verify: Verifier["verify"] = (token) =>
      Effect.promise(() =>
        check(token).then(
          ({ payload }) => {
            const raw = payload[roleClaim]
            const roles = (Array.isArray(raw) ? raw : [raw]).filter(isRole)
            const role = strongest(roles)
            if (role === undefined || typeof payload.sub !== "string") return { _tag: "Rejected", reason: "missing_role" } as const
            const w = payload[workflowsClaim]
            const workflows = Array.isArray(w) ? w.filter((x): x is string => typeof x === "string") : "*"
            return { _tag: "Accepted", principal: { kind: "jwt", id: payload.sub, name: payload.sub, role, workflows } } as const
          },
          (e: unknown) => ({ _tag: "Rejected", reason: e instanceof errors.JWTExpired ? "expired_token" : "invalid_token" } as const)
        )
      )
    return { verify }
  })

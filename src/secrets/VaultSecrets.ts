/**
 * `vault:<path>#field`: HashiCorp Vault over its HTTP API. The path is the API path after `/v1/`: for a KV v2 engine
 * mounted at `secret`, `vault:secret/data/llm#openai` reads field `openai` of secret `llm` (`?version=3` pins a
 * version); KV v1 paths (`vault:kv/llm#openai`) work too. Without `#field` the secret must have exactly one field.
 *
 * Authentication is a token (`X-Vault-Token`) or AppRole (`POST /v1/auth/<mount>/login` with a role id and secret
 * id). An AppRole token is renewed (`auth/token/renew-self`) when less than `renewBefore` of its lease is left, and
 * replaced by a new login when it cannot be renewed (past its max TTL) or Vault rejects it with 403. Vault
 * Enterprise / HCP namespaces go in the `X-Vault-Namespace` header. Tokens and secret ids never reach a log, a span
 * or an error.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import { Secrets } from "llm-orchestrator/secrets"
 * const layer = Secrets.layer({
 *   vault: { address: "https://vault.internal:8200", auth: { roleId: "llm-app", secretId: Redacted.make(process.env.VAULT_SECRET_ID!) } }
 * })
 * ```
 */
import { Clock, Duration, Effect, Redacted, Schedule, Semaphore } from "effect"
import { Headers, HttpClient, HttpClientRequest, type HttpClientResponse } from "effect/http"
import { checkParams, type SecretBackend, selectField } from "./SecretBackend.ts"
import type { SecretReference } from "./SecretReference.ts"
import {
  InvalidSecretReference,
  InvalidSecretValue,
  SecretAccessDenied,
  SecretNotFound,
  type SecretsError,
  SecretUnavailable
} from "./SecretsError.ts"

/**
 * How the backend logs in.
 *
 * @example
 * ```ts
 * const token: VaultSecrets.Auth = { token: Redacted.make("hvs.…") }
 * const approle: VaultSecrets.Auth = { roleId: "llm-app", secretId: Redacted.make("…"), mount: "approle" }
 * ```
 */
export type Auth =
  | { readonly token: Redacted.Redacted<string> }
  | {
    readonly roleId: string
    readonly secretId: Redacted.Redacted<string>
    /** Where the AppRole method is mounted. Default `approle`. */
    readonly mount?: string | undefined
  }

/**
 * Settings of the Vault backend.
 *
 * @example
 * ```ts
 * const options: VaultSecrets.Options = { address: "http://127.0.0.1:8200", namespace: "team-a", auth: { token } }
 * ```
 */
export interface Options {
  /** Vault's address, e.g. `https://vault.internal:8200` (what `VAULT_ADDR` holds). */
  readonly address: string
  /** Vault Enterprise / HCP namespace, sent as `X-Vault-Namespace`. */
  readonly namespace?: string | undefined
  readonly auth: Auth
  /** Deadline of one HTTP request. Default 10 seconds. */
  readonly timeout?: Duration.Input | undefined
  /** Renew (or log in again) when the token has less than this left. Default 1 minute, at most half the lease. */
  readonly renewBefore?: Duration.Input | undefined
  /** Retries of a request that found Vault unavailable (network, 5xx, sealed). Default 2. */
  readonly retries?: number | undefined
}

interface Token {
  readonly value: Redacted.Redacted<string>
  /** Epoch millis; undefined: no expiry known (a configured token, or a lease of 0). */
  readonly expiresAt: number | undefined
  readonly leaseMillis: number
  readonly renewable: boolean
}

type Reply = { readonly status: number; readonly body: unknown }

const vaultErrors = (body: unknown): string => {
  const errors = typeof body === "object" && body !== null ? (body as { errors?: unknown }).errors : undefined
  if (!Array.isArray(errors) || errors.length === 0) return ""
  // Vault wraps messages as "1 error occurred:\n\t* permission denied\n\n"
  return errors.map((e) => String(e).replace(/^\d+ errors? occurred:/, "").replace(/[\n\t*]+/g, " ").trim()).filter((e) => e !== "").join("; ")
}

const withDetail = (status: number, body: unknown) => {
  const detail = vaultErrors(body)
  return detail === "" ? `Vault answered ${status}` : `Vault answered ${status}: ${detail}`
}

/**
 * Builds the `vault:` backend (needs an `HttpClient`; `Secrets.layer` provides the fetch one).
 *
 * @example
 * ```ts
 * const backend = yield* VaultSecrets.make({ address, auth: { token } }).pipe(Effect.provide(FetchHttpClient.layer))
 * ```
 */
export const make = Effect.fnUntraced(function*(options: Options) {
  const http = yield* HttpClient.HttpClient
  const address = options.address.replace(/\/+$/, "")
  const timeout = options.timeout ?? "10 seconds"
  const renewBeforeMillis = Duration.toMillis(options.renewBefore ?? "1 minute")
  const retries = options.retries ?? 2
  const auth = options.auth
  const lock = Semaphore.makeUnsafe(1)
  let current: Token | undefined = "token" in auth ? { value: auth.token, expiresAt: undefined, leaseMillis: 0, renewable: false } : undefined

  // One request; `reference` is what errors name. Transport failures and timeouts become SecretUnavailable.
  const send = (reference: string, request: HttpClientRequest.HttpClientRequest): Effect.Effect<Reply, SecretUnavailable> => {
    const withNamespace = options.namespace === undefined ? request : HttpClientRequest.setHeader(request, "x-vault-namespace", options.namespace)
    const unavailable = (why: string) => new SecretUnavailable({ reference, message: `${reference}: ${why}` })
    return http.execute(HttpClientRequest.acceptJson(withNamespace)).pipe(
      Effect.flatMap((response: HttpClientResponse.HttpClientResponse) =>
        response.text.pipe(Effect.map((text): Reply => {
          let body: unknown = undefined
          try {
            body = text === "" ? undefined : JSON.parse(text)
          } catch {
            body = undefined
          }
          return { status: response.status, body }
        }))
      ),
      Effect.mapError(() => unavailable(`cannot reach Vault at ${address}`)),
      Effect.timeoutOrElse({ duration: timeout, orElse: () => Effect.fail(unavailable(`Vault at ${address} did not answer within ${Duration.format(Duration.fromInputUnsafe(timeout))}`)) }),
      // No HTTP client span: its exit would hold the request (token header, AppRole secret id in the body) for
      // any tracer to read. The backend's own span says which path was read. And should a header filter be set,
      // the token stays redacted.
      Effect.provideService(HttpClient.TracerDisabledWhen, () => true),
      Effect.provideService(Headers.CurrentRedactedNames, ["authorization", "x-vault-token"])
    )
  }

  const isUnavailable = (status: number) => status === 429 || status >= 500

  const retried = <A, E extends SecretsError>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
    retries <= 0 ? effect : Effect.retry(effect, {
      times: retries,
      schedule: Schedule.exponential("100 millis"),
      while: (e: E) => e._tag === "SecretUnavailable"
    })

  const tokenOf = (reference: string, status: number, body: unknown, what: string): Effect.Effect<Token, SecretsError> =>
    Effect.gen(function*() {
      const a = typeof body === "object" && body !== null ? (body as { auth?: unknown }).auth : undefined
      const clientToken = typeof a === "object" && a !== null ? (a as { client_token?: unknown }).client_token : undefined
      if (status !== 200 || typeof clientToken !== "string" || clientToken === "") {
        const message = `${reference}: Vault ${what} failed (${withDetail(status, body)})`
        return yield* isUnavailable(status)
          ? Effect.fail(new SecretUnavailable({ reference, message }))
          : Effect.fail(new SecretAccessDenied({ reference, message }))
      }
      const lease = Number((a as { lease_duration?: unknown }).lease_duration ?? 0)
      const now = yield* Clock.currentTimeMillis
      const leaseMillis = Number.isFinite(lease) && lease > 0 ? lease * 1000 : 0
      return {
        value: Redacted.make(clientToken, { label: "vault-token" }),
        expiresAt: leaseMillis > 0 ? now + leaseMillis : undefined,
        leaseMillis,
        renewable: (a as { renewable?: unknown }).renewable === true
      }
    })

  const login = (reference: string): Effect.Effect<Token, SecretsError> => {
    if ("token" in auth) return Effect.succeed(current!)
    const mount = (auth.mount ?? "approle").replace(/^\/+|\/+$/g, "")
    return retried(Effect.gen(function*() {
      const request = HttpClientRequest.post(`${address}/v1/auth/${mount}/login`).pipe(
        HttpClientRequest.bodyJsonUnsafe({ role_id: auth.roleId, secret_id: Redacted.value(auth.secretId) })
      )
      const reply = yield* send(reference, request)
      return yield* tokenOf(reference, reply.status, reply.body, `AppRole login (auth/${mount}) for role ${auth.roleId}`)
    }))
  }

  const renew = (reference: string, token: Token): Effect.Effect<Token | undefined> =>
    Effect.gen(function*() {
      const request = HttpClientRequest.post(`${address}/v1/auth/token/renew-self`).pipe(
        HttpClientRequest.setHeader("x-vault-token", Redacted.value(token.value)),
        HttpClientRequest.bodyJsonUnsafe({})
      )
      const reply = yield* send(reference, request)
      return yield* tokenOf(reference, reply.status, reply.body, "token renewal")
    }).pipe(Effect.orElseSucceed(() => undefined))

  const margin = (token: Token) => Math.min(renewBeforeMillis, token.leaseMillis / 2)

  // The token to use now: renewed when close to expiry, a new login when it cannot be renewed (max TTL) or is gone.
  const validToken = (reference: string, force: boolean): Effect.Effect<Token, SecretsError> =>
    lock.withPermits(1)(Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const token = current
      if (!force && token !== undefined && (token.expiresAt === undefined || now < token.expiresAt - margin(token))) return token
      if (!force && token !== undefined && token.renewable && token.expiresAt !== undefined && now < token.expiresAt) {
        const renewed = yield* renew(reference, token)
        // Vault caps a renewal at the token's max TTL: a lease shorter than the margin means "log in again".
        if (renewed !== undefined && renewed.leaseMillis > margin(token)) {
          current = renewed
          return renewed
        }
      }
      current = yield* login(reference)
      return current
    }))

  const read = (reference: SecretReference, token: Token): Effect.Effect<Reply, SecretUnavailable> => {
    const url = `${address}/v1/${reference.path.replace(/^\/+/, "")}`
    const request = HttpClientRequest.get(url).pipe(
      HttpClientRequest.setHeader("x-vault-token", Redacted.value(token.value)),
      reference.params.version === undefined ? (r) => r : HttpClientRequest.setUrlParam("version", reference.params.version)
    )
    return send(reference.raw, request)
  }

  const resolve = (reference: SecretReference): Effect.Effect<Redacted.Redacted<string>, SecretsError> =>
    Effect.gen(function*() {
      yield* checkParams(reference, ["version"])
      const version = reference.params.version
      if (version !== undefined && !/^[1-9]\d*$/.test(version)) {
        return yield* new InvalidSecretReference({ reference: reference.raw, message: `${reference.raw}: version must be a positive integer, got "${version}"` })
      }
      const attempt = (force: boolean) =>
        retried(validToken(reference.raw, force).pipe(
          Effect.flatMap((token) => read(reference, token)),
          Effect.filterOrElse((reply) => !isUnavailable(reply.status), (reply) =>
            Effect.fail(new SecretUnavailable({ reference: reference.raw, message: `${reference.raw}: ${withDetail(reply.status, reply.body)}` })))
        ))
      let reply = yield* attempt(false)
      if (reply.status === 403 && !("token" in auth)) {
        // The AppRole token may have been revoked or expired early: log in once more before giving up.
        reply = yield* attempt(true)
      }
      return yield* interpret(reference, reply)
    }).pipe(Effect.withSpan("Secrets.vault", { attributes: { "vault.path": reference.path } }))

  return { scheme: "vault", resolve } satisfies SecretBackend
})

const interpret = (reference: SecretReference, reply: Reply): Effect.Effect<Redacted.Redacted<string>, SecretsError> => {
  const raw = reference.raw
  const { status, body } = reply
  if (status === 200) {
    const data = typeof body === "object" && body !== null ? (body as { data?: unknown }).data : undefined
    if (typeof data !== "object" || data === null) {
      return Effect.fail(new InvalidSecretValue({ reference: raw, message: `${raw}: Vault's answer has no data` }))
    }
    // KV v2 nests the fields under data.data beside data.metadata; KV v1 (and other engines) answer the fields as data.
    const v2 = "metadata" in data && "data" in data
    const fields = v2 ? (data as { data: unknown }).data : data
    if (fields === null) return Effect.fail(new SecretNotFound({ reference: raw, message: `${raw}: this version of ${reference.path} is deleted` }))
    return selectField(reference, fields)
  }
  if (status === 404) {
    return Effect.fail(new SecretNotFound({ reference: raw, message: `${raw}: Vault has no secret at ${reference.path}${reference.params.version ? ` (version ${reference.params.version})` : ""}` }))
  }
  if (status === 401 || status === 403) {
    return Effect.fail(new SecretAccessDenied({ reference: raw, message: `${raw}: ${withDetail(status, body)}` }))
  }
  if (status === 400) return Effect.fail(new InvalidSecretReference({ reference: raw, message: `${raw}: ${withDetail(status, body)}` }))
  return Effect.fail(new SecretUnavailable({ reference: raw, message: `${raw}: ${withDetail(status, body)}` }))
}

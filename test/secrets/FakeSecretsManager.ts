/**
 * A fake AWS Secrets Manager on 127.0.0.1 (port 0) speaking the JSON 1.1 protocol the SDK uses: `POST /` with
 * `Content-Type: application/x-amz-json-1.1` and `X-Amz-Target: secretsmanager.GetSecretValue`, errors as
 * `{"__type": "...", "message": "..."}` with status 400/500. It verifies the SigV4 signature of every request against
 * the credentials it knows (so a request the SDK did not sign with the configured keys is rejected as AWS would).
 */
import { Effect, type Scope } from "effect"
import { createHash, createHmac } from "node:crypto"
import { createServer, type IncomingHttpHeaders } from "node:http"
import type { AddressInfo } from "node:net"

export interface FakeSecret {
  readonly name: string
  readonly versions: ReadonlyArray<{
    readonly versionId: string
    readonly stages: ReadonlyArray<string>
    readonly string?: string
    readonly binary?: Uint8Array
  }>
}

export interface FakeSecretsManagerOptions {
  readonly region: string
  readonly account?: string
  /** accessKeyId -> secretAccessKey */
  readonly credentials: Record<string, string>
  readonly secrets: ReadonlyArray<FakeSecret>
  /** Secret names the caller may not read (AccessDeniedException). */
  readonly denied?: ReadonlyArray<string>
}

export interface Request {
  readonly headers: IncomingHttpHeaders
  readonly body: any
  readonly signatureValid: boolean
}

export interface FakeSecretsManager {
  readonly endpoint: string
  readonly requests: Array<Request>
  /** Answer 500 InternalServiceError while true. */
  failing: boolean
}

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex")
const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data).digest()

/** Verifies an AWS4-HMAC-SHA256 Authorization header; returns the access key id when it matches. */
const verify = (
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  body: Buffer,
  credentials: Record<string, string>
): { readonly ok: true; readonly accessKeyId: string } | { readonly ok: false; readonly type: string; readonly message: string } => {
  const auth = headers["authorization"]
  const m = typeof auth === "string"
    ? /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth)
    : null
  if (m === null) return { ok: false, type: "IncompleteSignatureException", message: "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature'." }
  const [, accessKeyId, date, region, service, signedHeaders, signature] = m as unknown as [string, string, string, string, string, string, string]
  const secret = credentials[accessKeyId]
  if (secret === undefined) return { ok: false, type: "UnrecognizedClientException", message: "The security token included in the request is invalid." }
  const amzDate = String(headers["x-amz-date"] ?? "")
  const payloadHash = sha256(body)
  if (headers["x-amz-content-sha256"] !== undefined && headers["x-amz-content-sha256"] !== payloadHash) {
    return { ok: false, type: "InvalidSignatureException", message: "The provided 'x-amz-content-sha256' header does not match what was computed." }
  }
  const canonicalHeaders = signedHeaders.split(";").map((name) => {
    const value = headers[name]
    return `${name}:${(Array.isArray(value) ? value.join(",") : String(value ?? "")).trim().replace(/\s+/g, " ")}\n`
  }).join("")
  const canonicalRequest = [method, path, "", canonicalHeaders, signedHeaders, payloadHash].join("\n")
  const scope = `${date}/${region}/${service}/aws4_request`
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonicalRequest)].join("\n")
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), "aws4_request")
  const expected = createHmac("sha256", key).update(stringToSign).digest("hex")
  if (expected !== signature) {
    return { ok: false, type: "InvalidSignatureException", message: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method." }
  }
  return { ok: true, accessKeyId }
}

export const start = (options: FakeSecretsManagerOptions): Effect.Effect<FakeSecretsManager, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() =>
      new Promise<FakeSecretsManager & { close(): Promise<void> }>((resolve) => {
        const requests: Array<Request> = []
        const state = { failing: false }
        const account = options.account ?? "123456789012"
        const arnOf = (name: string) => `arn:aws:secretsmanager:${options.region}:${account}:secret:${name}-AbCdEf`
        const server = createServer((req, res) => {
          const chunks: Array<Buffer> = []
          req.on("data", (c: Buffer) => chunks.push(c))
          req.on("end", () => {
            const raw = Buffer.concat(chunks)
            const reply = (status: number, payload: unknown, type?: string) => {
              res.writeHead(status, {
                "content-type": "application/x-amz-json-1.1",
                "x-amzn-requestid": "00000000-0000-0000-0000-000000000000",
                ...(type === undefined ? {} : { "x-amzn-errortype": `${type}:` })
              })
              res.end(JSON.stringify(payload))
            }
            const error = (status: number, type: string, message: string) => reply(status, { __type: type, message }, type)
            const check = verify(req.method ?? "", req.url ?? "/", req.headers, raw, options.credentials)
            let body: any
            try {
              body = JSON.parse(raw.toString("utf8"))
            } catch {
              body = undefined
            }
            requests.push({ headers: req.headers, body, signatureValid: check.ok })
            if (!check.ok) return error(400, check.type, check.message)
            if (req.method !== "POST" || req.headers["content-type"] !== "application/x-amz-json-1.1") {
              return error(400, "SerializationException", "Start of structure or map found where not expected.")
            }
            if (req.headers["x-amz-target"] !== "secretsmanager.GetSecretValue") {
              return error(400, "UnknownOperationException", "")
            }
            if (state.failing) return error(500, "InternalServiceError", "An error occurred on the server side.")
            if (typeof body?.SecretId !== "string") return error(400, "ValidationException", "1 validation error detected: Value null at 'secretId' failed to satisfy constraint: Member must not be null")
            const id: string = body.SecretId
            const secret = options.secrets.find((s) => s.name === id || arnOf(s.name) === id)
            if (secret === undefined) return error(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
            if (options.denied?.includes(secret.name)) {
              return error(400, "AccessDeniedException", `User: arn:aws:iam::${account}:user/llm-app is not authorized to perform: secretsmanager:GetSecretValue on resource: ${id} because no identity-based policy allows the secretsmanager:GetSecretValue action`)
            }
            const version = body.VersionId !== undefined
              ? secret.versions.find((v) => v.versionId === body.VersionId)
              : secret.versions.find((v) => v.stages.includes(body.VersionStage ?? "AWSCURRENT"))
            if (version === undefined) {
              return error(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: " + (body.VersionStage ?? body.VersionId))
            }
            reply(200, {
              ARN: arnOf(secret.name),
              Name: secret.name,
              VersionId: version.versionId,
              ...(version.string !== undefined ? { SecretString: version.string } : {}),
              ...(version.binary !== undefined ? { SecretBinary: Buffer.from(version.binary).toString("base64") } : {}),
              VersionStages: version.stages,
              CreatedDate: 1.764583200123e9
            })
          })
        })
        server.listen(0, "127.0.0.1", () => {
          const { port } = server.address() as AddressInfo
          resolve({
            endpoint: `http://127.0.0.1:${port}`,
            requests,
            get failing() {
              return state.failing
            },
            set failing(value: boolean) {
              state.failing = value
            },
            close: () =>
              new Promise<void>((done) => {
                server.closeAllConnections()
                server.close(() => done())
              })
          })
        })
      })
    ),
    (server) => Effect.promise(() => server.close())
  )

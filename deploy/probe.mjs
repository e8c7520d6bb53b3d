// Health and readiness probe of `llm-orchestrator serve` for container HEALTHCHECKs and Kubernetes exec probes:
// `node probe.mjs /health` (public) or `node probe.mjs /ready` (needs a viewer credential: LLMO_PROBE_KEY, an API
// key, or else a 60-second viewer JWT signed here with the HS256 secret in the file LLMO_PROBE_JWT_SECRET_FILE, the
// same file the server's --jwt-secret reads, so no key has to be created before the first probe).
// Exit 0 when the server answers 2xx within LLMO_PROBE_TIMEOUT_MS (default 2000), 1 otherwise, with the reason.
// Plain Node (>= 22), no dependencies.
import { createHmac } from "node:crypto"
import { readFileSync } from "node:fs"

const path = process.argv[2] ?? "/health"
const base = process.env.LLMO_PROBE_URL ?? `http://127.0.0.1:${process.env.LLMO_PROBE_PORT ?? "8080"}`
const timeout = Number(process.env.LLMO_PROBE_TIMEOUT_MS ?? "2000")

const b64 = (value) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url")
const credential = () => {
  if (process.env.LLMO_PROBE_KEY) return process.env.LLMO_PROBE_KEY
  const file = process.env.LLMO_PROBE_JWT_SECRET_FILE
  if (!file) return undefined
  const secret = readFileSync(file, "utf8").replace(/\r?\n$/, "")
  const now = Math.floor(Date.now() / 1000)
  const claims = { sub: "probe", role: "viewer", iat: now, exp: now + 60 }
  // When the server requires them (--jwt-issuer, --jwt-audience).
  if (process.env.LLMO_PROBE_JWT_ISSUER) claims.iss = process.env.LLMO_PROBE_JWT_ISSUER
  if (process.env.LLMO_PROBE_JWT_AUDIENCE) claims.aud = process.env.LLMO_PROBE_JWT_AUDIENCE
  const body = `${b64({ alg: "HS256", typ: "JWT" })}.${b64(claims)}`
  return `${body}.${createHmac("sha256", secret).update(body).digest("base64url")}`
}

try {
  const token = path === "/health" ? undefined : credential()
  const res = await fetch(`${base}${path}`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(timeout)
  })
  if (res.ok) process.exit(0)
  process.stderr.write(`probe ${path}: ${res.status} ${(await res.text()).slice(0, 200)}\n`)
} catch (e) {
  process.stderr.write(`probe ${path}: ${e instanceof Error ? e.message : String(e)}\n`)
}
process.exit(1)

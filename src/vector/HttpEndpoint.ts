// The http(s) URL a store is given, split the way the SDKs want it (host, port, TLS, path). Chroma, Milvus and
// Weaviate each parsed it the same way; it lives here once.

/** An http(s) server address: the host without IPv6 brackets, the port (the scheme's default when absent). */
export interface HttpEndpoint {
  readonly origin: string
  readonly host: string
  readonly port: number
  readonly secure: boolean
  /** The path without a trailing slash ("" for none). */
  readonly path: string
}

/**
 * Parses an http(s) URL, or returns undefined for anything else (a bad URL, another scheme).
 *
 * @example
 * ```ts
 * httpEndpoint("https://[::1]/base/") // { origin: "https://[::1]", host: "::1", port: 443, secure: true, path: "/base" }
 * ```
 */
export const httpEndpoint = (url: string): HttpEndpoint | undefined => {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return undefined
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return undefined
  const secure = u.protocol === "https:"
  return {
    origin: u.origin,
    host: u.hostname.replace(/^\[|\]$/g, ""),
    port: u.port === "" ? (secure ? 443 : 80) : Number(u.port),
    secure,
    path: u.pathname.replace(/\/+$/, "")
  }
}

/**
 * Image parts of effect/ai prompts in the forms the provider APIs take: a URL, a `data:` URL, or raw base64.
 *
 * @example
 * ```ts
 * import { FileData } from "llm-orchestrator/providers"
 * FileData.toDataUrl({ mediaType: "image/png", data: new Uint8Array([1, 2]) }) // "data:image/png;base64,AQI="
 * ```
 */

/**
 * The parts of an effect/ai file part the adapters need.
 *
 * @example
 * ```ts
 * const file: FileData.FileLike = { mediaType: "image/png", data: new Uint8Array([1, 2]) }
 * ```
 */
export interface FileLike {
  readonly mediaType: string
  readonly data: string | Uint8Array | URL
}

/**
 * True for `image/*` parts (the only files the chat adapters send).
 *
 * @example
 * ```ts
 * FileData.isImage({ mediaType: "image/jpeg", data: "https://x/y.jpg" }) // true
 * FileData.isImage({ mediaType: "application/pdf", data: bytes }) // false
 * ```
 */
export const isImage = (file: FileLike): boolean => file.mediaType.startsWith("image/")

/**
 * The remote URL of a file given by URL (or as an http(s) string), else undefined.
 *
 * @example
 * ```ts
 * FileData.remoteUrl({ mediaType: "image/png", data: new URL("https://x/y.png") }) // "https://x/y.png"
 * ```
 */
export const remoteUrl = (file: FileLike): string | undefined =>
  file.data instanceof URL
    ? file.data.href
    : typeof file.data === "string" && /^https?:\/\//.test(file.data)
    ? file.data
    : undefined

/**
 * The file's bytes as base64 (strings that are not URLs are taken as base64 already).
 *
 * @example
 * ```ts
 * FileData.toBase64({ mediaType: "image/png", data: new Uint8Array([1, 2]) }) // "AQI="
 * ```
 */
export const toBase64 = (file: FileLike): string =>
  file.data instanceof Uint8Array
    ? Buffer.from(file.data).toString("base64")
    : typeof file.data === "string"
    ? file.data.replace(/^data:[^;]+;base64,/, "")
    : ""

/**
 * A URL the OpenAI API accepts for the image: the remote URL, or a `data:` URL.
 *
 * @example
 * ```ts
 * FileData.toDataUrl({ mediaType: "image/png", data: "AQI=" }) // "data:image/png;base64,AQI="
 * ```
 */
export const toDataUrl = (file: FileLike): string =>
  remoteUrl(file) ?? (typeof file.data === "string" && file.data.startsWith("data:")
    ? file.data
    : `data:${file.mediaType};base64,${toBase64(file)}`)

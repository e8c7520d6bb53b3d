/**
 * Point ids for databases whose ids are strings only (Pinecone, Chroma, Milvus with a VarChar key): a number id `7` is
 * stored as `#7` and a string starting with `#` gets one more `#`, so `7` and `"7"` stay different ids and both
 * round-trip unchanged.
 *
 * @example
 * ```ts
 * import * as StringIds from "./StringIds.ts"
 * StringIds.encode(7) // "#7"
 * StringIds.decode("#7") // 7
 * StringIds.decode(StringIds.encode("#x")) // "#x"
 * ```
 */
import type { PointId } from "./VectorStoreShape.ts"

/**
 * A point id as a string id.
 *
 * @example
 * ```ts
 * encode(7) // "#7"
 * encode("#x") // "##x"
 * ```
 */
export const encode = (id: PointId): string => (typeof id === "number" ? `#${id}` : id.startsWith("#") ? `#${id}` : id)

/**
 * The point id of a string id made by {@link encode}.
 *
 * @example
 * ```ts
 * decode("#7") // 7
 * decode("##x") // "#x"
 * ```
 */
export const decode = (id: string): PointId =>
  id.startsWith("##") ? id.slice(1) : id.startsWith("#") && /^#\d+$/.test(id) ? Number(id.slice(1)) : id

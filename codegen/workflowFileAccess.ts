/**
 * Which files a workflow may read, and how they are read: sub-workflow `file:` paths are confined to the entry file's
 * directory tree (plus explicitly allowed directories), and only regular files up to a size limit are read, without
 * ever blocking on a device or a FIFO. A refusal is a sentence saying why, for the validator to place on the `file:`.
 *
 * @example
 * ```ts
 * readWorkflowText("/dev/zero")                          // { error: "not a regular file (a character device)" }
 * confine("../../etc/passwd", "/etc/passwd", { root: "/work/wf", allowed: [] }) // "resolves to /etc/passwd, outside ..."
 * ```
 */
import { isAbsolute, relative, sep } from "node:path"

/** The largest workflow file read by default: 1 MiB (the largest example is a few KiB; a 1,000-step file ~150 KiB). */
export const defaultMaxFileBytes = 1024 * 1024

/**
 * Text of a file, or why it was not read.
 *
 * @example
 * ```ts
 * const r: ReadResult = readWorkflowText("wf.yaml")
 * "error" in r ? r.error : r.text
 * ```
 */
export type ReadResult = { readonly text: string } | { readonly error: string }

interface Fs {
  readonly constants: { readonly O_RDONLY: number; readonly O_NONBLOCK?: number }
  readonly openSync: (path: string, flags: number) => number
  readonly fstatSync: (fd: number) => FileStats
  readonly readSync: (fd: number, buffer: Uint8Array, offset: number, length: number, position: number | null) => number
  readonly closeSync: (fd: number) => void
  readonly realpathSync: (path: string) => string
}
interface FileStats {
  readonly size: number
  isFile(): boolean
  isDirectory(): boolean
  isCharacterDevice(): boolean
  isBlockDevice(): boolean
  isFIFO(): boolean
  isSocket(): boolean
}

// Looked up lazily: the analyzer stays usable where node:fs is not available (sources given as text).
const fs = (): Fs | undefined =>
  (globalThis as { process?: { getBuiltinModule?: (m: string) => unknown } }).process?.getBuiltinModule?.("node:fs") as Fs | undefined

const kindOf = (s: FileStats): string =>
  s.isDirectory() ? "a directory"
    : s.isCharacterDevice() ? "a character device"
    : s.isBlockDevice() ? "a block device"
    : s.isFIFO() ? "a FIFO"
    : s.isSocket() ? "a socket"
    : "not a plain file"

const codeOf = (e: unknown): string | undefined =>
  typeof e === "object" && e !== null && typeof (e as { code?: unknown }).code === "string" ? (e as { code: string }).code : undefined

const reasonOf = (e: unknown): string => {
  switch (codeOf(e)) {
    case "ENOENT":
      return "no such file"
    case "EACCES":
    case "EPERM":
      return "permission denied"
    case "EISDIR":
      return "not a regular file (a directory)"
    case "ELOOP":
      return "too many symbolic links"
    default:
      return e instanceof Error ? e.message : String(e)
  }
}

/**
 * Reads a workflow file: a regular file of at most `maxBytes`, as UTF-8. Opens without blocking (a FIFO or device is
 * refused after `fstat`, never read) and reads at most `maxBytes + 1` bytes, so a file whose size the system reports
 * as 0 (`/proc`) cannot make it read without end either.
 *
 * @example
 * ```ts
 * readWorkflowText("examples/parallel-rag.yaml") // { text: "name: parallel-rag-search\n..." }
 * readWorkflowText("/dev/urandom")               // { error: "not a regular file (a character device)" }
 * ```
 */
export const readWorkflowText = (path: string, maxBytes: number = defaultMaxFileBytes): ReadResult => {
  const f = fs()
  if (f === undefined) return { error: "no file system here (give the source text instead)" }
  let fd: number
  try {
    fd = f.openSync(path, f.constants.O_RDONLY | (f.constants.O_NONBLOCK ?? 0))
  } catch (e) {
    return { error: reasonOf(e) }
  }
  try {
    const stats = f.fstatSync(fd)
    if (!stats.isFile()) return { error: `not a regular file (${kindOf(stats)})` }
    const tooLarge = (size: number) => ({ error: `too large (${size > maxBytes + 1 ? `${size} bytes` : `more than ${maxBytes} bytes`}; the limit is ${maxBytes} bytes)` })
    if (stats.size > maxBytes) return tooLarge(stats.size)
    const buffer = new Uint8Array(maxBytes + 1)
    let length = 0
    for (;;) {
      const n = f.readSync(fd, buffer, length, buffer.length - length, null)
      if (n === 0) break
      length += n
      if (length > maxBytes) return tooLarge(length)
    }
    return { text: new TextDecoder("utf-8").decode(buffer.subarray(0, length)) }
  } catch (e) {
    return { error: reasonOf(e) }
  } finally {
    f.closeSync(fd)
  }
}

const inside = (path: string, dir: string): boolean => {
  const rel = relative(dir, path)
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel))
}

/**
 * The directories a workflow may read sub-workflow files from: the entry file's directory tree, and any the caller
 * allows explicitly.
 *
 * @example
 * ```ts
 * const dirs: ReadDirs = { root: "/work/wf", allowed: ["/work/shared-workflows"] }
 * ```
 */
export interface ReadDirs {
  readonly root: string
  readonly allowed: ReadonlyArray<string>
}

const describeDirs = (dirs: ReadDirs): string =>
  dirs.allowed.length === 0
    ? `the workflow's directory ${dirs.root}; sub-workflow files must be inside it`
    : `the workflow's directory ${dirs.root} and the allowed directories ${dirs.allowed.join(", ")}; sub-workflow files must be inside one of them`

/**
 * Why a sub-workflow path may not be read, or undefined when it may: `target` (the absolute path `file` resolves to)
 * must lie inside `dirs`. With `followLinks`, the real path (symbolic links resolved) must too, so a link in the tree
 * cannot point outside it.
 *
 * @example
 * ```ts
 * confine("./sub.yaml", "/wf/sub.yaml", { root: "/wf", allowed: [] })  // undefined
 * confine("/etc/passwd", "/etc/passwd", { root: "/wf", allowed: [] })  // "is outside the workflow's directory /wf; ..."
 * ```
 */
export const confine = (file: string, target: string, dirs: ReadDirs, followLinks = false): string | undefined => {
  const all = [dirs.root, ...dirs.allowed]
  if (!all.some((d) => inside(target, d))) {
    return `${isAbsolute(file) ? "is" : `resolves to ${target},`} outside ${describeDirs(dirs)}`
  }
  if (!followLinks) return undefined
  const f = fs()
  if (f === undefined) return undefined
  const real = (p: string): string | undefined => {
    try {
      return f.realpathSync(p)
    } catch {
      return undefined
    }
  }
  const target2 = real(target)
  if (target2 === undefined) return undefined // does not exist: reading it says so
  if (!all.some((d) => inside(target2, real(d) ?? d))) return `links to ${target2}, outside ${describeDirs(dirs)}`
  return undefined
}

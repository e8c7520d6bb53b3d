/**
 * The local Redis (127.0.0.1:6379) for the shared-state and trigger tests: availability (fail loudly under CI=true,
 * skip with a printed reason elsewhere, like test/store/postgres.ts), a key prefix of the test's own
 * (`queues-<random>:`), and a cleanup that deletes every key under it.
 */
import { connect } from "node:net"
import { randomBytes } from "node:crypto"
import { createClient } from "redis"

export const redisHost = process.env["REDIS_HOST"] ?? "127.0.0.1"
export const redisPort = Number(process.env["REDIS_PORT"] ?? 6379)
export const redisUrl = `redis://${redisHost}:${redisPort}`

const up = (host: string, port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect({ host, port })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1000, () => done(false))
    socket.once("connect", () => done(true))
    socket.once("error", () => done(false))
  })

/** Whether a service's tests run: under CI=true a missing server is a failure (the reason is thrown by the test). */
export const serviceAvailability = async (
  name: string,
  host: string,
  port: number
): Promise<{ readonly run: boolean; readonly reason: string | undefined }> => {
  if (await up(host, port)) return { run: true, reason: undefined }
  const reason = `${name} is not reachable on ${host}:${port}`
  if (process.env["CI"] === "true") return { run: true, reason }
  console.warn(`[skip] ${reason}: ${name} tests skipped (they fail under CI=true)`)
  return { run: false, reason }
}

export const redisAvailability = () => serviceAvailability("Redis", redisHost, redisPort)

/** A fresh key prefix (`queues-<pid>-<random>:`). */
export const testPrefix = (what = "t"): string => `queues-${what}-${process.pid}-${randomBytes(4).toString("hex")}:`

/** Deletes every key starting with `prefix` (SCAN, not KEYS). */
export const deleteKeys = async (prefix: string): Promise<number> => {
  if (!prefix.startsWith("queues-")) throw new Error(`refusing to delete keys under ${prefix}: not a test prefix`)
  const client = createClient({ url: redisUrl })
  await client.connect()
  let deleted = 0
  try {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
      if (keys.length > 0) deleted += await client.del(keys)
    }
  } finally {
    await client.close()
  }
  return deleted
}

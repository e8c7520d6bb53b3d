/**
 * Priority lanes queued in Redis, so that when a shared rate limit is the bottleneck the waiting calls of **every**
 * worker take their turn in priority order (with aging, as `PriorityLane` does within one process): a high-priority
 * call on worker A waits less than a low-priority call on worker B, and a low one is still served once its handicap
 * (one aging period per level) has passed.
 *
 * Per limit key (`<provider>:requests`, `<provider>:tokens`) Redis holds:
 * - `<prefix><key>:waiting`, a sorted set of the workers with calls waiting, scored by the order of each worker's
 *   best waiting call (`arrival - priority * aging`, milliseconds on the caller's clock);
 * - `<prefix><key>:alive`, the same members scored by a lease deadline (Redis time), so a worker that died while
 *   waiting drops out after `lease` (5 s) instead of blocking the others;
 * - `<prefix><key>:turn`, who holds the turn: `g:<worker>` while it takes its reservation, then `h:<worker>` expiring
 *   when that reservation's token is due.
 *
 * One fiber per worker and key (the pump) represents the worker's local queue: it asks Redis for the turn (an atomic
 * Lua script: register the worker's best order, drop dead workers, grant the turn when no one holds it and the
 * worker is first, and say the best other worker's order), hands the turn to its best local calls (up to `wave`,
 * 4, at once; more waves while they come before that order), each taking its token from effect's `RateLimiter` store (the same shared
 * bucket as before: the counting primitive is unchanged), and then lets the turn expire `lookahead` (300 ms) before
 * the last token is due. So the reservations run at most `lookahead` ahead across all workers, and the
 * next call is chosen shortly before a token frees up, among all the calls waiting then. Waiting pumps sleep until the turn expires (its PTTL),
 * polling every `pollEvery` (25 ms) only in the few milliseconds while a turn is being taken.
 *
 * Cost: three Redis round trips per call instead of one (turn, bucket, release), whether the limit is saturated or
 * not. If Redis cannot be reached the lane serves its local calls one at a time (the bucket is then not applied
 * either, as `SharedLimits` documents) and logs a warning.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { RedisConnection, SharedPriorityLane } from "llm-orchestrator/shared-state"
 * const lanes = SharedPriorityLane.layer({ prefix: "prod:limits:" }).pipe(Layer.provide(RedisConnection.layer({ url })))
 * ```
 */
import { Clock, Deferred, Duration, Effect, Exit, Layer } from "effect"
import * as Redis from "effect/persistence/Redis"
import type { PriorityLane } from "../reliability/PriorityLane.ts"
import { PriorityLanes } from "../reliability/PriorityLanes.ts"

/**
 * Options of the Redis lanes.
 *
 * @example
 * ```ts
 * const options: SharedPriorityLane.Options = { prefix: "prod:limits:", lease: "5 seconds" }
 * ```
 */
export interface Options {
  /** Key prefix, the same as the buckets' (default `llmo:limits:`). */
  readonly prefix?: string | undefined
  /** This worker's name in the queues (default: a random id per layer). */
  readonly member?: string | undefined
  /** How long a waiting worker stays in the queue without renewing it (default 5 s). */
  readonly lease?: Duration.Input | undefined
  /** How often a waiting worker asks again while another one is taking its reservation (default 25 ms). */
  readonly pollEvery?: Duration.Input | undefined
  /**
   * How long before a reservation's token is due the turn passes on (default 300 ms): the next reservation is taken
   * that much ahead, so a worker that wakes late (a loaded machine) costs no throughput. Calls already reserved within
   * it cannot be overtaken.
   */
  readonly lookahead?: Duration.Input | undefined
  /** How many of its calls a worker lets take their reservations at once within its turn (default 4). */
  readonly wave?: number | undefined
}

// KEYS: waiting, alive, turn. ARGV: member, order, lease ms, grant ms. Returns {0, wait ms (-1: poll)} or
// {1, order of the best other worker waiting ("inf": none)}.
const acquireScript = Redis.script(
  (waiting: string, alive: string, turn: string, member: string, order: number, leaseMillis: number, grantMillis: number) => [
    waiting,
    alive,
    turn,
    member,
    order,
    leaseMillis,
    grantMillis
  ],
  {
    numberOfKeys: 3,
    lua: `
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local member = ARGV[1]
local lease = tonumber(ARGV[3])
redis.call("ZADD", KEYS[1], ARGV[2], member)
redis.call("ZADD", KEYS[2], now + lease, member)
local dead = redis.call("ZRANGEBYSCORE", KEYS[2], "-inf", "(" .. now)
for _, d in ipairs(dead) do
  redis.call("ZREM", KEYS[1], d)
  redis.call("ZREM", KEYS[2], d)
end
redis.call("PEXPIRE", KEYS[1], lease * 2)
redis.call("PEXPIRE", KEYS[2], lease * 2)
local holder = redis.call("GET", KEYS[3])
if holder then
  if string.sub(holder, 1, 2) == "g:" then return {0, -1} end
  return {0, redis.call("PTTL", KEYS[3])}
end
local head = redis.call("ZRANGE", KEYS[1], 0, 1, "WITHSCORES")
if head[1] ~= member then return {0, -1} end
redis.call("SET", KEYS[3], "g:" .. member, "PX", ARGV[4])
-- the order of the best other worker: this one may serve its calls up to it in this turn
return {1, head[4] or "inf"}
`
  }
).withReturnType<readonly [granted: number, waitMillisOrNextOrder: number | string]>()

// KEYS: waiting, alive, turn. ARGV: member, hold ms, next order ("" = no more calls waiting here).
const releaseScript = Redis.script(
  (waiting: string, alive: string, turn: string, member: string, holdMillis: number, next: string) => [
    waiting,
    alive,
    turn,
    member,
    holdMillis,
    next
  ],
  {
    numberOfKeys: 3,
    lua: `
local member = ARGV[1]
if redis.call("GET", KEYS[3]) == "g:" .. member then
  local hold = tonumber(ARGV[2])
  if hold > 0 then redis.call("SET", KEYS[3], "h:" .. member, "PX", hold) else redis.call("DEL", KEYS[3]) end
end
if ARGV[3] == "" then
  redis.call("ZREM", KEYS[1], member)
  redis.call("ZREM", KEYS[2], member)
else
  redis.call("ZADD", KEYS[1], ARGV[3], member)
end
return 1
`
  }
)

// KEYS: waiting, alive. ARGV: member.
const leaveScript = Redis.script(
  (waiting: string, alive: string, member: string) => [waiting, alive, member],
  {
    numberOfKeys: 2,
    lua: `
redis.call("ZREM", KEYS[1], ARGV[1])
redis.call("ZREM", KEYS[2], ARGV[1])
return 1
`
  }
)

interface Waiter {
  readonly order: number
  readonly seq: number
  readonly turn: Deferred.Deferred<void>
  /** Set when the pump hands this waiter the turn: completed with the milliseconds until its token is due. */
  done: Deferred.Deferred<number> | undefined
}

/**
 * The lanes on the `Redis` service of the context; pumps live as long as the scope.
 *
 * @example
 * ```ts
 * const lanes = yield* SharedPriorityLane.make({ prefix: "prod:limits:" })
 * const lane = lanes.lane("openai:requests")
 * ```
 */
export const make = Effect.fnUntraced(function*(options: Options = {}) {
  const redis = yield* Redis.Redis
  const scope = yield* Effect.scope
  const prefix = options.prefix ?? "llmo:limits:"
  const member = options.member ?? crypto.randomUUID()
  const leaseMillis = Math.max(100, Duration.toMillis(Duration.fromInputUnsafe(options.lease ?? "5 seconds")))
  const pollMillis = Math.max(1, Duration.toMillis(Duration.fromInputUnsafe(options.pollEvery ?? "25 millis")))
  const wave = Math.max(1, Math.floor(options.wave ?? 4))
  const lookaheadMillis = Math.max(0, Duration.toMillis(Duration.fromInputUnsafe(options.lookahead ?? "300 millis")))
  // a grant covers the round trip of taking one reservation; released (or expired) right after
  const grantMillis = leaseMillis
  const acquire = redis.eval(acquireScript)
  const release = redis.eval(releaseScript)
  const leave = redis.eval(leaveScript)
  let degraded = false

  const makeLane = (key: string): PriorityLane => {
    const waiting = `${prefix}${key}:waiting`
    const alive = `${prefix}${key}:alive`
    const turn = `${prefix}${key}:turn`
    const queue: Array<Waiter> = []
    let pumping = false
    let seq = 0

    const ask = (order: number) =>
      acquire(waiting, alive, turn, member, order, leaseMillis, grantMillis).pipe(
        Effect.map(([granted, second]) => {
          degraded = false
          return Number(granted) === 1
            ? { granted: true, wait: 0, upTo: second === "inf" ? Infinity : Number(second) }
            : { granted: false, wait: Number(second), upTo: -Infinity }
        }),
        // Redis down: serve the local calls one at a time rather than stopping the work
        Effect.catch((e) =>
          (degraded ? Effect.void : Effect.logWarning(`priority queue of ${key} not shared: ${e.message}`)).pipe(
            Effect.map(() => {
              degraded = true
              return { granted: true, wait: 0, upTo: Infinity }
            })
          )
        )
      )

    const pump: Effect.Effect<void> = Effect.gen(function*() {
      while (true) {
        const best = queue[0]
        if (best === undefined) {
          pumping = false
          yield* leave(waiting, alive, member).pipe(Effect.ignore)
          return
        }
        const answer = yield* ask(best.order)
        if (!answer.granted) {
          // the holder's token is due in `wait` ms (renew our lease at least every third of it); -1: being taken now
          const wait = answer.wait < 0 ? pollMillis : Math.min(Math.max(1, answer.wait), leaseMillis / 3)
          yield* Effect.sleep(Duration.millis(wait))
          continue
        }
        // Serve the best local calls in turn (the first may have arrived during the round trip), as long as they
        // come before the best other worker's and the reservations are not `lookahead` ahead: one turn of Redis
        // serves several calls, so the handoffs between workers do not bound the throughput.
        // Up to `wave` calls take their reservations at once (their commands go out in order on one connection, so
        // the bucket serves them in priority order): a loaded worker that answers slowly still keeps the limit busy.
        let hold = 0
        let first = true
        while (true) {
          const dones: Array<Deferred.Deferred<number>> = []
          while (dones.length < wave && queue.length > 0 && (first || queue[0]!.order <= answer.upTo)) {
            first = false
            const w = queue.shift()!
            const done = Deferred.makeUnsafe<number>()
            w.done = done
            Deferred.doneUnsafe(w.turn, Exit.void)
            dones.push(done)
          }
          if (dones.length === 0) break
          for (const done of dones) hold = Math.max(hold, yield* Deferred.await(done))
          if (hold >= lookaheadMillis) break
        }
        const next = queue[0]
        if (next === undefined) pumping = false
        const holdFor = Math.ceil(hold - lookaheadMillis)
        yield* release(waiting, alive, turn, member, holdFor, next === undefined ? "" : String(next.order)).pipe(Effect.ignore)
        if (next === undefined) return
      }
    })

    const enqueue = (order: number): Waiter => {
      const waiter: Waiter = { order, seq: seq++, turn: Deferred.makeUnsafe<void>(), done: undefined }
      let i = queue.length
      while (i > 0 && queue[i - 1]!.order > order) i--
      queue.splice(i, 0, waiter)
      return waiter
    }

    const take: PriorityLane["take"] = (priority, aging, reserve) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const waiter = enqueue(now - priority * Duration.toMillis(Duration.fromInputUnsafe(aging)))
          if (!pumping) {
            pumping = true
            yield* Effect.forkIn(Effect.interruptible(pump), scope)
          }
          yield* restore(Deferred.await(waiter.turn)).pipe(
            Effect.onInterrupt(() =>
              Effect.sync(() => {
                const i = queue.indexOf(waiter)
                // still waiting: leave the queue; handed the turn already: give it back at once
                if (i >= 0) queue.splice(i, 1)
                else if (waiter.done !== undefined) Deferred.doneUnsafe(waiter.done, Exit.succeed(0))
              })
            )
          )
          const exit = yield* Effect.exit(restore(reserve))
          const delay = Exit.isSuccess(exit) ? exit.value.delay : Duration.zero
          Deferred.doneUnsafe(waiter.done!, Exit.succeed(Duration.toMillis(delay)))
          const result = yield* exit
          if (!Duration.isZero(delay)) yield* restore(Effect.sleep(delay))
          return result
        })
      )

    const run: PriorityLane["run"] = (priority, aging, self) =>
      take(priority, aging, Effect.map(self, (value) => ({ value, delay: Duration.zero }))).pipe(Effect.map((r) => r.value))

    return { run, take, waiting: () => queue.length }
  }

  const lanes = new Map<string, PriorityLane>()
  return PriorityLanes.of({
    lane: (key) => {
      let lane = lanes.get(key)
      if (lane === undefined) lanes.set(key, (lane = makeLane(key)))
      return lane
    }
  })
})

/**
 * `PriorityLanes` queued in the `Redis` of the context (part of `SharedLimits.layer`).
 *
 * @example
 * ```ts
 * const lanes = SharedPriorityLane.layer({ prefix: "prod:limits:" }).pipe(Layer.provide(RedisConnection.layer({ url })))
 * ```
 */
export const layer = (options: Options = {}): Layer.Layer<PriorityLanes, never, Redis.Redis> => Layer.effect(PriorityLanes, make(options))

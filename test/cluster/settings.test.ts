/**
 * The cluster settings: documented defaults, overrides, refusals, addresses, and the whole effect/cluster
 * `ShardingConfig` they make, which never reads the environment (effect's own reader takes `PORT` and `HOST`).
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Option } from "effect"
import * as Settings from "../../src/cluster/Settings.ts"

const ms = (d: Duration.Input) => Duration.toMillis(Duration.fromInputUnsafe(d))

describe("cluster settings", () => {
  it("defaults: lock expiry 9 s, refresh 3 s, health check 2 s, assignments 1 s, message poll 1 s, inbox 500 ms, grace 120 s, 300 shards", () => {
    const d = Settings.resolve()
    assert.deepStrictEqual(
      [d.lockExpiry, d.lockRefresh, d.healthCheck, d.assignmentsRefresh, d.messagePoll, d.inboxPoll, d.gracePeriod].map(ms),
      [9_000, 3_000, 2_000, 1_000, 1_000, 500, 120_000]
    )
    assert.strictEqual(d.shards, 300)
    assert.deepStrictEqual(Settings.problems(d), [])
  })

  it("each setting can be overridden; settings that cannot work are named", () => {
    const r = Settings.resolve({ lockExpiry: "20 seconds", gracePeriod: "5 minutes", shards: 64 })
    assert.strictEqual(ms(r.lockExpiry), 20_000)
    assert.strictEqual(ms(r.gracePeriod), 300_000)
    assert.strictEqual(r.shards, 64)
    assert.strictEqual(ms(r.lockRefresh), 3_000)
    assert.deepStrictEqual(Settings.problems(Settings.resolve({ lockExpiry: "2 seconds", lockRefresh: "3 seconds", shards: 0, inboxPoll: 0 })), [
      "lock refresh (3s) must be below lock expiry (2s)",
      "shards must be a positive integer (got 0)",
      "inbox poll must be above zero"
    ])
  })

  it("addresses are host:port", () => {
    assert.deepInclude(Settings.parseAddress("10.0.0.7:34431"), { host: "10.0.0.7", port: 34431 })
    assert.deepInclude(Settings.parseAddress("worker-1:34431"), { host: "worker-1", port: 34431 })
    assert.deepInclude(Settings.parseAddress("[::1]:9"), { host: "::1", port: 9 })
    for (const bad of ["10.0.0.7", ":34431", "host:0", "host:70000", "host:port"]) assert.isUndefined(Settings.parseAddress(bad), bad)
  })

  it("the ShardingConfig is the settings, with the address given and nothing from the environment", () => {
    const saved = { PORT: process.env["PORT"], HOST: process.env["HOST"], SHARDS_PER_GROUP: process.env["SHARDS_PER_GROUP"] }
    process.env["PORT"] = "8080"
    process.env["HOST"] = "0.0.0.0"
    process.env["SHARDS_PER_GROUP"] = "7"
    try {
      const worker = Settings.shardingConfig(Settings.resolve(), { address: Settings.parseAddress("127.0.0.1:34431"), listen: Settings.parseAddress("0.0.0.0:34431") })
      assert.deepInclude(Option.getOrThrow(worker.runnerAddress), { host: "127.0.0.1", port: 34431 })
      assert.deepInclude(Option.getOrThrow(worker.runnerListenAddress), { host: "0.0.0.0", port: 34431 })
      assert.strictEqual(worker.shardsPerGroup, 300)
      assert.deepStrictEqual(
        [worker.shardLockExpiration, worker.shardLockRefreshInterval, worker.runnerHealthCheckInterval, worker.refreshAssignmentsInterval, worker.entityMessagePollInterval, worker.entityTerminationTimeout].map(ms),
        [9_000, 3_000, 2_000, 1_000, 1_000, 120_000]
      )
      const client = Settings.shardingConfig(Settings.resolve(), {})
      assert.isTrue(Option.isNone(client.runnerAddress))
      assert.isTrue(Option.isNone(client.runnerListenAddress))
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k]
        else process.env[k] = v
      }
    }
  })
})

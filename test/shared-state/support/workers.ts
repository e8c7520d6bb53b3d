/**
 * Runs limitWorker.ts processes against one fake provider and collects what the fake saw (arrival times) and what
 * each worker reported (waits per priority). Shared by SharedLimits.test.ts and bench/shared-limits.ts.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { fileURLToPath } from "node:url"

const worker = fileURLToPath(new URL("./limitWorker.ts", import.meta.url))

/** A fake OpenAI chat endpoint recording arrival times; beyond `rpm` in any sliding minute it answers 429. */
export interface Fake {
  readonly url: string
  readonly arrivals: Array<number>
  readonly rejected: () => number
  readonly close: () => Promise<void>
}

export const startFake = (options: { readonly rpm?: number } = {}): Promise<Fake> =>
  new Promise((resolve) => {
    const arrivals: Array<number> = []
    let rejected = 0
    const server: Server = createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", () => {
        const now = Date.now()
        // a worker's warm-up call (limitWorker.ts): answered, never counted or limited
        const warm = req.url?.startsWith("/warm/") === true
        const inLastMinute = arrivals.filter((t) => t > now - 60_000).length
        if (!warm && options.rpm !== undefined && inLastMinute >= options.rpm) {
          rejected++
          res.writeHead(429, { "content-type": "application/json", "retry-after": "1" })
          res.end(JSON.stringify({ error: { message: "rate limit", type: "rate_limit_exceeded" } }))
          return
        }
        if (!warm) arrivals.push(now)
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}")
        const prompt = String(body.messages?.at(-1)?.content ?? "")
        res.writeHead(200, { "content-type": "application/json" })
        res.end(JSON.stringify({
          id: "chatcmpl-1",
          object: "chat.completion",
          created: 1,
          model: "gpt-4o-mini",
          choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: `echo: ${prompt}`, refusal: null } }],
          usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 }
        }))
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}`,
        arrivals,
        rejected: () => rejected,
        close: () => new Promise((done) => {
          server.closeAllConnections()
          server.close(() => done())
        })
      })
    })
  })

export interface WorkerReport {
  readonly ok: number
  readonly failed: number
  readonly waits: ReadonlyArray<{ readonly priority: number; readonly millis: number }>
  readonly stderr: string
}

export interface RunOptions {
  /** `shared`: limits and queue in Redis; `shared-per-worker`: limits in Redis, each worker orders its own calls. */
  readonly mode: "shared" | "shared-per-worker" | "memory"
  readonly workers: number
  readonly callsEach: number
  readonly rpm: number
  readonly burst: number
  readonly redisUrl: string
  readonly prefix: string
  readonly fakeUrl: string
  readonly priorities?: ReadonlyArray<number> | undefined
  /** Priorities of each worker's calls (worker i: `prioritiesPerWorker[i]`), instead of `priorities` for all. */
  readonly prioritiesPerWorker?: ReadonlyArray<ReadonlyArray<number>> | undefined
  readonly concurrency?: number | undefined
}

/** Starts the workers, waits until every one is READY, releases them together, and collects their reports. */
export const runWorkers = async (options: RunOptions): Promise<ReadonlyArray<WorkerReport>> => {
  const children: Array<ChildProcess> = []
  try {
    const outputs = Array.from({ length: options.workers }, () => ({ out: "", err: "" }))
    const ready: Array<Promise<void>> = []
    const done: Array<Promise<number | null>> = []
    for (let i = 0; i < options.workers; i++) {
      const child = spawn(process.execPath, [
        "--conditions=source",
        "--import",
        "tsx",
        worker,
        options.mode,
        options.redisUrl,
        options.prefix,
        options.fakeUrl,
        String(options.callsEach),
        String(options.rpm),
        String(options.burst),
        `w${i}`,
        (options.prioritiesPerWorker?.[i] ?? options.priorities ?? [0]).join(","),
        String(options.concurrency ?? options.callsEach)
      ], { stdio: ["pipe", "pipe", "pipe"] })
      children.push(child)
      const o = outputs[i]!
      ready.push(new Promise((resolve, reject) => {
        child.stdout!.on("data", (d: Buffer) => {
          o.out += d.toString()
          if (o.out.includes("READY\n")) resolve()
        })
        child.once("exit", (code) => reject(new Error(`worker ${i} exited (${code}) before READY: ${o.err}`)))
      }))
      child.stderr!.on("data", (d: Buffer) => (o.err += d.toString()))
      done.push(new Promise((resolve) => child.once("exit", (code) => resolve(code))))
    }
    await Promise.all(ready)
    for (const child of children) child.stdin!.write("GO\n")
    const codes = await Promise.all(done)
    return outputs.map((o, i) => {
      if (codes[i] !== 0) throw new Error(`worker ${i} exited with ${codes[i]}: ${o.err}`)
      const m = /DONE (\d+) (\d+)/.exec(o.out)
      const waits = [...o.out.matchAll(/WAIT (-?[\d.]+) (\d+)/g)].map((w) => ({ priority: Number(w[1]), millis: Number(w[2]) }))
      return { ok: Number(m?.[1] ?? 0), failed: Number(m?.[2] ?? 0), waits, stderr: o.err }
    })
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL")
  }
}

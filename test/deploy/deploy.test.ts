/**
 * The deployment files (Dockerfile, docker-compose.yml, deploy/k8s/) checked as far as a machine without a Docker
 * engine or a cluster can: every file parses; the Kubernetes objects pass the Kubernetes schema (kubernetes-models);
 * every command and flag they give the CLI exists in the built CLI; the Kubernetes server container is started as
 * written (its args, env, ConfigMap files and Secret files laid out in a temporary directory in place of the mounts),
 * and its probes, the paths they name and a run of the configured workflow answer; SIGTERM stops it within the grace
 * period; grace periods, ports and probe paths agree with the code's defaults; resource requests cover the memory
 * measured by `npm run bench:server`.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process"
import { randomBytes } from "node:crypto"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { Duration } from "effect"
import { parse, parseAllDocuments } from "yaml"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Deployment } from "kubernetes-models/apps/v1/Deployment"
import { ConfigMap } from "kubernetes-models/v1/ConfigMap"
import { Secret } from "kubernetes-models/v1/Secret"
import { Service } from "kubernetes-models/v1/Service"
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget"
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler"
import * as ClusterSettings from "../../src/cluster/Settings.ts"
import * as Backend from "../../src/server/Backend.ts"
import * as Server from "../../src/server/Server.ts"
import { builtCli, runBuilt, spawnBuilt } from "../support/builtCli.ts"

const root = join(import.meta.dirname, "..", "..")
const read = (path: string) => readFileSync(join(root, path), "utf8")
const seconds = (d: Duration.Input) => Duration.toSeconds(Duration.fromInputUnsafe(d))

// ---------------------------------------------------------------------------------------------------------------
// Dockerfile

interface Instruction {
  readonly op: string
  readonly args: string
  readonly stage: number
}

/** Instructions with continuation lines joined and comments dropped; `stage` counts FROMs (0 = the first). */
const dockerfile = (text: string): ReadonlyArray<Instruction> => {
  const out: Array<Instruction> = []
  let stage = -1
  let current = ""
  for (const raw of text.split("\n")) {
    const line = raw.trim()
    if (current === "" && (line === "" || line.startsWith("#"))) continue
    if (line.startsWith("#")) continue
    current += (current === "" ? "" : " ") + line.replace(/\\$/, "").trim()
    if (line.endsWith("\\")) continue
    const [op, ...rest] = current.split(/\s+/)
    if (op!.toUpperCase() === "FROM") stage++
    out.push({ op: op!.toUpperCase(), args: rest.join(" "), stage })
    current = ""
  }
  return out
}

const docker = dockerfile(read("Dockerfile"))
const finalStage = Math.max(...docker.map((i) => i.stage))
const final = docker.filter((i) => i.stage === finalStage)
const execForm = (i: Instruction | undefined): ReadonlyArray<string> => JSON.parse(i!.args) as ReadonlyArray<string>
const entrypoint = execForm(final.find((i) => i.op === "ENTRYPOINT"))
const cmd = execForm(final.find((i) => i.op === "CMD"))

// ---------------------------------------------------------------------------------------------------------------
// Compose and Kubernetes

const compose = parse(read("docker-compose.yml")) as {
  services: Record<string, {
    image?: string
    build?: unknown
    command?: ReadonlyArray<string>
    environment?: Record<string, string>
    healthcheck?: { test: ReadonlyArray<string> }
    depends_on?: Record<string, { condition: string }>
    secrets?: ReadonlyArray<string>
    volumes?: ReadonlyArray<string>
    ports?: ReadonlyArray<string>
    stop_grace_period?: string
    init?: boolean
  }>
  secrets: Record<string, { file: string }>
  volumes: Record<string, unknown>
}

const k8sDir = join(root, "deploy", "k8s")
const kustomization = parse(read("deploy/k8s/kustomization.yaml")) as { resources: ReadonlyArray<string> }
const manifests = readdirSync(k8sDir).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml").sort()
const objects = manifests.flatMap((file) =>
  parseAllDocuments(readFileSync(join(k8sDir, file), "utf8")).map((doc) => {
    expect(doc.errors, `${file}: ${doc.errors.map((e) => e.message).join("; ")}`).toEqual([])
    return { file, object: doc.toJS() as { apiVersion: string; kind: string; metadata: { name: string }; [k: string]: any } }
  }))
const byKind = (kind: string) => objects.filter((o) => o.object.kind === kind).map((o) => o.object)
const serverDeployment = byKind("Deployment").find((d) => d.metadata.name === "llm-orchestrator-server")!
const serverPod = serverDeployment.spec.template.spec
const serverContainer = serverPod.containers[0]
const workerDeployment = byKind("Deployment").find((d) => d.metadata.name === "llm-orchestrator-worker")!
const workerPod = workerDeployment.spec.template.spec
const workerContainer = workerPod.containers[0]
/** The value after `flag` in an argument list. */
const argOf = (args: ReadonlyArray<string>, flag: string) => args[args.indexOf(flag) + 1]!
const portOf = (address: string) => Number(address.slice(address.lastIndexOf(":") + 1))
const configMap = byKind("ConfigMap").find((c) => c.metadata.name === "llm-orchestrator-config")!
const secretExample = byKind("Secret").find((s) => s.metadata.name === "llm-orchestrator-secrets")!

const models: Record<string, new (data: any) => { validate(): void }> = {
  "apps/v1/Deployment": Deployment,
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler
}

/** Every `llm-orchestrator` command line the files give: [subcommand, ...args]. */
const invocations = (): ReadonlyArray<{ readonly where: string; readonly args: ReadonlyArray<string> }> => {
  expect(entrypoint).toEqual(["llm-orchestrator"])
  const out = [{ where: "Dockerfile CMD", args: cmd }]
  for (const [name, s] of Object.entries(compose.services)) if (s.build !== undefined || s.image?.startsWith("llm-orchestrator")) out.push({ where: `compose ${name}`, args: s.command ?? cmd })
  for (const d of byKind("Deployment")) for (const c of d.spec.template.spec.containers) out.push({ where: `k8s ${d.metadata.name}/${c.name}`, args: c.args ?? cmd })
  return out
}

const flagsOf = (args: ReadonlyArray<string>) => args.filter((a) => a.startsWith("--")).map((a) => a.split("=")[0]!)

// ---------------------------------------------------------------------------------------------------------------

describe("deployment files", () => {
  it("the Dockerfile: multi-stage, the packed package with production dependencies only, non-root, SIGTERM, HEALTHCHECK on /health", () => {
    const froms = docker.filter((i) => i.op === "FROM")
    expect(froms.length).toBeGreaterThanOrEqual(3)
    expect(froms.slice(0, -1).every((f) => / AS \w+$/i.test(f.args))).toBe(true)
    // the build stage packs the package; the install stage installs the tarball without dev dependencies
    expect(docker.some((i) => i.op === "RUN" && i.args.includes("npm pack"))).toBe(true)
    expect(docker.some((i) => i.op === "RUN" && /npm install --omit=dev .*llm-orchestrator\.tgz/.test(i.args))).toBe(true)
    // what runs holds the installed package and the probe, nothing of the checkout
    const copies = final.filter((i) => i.op === "COPY" || i.op === "ADD")
    expect(copies.map((c) => c.args)).toEqual(["--from=install /opt/llm-orchestrator /opt/llm-orchestrator", "deploy/probe.mjs /opt/llm-orchestrator/probe.mjs"])
    const user = final.filter((i) => i.op === "USER").at(-1)!.args
    expect(user).not.toMatch(/^(root|0)(:|$)/)
    expect(final.find((i) => i.op === "STOPSIGNAL")?.args).toBe("SIGTERM")
    const health = final.find((i) => i.op === "HEALTHCHECK")!.args
    expect(execForm({ op: "CMD", args: health.slice(health.indexOf("CMD ") + 4), stage: 0 })).toEqual(["node", "/opt/llm-orchestrator/probe.mjs", "/health"])
    // the port the server listens on is the one exposed and probed
    expect(final.find((i) => i.op === "EXPOSE")?.args).toBe("8080")
    expect(cmd).toEqual(["serve", "--host", "0.0.0.0", "--port", "8080"])
    // .dockerignore keeps local state and secrets out of the build context
    const ignored = read(".dockerignore").split("\n").map((l) => l.trim())
    for (const p of ["node_modules", "dist", ".git", ".llm-orchestrator", "deploy/secrets"]) expect(ignored).toContain(p)
  })

  it("docker-compose.yml: Postgres, Redis and the server with health checks, depends_on conditions and secrets as files", () => {
    const s = compose.services
    expect(Object.keys(s).sort()).toEqual(["postgres", "redis", "server", "worker-1", "worker-2"])
    for (const [name, service] of Object.entries(s)) expect(service.healthcheck?.test.length, `${name} has a health check`).toBeGreaterThan(0)
    expect(s["server"]!.depends_on).toEqual({ postgres: { condition: "service_healthy" }, redis: { condition: "service_healthy" } })
    // every secret a service names is a file declared at the top, and no secret is in an environment value
    for (const [name, service] of Object.entries(s)) {
      for (const secret of service.secrets ?? []) expect(compose.secrets[secret]?.file, `${name}: secret ${secret}`).toMatch(/^\.\/deploy\/secrets\//)
      // a secret is passed as a file path (`*_FILE`), never as an environment value
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        expect(key, `${name}: ${key}`).not.toMatch(/(PASSWORD|SECRET|TOKEN|KEY)$/i)
        if (/PASSWORD|SECRET|TOKEN|KEY/i.test(key)) expect(value, `${name}: ${key}`).toMatch(/^\/run\/secrets\/\w+$/)
      }
    }
    expect(s["postgres"]!.environment!["POSTGRES_PASSWORD_FILE"]).toBe("/run/secrets/postgres_password")
    expect(s["server"]!.healthcheck!.test).toEqual(["CMD", "node", "/opt/llm-orchestrator/probe.mjs", "/ready"])
    expect(s["server"]!.environment!["LLMO_PROBE_JWT_SECRET_FILE"]).toBe("/run/secrets/jwt_secret")
    expect(s["server"]!.ports).toEqual(["127.0.0.1:8080:8080"])
    expect(s["server"]!.init).toBe(true)
    // the mounted config folder exists and is the one Kubernetes' ConfigMap copies
    expect(s["server"]!.volumes).toContain("./deploy/config:/etc/llm-orchestrator:ro")
    // two workers, each reached at its service name, probed on its --health port
    for (const name of ["worker-1", "worker-2"]) {
      const w = s[name]!
      const args = w.command!
      expect(args[0]).toBe("worker")
      expect(argOf(args, "--address")).toBe(`${name}:34431`)
      expect(portOf(argOf(args, "--listen"))).toBe(34431)
      expect(String(portOf(argOf(args, "--health")))).toBe(w.environment!["LLMO_PROBE_PORT"])
      expect(w.healthcheck!.test).toEqual(["CMD", "node", "/opt/llm-orchestrator/probe.mjs", "/ready"])
      expect(w.depends_on).toEqual({ postgres: { condition: "service_healthy" } })
      expect(w.volumes).toContain("./deploy/config:/etc/llm-orchestrator:ro")
      expect(w.init).toBe(true)
      // stopping waits for the steps in flight (the worker's grace period)
      expect(seconds(w.stop_grace_period!.replace(/s$/, " seconds") as Duration.Input)).toBeGreaterThan(seconds(ClusterSettings.defaults.gracePeriod))
    }
    // the secrets README creates every secret file compose reads
    const readme = read("deploy/secrets/README.md")
    for (const secret of Object.values(compose.secrets)) expect(readme).toContain(`> ${secret.file.slice(2)}`)
  })

  it("every Kubernetes object passes the Kubernetes schema, and kustomization lists the files but the secret template", () => {
    expect(objects.length).toBeGreaterThanOrEqual(5)
    for (const { file, object } of objects) {
      const model = models[`${object.apiVersion}/${object.kind}`]
      expect(model, `${file}: ${object.apiVersion} ${object.kind} has a validator here`).toBeDefined()
      expect(() => new model!(object).validate(), `${file}: ${object.kind} ${object.metadata.name}`).not.toThrow()
    }
    expect([...kustomization.resources].sort()).toEqual(manifests.filter((f) => f !== "secret.example.yaml"))
    // the validator does catch a wrong type (so the check above can fail)
    const broken = structuredClone(serverDeployment)
    broken.spec.template.spec.containers[0].ports[0].containerPort = "8080"
    expect(() => new Deployment(broken).validate()).toThrow(/containerPort must be integer/)
  })

  it("Kubernetes: probes, ports, grace period and disruption budget agree with the code's defaults", () => {
    const http = serverContainer.ports.find((p: { name: string }) => p.name === "http")
    expect(http.containerPort).toBe(8080)
    expect(serverContainer.livenessProbe.httpGet).toEqual({ path: "/health", port: "http" })
    expect(serverContainer.startupProbe.httpGet).toEqual({ path: "/health", port: "http" })
    expect(serverContainer.readinessProbe.exec.command).toEqual(["node", "/opt/llm-orchestrator/probe.mjs", "/ready"])
    const preStop = Number(serverContainer.lifecycle.preStop.exec.command[1])
    // stop: the Service drains (preStop), requests in flight finish, then steps in flight; then the process exits
    const needed = preStop + seconds(Server.defaultGracePeriod) + seconds(Backend.defaultGracePeriod)
    expect(needed).toBe(45)
    expect(serverPod.terminationGracePeriodSeconds).toBeGreaterThan(needed)
    expect(seconds(compose.services["server"]!.stop_grace_period!.replace(/s$/, " seconds") as Duration.Input)).toBeGreaterThan(needed - preStop)
    expect(serverPod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 })
    expect(serverContainer.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false })
    const service = byKind("Service")[0]!
    expect(service.spec.selector).toEqual(serverDeployment.spec.selector.matchLabels)
    expect(service.spec.ports[0].targetPort).toBe("http")
    const pdb = byKind("PodDisruptionBudget").find((p) => p.metadata.name === "llm-orchestrator-server")!
    expect(pdb.spec.selector.matchLabels).toEqual(serverDeployment.spec.selector.matchLabels)
    expect(pdb.spec.minAvailable).toBeLessThan(serverDeployment.spec.replicas)
  })

  it("Kubernetes workers: address, ports, probes, grace period, disruption budget and autoscaler agree with the code", () => {
    const args = workerContainer.args as ReadonlyArray<string>
    expect(args[0]).toBe("worker")
    const env = workerContainer.env as ReadonlyArray<{ name: string; value?: string; valueFrom?: { fieldRef: { fieldPath: string } } }>
    // the address is the pod IP (never HOST/PORT), on the port the worker listens on and the container exposes
    expect(env.find((e) => e.name === "POD_IP")?.valueFrom?.fieldRef.fieldPath).toBe("status.podIP")
    const address = env.find((e) => e.name === "LLM_ORCHESTRATOR_WORKER_ADDRESS")!.value!
    expect(address).toBe("$(POD_IP):34431")
    expect(env.findIndex((e) => e.name === "POD_IP")).toBeLessThan(env.findIndex((e) => e.name === "LLM_ORCHESTRATOR_WORKER_ADDRESS"))
    const ports = Object.fromEntries((workerContainer.ports as ReadonlyArray<{ name: string; containerPort: number }>).map((p) => [p.name, p.containerPort]))
    expect(ports["cluster"]).toBe(portOf(argOf(args, "--listen")))
    expect(ports["cluster"]).toBe(portOf(address))
    expect(ports["health"]).toBe(portOf(argOf(args, "--health")))
    for (const probe of ["startupProbe", "livenessProbe"]) expect(workerContainer[probe].httpGet).toEqual({ path: "/health", port: "health" })
    expect(workerContainer.readinessProbe.httpGet).toEqual({ path: "/ready", port: "health" })
    // stopping waits for the steps in flight, up to the worker's grace period
    expect(workerPod.terminationGracePeriodSeconds).toBeGreaterThan(seconds(ClusterSettings.defaults.gracePeriod))
    expect(workerPod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 })
    expect(workerContainer.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false })
    // the same ConfigMap keys and Secret as the server
    const config = workerPod.volumes.find((v: { name: string }) => v.name === "config")
    for (const item of config.configMap.items) expect(Object.keys(configMap.data)).toContain(item.key)
    expect(args).toContain(`/etc/llm-orchestrator/${dirname(config.configMap.items.find((i: { key: string }) => i.key === "hello.yaml").path)}`)
    expect(workerPod.volumes.find((v: { name: string }) => v.name === "secrets").secret.secretName).toBe(secretExample.metadata.name)
    // one worker at a time goes
    const pdb = byKind("PodDisruptionBudget").find((p) => p.metadata.name === "llm-orchestrator-worker")!
    expect(pdb.spec.selector.matchLabels).toEqual(workerDeployment.spec.selector.matchLabels)
    expect(pdb.spec.maxUnavailable).toBe(1)
    expect(pdb.spec.maxUnavailable).toBeLessThan(workerDeployment.spec.replicas)
    expect(workerDeployment.spec.selector.matchLabels).not.toEqual(serverDeployment.spec.selector.matchLabels)
    // the autoscaler scales the worker Deployment on the server's gauge of runs in flight
    const hpa = byKind("HorizontalPodAutoscaler").find((h) => h.metadata.name === "llm-orchestrator-worker")!
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: workerDeployment.metadata.name })
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(workerDeployment.spec.replicas)
    const metric = hpa.spec.metrics[0].external.metric
    expect(metric.name).toBe("llmo_runs_active")
    expect(read("src/server/ServerMetrics.ts")).toContain(`Metric.gauge("${metric.name}"`)
    expect(["pending", "running", "suspended"]).toContain(metric.selector.matchLabels.status)
  })

  it("Kubernetes: the ConfigMap is deploy/config, every mounted key and every file:/run/secrets reference exists", () => {
    expect(configMap.data["llm-orchestrator.yaml"]).toBe(read("deploy/config/llm-orchestrator.yaml"))
    expect(configMap.data["hello.yaml"]).toBe(read("deploy/config/workflows/hello.yaml"))
    const volumes = serverPod.volumes as ReadonlyArray<any>
    const config = volumes.find((v) => v.name === "config")
    for (const item of config.configMap.items) expect(Object.keys(configMap.data)).toContain(item.key)
    expect(config.configMap.items.find((i: { key: string }) => i.key === "hello.yaml").path).toBe("workflows/hello.yaml")
    const secretMount = serverContainer.volumeMounts.find((m: { name: string }) => m.name === "secrets").mountPath
    expect(secretMount).toBe("/run/secrets")
    const texts = [JSON.stringify(serverContainer), configMap.data["llm-orchestrator.yaml"], read("docker-compose.yml")]
    const referenced = new Set(texts.flatMap((t) => [...t.matchAll(/\/run\/secrets\/(\w+)/g)].map((m) => m[1]!)))
    for (const key of referenced) {
      if (key === "postgres_password") continue // Postgres' own, in Compose only
      expect(Object.keys(secretExample.stringData), `secret key ${key}`).toContain(key)
      expect(Object.keys(compose.secrets), `compose secret ${key}`).toContain(key)
    }
    // the config's server port is the container's
    expect((parse(configMap.data["llm-orchestrator.yaml"]) as { server: { port: number } }).server.port).toBe(8080)
  })

  it("the workers' resource requests cover the memory a worker was measured with (bench/results/cluster.json)", () => {
    const bench = JSON.parse(read("bench/results/cluster.json")) as { throughput?: ReadonlyArray<{ workerPeakRssMiB?: number }> }
    const peak = Math.max(...(bench.throughput ?? []).map((t) => t.workerPeakRssMiB ?? 0))
    expect(peak, "npm run bench:cluster measured the workers").toBeGreaterThan(0)
    const mebibytes = (q: string) => Number(/^(\d+)Mi$/.exec(q)?.[1])
    expect(mebibytes(workerContainer.resources.requests.memory)).toBeGreaterThanOrEqual(peak)
    expect(mebibytes(workerContainer.resources.limits.memory)).toBeGreaterThanOrEqual(2 * mebibytes(workerContainer.resources.requests.memory))
  })

  it("resource requests cover the memory the server was measured with (bench/results/server.json)", () => {
    const bench = JSON.parse(read("bench/results/server.json")) as { serveProcess?: ReadonlyArray<{ afterLoad: { peakMiB: number }; idle: { rssMiB: number } }> }
    expect(bench.serveProcess?.length, "npm run bench:server measured the serve process").toBeGreaterThan(0)
    const peak = Math.max(...bench.serveProcess!.map((p) => p.afterLoad.peakMiB))
    const mebibytes = (q: string) => Number(/^(\d+)Mi$/.exec(q)?.[1])
    expect(mebibytes(serverContainer.resources.requests.memory)).toBeGreaterThanOrEqual(peak)
    expect(mebibytes(serverContainer.resources.limits.memory)).toBeGreaterThanOrEqual(2 * mebibytes(serverContainer.resources.requests.memory))
  })
})

// ---------------------------------------------------------------------------------------------------------------
// The built CLI

describe("the built CLI runs what the files name", () => {
  let dir: string
  const children: Array<ChildProcess> = []
  let pgDatabase: string | undefined
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "llmo-deploy-"))
    await builtCli()
  }, 300_000)
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL")
    rmSync(dir, { recursive: true, force: true })
    if (pgDatabase !== undefined) execFileSync("psql", ["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", `DROP DATABASE IF EXISTS ${pgDatabase} WITH (FORCE)`], { stdio: "pipe" })
  })

  it("every command and flag of the Dockerfile, Compose and Kubernetes files is one of the built CLI", async () => {
    const all = invocations()
    expect(all.length).toBeGreaterThanOrEqual(3)
    const help = new Map<string, string>()
    for (const { where, args } of all) {
      const command = args[0]!
      if (!help.has(command)) {
        const r = await runBuilt([command, "--help"])
        expect(r.code, `${where}: ${command} --help: ${r.stderr}`).toBe(0)
        help.set(command, r.stdout)
      }
      for (const flag of flagsOf(args)) expect(help.get(command), `${where}: ${command} ${flag}`).toMatch(new RegExp(`${flag}(\\s|,|=|$)`, "m"))
    }
  }, 240_000)

  it("the Kubernetes server container, started as written: probes, paths, the configured workflow, keys on the store, SIGTERM", async () => {
    // The mounts, laid out here: the ConfigMap's items, the Secret's keys as files, paths rewritten to this directory.
    const etc = join(dir, "etc")
    const secrets = join(dir, "secrets")
    mkdirSync(secrets, { recursive: true })
    const remap = (text: string) => text.replaceAll("/etc/llm-orchestrator", etc).replaceAll("/run/secrets", secrets).replaceAll("/opt/llm-orchestrator/probe.mjs", join(root, "deploy", "probe.mjs"))
    const config = serverPod.volumes.find((v: { name: string }) => v.name === "config")
    for (const item of config.configMap.items) {
      mkdirSync(dirname(join(etc, item.path)), { recursive: true })
      writeFileSync(join(etc, item.path), remap(configMap.data[item.key]))
    }
    let store = `sqlite:${join(dir, "runs.db")}`
    try {
      const db = `llmo_deploy_${process.pid}`
      execFileSync("psql", ["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", `CREATE DATABASE ${db}`], { stdio: "pipe" })
      pgDatabase = db
      store = `postgres://postgres@127.0.0.1:5432/${db}`
    } catch (e) {
      if (process.env["CI"] === "true") throw e
      console.warn("Postgres unavailable: the server container runs on SQLite here")
    }
    const jwtSecret = randomBytes(32).toString("hex")
    const values: Record<string, string> = { store_url: `${store}\n`, jwt_secret: `${jwtSecret}\n`, openai_api_key: "sk-deploy-test\n" }
    for (const key of Object.keys(secretExample.stringData)) writeFileSync(join(secrets, key), values[key]!)

    // The worker container as written (on Postgres: a worker refuses SQLite), with the pod IP the kubelet would give
    // it (and $(POD_IP) expanded as the kubelet does), its ports moved off the fixed ones.
    let worker: { child: ChildProcess; exited: Promise<number | null>; output: () => string } | undefined
    if (store.startsWith("postgres")) {
      const clusterPort = 20_000 + Math.floor(Math.random() * 20_000)
      const healthPort = clusterPort + 1
      const podIp = "127.0.0.1"
      const moved = (a: string) => a === "0.0.0.0:34431" ? `${podIp}:${clusterPort}` : a === "0.0.0.0:9090" ? `${podIp}:${healthPort}` : remap(a)
      const workerEnv: Record<string, string> = { POD_IP: podIp }
      for (const e of workerContainer.env as ReadonlyArray<{ name: string; value?: string }>) {
        if (e.value !== undefined) workerEnv[e.name] = e.value.replace("$(POD_IP)", podIp).replace(":34431", `:${clusterPort}`)
      }
      const child = await spawnBuilt(workerContainer.args.map(moved), { env: workerEnv, cwd: dir })
      children.push(child)
      let text = ""
      child.stderr!.on("data", (d: Buffer) => (text += d.toString("utf8")))
      worker = { child, exited: new Promise((r) => child.on("exit", (code) => r(code))), output: () => text }
      const until = Date.now() + 150_000
      while (!/worker \S+ ready on/.test(text)) {
        if (Date.now() > until || child.exitCode !== null) throw new Error(`worker did not start: ${text}`)
        await new Promise((r) => setTimeout(r, 50))
      }
      expect(text).toContain(`worker ${podIp}:${clusterPort} ready on postgres://`)
      expect(text).toContain("workflows: hello")
      // its probes: /health and /ready on the health port, no credential
      for (const path of [workerContainer.livenessProbe.httpGet.path, workerContainer.readinessProbe.httpGet.path]) {
        expect((await fetch(`http://${podIp}:${healthPort}${path}`)).status, `worker ${path}`).toBe(200)
      }
    }

    const port = 20_000 + Math.floor(Math.random() * 20_000)
    const args = [...serverContainer.args.map(remap), "--port", String(port)]
    const env: Record<string, string> = Object.fromEntries(serverContainer.env.map((e: { name: string; value: string }) => [e.name, remap(e.value)]))
    const child = await spawnBuilt(args, { env, cwd: dir })
    children.push(child)
    let stderr = ""
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString("utf8")))
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)))
    const deadline = Date.now() + 150_000
    while (!/serving on \S+/.test(stderr)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`serve did not start: ${stderr}`)
      await new Promise((r) => setTimeout(r, 50))
    }
    expect(stderr).toContain(`registered hello (${join(etc, "workflows", "hello.yaml")})`)
    const admin = /created admin key \w+ \(shown once, store it now\): (\S+)/.exec(stderr)![1]!
    const url = `http://127.0.0.1:${port}`

    const probe = (path: string, extra: Record<string, string> = {}) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const command = serverContainer.readinessProbe.exec.command.map(remap) as Array<string>
        const p = spawn(process.execPath, [command[1]!, path], { env: { ...process.env, ...env, LLMO_PROBE_PORT: String(port), LLMO_PROBE_TIMEOUT_MS: "60000", ...extra }, stdio: ["ignore", "ignore", "pipe"] })
        let err = ""
        p.stderr!.on("data", (d: Buffer) => (err += d.toString("utf8")))
        p.on("exit", (code) => resolve({ code, stderr: err }))
      })
    // liveness and HEALTHCHECK: /health; readiness: /ready with the JWT the probe signs from the mounted secret
    expect(await probe(serverContainer.livenessProbe.httpGet.path)).toEqual({ code: 0, stderr: "" })
    expect(await probe(serverContainer.readinessProbe.exec.command[2])).toEqual({ code: 0, stderr: "" })
    const unauthenticated = await probe("/ready", { LLMO_PROBE_JWT_SECRET_FILE: "" })
    expect(unauthenticated.code).toBe(1)
    expect(unauthenticated.stderr).toContain("probe /ready: 401")
    const wrongSecret = join(dir, "wrong-secret")
    writeFileSync(wrongSecret, "not-the-secret-not-the-secret-not-the-secret")
    expect((await probe("/ready", { LLMO_PROBE_JWT_SECRET_FILE: wrongSecret })).code).toBe(1)
    // every HTTP path the files name answers (none is an unknown route)
    const named = new Set([serverContainer.livenessProbe.httpGet.path, serverContainer.startupProbe.httpGet.path, "/ready", "/metrics"])
    for (const path of named) {
      const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${admin}` } })
      expect(res.status, path).toBe(200)
    }
    // the workflow from the ConfigMap runs (on Postgres: on the worker, the server submits it)
    const run = await fetch(`${url}/workflows/hello/runs?wait=true`, { method: "POST", headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" }, body: JSON.stringify({ input: { who: "Kubernetes" } }) })
    expect(run.status).toBe(200)
    expect(((await run.json()) as { output: unknown }).output).toEqual({ greeting: "Hello, Kubernetes!" })
    // `keys` on the same store, given as the same secret file (what `kubectl exec ... llm-orchestrator keys` does)
    const keys = await runBuilt(["keys", "list", "--store", `file:${join(secrets, "store_url")}`, "--json"])
    expect(keys.code, keys.stderr).toBe(0)
    expect(keys.stdout).toContain("bootstrap-admin")
    // nothing of the secrets in the server's output
    for (const v of [jwtSecret, "sk-deploy-test"]) expect(stderr).not.toContain(v)
    if (store.startsWith("postgres")) expect(stderr).toContain("postgres://")

    const stopAt = Date.now()
    child.kill("SIGTERM")
    const code = await exited
    const took = (Date.now() - stopAt) / 1000
    expect(code).toBe(143)
    expect(took).toBeLessThan(serverPod.terminationGracePeriodSeconds)
    if (worker !== undefined) {
      // the worker leaves the cluster on SIGTERM and exits 0 within its grace period
      const workerStop = Date.now()
      worker.child.kill("SIGTERM")
      expect(await worker.exited, worker.output()).toBe(0)
      expect((Date.now() - workerStop) / 1000).toBeLessThan(workerPod.terminationGracePeriodSeconds)
      expect(worker.output()).not.toContain("sk-deploy-test")
    }
  }, 300_000)

  it("a store reference that cannot be resolved is a clear error naming it, and no value", async () => {
    const r = await runBuilt(["keys", "list", "--store", "file:/nonexistent/store_url"])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^error: store file:\/nonexistent\/store_url: /)
    const bad = join(dir, "bad_store")
    writeFileSync(bad, "mysql://root:hunter2@db/x")
    const s = await runBuilt(["keys", "list", "--store", `file:${bad}`])
    expect(s.code).toBe(2)
    expect(s.stderr).toContain(`unknown store 'file:${bad}' (its value is not shown)`)
    expect(s.stderr).not.toContain("hunter2")
  }, 240_000)
})

it("the files the deployment docs and files point at exist", () => {
  for (const p of ["deploy/probe.mjs", "deploy/config/llm-orchestrator.yaml", "deploy/config/workflows/hello.yaml", "deploy/secrets/README.md", "docs/deploy.md"]) {
    expect(existsSync(join(root, p)), p).toBe(true)
  }
})

import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer, Redacted } from "effect"
import { TestClock } from "effect/testing"
import { execFile } from "node:child_process"
import { chmod, mkdtemp, rm, writeFile, mkdir } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { type SecretBackend, SecretReference, Secrets, SecretUnavailable } from "../../src/secrets/index.ts"

const withEnv = (env: Record<string, string>, options: Secrets.Options = {}) =>
  Secrets.layer(options).pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord(env))))

const failure = <E>(exit: Exit.Exit<unknown, E>): E => {
  assert.isTrue(Exit.isFailure(exit), "expected a failure")
  const reason = (exit as Exit.Failure<unknown, E>).cause.reasons.find((r) => r._tag === "Fail")
  assert.isDefined(reason)
  return (reason as { readonly error: E }).error
}

const tempDir = Effect.acquireRelease(
  Effect.promise(() => mkdtemp(join(tmpdir(), "secrets-test-"))),
  (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
)

describe("SecretReference.parse", () => {
  it("splits scheme, path, params and key", () => {
    const r = SecretReference.parse("vault:secret/data/llm?version=2#openai")
    assert.isTrue(r._tag === "Success")
    if (r._tag === "Success") {
      assert.deepStrictEqual(
        { scheme: r.success.scheme, path: r.success.path, params: r.success.params, key: r.success.key },
        { scheme: "vault", path: "secret/data/llm", params: { version: "2" }, key: "openai" }
      )
    }
    const arn = SecretReference.parse("aws-sm:arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/llm-AbCdEf#openai")
    assert.isTrue(arn._tag === "Success" && arn.success.path === "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/llm-AbCdEf")
  })

  it("rejects what is not a reference, without echoing a pasted key", () => {
    const pasted = SecretReference.parse("sk-proj-abcdefghijklmnopqrstuvwxyz")
    assert.isTrue(pasted._tag === "Failure")
    if (pasted._tag === "Failure") {
      assert.strictEqual(pasted.failure._tag, "InvalidSecretReference")
      assert.notInclude(pasted.failure.message, "abcdefghijklmnop")
      assert.include(pasted.failure.message, "not a secret reference")
    }
    for (const [raw, why] of [["env:", "empty variable name"], ["file:/x#", "empty key"], ["Env:X", "not a scheme"], ["env: X", "whitespace"]] as const) {
      const r = SecretReference.parse(raw)
      assert.isTrue(r._tag === "Failure" && r.failure.message.includes(why), `${raw}: ${r._tag === "Failure" ? r.failure.message : "parsed"}`)
    }
  })

  it("Schema names the field and does not echo a pasted key", async () => {
    const { Schema } = await import("effect")
    const Provider = Schema.Struct({ apiKey: SecretReference.Schema })
    assert.deepStrictEqual(Schema.decodeUnknownSync(Provider)({ apiKey: "env:OPENAI_API_KEY" }), { apiKey: "env:OPENAI_API_KEY" })
    const error = Schema.decodeUnknownExit(Provider)({ apiKey: "sk-live-0123456789abcdef" })
    const message = String(failure(error))
    assert.include(message, "apiKey")
    assert.include(message, "not a secret reference")
    assert.notInclude(message, "0123456789abcdef")
    assert.include(String(failure(Schema.decodeUnknownExit(Provider)({ apiKey: "gcp:projects/x" }))), 'unknown scheme "gcp"')
  })
})

describe("env: references", () => {
  it.effect("resolve through the ConfigProvider, labelled with the reference", () =>
    Effect.gen(function*() {
      const value = yield* Secrets.resolve("env:OPENAI_API_KEY")
      assert.strictEqual(Redacted.value(value), "sk-test-123")
      assert.strictEqual(String(value), "<redacted:env:OPENAI_API_KEY>")
      assert.strictEqual(JSON.stringify({ value }), `{"value":"<redacted:env:OPENAI_API_KEY>"}`)
      const json = yield* Secrets.resolve("env:LLM_KEYS#anthropic")
      assert.strictEqual(Redacted.value(json), "sk-ant-1")
    }).pipe(Effect.provide(withEnv({ OPENAI_API_KEY: "sk-test-123", LLM_KEYS: `{"anthropic":"sk-ant-1","openai":"sk-o"}` }))))

  it.effect("missing, empty, bad JSON and unknown fields are typed errors that never show a value", () =>
    Effect.gen(function*() {
      const missing = failure(yield* Effect.exit(Secrets.resolve("env:NOPE")))
      assert.strictEqual(missing._tag, "SecretNotFound")
      assert.strictEqual(missing.message, "env:NOPE: environment variable NOPE is not set")
      assert.strictEqual(missing.reference, "env:NOPE")
      assert.strictEqual(failure(yield* Effect.exit(Secrets.resolve("env:EMPTY")))._tag, "SecretNotFound")
      const notJson = failure(yield* Effect.exit(Secrets.resolve("env:PLAIN#key")))
      assert.strictEqual(notJson._tag, "InvalidSecretValue")
      assert.notInclude(notJson.message, "hunter2")
      const noField = failure(yield* Effect.exit(Secrets.resolve("env:LLM_KEYS#cohere")))
      assert.strictEqual(noField._tag, "SecretNotFound")
      assert.strictEqual(noField.message, `env:LLM_KEYS#cohere: the secret has no field "cohere" (it has "anthropic", "openai")`)
      assert.notInclude(noField.message, "sk-ant")
      const param = failure(yield* Effect.exit(Secrets.resolve("env:PLAIN?x=1")))
      assert.strictEqual(param._tag, "InvalidSecretReference")
      const unknown = failure(yield* Effect.exit(Secrets.resolve("gcp:projects/p/secrets/s")))
      assert.strictEqual(unknown.message, `gcp:projects/p/secrets/s: unknown scheme "gcp" (known: env, file)`)
      const vault = failure(yield* Effect.exit(Secrets.resolve("vault:secret/data/llm#openai")))
      assert.include(vault.message, "vault: references need Vault settings")
    }).pipe(Effect.provide(withEnv({ EMPTY: "", PLAIN: "hunter2-plain", LLM_KEYS: `{"anthropic":"sk-ant-1","openai":"sk-o"}` }))))
})

describe("file: references", () => {
  it.live("read Docker/Kubernetes secret files, trimming the trailing newline", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* Effect.promise(() => writeFile(join(dir, "openai"), "sk-file-1\n"))
      yield* Effect.promise(() => writeFile(join(dir, "crlf"), "\uFEFFsk-file-2\r\n\r\n"))
      yield* Effect.promise(() => writeFile(join(dir, "inner-space"), "  spaced key  \n"))
      yield* Effect.promise(() => writeFile(join(dir, "creds.json"), `{"password":"pw-1","port":5432}\n`))
      const read = (ref: string) => Effect.map(Secrets.resolve(ref), Redacted.value)
      assert.strictEqual(yield* read(`file:${join(dir, "openai")}`), "sk-file-1")
      assert.strictEqual(yield* read(`file:${join(dir, "crlf")}`), "sk-file-2")
      assert.strictEqual(yield* read(`file:${join(dir, "inner-space")}`), "  spaced key  ")
      assert.strictEqual(yield* read(`file:${join(dir, "creds.json")}#password`), "pw-1")
      assert.strictEqual(yield* read(`file:${join(dir, "creds.json")}#port`), "5432")
    }).pipe(Effect.scoped, Effect.provide(Secrets.layer())))

  it.live("missing files, directories, empty and oversized files fail with errors naming the reference", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* Effect.promise(() => writeFile(join(dir, "empty"), "\n"))
      yield* Effect.promise(() => writeFile(join(dir, "big"), "x".repeat(2 * 1024 * 1024)))
      yield* Effect.promise(() => mkdir(join(dir, "sub")))
      const err = (path: string) => Effect.map(Effect.exit(Secrets.resolve(`file:${path}`)), failure)
      const missing = yield* err(join(dir, "nope"))
      assert.deepStrictEqual([missing._tag, missing.message], ["SecretNotFound", `file:${join(dir, "nope")}: no such file ${join(dir, "nope")}`])
      assert.strictEqual((yield* err(join(dir, "nope", "deeper")))._tag, "SecretNotFound")
      const directory = yield* err(join(dir, "sub"))
      assert.deepStrictEqual([directory._tag, directory.message], ["InvalidSecretValue", `file:${join(dir, "sub")}: ${join(dir, "sub")} is a directory, not a file`])
      assert.strictEqual((yield* err(join(dir, "empty"))).message, `file:${join(dir, "empty")}: ${join(dir, "empty")} is empty`)
      assert.include((yield* err(join(dir, "big"))).message, "more than a secret file may")
    }).pipe(Effect.scoped, Effect.provide(Secrets.layer())))

  it.live("an unreadable file is SecretAccessDenied (a real process without the capability to bypass file permissions)", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const path = join(dir, "locked")
      yield* Effect.promise(async () => {
        await writeFile(path, "sk-locked-999\n")
        await chmod(path, 0o000)
        await chmod(dir, 0o755)
      })
      // Root reads any file: drop the capabilities that let it (root keeps owning the checkout, so the child can still
      // load the project from a private temp clone, which a switch to another uid could not).
      const asRoot = process.getuid?.() === 0
      const script = [join(import.meta.dirname, "fixtures/resolve.ts"), `file:${path}`]
      const [command, args] = asRoot
        ? ["setpriv", ["--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search", "--", process.execPath, ...script]] as const
        : [process.execPath, script] as const
      const run = yield* Effect.promise(() => promisify(execFile)(command, args, { cwd: join(import.meta.dirname, "../..") }))
      const outcome = JSON.parse(run.stdout)
      assert.deepStrictEqual(outcome, { error: "SecretAccessDenied", message: `file:${path}: permission denied reading ${path}` })
      assert.notInclude(run.stdout + run.stderr, "sk-locked")
    }).pipe(Effect.scoped))
})

describe("caching", () => {
  const counting = () => {
    const state = { reads: 0, value: "v1", fail: false as boolean | "missing" }
    const backend: SecretBackend = {
      scheme: "mem",
      resolve: (ref) =>
        Effect.sync(() => state.reads++).pipe(Effect.andThen(() =>
          state.fail === "missing"
            ? Effect.fail(new SecretUnavailable({ reference: ref.raw, message: `${ref.raw}: gone` }))
            : state.fail
            ? Effect.fail(new SecretUnavailable({ reference: ref.raw, message: `${ref.raw}: store down` }))
            : Effect.succeed(Redacted.make(state.value, { label: ref.raw }))
        ))
    }
    return { state, backend }
  }

  it.effect("a value is read once per ttl, concurrent reads share one lookup, failures are not cached", () =>
    Effect.gen(function*() {
      const { state, backend } = counting()
      const secrets = yield* Secrets.make({ ttl: "1 minute", staleIfError: 0, backends: [backend] })
      const read = Effect.map(secrets.resolve("mem:a"), Redacted.value)
      const first = yield* Effect.all([read, read, read, read], { concurrency: "unbounded" })
      assert.deepStrictEqual(first, ["v1", "v1", "v1", "v1"])
      assert.strictEqual(state.reads, 1)
      state.value = "v2"
      yield* TestClock.adjust("59 seconds")
      assert.strictEqual(yield* read, "v1")
      yield* TestClock.adjust("2 seconds")
      assert.strictEqual(yield* read, "v2")
      assert.strictEqual(state.reads, 2)
      assert.strictEqual(Redacted.value(yield* secrets.refresh("mem:a")), "v2")
      assert.strictEqual(state.reads, 3)
      state.fail = true
      yield* TestClock.adjust("2 minutes")
      assert.strictEqual(failure(yield* Effect.exit(read))._tag, "SecretUnavailable")
      assert.strictEqual(failure(yield* Effect.exit(read))._tag, "SecretUnavailable")
      assert.strictEqual(state.reads, 5)
      state.fail = false
      assert.strictEqual(yield* read, "v2")
    }).pipe(Effect.provide(withEnv({}))))

  it.effect("an unavailable store serves the last value for staleIfError, then fails", () =>
    Effect.gen(function*() {
      const { state, backend } = counting()
      const secrets = yield* Secrets.make({ ttl: "1 minute", staleIfError: "10 minutes", backends: [backend] })
      const read = Effect.map(secrets.resolve("mem:a"), Redacted.value)
      assert.strictEqual(yield* read, "v1")
      state.fail = true
      yield* TestClock.adjust("5 minutes")
      assert.strictEqual(yield* read, "v1")
      yield* TestClock.adjust("6 minutes")
      assert.strictEqual(failure(yield* Effect.exit(read))._tag, "SecretUnavailable")
    }).pipe(Effect.provide(withEnv({}))))

  it.effect("each caller gets its own Redacted: wiping one does not wipe the cache", () =>
    Effect.gen(function*() {
      const a = yield* Secrets.resolve("env:K")
      assert.isTrue(Redacted.wipeUnsafe(a))
      assert.strictEqual(Redacted.value(yield* Secrets.resolve("env:K")), "k")
    }).pipe(Effect.provide(withEnv({ K: "k" }))))

  it.effect("resolveAll and layerStatic", () =>
    Effect.gen(function*() {
      const all = yield* Secrets.resolveAll({ openai: "env:OPENAI_API_KEY", vault: "vault:secret/data/llm#openai" })
      assert.deepStrictEqual([Redacted.value(all.openai), Redacted.value(all.vault)], ["sk-env", "sk-vault"])
      assert.strictEqual(failure(yield* Effect.exit(Secrets.resolve("aws-sm:nope")))._tag, "SecretNotFound")
    }).pipe(Effect.provide(Secrets.layerStatic({ OPENAI_API_KEY: "sk-env", "vault:secret/data/llm#openai": "sk-vault" }))))
})

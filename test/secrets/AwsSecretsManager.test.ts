import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Redacted } from "effect"
import { Secrets } from "../../src/secrets/index.ts"
import { capture } from "../support/capture.ts"
import * as FakeSecretsManager from "./FakeSecretsManager.ts"

const failure = <E>(exit: Exit.Exit<unknown, E>): E => {
  assert.isTrue(Exit.isFailure(exit), "expected a failure")
  const reason = (exit as Exit.Failure<unknown, E>).cause.reasons.find((r) => r._tag === "Fail")
  return (reason as { readonly error: E }).error
}

const ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
const SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

const fake = (overrides: Partial<FakeSecretsManager.FakeSecretsManagerOptions> = {}) =>
  FakeSecretsManager.start({
    region: "eu-west-1",
    credentials: { [ACCESS_KEY]: SECRET_KEY },
    secrets: [
      {
        name: "prod/llm",
        versions: [
          { versionId: "v2", stages: ["AWSCURRENT"], string: `{"openai":"sk-aws-2","anthropic":"sk-ant-aws","port":443}` },
          { versionId: "v1", stages: ["AWSPREVIOUS"], string: `{"openai":"sk-aws-1"}` }
        ]
      },
      { name: "prod/plain", versions: [{ versionId: "p1", stages: ["AWSCURRENT"], string: "plain-secret-value" }] },
      { name: "prod/binary", versions: [{ versionId: "b1", stages: ["AWSCURRENT"], binary: new TextEncoder().encode("binary-secret") }] },
      { name: "prod/not-json", versions: [{ versionId: "n1", stages: ["AWSCURRENT"], string: "not {json} sk-hidden" }] },
      { name: "prod/locked", versions: [{ versionId: "l1", stages: ["AWSCURRENT"], string: "x" }] }
    ],
    denied: ["prod/locked"],
    ...overrides
  })

const layer = (endpoint: string, secretAccessKey = SECRET_KEY) =>
  Secrets.layer({
    ttl: 0,
    aws: { region: "eu-west-1", endpoint, maxAttempts: 1, credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: Redacted.make(secretAccessKey) } }
  })

const value = (ref: string) => Effect.map(Secrets.resolve(ref), Redacted.value)

describe("aws-sm: the official SDK against a fake Secrets Manager (JSON 1.1, SigV4 verified)", () => {
  it.live("reads JSON fields, plain, binary secrets, version stages and ids, by name and ARN", () =>
    Effect.gen(function*() {
      const sm = yield* fake()
      yield* Effect.gen(function*() {
        assert.strictEqual(yield* value("aws-sm:prod/llm#openai"), "sk-aws-2")
        assert.strictEqual(yield* value("aws-sm:prod/llm#port"), "443")
        assert.strictEqual(yield* value("aws-sm:prod/llm?versionStage=AWSPREVIOUS#openai"), "sk-aws-1")
        assert.strictEqual(yield* value("aws-sm:prod/llm?versionId=v1#openai"), "sk-aws-1")
        assert.strictEqual(yield* value("aws-sm:prod/plain"), "plain-secret-value")
        assert.strictEqual(yield* value("aws-sm:prod/binary"), "binary-secret")
        assert.strictEqual(yield* value("aws-sm:arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/llm-AbCdEf#anthropic"), "sk-ant-aws")
      }).pipe(Effect.provide(layer(sm.endpoint)))
      const first = sm.requests[0]!
      assert.strictEqual(first.headers["x-amz-target"], "secretsmanager.GetSecretValue")
      assert.strictEqual(first.headers["content-type"], "application/x-amz-json-1.1")
      assert.match(String(first.headers["authorization"]), /^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/\d{8}\/eu-west-1\/secretsmanager\/aws4_request, SignedHeaders=[^,]*x-amz-date[^,]*, Signature=[0-9a-f]{64}$/)
      assert.isTrue(sm.requests.every((r) => r.signatureValid))
      assert.deepStrictEqual(sm.requests.map((r) => r.body), [
        { SecretId: "prod/llm" },
        { SecretId: "prod/llm" },
        { SecretId: "prod/llm", VersionStage: "AWSPREVIOUS" },
        { SecretId: "prod/llm", VersionId: "v1" },
        { SecretId: "prod/plain" },
        { SecretId: "prod/binary" },
        { SecretId: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/llm-AbCdEf" }
      ])
    }))

  it.live("unknown secrets, denied access, bad credentials, outages and bad JSON: typed errors that show no value", () =>
    Effect.gen(function*() {
      const sm = yield* fake()
      const captured = capture()
      const errors = yield* Effect.gen(function*() {
        const e = (ref: string) => Effect.map(Effect.exit(Secrets.resolve(ref)), failure)
        return {
          missing: yield* e("aws-sm:prod/nope"),
          field: yield* e("aws-sm:prod/llm#cohere"),
          stage: yield* e("aws-sm:prod/llm?versionStage=AWSPENDING#openai"),
          denied: yield* e("aws-sm:prod/locked"),
          notJson: yield* e("aws-sm:prod/not-json#key"),
          param: yield* e("aws-sm:prod/llm?stage=x")
        }
      }).pipe(Effect.withSpan("app"), Effect.provide(layer(sm.endpoint)), Effect.provide(captured.layer))
      assert.deepStrictEqual([errors.missing._tag, errors.missing.message], [
        "SecretNotFound",
        "aws-sm:prod/nope: AWS Secrets Manager ResourceNotFoundException: Secrets Manager can't find the specified secret."
      ])
      assert.deepStrictEqual([errors.field._tag, errors.field.message], ["SecretNotFound", `aws-sm:prod/llm#cohere: the secret has no field "cohere" (it has "openai", "anthropic", "port")`])
      assert.strictEqual(errors.stage._tag, "SecretNotFound")
      assert.strictEqual(errors.denied._tag, "SecretAccessDenied")
      assert.include(errors.denied.message, "is not authorized to perform: secretsmanager:GetSecretValue")
      assert.deepStrictEqual([errors.notJson._tag, errors.notJson.message], ["InvalidSecretValue", `aws-sm:prod/not-json#key: "#key" selects a field, but the secret is not JSON`])
      assert.strictEqual(errors.param.message, `aws-sm:prod/llm?stage=x: unknown parameter "stage" (allowed: versionStage, versionId)`)
      const seen = captured.text() + JSON.stringify(errors)
      for (const secret of ["sk-aws-2", "sk-ant-aws", "sk-hidden", SECRET_KEY]) assert.notInclude(seen, secret)

      const wrongKey = failure(yield* Effect.exit(Secrets.resolve("aws-sm:prod/plain").pipe(Effect.provide(layer(sm.endpoint, "not-the-key")))))
      assert.deepStrictEqual([wrongKey._tag, wrongKey.message], [
        "SecretAccessDenied",
        "aws-sm:prod/plain: AWS Secrets Manager InvalidSignatureException: The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."
      ])
      assert.isFalse(sm.requests.at(-1)!.signatureValid)

      sm.failing = true
      const down = failure(yield* Effect.exit(Secrets.resolve("aws-sm:prod/plain").pipe(Effect.provide(layer(sm.endpoint)))))
      assert.deepStrictEqual([down._tag, down.retryable], ["SecretUnavailable", true])
      const unreachable = failure(yield* Effect.exit(Secrets.resolve("aws-sm:prod/plain").pipe(Effect.provide(layer("http://127.0.0.1:9")))))
      assert.strictEqual(unreachable._tag, "SecretUnavailable")
    }))

  it.live("the SDK's own retries (maxAttempts) and the TTL cache: one request per ttl, retried on 500", () =>
    Effect.gen(function*() {
      const sm = yield* fake()
      sm.failing = true
      const retrying = Secrets.layer({
        ttl: "1 minute",
        aws: { region: "eu-west-1", endpoint: sm.endpoint, maxAttempts: 2, credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: Redacted.make(SECRET_KEY) } }
      })
      yield* Effect.gen(function*() {
        assert.strictEqual(failure(yield* Effect.exit(Secrets.resolve("aws-sm:prod/plain")))._tag, "SecretUnavailable")
        assert.strictEqual(sm.requests.length, 2)
        sm.failing = false
        assert.strictEqual(yield* value("aws-sm:prod/plain"), "plain-secret-value")
        assert.strictEqual(yield* value("aws-sm:prod/plain"), "plain-secret-value")
        assert.strictEqual(sm.requests.length, 3)
      }).pipe(Effect.provide(retrying))
    }))
})

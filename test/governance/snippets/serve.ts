import { Context, Effect, Layer } from "effect"
import { Cipher, Governance } from "../../../src/governance/index.ts"
import { Backend, WorkflowVersions } from "../../../src/server/index.ts"

const policy = Governance.policy({
  pii: { prompt: "mask", storage: "mask" },
  workflows: { payments: { pii: { storage: "encrypt" } } }
})

// In production: the service of Cipher.layer({ current, keys: { id: "vault:…" } }) over Secrets.
const cipher = Cipher.make({ current: "2026-12", keys: new Map([["2026-12", Buffer.from(Cipher.generateKey(), "base64")]]) })

export const program = Effect.gen(function*() {
  const backend = Backend.layer({
    store: "memory", // "sqlite:runs.db", "postgres://app@db/llmo"
    governance: { policy, cipher: yield* cipher }, // providers governed, logs and spans masked, stored data per policy
    retention: { runs: "30 days", workflows: { payments: "400 days" }, audit: "365 days" },
    approval: { required: true } // versions need another admin's approval before they are deployed
  })
  const services = yield* Layer.build(backend)
  const versions = Context.get(services, WorkflowVersions.WorkflowVersions)
  const v = yield* versions.register({ source: "name: greet\nsteps:\n  - { id: hi, type: transform, function: template, template: hi }\n", by: "key:0123456789ab" })
  return `${v.name} v${v.version} ${v.state}`
}).pipe(Effect.scoped)

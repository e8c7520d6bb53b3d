/**
 * The policy's `storage` action applied to what durable runs keep at rest, as a `PayloadCodec` for `DurableRuns`
 * (and so for `serve`): run inputs, outputs and errors, step outputs and errors, wait requests and signals, streamed
 * deltas and the other event data, in the run store's rows and in the workflow engine's journal.
 *
 * Per workflow and step (`Governance.settingsFor`):
 * - `keep`: stored as is.
 * - `mask`: personal data found by the detectors is replaced before the row is written. Not reversible: `[EMAIL]`,
 *   and whoever reads the row (a resumed run included) reads the label. Reversible (`reversible: true`): a
 *   placeholder `[EMAIL_<digits>]`, its original encrypted in the run's vault (`PiiVault`), and the value comes back
 *   whole when the store is read through the codec.
 * - `encrypt`: the whole value is AES-256-GCM under the `Cipher`'s current key, bound to its run (a row copied to
 *   another run does not decrypt), the key id beside the ciphertext: a key rotated out of `current` but kept in the
 *   ring still opens the rows written under it.
 *
 * Deleting runs (`prune`) deletes their vault entries too.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { DurableRuns } from "llm-orchestrator/durable"
 * import { Governance, StoredData } from "llm-orchestrator/governance"
 * const runs = Effect.gen(function*() {
 *   const codec = yield* StoredData.codec({ policy: Governance.policy({ pii: { storage: "encrypt" } }), cipher })
 *   return yield* DurableRuns.make({ store: "sqlite:runs.db", codec })
 * })
 * ```
 */
import { createHmac, randomBytes } from "node:crypto"
import { Effect } from "effect"
import type { At, PayloadCodec } from "../durable/PayloadCodec.ts"
import type { Json, RunRecord, RunStoreShape, StepRow, WaitRow } from "../store/RunStoreShape.ts"
import type { CipherShape } from "./Cipher.ts"
import * as Detectors from "./Detectors.ts"
import { GovernanceConfigError } from "./Governance.ts"
import type { Detector } from "./Pii.ts"
import type { PiiVaultShape } from "./PiiVault.ts"
import { detectorsFor, type Policy, settingsFor, type StorageAction } from "./Policy.ts"
import * as Redaction from "./Redaction.ts"

/**
 * What the codec needs: the policy, a `Cipher` when anything is encrypted or reversible, and the vault of originals
 * for reversible masks.
 *
 * @example
 * ```ts
 * const options: StoredData.Options = { policy, cipher, vault }
 * ```
 */
export interface Options {
  readonly policy: Policy
  readonly cipher?: CipherShape | undefined
  readonly vault?: PiiVaultShape | undefined
}

/** The marker of an encrypted value: an object no workflow value has by accident. */
const marker = "$llmo"

/**
 * True when `value` is an encrypted stored value (`{ "$llmo": "enc:v1", "v": "enc:v1:<key id>:…" }`).
 *
 * @example
 * ```ts
 * StoredData.isEncrypted({ $llmo: "enc:v1", v: "enc:v1:k1:…" }) // true
 * ```
 */
export const isEncrypted = (value: unknown): value is { readonly $llmo: "enc:v1"; readonly v: string } =>
  typeof value === "object" && value !== null && !Array.isArray(value) && (value as Record<string, unknown>)[marker] === "enc:v1" &&
  typeof (value as Record<string, unknown>)["v"] === "string"

const contextOf = (runId: string) => `run:${runId}`

/** Placeholders of stored data: digits from a keyed hash, so no two processes hand out the same one for different data. */
const placeholderKey = randomBytes(32)
const placeholderOf = (runId: string, kind: string, original: string) => {
  const digest = createHmac("sha256", placeholderKey).update(runId).update("\u0000").update(original).digest()
  return `[${Redaction.tagOf(kind)}_${digest.readBigUInt64BE(0).toString().slice(0, 12)}]`
}

const hasPlaceholder = (value: unknown): boolean => {
  let found = false
  Redaction.mapStrings(value, (s) => {
    if (!found && Redaction.placeholderPattern.test(s)) found = true
    Redaction.placeholderPattern.lastIndex = 0
    return s
  })
  return found
}

/**
 * Builds the codec. Fails with `GovernanceConfigError` when the policy encrypts or keeps reversible masks anywhere
 * and no `Cipher` (or, for reversible masks, no vault) is given.
 *
 * @example
 * ```ts
 * const codec = yield* StoredData.codec({ policy: Governance.policy({ pii: { storage: "mask" } }) })
 * ```
 */
export const codec = (options: Options): Effect.Effect<PayloadCodec, GovernanceConfigError> =>
  Effect.gen(function*() {
    const { cipher, policy, vault } = options
    const layers = [policy.pii, ...Object.values(policy.steps).map((r) => r.pii), ...Object.values(policy.workflows).flatMap((w) => [w.pii, ...Object.values(w.steps ?? {}).map((r) => r.pii)])]
    if (cipher === undefined && layers.some((p) => p?.storage === "encrypt")) {
      return yield* new GovernanceConfigError({ message: "The policy encrypts stored values (storage: encrypt) but no Cipher was given: configure encryption keys" })
    }
    const reversible = layers.some((p) => p?.reversible === true || p?.restoreOutput === true)
    if (reversible && layers.some((p) => p?.storage === "mask") && (cipher === undefined || vault === undefined)) {
      return yield* new GovernanceConfigError({ message: "The policy keeps the originals of masked stored values (reversible) but no Cipher and vault were given" })
    }

    const settings = new Map<string, { readonly action: StorageAction; readonly reversible: boolean; readonly detectors: ReadonlyArray<Detector> }>()
    const settingsOf = (workflow: string | undefined, stepId: string | undefined) => {
      const key = `${workflow ?? ""}\u0000${stepId ?? ""}`
      let found = settings.get(key)
      if (found === undefined) {
        const pii = settingsFor(policy, workflow, stepId).pii
        found = { action: pii.storage, reversible: pii.reversible || pii.restoreOutput, detectors: detectorsFor(pii) }
        settings.set(key, found)
      }
      return found
    }

    // The workflow of each run, for its settings (runs are written many times, their workflow read once).
    const workflows = new Map<string, string>()
    let raw: RunStoreShape | undefined
    const workflowOf = (runId: string): Effect.Effect<string | undefined> =>
      Effect.suspend(() => {
        const known = workflows.get(runId)
        if (known !== undefined || raw === undefined) return Effect.succeed(known)
        return raw.getRun(runId).pipe(
          Effect.map((run) => {
            if (run !== undefined) remember(runId, run.workflow)
            return run?.workflow
          }),
          Effect.orElseSucceed(() => undefined)
        )
      })
    const remember = (runId: string, workflow: string) => {
      if (workflows.size > 50_000) workflows.delete(workflows.keys().next().value!)
      workflows.set(runId, workflow)
    }

    const protect = (runId: string, workflow: string | undefined, stepId: string | undefined, value: Json | undefined): Effect.Effect<Json | undefined> =>
      Effect.gen(function*() {
        if (value === undefined || value === null) return value
        const s = settingsOf(workflow, stepId)
        switch (s.action) {
          case "keep":
            return value
          case "encrypt":
            return { [marker]: "enc:v1", v: yield* cipher!.encryptJson(value, contextOf(runId)) }
          case "mask": {
            if (!s.reversible) return Redaction.mapStrings(value, (text) => Redaction.maskText(text, s.detectors)) as Json
            const originals: Array<{ placeholder: string; original: string }> = []
            const masked = Redaction.mapStrings(value, (text) =>
              Redaction.replace(text, Detectors.detect(text, s.detectors), (m, original) => {
                const placeholder = placeholderOf(runId, m.kind, original)
                originals.push({ placeholder, original })
                return placeholder
              })) as Json
            if (originals.length > 0) yield* vault!.put(runId, originals)
            return masked
          }
        }
      })

    const open = (runId: string, value: Json | undefined): Effect.Effect<Json | undefined> =>
      Effect.gen(function*() {
        if (value === undefined || value === null) return value
        if (isEncrypted(value)) {
          if (cipher === undefined) return yield* Effect.die(new Error(`A stored value of run '${runId}' is encrypted (key ${value.v.split(":")[2] ?? "?"}) and no Cipher was given`))
          return (yield* Effect.orDie(cipher.decryptJson(value.v, contextOf(runId)))) as Json
        }
        if (vault === undefined || !hasPlaceholder(value)) return value
        const wanted = new Set<string>()
        Redaction.mapStrings(value, (s) => {
          for (const p of Redaction.placeholdersIn(s)) wanted.add(p)
          return s
        })
        const found = yield* Effect.orDie(vault.lookup(runId, [...wanted]))
        return Redaction.mapStrings(value, (s) => Redaction.restore(s, (p) => found.get(p))) as Json
      })

    const openRun = (run: RunRecord): Effect.Effect<RunRecord> =>
      Effect.gen(function*() {
        remember(run.runId, run.workflow)
        return {
          ...run,
          input: (yield* open(run.runId, run.input)) as Json,
          output: yield* open(run.runId, run.output),
          error: yield* open(run.runId, run.error),
          seeds: yield* open(run.runId, run.seeds)
        }
      })
    const openRuns = (runs: ReadonlyArray<RunRecord>) => Effect.forEach(runs, openRun)
    const openWait = (w: WaitRow): Effect.Effect<WaitRow> =>
      Effect.gen(function*() {
        return { ...w, request: yield* open(w.runId, w.request), signal: yield* open(w.runId, w.signal) }
      })
    const openStep = (s: StepRow): Effect.Effect<StepRow> =>
      Effect.gen(function*() {
        return { ...s, output: yield* open(s.runId, s.output), error: yield* open(s.runId, s.error) }
      })
    // Unit names to the step ids they belong to (`route/case/x#2` -> `route/case/x`), from stepStarted.
    const stepIds = new Map<string, string>()
    const stepIdOf = (runId: string, name: string) => stepIds.get(`${runId}\u0000${name}`) ?? name.replace(/[#@~].*$/, "")
    // Event data that carries no workflow data is kept as is (statuses, cancel requests).
    const plainEvents = new Set(["RunStatus", "CancelRequested"])

    const wrap = (store: RunStoreShape): RunStoreShape => {
      raw = store
      return {
        ...store,
        createRun: (run) =>
          Effect.gen(function*() {
            remember(run.runId, run.workflow)
            const input = (yield* protect(run.runId, run.workflow, undefined, run.input)) as Json
            const seeds = yield* protect(run.runId, run.workflow, undefined, run.seeds)
            const created = yield* store.createRun({ ...run, input, seeds })
            return { created: created.created, run: yield* openRun(created.run) }
          }),
        getRun: (runId) => Effect.flatMap(store.getRun(runId), (run) => (run === undefined ? Effect.succeed(undefined) : openRun(run))),
        listRuns: (filter) => Effect.flatMap(store.listRuns(filter), openRuns),
        runsToSubmit: () => Effect.flatMap(store.runsToSubmit(), openRuns),
        unfinishedRuns: () => Effect.flatMap(store.unfinishedRuns(), openRuns),
        cancelRequested: () => Effect.flatMap(store.cancelRequested(), openRuns),
        requestCancel: (runId, at) => Effect.flatMap(store.requestCancel(runId, at), openRun),
        setStatus: (runId, to, at, fields) =>
          Effect.gen(function*() {
            if (fields === undefined) return yield* openRun(yield* store.setStatus(runId, to, at))
            const workflow = yield* workflowOf(runId)
            const output = yield* protect(runId, workflow, undefined, fields.output)
            const error = yield* protect(runId, workflow, undefined, fields.error)
            return yield* openRun(yield* store.setStatus(runId, to, at, {
              ...(output !== undefined ? { output } : {}),
              ...(error !== undefined ? { error } : {})
            }))
          }),
        stepStarted: (row) =>
          Effect.suspend(() => {
            stepIds.set(`${row.runId}\u0000${row.name}`, row.stepId)
            if (stepIds.size > 100_000) stepIds.delete(stepIds.keys().next().value!)
            return store.stepStarted(row)
          }),
        stepFinished: (row) =>
          Effect.gen(function*() {
            const workflow = yield* workflowOf(row.runId)
            const stepId = stepIdOf(row.runId, row.name)
            const output = yield* protect(row.runId, workflow, stepId, row.output)
            const error = yield* protect(row.runId, workflow, stepId, row.error)
            return yield* store.stepFinished({ ...row, output, error })
          }),
        steps: (runId) => Effect.flatMap(store.steps(runId), (rows) => Effect.forEach(rows, openStep)),
        appendEvent: (event) =>
          plainEvents.has(event.type) || event.data === undefined
            ? store.appendEvent(event)
            : Effect.gen(function*() {
              const workflow = yield* workflowOf(event.runId)
              const data = yield* protect(event.runId, workflow, event.stepId === undefined ? undefined : stepIdOf(event.runId, event.stepId), event.data)
              return yield* store.appendEvent({ ...event, data })
            }),
        events: (runId, eventOptions) =>
          Effect.flatMap(store.events(runId, eventOptions), (events) =>
            Effect.forEach(events, (e) => (plainEvents.has(e.type) ? Effect.succeed(e) : Effect.map(open(e.runId, e.data), (data) => ({ ...e, data }))))),
        putWait: (row) =>
          Effect.gen(function*() {
            const workflow = yield* workflowOf(row.runId)
            return yield* store.putWait({ ...row, request: yield* protect(row.runId, workflow, stepIdOf(row.runId, row.stepId), row.request) })
          }),
        putSignal: (runId, stepId, value, at) =>
          Effect.gen(function*() {
            const workflow = yield* workflowOf(runId)
            return yield* store.putSignal(runId, stepId, (yield* protect(runId, workflow, stepIdOf(runId, stepId), value)) as Json, at)
          }),
        waits: (runId) => Effect.flatMap(store.waits(runId), (rows) => Effect.forEach(rows, openWait)),
        waitsToApply: (now) => Effect.flatMap(store.waitsToApply(now), (rows) => Effect.forEach(rows, openWait)),
        prune: (before, filter) =>
          Effect.gen(function*() {
            const ids = yield* store.prune(before, filter)
            // A deleted run takes its vault of originals with it.
            if (vault !== undefined) for (const id of ids) yield* vault.forget(id)
            for (const id of ids) workflows.delete(id)
            return ids
          })
      }
    }

    return {
      store: wrap,
      seal: (at: At, value: Json) =>
        Effect.flatMap(workflowOf(at.runId), (workflow) => Effect.map(protect(at.runId, workflow, at.stepId, value), (v) => v ?? null)),
      open: (at: At, value: Json) => Effect.map(open(at.runId, value), (v) => v ?? null)
    } satisfies PayloadCodec
  })

/**
 * Data protection: personal-data detectors and redaction, policies applied to LLM calls (mask or refuse, prompt
 * limits, reversible placeholders), masked logs and spans, and AES-256-GCM encryption at rest under keys from the
 * Secrets service.
 *
 * @example
 * ```ts
 * import { Cipher, Detectors, Governance } from "llm-orchestrator/governance"
 * const openai = Governance.layerLlm(Governance.policy({ limits: { promptTokens: 8_000 } }), "openai", OpenAiLive)
 * ```
 */
export * as Checksums from "./Checksums.ts"
export * as Cipher from "./Cipher.ts"
export * as Detectors from "./Detectors.ts"
export * as Governance from "./Governance.ts"
export * as PiiVault from "./PiiVault.ts"
export * as Redaction from "./Redaction.ts"
export * as Retention from "./Retention.ts"
export * as StoredData from "./StoredData.ts"
export * as Telemetry from "./Telemetry.ts"
export { DecryptionFailed, InvalidEnvelope, InvalidKey, UnknownKey } from "./CipherError.ts"
export type { CipherError } from "./CipherError.ts"
export type { Detector, PiiKind, PiiMatch } from "./Pii.ts"
export { PiiRefused, PromptLimitExceeded } from "../llm/LlmError.ts"

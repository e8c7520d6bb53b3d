/** The benchmark workloads W1–W4. */
export * from "./mock.ts"
export { w1 } from "./w1.ts"
export { w2 } from "./w2.ts"
export { w3 } from "./w3.ts"
export { w4 } from "./w4.ts"
export * from "./Workload.ts"

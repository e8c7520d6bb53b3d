/**
 * Budgets for language-model and embedding calls: per-run (or per-effect) caps in US dollars and tokens, enforced by
 * reserving each call's worst case before it is sent.
 *
 * @example
 * ```ts
 * import { Budget, BudgetLedger } from "llm-orchestrator/budget"
 * const capped = Workflow.run(wf, input).pipe(Budget.limit({ usd: 0.5 }))
 * ```
 */
export * as Budget from "./Budget.ts"
export * as BudgetLedger from "./BudgetLedger.ts"
export * as DailyBudget from "./DailyBudget.ts"

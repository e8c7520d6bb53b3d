/**
 * `{{ name.field | filter(arg) }}` templates and `{{ ref }} >= 8` conditions.
 *
 * @example
 * ```ts
 * const { template } = parseTemplate("Hello {{ input.name | default(\"you\") }}")
 * template.parts[1] // { kind: "ref", ref: { head: "input", path: ["name"], filters: [{ name: "default", args: ["you"] }], ... } }
 * ```
 */

/**
 * A literal value in a template filter argument or a condition's right-hand side.
 *
 * @example
 * ```ts
 * parseCondition("{{ review.score }} >= 8") // right: { kind: "literal", value: 8 }
 * ```
 */
export type Literal = string | number | boolean | null

/**
 * One `| name(args)` filter applied to a template reference.
 *
 * @example
 * ```ts
 * const f: Filter = { name: "default", args: ["you"] } // from `{{ input.name | default("you") }}`
 * ```
 */
export interface Filter {
  readonly name: string
  readonly args: ReadonlyArray<Literal>
}

/**
 * A `{{ head.path | filters }}` reference: the name it starts with, the field/index path after it, and its filters.
 *
 * @example
 * ```ts
 * const r = parseTemplate("{{ docs.items[0] | json }}").template.whole
 * // r: { text: "{{ docs.items[0] | json }}", head: "docs", path: ["items", 0], filters: [{ name: "json", args: [] }] }
 * ```
 */
export interface Ref {
  /** The whole `{{ ... }}` text, to locate it in the source. */
  readonly text: string
  readonly head: string
  readonly path: ReadonlyArray<string | number>
  readonly filters: ReadonlyArray<Filter>
}

/**
 * One piece of a template: literal text or a `{{ ref }}`.
 *
 * @example
 * ```ts
 * parseTemplate("Hi {{ input.name }}").template.parts
 * // [{ kind: "text", text: "Hi " }, { kind: "ref", ref: { head: "input", path: ["name"], ... } }]
 * ```
 */
export type Part = { readonly kind: "text"; readonly text: string } | { readonly kind: "ref"; readonly ref: Ref }

/**
 * A parsed template string: its parts in order, every reference, and `whole` when the string is exactly one reference.
 *
 * @example
 * ```ts
 * const { template } = parseTemplate("{{ summary }}")
 * template.whole?.head // "summary"
 * template.refs.length // 1
 * ```
 */
export interface Template {
  readonly parts: ReadonlyArray<Part>
  /** Set when the string is exactly one `{{ ref }}`: its value is used as is, not stringified. */
  readonly whole: Ref | undefined
  readonly refs: ReadonlyArray<Ref>
}

/**
 * A problem in a template or condition: the offending text (to locate it in the source) and what is wrong.
 *
 * @example
 * ```ts
 * parseTemplate("Hi {{ name").errors // [{ text: "{{ name", message: "unclosed \"{{\" (missing \"}}\")" }]
 * ```
 */
export interface TemplateError {
  readonly text: string
  readonly message: string
}

/**
 * Filters templates support.
 *
 * @example
 * ```ts
 * filterNames.includes("upper") // true
 * ```
 */
export const filterNames = ["json", "join", "default", "upper", "lower", "trim", "length"] as const
/**
 * A known filter's name.
 *
 * @example
 * ```ts
 * const f: FilterName = "join"
 * ```
 */
export type FilterName = (typeof filterNames)[number]

class Cursor {
  i = 0
  constructor(readonly s: string) {}
  ws() {
    while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++
  }
  eof() {
    return this.i >= this.s.length
  }
  peek() {
    return this.s[this.i]
  }
  ident(): string | undefined {
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i))
    if (m === null) return undefined
    this.i += m[0].length
    return m[0]
  }
  literal(): Literal | undefined {
    const rest = this.s.slice(this.i)
    const str = /^"((?:[^"\\]|\\.)*)"|^'((?:[^'\\]|\\.)*)'/.exec(rest)
    if (str !== null) {
      this.i += str[0].length
      return (str[1] ?? str[2] ?? "").replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c === "t" ? "\t" : c))
    }
    const num = /^-?\d+(\.\d+)?/.exec(rest)
    if (num !== null) {
      this.i += num[0].length
      return Number(num[0])
    }
    const word = /^(true|false|null)\b/.exec(rest)
    if (word !== null) {
      this.i += word[0].length
      return word[1] === "true" ? true : word[1] === "false" ? false : null
    }
    return undefined
  }
}

/**
 * Parse the inside of `{{ }}`.
 *
 * @example
 * ```ts
 * parseExpression("{{ a.b }}", " a.b ") // { text: "{{ a.b }}", head: "a", path: ["b"], filters: [] }
 * parseExpression("{{ }}", " ") // "empty {{ }}" (an error message)
 * ```
 */
export const parseExpression = (text: string, inner: string): Ref | string => {
  const c = new Cursor(inner)
  c.ws()
  const head = c.ident()
  if (head === undefined) return inner.trim() === "" ? "empty {{ }}" : `expected a name in ${text}`
  const path: Array<string | number> = []
  for (;;) {
    if (c.peek() === ".") {
      c.i++
      const id = c.ident()
      if (id !== undefined) {
        path.push(id)
        continue
      }
      const m = /^\d+/.exec(inner.slice(c.i))
      if (m === null) return `expected a field name after "." in ${text}`
      c.i += m[0].length
      path.push(Number(m[0]))
    } else if (c.peek() === "[") {
      c.i++
      const m = /^\s*(\d+)\s*\]/.exec(inner.slice(c.i))
      if (m === null) return `expected [index] in ${text}`
      c.i += m[0].length
      path.push(Number(m[1]))
    } else break
  }
  const filters: Array<Filter> = []
  c.ws()
  while (c.peek() === "|") {
    c.i++
    c.ws()
    const name = c.ident()
    if (name === undefined) return `expected a filter name after "|" in ${text}`
    const args: Array<Literal> = []
    c.ws()
    if (c.peek() === "(") {
      c.i++
      c.ws()
      if (c.peek() !== ")") {
        for (;;) {
          c.ws()
          const lit = c.literal()
          if (lit === undefined) return `expected a literal argument to ${name} in ${text}`
          args.push(lit)
          c.ws()
          if (c.peek() === ",") {
            c.i++
            continue
          }
          break
        }
      }
      if (c.peek() !== ")") return `expected ")" after the arguments of ${name} in ${text}`
      c.i++
      c.ws()
    }
    filters.push({ name, args })
  }
  c.ws()
  if (!c.eof()) return `unexpected "${inner.slice(c.i).trim()}" in ${text}`
  return { text, head, path, filters }
}

/**
 * Split a string into text and `{{ ref }}` parts; problems are returned, not thrown.
 *
 * @example
 * ```ts
 * const { template, errors } = parseTemplate("Hello {{ input.name | upper }}")
 * template.refs.map((r) => r.head) // ["input"]
 * errors // []
 * ```
 */
export const parseTemplate = (s: string): { readonly template: Template; readonly errors: ReadonlyArray<TemplateError> } => {
  const parts: Array<Part> = []
  const errors: Array<TemplateError> = []
  let i = 0
  while (i < s.length) {
    const open = s.indexOf("{{", i)
    if (open < 0) {
      parts.push({ kind: "text", text: s.slice(i) })
      break
    }
    if (open > i) parts.push({ kind: "text", text: s.slice(i, open) })
    const close = s.indexOf("}}", open + 2)
    if (close < 0) {
      errors.push({ text: s.slice(open, open + 20), message: `unclosed "{{" (missing "}}")` })
      break
    }
    const text = s.slice(open, close + 2)
    const parsed = parseExpression(text, s.slice(open + 2, close))
    if (typeof parsed === "string") errors.push({ text, message: parsed })
    else parts.push({ kind: "ref", ref: parsed })
    i = close + 2
  }
  const refs = parts.flatMap((p) => (p.kind === "ref" ? [p.ref] : []))
  const meaningful = parts.filter((p) => p.kind === "ref" || p.text.trim() !== "")
  const first = meaningful[0]
  const only = meaningful.length === 1 && first !== undefined && first.kind === "ref" ? first.ref : undefined
  return { template: { parts, whole: only, refs }, errors }
}

/**
 * Operators a condition may use between its reference and its right-hand side.
 *
 * @example
 * ```ts
 * comparisonOps.includes(">=") // true
 * ```
 */
export const comparisonOps = ["==", "!=", "<=", ">=", "<", ">"] as const
/**
 * One of {@link comparisonOps}.
 *
 * @example
 * ```ts
 * const op: ComparisonOp = ">="
 * ```
 */
export type ComparisonOp = (typeof comparisonOps)[number]

/**
 * A parsed `branch`/`loop until` condition: a reference alone (truthiness) or compared with a literal or another reference.
 *
 * @example
 * ```ts
 * const c = parseCondition("{{ review.score }} >= 8") as Condition
 * c.op // ">="
 * c.right // { kind: "literal", value: 8 }
 * ```
 */
export interface Condition {
  readonly left: Ref
  readonly op: ComparisonOp | undefined
  readonly right: { readonly kind: "literal"; readonly value: Literal } | { readonly kind: "ref"; readonly ref: Ref } | undefined
}

/**
 * `{{ ref }}` (truthy) or `{{ ref }} <op> <literal | {{ ref }} | bare word>`.
 *
 * @example
 * ```ts
 * parseCondition("{{ check.safe }}") // { left: { head: "check", path: ["safe"], ... }, op: undefined, right: undefined }
 * "message" in parseCondition("score >= 8") // true: not a condition
 * ```
 */
export const parseCondition = (s: string): Condition | TemplateError => {
  const m = /^\s*(\{\{[^}]*\}\})\s*(?:(==|!=|<=|>=|<|>)\s*(.+?))?\s*$/.exec(s)
  if (m === null) {
    return { text: s, message: `expected a condition like "{{ name }}" or "{{ name }} >= 8", got "${s}"` }
  }
  const leftText = m[1]!
  const left = parseExpression(leftText, leftText.slice(2, -2))
  if (typeof left === "string") return { text: leftText, message: left }
  const op = m[2] as ComparisonOp | undefined
  if (op === undefined) return { left, op: undefined, right: undefined }
  const rightText = m[3]!
  if (rightText.startsWith("{{")) {
    if (!rightText.endsWith("}}")) return { text: rightText, message: `unclosed "{{" (missing "}}")` }
    const right = parseExpression(rightText, rightText.slice(2, -2))
    if (typeof right === "string") return { text: rightText, message: right }
    return { left, op, right: { kind: "ref", ref: right } }
  }
  const c = new Cursor(rightText)
  const lit = c.literal()
  if (lit !== undefined && c.eof()) return { left, op, right: { kind: "literal", value: lit } }
  if (/^[A-Za-z_][\w-]*$/.test(rightText)) return { left, op, right: { kind: "literal", value: rightText } }
  return { text: rightText, message: `expected a literal or {{ ref }} after ${op}, got "${rightText}"` }
}

import { assert, describe, it } from "@effect/vitest"
import { Filter } from "../../src/vector/index.ts"
import { prng } from "./random.ts"

const invalid = (filter: unknown): string => {
  try {
    Filter.compile(filter as Filter.Filter)
  } catch (e) {
    assert.instanceOf(e, Filter.InvalidFilter)
    // toQdrant validates the same way.
    assert.throws(() => Filter.toQdrant(filter as Filter.Filter), (e as Error).message)
    return (e as Error).message
  }
  return assert.fail("expected InvalidFilter")
}

describe("Filter", () => {
  it("constructors build Qdrant-shaped conditions", () => {
    assert.deepStrictEqual(
      Filter.all(Filter.match("lang", "en"), Filter.anyOf("tag", ["a", 1]), Filter.range("year", { gte: 2020, lt: 2025 })),
      {
        must: [
          { key: "lang", match: { value: "en" } },
          { key: "tag", match: { any: ["a", 1] } },
          { key: "year", range: { gte: 2020, lt: 2025 } }
        ]
      }
    )
    assert.deepStrictEqual(Filter.some(Filter.match("a", true)), { should: [{ key: "a", match: { value: true } }] })
    assert.deepStrictEqual(Filter.none(Filter.match("a", 1)), { must_not: [{ key: "a", match: { value: 1 } }] })
  })

  it("toQdrant keeps nesting and drops undefined bounds", () => {
    const f: Filter.Filter = {
      should: [Filter.all(Filter.match("a", 1)), Filter.range("b", { gt: 1, lte: undefined as never })]
    }
    assert.deepStrictEqual(Filter.toQdrant(f), {
      should: [{ must: [{ key: "a", match: { value: 1 } }] }, { key: "b", range: { gt: 1 } }]
    })
  })

  it("compile: Qdrant semantics for arrays, nested objects, arrays of objects, missing fields and types", () => {
    const p = { n: 5, s: "x", b: false, arr: [1, 7], items: [{ k: "u" }, { k: "v" }], o: { deep: { z: 3 } } }
    const t = (f: Filter.Filter) => Filter.compile(f)(p)
    assert.isTrue(t({}))
    assert.isTrue(t(Filter.all(Filter.match("arr", 7))))
    assert.isTrue(t(Filter.all(Filter.range("arr", { gt: 6 }))))
    assert.isFalse(t(Filter.all(Filter.range("arr", { gt: 1, lt: 7 }))))
    assert.isTrue(t(Filter.all(Filter.match("items.k", "v"))))
    assert.isTrue(t(Filter.all(Filter.match("o.deep.z", 3))))
    assert.isFalse(t(Filter.all(Filter.match("o.deep.missing", 3))))
    assert.isTrue(t(Filter.none(Filter.match("missing", 3))))
    assert.isFalse(t(Filter.all(Filter.match("n", "5"))), "no coercion between number and string")
    assert.isFalse(t(Filter.all(Filter.range("s", { gte: 0 }))), "range needs a number")
    assert.isTrue(t(Filter.all(Filter.match("b", false))))
    assert.isTrue(t({ should: [] }), "an empty should does not restrict")
    assert.isFalse(t({ should: [Filter.match("n", 1), Filter.match("n", 2)] }))
    assert.isTrue(t({ must: [{ must_not: [Filter.match("s", "y")] }] }))
  })

  it("validate returns the normalised filter and prefixes error paths with the caller's place", () => {
    assert.deepStrictEqual(
      Filter.validate({ must: [{ key: "a", match: { value: 1, extra: true } }], should: [] }),
      { must: [{ key: "a", match: { value: 1 } }], should: [] }
    )
    assert.throws(
      () => Filter.validate({ must: [{ key: "y", range: { gte: "2020" } }] }, "steps.search_docs.filter"),
      "steps.search_docs.filter.must[0].range.gte: expected a finite number"
    )
    assert.throws(() => Filter.validate("lang = en"), "filter: expected an object")
  })

  it("rejects malformed filters, naming the place", () => {
    assert.strictEqual(invalid({ must: [{ key: "a" }] }), 'filter.must[0]: condition on "a" needs match or range')
    assert.strictEqual(invalid({ must: {} }), "filter.must: expected an array of conditions")
    assert.strictEqual(invalid({ filter: [] }), "filter.filter: unknown filter clause (expected must, should or must_not)")
    assert.strictEqual(invalid({ should: [{ key: "", match: { value: 1 } }] }), "filter.should[0].key: expected a non-empty string")
    assert.strictEqual(invalid({ must: [{ key: "a", match: { value: null } }] }), "filter.must[0].match.value: expected a string, number or boolean")
    assert.strictEqual(invalid({ must: [{ key: "a", match: { any: "x" } }] }), "filter.must[0].match.any: expected an array of strings or numbers")
    assert.strictEqual(invalid({ must: [{ key: "a", match: { text: "x" } }] }), "filter.must[0].match: expected { value } or { any }")
    assert.strictEqual(invalid({ must_not: [{ key: "a", range: { from: 1 } }] }), "filter.must_not[0].range.from: unknown bound (expected gt, gte, lt or lte)")
    assert.strictEqual(invalid({ must: [{ key: "a", range: { gte: "1" } }] }), "filter.must[0].range.gte: expected a finite number")
    assert.strictEqual(invalid({ must: [{ should: [7] }] }), "filter.must[0].should[0]: expected a condition object")
    assert.strictEqual(invalid({ must: [{ foo: 1 }] }), "filter.must[0]: expected a condition with key and match/range, or a nested filter")
  })

  it("connectives fold constants away and only combine two or more real nodes", () => {
    const { and, or } = Filter.connectives<string>((ns) => `(${ns.join(" and ")})`, (ns) => `(${ns.join(" or ")})`)
    assert.strictEqual(and(["a", true, "b"]), "(a and b)")
    assert.strictEqual(and(["a", true]), "a")
    assert.strictEqual(and([true, true]), true)
    assert.strictEqual(and([]), true)
    assert.strictEqual(and(["a", false]), false)
    assert.strictEqual(or(["a", false, "b"]), "(a or b)")
    assert.strictEqual(or(["a", true]), true)
    assert.strictEqual(or([]), false)
  })

  // Random filters over random payloads: the De Morgan form (positive and negated leaves only) and the `not` form must
  // agree with the reference evaluator (compile) on every payload, for the filter and for its negation.
  it("deMorgan and boolWithNot agree with compile on random filters (seeded)", () => {
    const next = prng(14)
    const pick = <A>(xs: ReadonlyArray<A>): A => xs[Math.floor(next() * xs.length)]!
    const keys = ["a", "b", "n", "o.x"]
    const values = [1, 2, "u", "v", true]
    const leaf = (): Filter.Condition => {
      const r = next()
      const key = pick(keys)
      return r < 0.4
        ? Filter.match(key, pick(values))
        : r < 0.7
        ? Filter.anyOf(key, next() < 0.1 ? [] : [pick([1, 2, "u"]), pick([2, "v"])])
        : Filter.range(key, next() < 0.2 ? {} : { ...(next() < 0.6 ? { gte: pick([0, 1, 2]) } : {}), ...(next() < 0.6 ? { lt: pick([2, 3]) } : {}) })
    }
    const filter = (depth: number): Filter.Filter => {
      const list = () => Array.from({ length: Math.floor(next() * 3) }, () => (depth > 0 && next() < 0.3 ? filter(depth - 1) : leaf()))
      // A nested filter needs at least one clause to be told from a condition.
      const f = { ...(next() < 0.6 ? { must: list() } : {}), ...(next() < 0.5 ? { should: list() } : {}), ...(next() < 0.5 ? { must_not: list() } : {}) }
      return Object.keys(f).length === 0 ? { must: list() } : f
    }
    const payload = (): Record<string, unknown> => {
      const p: Record<string, unknown> = {}
      for (const k of ["a", "b", "n"]) if (next() < 0.7) p[k] = next() < 0.3 ? [pick(values), pick(values)] : pick(values)
      if (next() < 0.5) p["o"] = { x: pick(values) }
      return p
    }
    type P = Filter.Predicate
    const T: P = () => true
    const F: P = () => false
    const constant = (n: Filter.Folded<P>): P => (n === true ? T : n === false ? F : n)
    const { and, or } = Filter.connectives<P>(
      (ps) => (x) => ps.every((p) => p(x)),
      (ps) => (x) => ps.some((p) => p(x))
    )
    const leafOf = (c: Filter.Condition): P => Filter.compile({ must: [c] })
    const signed: Filter.Visitor<Filter.Signed<P>> = {
      match: (key, _s, value) => ({ pos: leafOf(Filter.match(key, value)), neg: (x) => !leafOf(Filter.match(key, value))(x) }),
      any: (key, _s, vs) => (vs.length === 0 ? { pos: false, neg: true } : { pos: leafOf(Filter.anyOf(key, vs)), neg: (x) => !leafOf(Filter.anyOf(key, vs))(x) }),
      range: (key, _s, r) => ({ pos: leafOf(Filter.range(key, r)), neg: (x) => !leafOf(Filter.range(key, r))(x) }),
      bool: Filter.deMorgan(and, or)
    }
    const negate = (n: Filter.Folded<P>): Filter.Folded<P> => (n === true ? false : n === false ? true : (x) => !n(x))
    const withNot: Filter.Visitor<Filter.Folded<P>> = {
      match: (key, _s, value) => leafOf(Filter.match(key, value)),
      any: (key, _s, vs) => (vs.length === 0 ? false : leafOf(Filter.anyOf(key, vs))),
      range: (key, _s, r) => leafOf(Filter.range(key, r)),
      bool: Filter.boolWithNot(and, or, negate)
    }
    let checked = 0
    for (let i = 0; i < 300; i++) {
      const f = filter(2)
      const reference = Filter.compile(f)
      const s = Filter.fold(f, signed)
      const pos = constant(s.pos)
      const neg = constant(s.neg)
      const plain = constant(Filter.fold(f, withNot))
      for (let j = 0; j < 20; j++) {
        const p = payload()
        const expected = reference(p)
        assert.strictEqual(pos(p), expected, `pos of ${JSON.stringify(f)} on ${JSON.stringify(p)}`)
        assert.strictEqual(neg(p), !expected, `neg of ${JSON.stringify(f)} on ${JSON.stringify(p)}`)
        assert.strictEqual(plain(p), expected, `boolWithNot of ${JSON.stringify(f)} on ${JSON.stringify(p)}`)
        checked++
      }
    }
    assert.strictEqual(checked, 6000)
  })
})

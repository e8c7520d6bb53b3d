import { assert, describe, it } from "@effect/vitest"
import { Filter } from "../../src/vector/index.ts"

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
})

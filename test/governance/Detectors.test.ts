import { assert, describe, it } from "@effect/vitest"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { Checksums, Detectors, Redaction } from "../../src/governance/index.ts"
import * as Gen from "./generators.ts"

const kinds = (text: string) => Detectors.detect(text, Detectors.defaults).map((m) => `${m.kind}:${text.slice(m.start, m.end)}`)
const runs = { arbitrary: { runs: 300, seed: 19 } }
const detectedExactly = (kind: string, e: Gen.Embedded) => {
  const found = Detectors.detect(e.text, Detectors.defaults)
  assert.deepStrictEqual(found, [{ kind, start: e.start, end: e.start + e.value.length }], `in ${JSON.stringify(e.text)}`)
}

describe("checksums", () => {
  it("Luhn and MOD 97-10 on published examples", () => {
    for (const n of ["79927398713", "4111111111111111", "378282246310005", "5555555555554444", "6011111111111117", "3530111333300000"]) assert.isTrue(Checksums.luhn(n), n)
    for (const n of ["79927398710", "4111111111111112", "", "12a4"]) assert.isFalse(Checksums.luhn(n), n)
    for (const iban of ["DE89370400440532013000", "GB82WEST12345698765432", "FR1420041010050500013M02606", "NO9386011117947", "MT84MALT011000012345MTLCAST001S"]) {
      assert.isTrue(Checksums.iban(iban), iban)
    }
    assert.isFalse(Checksums.iban("DE89370400440532013001"))
    assert.isFalse(Checksums.iban("DE8937040044053201300"), "wrong length")
    assert.isFalse(Checksums.iban("XX89370400440532013000"), "unknown country")
  })
})

describe("detector properties (generated data)", () => {
  it.prop("every valid card number is found, exactly", { e: Gen.validCard }, ({ e }) => detectedExactly("card", e), runs)
  it.prop("a card number with one digit changed is never found", { e: Gen.invalidCard }, ({ e }) => {
    assert.deepStrictEqual(Detectors.card().find(e.text), [], `in ${JSON.stringify(e.text)}`)
  }, runs)
  it.prop("every valid IBAN is found, exactly (compact or grouped)", { e: Gen.validIban }, ({ e }) => detectedExactly("iban", e), runs)
  it.prop("an IBAN with one digit changed is never found", { e: Gen.invalidIban }, ({ e }) => {
    assert.deepStrictEqual(Detectors.iban.find(e.text), [], `in ${JSON.stringify(e.text)}`)
  }, runs)
  it.prop("every valid e-mail address is found, exactly", { e: Gen.validEmail }, ({ e }) => detectedExactly("email", e), runs)
  it.prop("malformed addresses are not found as written", { e: Gen.invalidEmail }, ({ e }) => {
    for (const m of Detectors.email.find(e.text)) assert.notStrictEqual(e.text.slice(m.start, m.end), e.value, `in ${JSON.stringify(e.text)}`)
  }, runs)
  it.prop("valid phone numbers of the default regions are found, national and international format", { e: Gen.validPhone }, ({ e }) => {
    detectedExactly("phone", e)
  }, { arbitrary: { runs: 200, seed: 7 } })
})

describe("detectors on examples", () => {
  it("cards: printed groups, issuers, numbers around them", () => {
    assert.deepStrictEqual(kinds("Amex 3782 822463 10005, MC 5555-5555-5555-4444, Visa 4111111111111111."), [
      "card:3782 822463 10005",
      "card:5555-5555-5555-4444",
      "card:4111111111111111"
    ])
    assert.deepStrictEqual(kinds("card 4111 1111 1111 1111 2024 exp"), ["card:4111 1111 1111 1111"], "a trailing group is not part of it")
    assert.deepStrictEqual(kinds("id 1701234567890, mixed 4111 1111-1111 1111, price 4111111111111111.50, +4111111111111111"), [], "timestamps, mixed separators, decimals, a + prefix")
    assert.deepStrictEqual(Detectors.card({ requireIssuer: false }).find("9999999999999995").length, 1)
    assert.deepStrictEqual(Detectors.card().find("9999999999999995"), [], "Luhn-valid but no issuer starts with 99")
  })
  it("IBANs: spaced, lower case, letters in the BBAN, trailing text", () => {
    assert.deepStrictEqual(kinds("IBAN DE89 3704 0044 0532 0130 00, and gb82west12345698765432."), ["iban:DE89 3704 0044 0532 0130 00", "iban:gb82west12345698765432"])
    assert.deepStrictEqual(kinds("DE89370400440532013000X"), [], "a longer code is not an IBAN")
  })
  it("e-mail: subdomains, plus tags, trailing punctuation, unicode; not package specs or handles", () => {
    assert.deepStrictEqual(kinds("write ada.lovelace+ai@mail.example.co.uk. or jörg@müller.de, (bob@x.io)"), [
      "email:ada.lovelace+ai@mail.example.co.uk",
      "email:jörg@müller.de",
      "email:bob@x.io"
    ])
    assert.deepStrictEqual(kinds("npm i @effect/vitest@4.0.5; ping @ada; user@localhost; a@b.c"), [])
  })
  it("phones: international anywhere, national in the configured regions, never dates, versions, ids or ZIP codes", () => {
    assert.deepStrictEqual(kinds("call 4155552671 or tel: 030901820; order no 12345678, id 4886718345"), ["phone:4155552671", "phone:030901820"])
    assert.deepStrictEqual(kinds("call +49 30 901820, (415) 555-2671, 020 7946 0958 or 0049 30 901820"), [
      "phone:+49 30 901820",
      "phone:(415) 555-2671",
      "phone:020 7946 0958",
      "phone:0049 30 901820"
    ])
    assert.deepStrictEqual(
      kinds("on 2024-01-15 (v1.13.15 / 8.10.2026), issue [#5927033], order 12345678, 1640995200000, Boston, MA 02110-1301, CVE-2022-32206, 2018-2020, 192.168.1.100"),
      []
    )
    assert.deepStrictEqual(Detectors.phone({ regions: ["FR"] }).find("06 12 34 56 78").length, 1)
    assert.deepStrictEqual(Detectors.phone({ regions: [] }).find("06 12 34 56 78"), [], "a national number of no configured region")
  })
  it("patterns and overlaps: the longest match wins", () => {
    const detectors = [...Detectors.defaults, Detectors.pattern("employee-id", /\bEMP-\d{6}\b/), Detectors.pattern("bank-code", "3704 0044")]
    const text = "EMP-004211 paid to DE89 3704 0044 0532 0130 00"
    assert.deepStrictEqual(Detectors.detect(text, detectors).map((m) => m.kind), ["employee-id", "iban"])
    assert.strictEqual(Redaction.maskText(text, detectors), "[EMPLOYEE_ID] paid to [IBAN]")
  })
  it("no blow-up on adversarial input (long runs of local-part characters, digits, separators)", () => {
    // a guard against quadratic scans (minutes on these inputs), not a performance figure: see bench:governance
    const inputs = ["a".repeat(200_000) + "@", "1 ".repeat(100_000), "12 ".repeat(30_000), "@".repeat(100_000), "a.".repeat(100_000) + "@x.com", "DE".repeat(100_000)]
    for (const input of inputs) {
      const start = performance.now()
      Detectors.detect(input, Detectors.defaults)
      assert.isBelow(performance.now() - start, 20_000, `${input.slice(0, 10)}… took too long`)
    }
  })
})

// Ordinary prose nobody wrote PII into: the Markdown and licence files of the installed packages (READMEs,
// changelogs, docs: version numbers, dates, hashes, URLs, code). libphonenumber-js's own docs are left out (they are
// about phone numbers). E-mail addresses found there are real (authors' addresses): they are true positives and are
// counted apart.
const corpus = (() => {
  const files: Array<string> = []
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name)
      if (e.isDirectory()) {
        if (e.name !== "test" && e.name !== ".bin" && e.name !== "libphonenumber-js") walk(p)
      } else if (/\.md$|^LICEN[CS]E/i.test(e.name)) files.push(p)
    }
  }
  walk(join(import.meta.dirname, "../../node_modules"))
  return files.sort().map((f) => readFileSync(f, "utf8")).join("\n")
})()

describe("false positives on ordinary text", () => {
  const mb = corpus.length / 1e6
  it(`no card or IBAN, at most one phone number per MB in ${mb.toFixed(1)} MB of package docs; the e-mails found are addresses`, () => {
    assert.isAbove(corpus.length, 1_000_000, "the corpus is there")
    const found = Detectors.detect(corpus, Detectors.defaults)
    const by = (kind: string) => found.filter((m) => m.kind === kind).map((m) => corpus.slice(m.start, m.end))
    assert.deepStrictEqual(by("card"), [])
    assert.deepStrictEqual(by("iban"), [])
    // phone numbers are the weak spot of pattern detection (ids and number tables in national formats): a rate
    assert.isAtMost(by("phone").length, Math.floor(mb), `phone false positives: ${JSON.stringify(by("phone"))}`)
    const emails = by("email")
    assert.isAbove(emails.length, 10)
    // internationalized addresses too (a package README has квіточка@пошта.укр and punycode domains)
    for (const e of emails) assert.match(e, /^[^@\s]+@[^@\s]+\.(?:\p{L}{2,}|xn--[a-z0-9-]+)$/iu)
  })
})

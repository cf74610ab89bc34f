import { expect } from "chai";
import fc from "fast-check";
import { formatZon, parseZon } from "../../src";

describe("ZON amounts as typed and read", function () {
  it("parses a typed amount to exact wei, with no floating point on the way", function () {
    expect([parseZon("amount", "0.1"), parseZon("amount", " 49.99 "), parseZon("amount", "1")]).to.deep.equal(
      [10n ** 17n, 4_999n * 10n ** 16n, 10n ** 18n],
    );
  });

  it("takes all 18 decimals of an amount", function () {
    expect(parseZon("amount", "0.000000000000000001")).to.equal(1n);
  });

  for (const typed of ["1e3", "-1", "1,000", "0.0000000000000000001", "", "ten", "1."])
    it(`refuses ${JSON.stringify(typed)}, naming the field and the value`, function () {
      expect(() => parseZon("milestones[1]", typed)).to.throw(
        `milestones[1]: ${JSON.stringify(typed)} is not an amount of ZON (digits, at most 18 after the point)`,
      );
    });

  it("formats wei grouped by thousands, without trailing zeros and without rounding", function () {
    expect([
      formatZon(1_234_567n * 10n ** 18n + 5n * 10n ** 17n),
      formatZon(1n),
      formatZon(0n),
      formatZon(-(10n ** 18n), false),
    ]).to.deep.equal(["1,234,567.5 ZON", "0.000000000000000001 ZON", "0 ZON", "-1"]);
  });

  it("reads back what it formats, for any amount", function () {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), (wei) => {
        expect(parseZon("amount", formatZon(wei, false).replaceAll(",", ""))).to.equal(wei);
      }),
      { seed: 20261125, numRuns: 500 },
    );
  });
});

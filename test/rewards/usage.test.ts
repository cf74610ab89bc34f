import { expect } from "chai";
import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { customerIdFor, readAllUsage, type UsageReadOptions, type UsageRecord } from "../../src";
import { readPlainCsv, readQuotedCsv } from "../../src/usage";

const ALICE = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";
const ALICE_CHECKSUMMED = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const CUSTOMER = "0x" + "ab".repeat(32);
const HEADER = "beneficiary,customerId,period,category,usageCents";

async function fileWith(name: string, content: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "zon-usage-"));
  const file = path.join(dir, name);
  await writeFile(file, content);
  return file;
}

async function errorOf(name: string, content: string, options: UsageReadOptions = {}): Promise<string> {
  try {
    await readAllUsage(await fileWith(name, content), options);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected the usage file to be refused");
}

describe("usage files", function () {
  describe("valid input", function () {
    it("reads CSV rows with categories by name or number", async function () {
      const file = await fileWith(
        "u.csv",
        `${HEADER}\n${ALICE},${CUSTOMER},202611,storage,1500\n${ALICE},${CUSTOMER},202611,7,1\n`,
      );
      expect(await readAllUsage(file)).to.deep.equal([
        { row: 2, beneficiary: ALICE, customerId: CUSTOMER, period: 202611, category: 1, usageCents: 1500n },
        { row: 3, beneficiary: ALICE, customerId: CUSTOMER, period: 202611, category: 7, usageCents: 1n },
      ]);
    });

    it("reads JSON lines with numbers or strings, ids and deadlines", async function () {
      const line = {
        beneficiary: ALICE_CHECKSUMMED,
        customerId: CUSTOMER,
        period: 202611,
        category: "compute",
        usageCents: "99",
        id: 4,
        deadline: "1900000000",
      };
      const [record] = await readAllUsage(await fileWith("u.jsonl", JSON.stringify(line) + "\n"));
      expect(record).to.deep.equal({
        row: 1,
        beneficiary: ALICE,
        customerId: CUSTOMER,
        period: 202611,
        category: 0,
        usageCents: 99n,
        id: 4n,
        deadline: 1_900_000_000n,
      });
    });

    it("reads a billing export's CSV: byte-order mark, CRLF line ends, quoted cells", async function () {
      const file = await fileWith(
        "export.csv",
        `\uFEFF"beneficiary","customerId","period","category","usageCents"\r\n` +
          `"${ALICE}","${CUSTOMER}","202611","storage","1500"\r\n` +
          `${ALICE},${CUSTOMER},202611,"compute",2\r\n`,
      );
      expect((await readAllUsage(file)).map((r) => [r.row, r.category, r.usageCents])).to.deep.equal([
        [2, 1, 1500n],
        [3, 0, 2n],
      ]);
    });

    it("reads a quoted cell holding a comma as one cell (and names it when it is no number)", async function () {
      expect(await errorOf("q.csv", `${HEADER}\n${ALICE},${CUSTOMER},202611,storage,"1,500"\n`)).to.equal(
        'q.csv row 2, field "usageCents": "1,500" is not a whole number of cents',
      );
    });

    it("reads JSON lines behind a byte-order mark", async function () {
      const line = { beneficiary: ALICE, customerId: CUSTOMER, period: 202611, category: 0, usageCents: 1 };
      const [record] = await readAllUsage(await fileWith("u.jsonl", "\uFEFF" + JSON.stringify(line) + "\n"));
      expect(record.usageCents).to.equal(1n);
    });

    it("skips blank lines", async function () {
      const file = await fileWith("u.csv", `${HEADER}\n\n${ALICE},${CUSTOMER},202611,ai,1\n\n`);
      expect((await readAllUsage(file)).map((r) => r.row)).to.deep.equal([3]);
    });
  });

  describe("bad input names the row, the field and the value", function () {
    it("refuses an address that is not one", async function () {
      expect(await errorOf("u.csv", `${HEADER}\n0xzz,${CUSTOMER},202611,compute,1\n`)).to.equal(
        'u.csv row 2, field "beneficiary": "0xzz" is not an address',
      );
    });

    it("refuses the zero address as a beneficiary", async function () {
      const zero = `0x${"0".repeat(40)}`;
      expect(await errorOf("u.csv", `${HEADER}\n${zero},${CUSTOMER},202611,compute,1\n`)).to.equal(
        `u.csv row 2, field "beneficiary": "${zero}" is the zero address, which cannot receive ZON`,
      );
    });

    it("refuses an address with a wrong EIP-55 checksum", async function () {
      const wrong = ALICE_CHECKSUMMED.replace("F39", "f39").replace("aad", "AAD");
      expect(await errorOf("u.csv", `${HEADER}\n${wrong},${CUSTOMER},202611,compute,1\n`)).to.equal(
        `u.csv row 2, field "beneficiary": "${wrong}" has a wrong EIP-55 checksum`,
      );
    });

    it("refuses an unknown category", async function () {
      expect(await errorOf("u.csv", `${HEADER}\n${ALICE},${CUSTOMER},202611,quantum,1\n`)).to.match(
        /^u\.csv row 2, field "category": "quantum" is not a category \(compute, storage/,
      );
    });

    it("refuses a category number beyond the known ones", async function () {
      expect(
        await errorOf(
          "u.jsonl",
          JSON.stringify({ beneficiary: ALICE, customerId: CUSTOMER, period: 1, category: 8, usageCents: 1 }),
        ),
      ).to.match(/^u\.jsonl row 1, field "category": 8 is not a category/);
    });

    it("refuses a negative usage", async function () {
      expect(await errorOf("u.csv", `${HEADER}\n${ALICE},${CUSTOMER},202611,compute,-5\n`)).to.equal(
        'u.csv row 2, field "usageCents": "-5" is not a whole number of cents',
      );
    });

    it("refuses a fractional usage", async function () {
      expect(await errorOf("u.csv", `${HEADER}\n${ALICE},${CUSTOMER},202611,compute,1.5\n`)).to.equal(
        'u.csv row 2, field "usageCents": "1.5" is not a whole number of cents',
      );
    });

    it("refuses a usage above 2^64 - 1", async function () {
      expect(
        await errorOf("u.csv", `${HEADER}\n${ALICE},${CUSTOMER},202611,compute,18446744073709551616\n`),
      ).to.equal('u.csv row 2, field "usageCents": "18446744073709551616" is above 2^64 - 1');
    });

    it("refuses a customer id that is not 32 bytes", async function () {
      expect(await errorOf("u.csv", `${HEADER}\n${ALICE},0x1234,202611,compute,1\n`)).to.equal(
        'u.csv row 2, field "customerId": "0x1234" is not a 32-byte hex value (0x + 64 hex digits)',
      );
    });

    it("refuses a period of zero", async function () {
      expect(await errorOf("u.csv", `${HEADER}\n${ALICE},${CUSTOMER},0,compute,1\n`)).to.equal(
        'u.csv row 2, field "period": "0" is out of range (1 to 4294967295)',
      );
    });

    it("refuses a row with a missing field", async function () {
      expect(await errorOf("u.csv", `${HEADER}\n${ALICE},${CUSTOMER},202611,compute,\n`)).to.equal(
        'u.csv row 2, field "usageCents": missing',
      );
    });

    it("refuses a row with too few cells", async function () {
      expect(await errorOf("u.csv", `${HEADER}\n${ALICE},${CUSTOMER},202611\n`)).to.equal(
        'u.csv row 2, field "row": 3 cells, the header has 5',
      );
    });

    it("refuses a header without a required column", async function () {
      expect(await errorOf("u.csv", `beneficiary,customerId,period,category\n`)).to.equal(
        'u.csv row 1, field "usageCents": required column is missing from the header',
      );
    });

    it("refuses an unknown column when strict", async function () {
      expect(await errorOf("u.csv", `${HEADER},colour\n`, { strict: true })).to.match(
        /^u\.csv row 1, field "colour": unknown column/,
      );
    });

    it("ignores unknown columns of a CSV with one notice naming each", async function () {
      const notices: string[] = [];
      const file = await fileWith(
        "u.csv",
        `${HEADER},x_Region,Tags\n${ALICE},${CUSTOMER},202611,storage,1500,eu,{}\n${ALICE},${CUSTOMER},202611,ai,7,us,{}\n`,
      );
      const records = await readAllUsage(file, { onNotice: (message) => notices.push(message) });
      expect(records.map((r) => [r.row, r.category, r.usageCents])).to.deep.equal([
        [2, 1, 1500n],
        [3, 5, 7n],
      ]);
      expect(notices).to.deep.equal([
        'u.csv: ignoring unknown column "x_Region" (first at row 1; --strict refuses it)',
        'u.csv: ignoring unknown column "Tags" (first at row 1; --strict refuses it)',
      ]);
    });

    it("ignores unknown JSON fields, whatever they hold, with one notice per field name", async function () {
      const notices: string[] = [];
      const row = { beneficiary: ALICE, customerId: CUSTOMER, period: 202611, category: 0, usageCents: 5 };
      const odd = { toString: 1 };
      const file = await fileWith(
        "u.jsonl",
        [
          { ...row, tags: odd },
          { ...row, tags: [1] },
        ]
          .map((line) => JSON.stringify(line))
          .join("\n") + "\n",
      );
      const records = await readAllUsage(file, { onNotice: (message) => notices.push(message) });
      expect(records.map((r) => r.row)).to.deep.equal([1, 2]);
      expect(notices).to.deep.equal([
        'u.jsonl: ignoring unknown field "tags" (first at row 1; --strict refuses it)',
      ]);
    });

    it("refuses an empty CSV file", async function () {
      expect(await errorOf("u.csv", "")).to.equal(
        'u.csv row 1, field "header": the file is empty: a CSV header is required',
      );
    });

    it("refuses a JSON line that is not JSON", async function () {
      expect(await errorOf("u.jsonl", "{nope\n")).to.equal(
        'u.jsonl row 1, field "row": not valid JSON: "{nope"',
      );
    });

    it("refuses a JSON line that is not an object", async function () {
      expect(await errorOf("u.jsonl", "[1,2]\n")).to.equal(
        'u.jsonl row 1, field "row": a JSON line must be an object',
      );
    });

    it("refuses a JSON line with an unknown field when strict", async function () {
      expect(
        await errorOf("u.jsonl", JSON.stringify({ beneficiary: ALICE, extra: 1 }), { strict: true }),
      ).to.match(/^u\.jsonl row 1, field "extra": unknown field/);
    });

    it("refuses an id that is not a whole number", async function () {
      const line = {
        beneficiary: ALICE,
        customerId: CUSTOMER,
        period: 1,
        category: 0,
        usageCents: 1,
        id: "x",
      };
      expect(await errorOf("u.jsonl", JSON.stringify(line))).to.equal(
        'u.jsonl row 1, field "id": "x" is not a whole number',
      );
    });

    it("refuses a deadline that is not a whole number", async function () {
      const line = {
        beneficiary: ALICE,
        customerId: CUSTOMER,
        period: 1,
        category: 0,
        usageCents: 1,
        deadline: -1,
      };
      expect(await errorOf("u.jsonl", JSON.stringify(line))).to.equal(
        'u.jsonl row 1, field "deadline": -1 is not a whole number of Unix seconds',
      );
    });
  });

  describe("customer ids", function () {
    it("hashes the salt and the cloud account id, never exposing the id", function () {
      const id = customerIdFor("issuer-secret-salt-1", "cloud-account-42");
      expect(id).to.match(/^0x[0-9a-f]{64}$/);
      expect(id).not.to.contain("42");
    });

    it("gives different ids under different salts", function () {
      expect(customerIdFor("issuer-secret-salt-1", "a")).not.to.equal(
        customerIdFor("issuer-secret-salt-2", "a"),
      );
    });

    it("refuses a salt too short to hide anything", function () {
      expect(() => customerIdFor("short", "a")).to.throw(
        "salt: 5 characters is too short to hide account ids (16 or more)",
      );
    });
  });
});

describe("usage CSV without quotes, read by hand", function () {
  const collect = async (rows: AsyncGenerator<UsageRecord>) => {
    const out: Array<UsageRecord | string> = [];
    try {
      for await (const r of rows) out.push(r);
    } catch (error) {
      out.push((error as Error).message);
    }
    return out;
  };

  it("gives the same rows, line numbers and errors as csv-parse, for any mix of line ends, blank lines, spaces and a byte-order mark", async function () {
    const cell = fc.constantFrom(ALICE, ` ${ALICE} `, CUSTOMER, "202611", "compute", " 7 ", "12", "x", "");
    const space = fc.constantFrom("", " ", "  ");
    const valid = fc
      .tuple(space, space, fc.constantFrom("compute", "7", "ai"), fc.nat(10_000))
      .map(([a, b, category, cents]) => `${a}${ALICE}${b},${CUSTOMER},${a}202611,${category}${b},${cents}`);
    const line = fc.oneof(
      { weight: 6, arbitrary: valid },
      {
        weight: 1,
        arbitrary: fc.array(cell, { minLength: 0, maxLength: 7 }).map((cells) => cells.join(",")),
      },
      { weight: 1, arbitrary: space },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { maxLength: 6 }),
        fc.constantFrom("\n", "\r\n"),
        fc.boolean(),
        fc.boolean(),
        async (lines, end, bom, lastEnd) => {
          const text = (bom ? "\uFEFF" : "") + [`${HEADER}`, ...lines].join(end) + (lastEnd ? end : "");
          const file = await fileWith("p.csv", text);
          expect(await collect(readPlainCsv(file))).to.deep.equal(await collect(readQuotedCsv(file)));
        },
      ),
      { numRuns: 200, seed: 20261206 },
    );
  });
});

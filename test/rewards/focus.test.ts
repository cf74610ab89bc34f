import { expect } from "chai";
import { readFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import {
  customerIdFor,
  emptyFocusReport,
  focusAttestationId,
  focusContext,
  parseCost,
  readAllUsage,
  readFocusMapping,
  splitCsvLine,
  type FocusContext,
  type FocusReport,
  type UsageRecord,
} from "../../src";

const EXAMPLES = path.join(__dirname, "..", "..", "docs", "examples", "focus");
const SALT = "a-test-salt-of-enough-length";
const ACME = "0xdf3e18d64bc6a983f673ab319ccae4f1a57c7097";
const GLOBEX = "0xcd3b766ccdd6ae721141f452c550ca635964ce71";
const COLUMNS = [
  "BilledCost",
  "BillingAccountId",
  "BillingCurrency",
  "BillingPeriodStart",
  "ChargeCategory",
  "ChargeClass",
  "ChargeDescription",
  "ServiceCategory",
  "ServiceName",
  "SubAccountId",
  "x_Operation",
] as const;
type Column = (typeof COLUMNS)[number];
const FEBRUARY = "2027-02-01T00:00:00Z";

/** A FOCUS row: usage of acme-prod's VMs in February 2027, with `change` laid over it. */
function row(change: Partial<Record<Column, string>> = {}): Record<Column, string> {
  return {
    BilledCost: "10.00",
    BillingAccountId: "ba-1001",
    BillingCurrency: "USD",
    BillingPeriodStart: FEBRUARY,
    ChargeCategory: "Usage",
    ChargeClass: "",
    ChargeDescription: "VM hours",
    ServiceCategory: "Compute",
    ServiceName: "Virtual Machines",
    SubAccountId: "acme-prod",
    x_Operation: "RunInstances",
    ...change,
  };
}

function csvCell(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function csvOf(rows: Array<Record<Column, string>>): string {
  return (
    [COLUMNS.join(","), ...rows.map((r) => COLUMNS.map((c) => csvCell(r[c])).join(","))].join("\n") + "\n"
  );
}

async function fileWith(name: string, content: string | Buffer): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "zon-focus-"));
  const file = path.join(dir, name);
  await writeFile(file, content);
  return file;
}

function context(mapping?: string): FocusContext {
  return focusContext({ wallets: path.join(EXAMPLES, "wallets.csv"), mapping, salt: SALT });
}

async function read(
  rows: Array<Record<Column, string>>,
  focus: FocusContext = context(),
): Promise<{ records: UsageRecord[]; report: FocusReport }> {
  const report = emptyFocusReport();
  const records = await readAllUsage(await fileWith("export.csv", csvOf(rows)), {
    focus,
    focusReport: report,
  });
  return { records, report };
}

async function refusal(rows: Array<Record<Column, string>>): Promise<string> {
  try {
    await read(rows);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected the export to be refused");
}

/** The fields a signed attestation carries, as a compact list. */
function summary(records: UsageRecord[]): Array<[string, number, number, bigint, bigint]> {
  return records.map((r) => [r.beneficiary, r.period, r.category, r.usageCents, r.id!]);
}

describe("FOCUS exports", function () {
  describe("the sample export in docs/examples/focus", function () {
    it("turns into the attestations and the report its README describes", async function () {
      const report = emptyFocusReport();
      const records = await readAllUsage(path.join(EXAMPLES, "export.csv"), {
        focus: context(path.join(EXAMPLES, "mapping.json")),
        focusReport: report,
      });
      expect(summary(records)).to.deep.equal([
        [ACME, 202702, 0, 93_800n, 0n],
        [ACME, 202702, 1, 25_010n, 1n],
        [ACME, 202702, 6, 10_000n, 6n],
        [GLOBEX, 202702, 1, 50_000n, 9n],
      ]);
      expect(report.excludedCents).to.deep.equal({ Purchase: "30000", Tax: "8000" });
      expect(report.unregistered).to.deep.equal({ "acme-sandbox": { cents: "4000", firstRow: 10 } });
      expect(report.unmapped).to.deep.equal({ "Developer Tools / Build Service": "2000" });
      expect(report.nonPositive.map((item) => [item.category, item.cents])).to.deep.equal([
        ["network", "0"],
        ["database", "-500"],
      ]);
    });
  });

  describe("the rules", function () {
    it("sums usage per account, period and category exactly", async function () {
      const { records } = await read([
        row({ BilledCost: "812.4567" }),
        row({ BilledCost: "187.5433" }),
        row({ BilledCost: "1.5", ServiceCategory: "Storage" }),
      ]);
      expect(summary(records)).to.deep.equal([
        [ACME, 202702, 0, 100_000n, 0n],
        [ACME, 202702, 1, 150n, 1n],
      ]);
    });

    it("rounds each net down to whole cents", async function () {
      const { records } = await read([row({ BilledCost: "0.019" }), row({ BilledCost: "0.0019" })]);
      expect(records.map((r) => r.usageCents)).to.deep.equal([2n]);
    });

    it("gives purchases, taxes and adjustments no cashback and reports their total", async function () {
      const { records, report } = await read([
        row({ BilledCost: "5" }),
        row({ ChargeCategory: "Purchase", BilledCost: "300" }),
        row({ ChargeCategory: "Tax", BilledCost: "1.25" }),
        row({ ChargeCategory: "Adjustment", BilledCost: "-2" }),
      ]);
      expect(records.map((r) => r.usageCents)).to.deep.equal([500n]);
      expect(report.excludedCents).to.deep.equal({ Purchase: "30000", Tax: "125", Adjustment: "-200" });
    });

    it("nets credits into their category", async function () {
      const { records, report } = await read([
        row({ BilledCost: "100" }),
        row({ ChargeCategory: "Credit", BilledCost: "-30" }),
      ]);
      expect(records.map((r) => r.usageCents)).to.deep.equal([7_000n]);
      expect(report.credits).to.equal(1);
    });

    it("nets a correction of an earlier period into the period whose invoice carries it", async function () {
      const { records, report } = await read([
        row({ BilledCost: "100" }),
        row({ ChargeClass: "Correction", BilledCost: "-12" }),
      ]);
      expect(summary(records)).to.deep.equal([[ACME, 202702, 0, 8_800n, 0n]]);
      expect(report.corrections).to.equal(1);
    });

    it("signs nothing for a net of zero or less and reports it", async function () {
      const { records, report } = await read([
        row({ BilledCost: "10" }),
        row({ ChargeCategory: "Credit", BilledCost: "-15" }),
        row({ ServiceCategory: "Storage", BilledCost: "0.004" }),
      ]);
      expect(records).to.deep.equal([]);
      expect(report.nonPositive).to.deep.equal([
        { account: "acme-prod", period: 202702, category: "compute", cents: "-500" },
        { account: "acme-prod", period: 202702, category: "storage", cents: "0" },
      ]);
    });

    it("takes the period from BillingPeriodStart in UTC", async function () {
      const { records } = await read([row({ BillingPeriodStart: "2026-12-01T00:00:00+00:00" })]);
      expect(records.map((r) => r.period)).to.deep.equal([202612]);
    });

    it("refuses another billing currency, naming the row", async function () {
      expect(await refusal([row(), row({ BillingCurrency: "EUR" })])).to.equal(
        'export.csv row 3, field "BillingCurrency": "EUR" is not USD: attestations are in US cents',
      );
    });

    it("refuses a cost that is not a decimal number, naming the row", async function () {
      expect(await refusal([row({ BilledCost: "12,50" })])).to.equal(
        'export.csv row 2, field "BilledCost": "12,50" is not a decimal number',
      );
    });

    it("refuses a charge category FOCUS does not have", async function () {
      expect(await refusal([row({ ChargeCategory: "Refund" })])).to.match(
        /^export\.csv row 2, field "ChargeCategory": "Refund" is not a FOCUS charge category/,
      );
    });

    it("refuses a billing period start that is not a date", async function () {
      expect(await refusal([row({ BillingPeriodStart: "February" })])).to.equal(
        'export.csv row 2, field "BillingPeriodStart": "February" is not a date and time',
      );
    });

    it("reports usage of an account the registry does not hold, and signs none of it", async function () {
      const { records, report } = await read([row({ SubAccountId: "stranger", BilledCost: "4" }), row()]);
      expect(summary(records)).to.deep.equal([[ACME, 202702, 0, 1_000n, 0n]]);
      expect(report.unregistered).to.deep.equal({ stranger: { cents: "400", firstRow: 2 } });
    });

    it("takes the billing account where the sub-account is empty", async function () {
      const registry = await fileWith("wallets.csv", `account,wallet,number\nba-1001,${GLOBEX},3\n`);
      const focus = focusContext({ wallets: registry, salt: SALT });
      const { records } = await read([row({ SubAccountId: "" })], focus);
      expect(summary(records)).to.deep.equal([[GLOBEX, 202702, 0, 1_000n, 24n]]);
    });

    it("salts the customer id of the account", async function () {
      const { records } = await read([row()]);
      expect(records[0].customerId).to.equal(customerIdFor(SALT, "acme-prod"));
    });

    it("maps by service name before service category, and reports what maps to none", async function () {
      const mapping = await fileWith(
        "mapping.json",
        JSON.stringify({
          serviceNames: { "Premium Support": "support" },
          serviceCategories: { Storage: "none" },
        }),
      );
      const { records, report } = await read(
        [
          row({ ServiceCategory: "Management and Governance", ServiceName: "Premium Support" }),
          row({ ServiceCategory: "Storage", ServiceName: "Object Storage" }),
          row({ ServiceCategory: "Web", ServiceName: "CDN" }),
        ],
        context(mapping),
      );
      expect(summary(records)).to.deep.equal([[ACME, 202702, 6, 1_000n, 6n]]);
      expect(report.unmapped).to.deep.equal({ "Storage / Object Storage": "1000", "Web / CDN": "1000" });
    });

    it("maps the six service categories FOCUS shares with the cashback categories by default", function () {
      expect(Object.fromEntries(readFocusMapping().serviceCategories)).to.deep.equal({
        Compute: 0,
        Storage: 1,
        Networking: 2,
        Databases: 3,
        Analytics: 4,
        "AI and Machine Learning": 5,
      });
    });

    it("derives each id from the account's number and the category", async function () {
      const { records } = await read([
        row({ SubAccountId: "globex-prod", ServiceCategory: "AI and Machine Learning" }),
      ]);
      expect(records.map((r) => r.id)).to.deep.equal([focusAttestationId(1n, 5)]);
      expect(focusAttestationId(1n, 5)).to.equal(13n);
    });

    it("gives the same attestations whatever the order of the rows", async function () {
      const rows = [
        row({ BilledCost: "1.11" }),
        row({ SubAccountId: "globex-prod", BilledCost: "2.22" }),
        row({ ServiceCategory: "Storage", BilledCost: "3.33" }),
        row({ ChargeCategory: "Credit", BilledCost: "-0.5" }),
        row({ SubAccountId: "globex-prod", ServiceCategory: "Analytics", BilledCost: "4.44" }),
      ];
      const expected = summary((await read(rows)).records);
      await fc.assert(
        fc.asyncProperty(fc.shuffledSubarray(rows, { minLength: rows.length }), async (shuffled) => {
          const records = (await read(shuffled)).records.map((r) => ({ ...r, row: 0 }));
          expect(summary(records)).to.deep.equal(expected);
        }),
        { numRuns: 20 },
      );
    });
  });

  describe("file forms", function () {
    it("reads a gzip'd export as the same CSV", async function () {
      const rows = [row({ BilledCost: "3.5" }), row({ SubAccountId: "globex-prod", BilledCost: "7" })];
      const focus = context();
      const plain = await readAllUsage(await fileWith("export.csv", csvOf(rows)), { focus });
      const zipped = await readAllUsage(await fileWith("export.csv.gz", gzipSync(csvOf(rows))), { focus });
      expect(zipped).to.deep.equal(plain);
    });

    it("reads a Parquet export as the same CSV", async function () {
      const { parquetWriteBuffer } = (await new Function("s", "return import(s)")("hyparquet-writer")) as {
        parquetWriteBuffer: (options: {
          columnData: Array<{ name: string; data: unknown[]; type: string }>;
        }) => ArrayBuffer;
      };
      const rows = [
        row({ BilledCost: "3.5" }),
        row({ SubAccountId: "globex-prod", BilledCost: "7", ServiceCategory: "Storage" }),
        row({ ChargeCategory: "Tax", BilledCost: "1" }),
      ];
      const columnData = COLUMNS.map((name) => ({
        name,
        data: rows.map((r) => (name === "BilledCost" ? Number(r[name]) : r[name] === "" ? null : r[name])),
        type: name === "BilledCost" ? "DOUBLE" : "STRING",
      }));
      const parquet = await fileWith("export.parquet", Buffer.from(parquetWriteBuffer({ columnData })));
      const focus = context();
      const fromCsv = await readAllUsage(await fileWith("export.csv", csvOf(rows)), { focus });
      const report = emptyFocusReport();
      // Parquet has no header line: its rows are numbered from 1, a CSV's from 2.
      const fromParquet = await readAllUsage(parquet, { focus, focusReport: report });
      expect(fromParquet.map((r) => r.row)).to.deep.equal([1, 2]);
      expect(fromParquet.map((r) => ({ ...r, row: r.row + 1 }))).to.deep.equal(fromCsv);
      expect(report.excludedCents).to.deep.equal({ Tax: "100" });
    });

    it("reads quoted cells with commas, doubled quotes and line breaks", async function () {
      const { records } = await read([
        row({ ChargeDescription: 'VM "large", 4 vCPU\nsecond line', BilledCost: "2" }),
        row({ BilledCost: "3" }),
      ]);
      expect(summary(records)).to.deep.equal([[ACME, 202702, 0, 500n, 0n]]);
    });

    it("splits a CSV record as RFC 4180 says", function () {
      expect(splitCsvLine('a,"b,c","d""e",,"f"g')).to.deep.equal(["a", "b,c", 'd"e', "", "fg"]);
      expect(splitCsvLine('a,"open')).to.equal(undefined);
    });

    it("refuses an export without a column the rules read", async function () {
      const csv = csvOf([row()]).replace("BillingCurrency", "Currency");
      try {
        await readAllUsage(await fileWith("export.csv", csv), { focus: context() });
        expect.fail("the export was read");
      } catch (error) {
        expect((error as Error).message).to.equal(
          'export.csv row 1, field "BillingCurrency": a FOCUS column the rules need is missing from the header',
        );
      }
    });

    it("refuses a FOCUS export when no registry was given", async function () {
      try {
        await readAllUsage(await fileWith("export.csv", csvOf([row()])));
        expect.fail("the export was read");
      } catch (error) {
        expect((error as Error).message).to.match(
          /^export\.csv row 1, field "header": is a FOCUS export: give the wallet registry/,
        );
      }
    });

    it("refuses a gzip'd file that is not a FOCUS export", async function () {
      const file = await fileWith(
        "usage.csv.gz",
        gzipSync(readFileSync(path.join(EXAMPLES, "..", "usage.csv"))),
      );
      try {
        await readAllUsage(file, { focus: context() });
        expect.fail("the file was read");
      } catch (error) {
        expect((error as Error).message).to.match(
          /^usage\.csv\.gz row 1, field "header": a gzip'd file must be a FOCUS export/,
        );
      }
    });
  });

  describe("the costs", function () {
    it("reads decimals exactly, signs and exponents included", function () {
      expect(parseCost("12.3456")).to.equal(12_345_600_000_000_000_000n);
      expect(parseCost("-0.5")).to.equal(-500_000_000_000_000_000n);
      expect(parseCost("1.2E-5")).to.equal(12_000_000_000_000n);
      expect(parseCost(".25")).to.equal(250_000_000_000_000_000n);
      expect(parseCost("")).to.equal(undefined);
      expect(parseCost("1e99")).to.equal(undefined);
    });
  });

  describe("the registry and the mapping", function () {
    async function registryError(content: string): Promise<string> {
      try {
        focusContext({ wallets: await fileWith("wallets.csv", content), salt: SALT });
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error("expected the registry to be refused");
    }

    it("refuses an account registered twice", async function () {
      expect(await registryError(`account,wallet,number\na,${ACME},0\na,${GLOBEX},1\n`)).to.equal(
        'wallets.csv row 3, field "account": "a" is registered twice',
      );
    });

    it("refuses a number given to two accounts", async function () {
      expect(await registryError(`account,wallet,number\na,${ACME},4\nb,${GLOBEX},4\n`)).to.equal(
        'wallets.csv row 3, field "number": 4 is also row 2\'s',
      );
    });

    it("refuses a wallet that is not an address, or is the zero address", async function () {
      expect(await registryError(`account,wallet,number\na,0x12,0\n`)).to.equal(
        'wallets.csv row 2, field "wallet": "0x12" is not a wallet address',
      );
      expect(await registryError(`account,wallet,number\na,0x${"0".repeat(40)},0\n`)).to.match(
        /field "wallet": "0x0+" is not a wallet address/,
      );
    });

    it("refuses a registry without the number column", async function () {
      expect(await registryError(`account,wallet\na,${ACME}\n`)).to.equal(
        'wallets.csv row 1, field "number": required column is missing (account,wallet,number)',
      );
    });

    it("refuses a mapping to a category that does not exist", async function () {
      const mapping = await fileWith("mapping.json", JSON.stringify({ serviceCategories: { Web: "web" } }));
      expect(() => readFocusMapping(mapping)).to.throw(
        /"serviceCategories"\."Web" is "web" \(known: compute/,
      );
    });

    it("refuses a salt too short to hide account ids", async function () {
      expect(() => focusContext({ wallets: path.join(EXAMPLES, "wallets.csv"), salt: "short" })).to.throw(
        "salt: 5 characters is too short to hide account ids (16 or more)",
      );
    });

    it("refuses to start without a salt", function () {
      expect(() => focusContext({ wallets: path.join(EXAMPLES, "wallets.csv"), salt: undefined })).to.throw(
        /^salt: none configured/,
      );
    });
  });
});

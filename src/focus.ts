import { createReadStream, readFileSync } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";
import { createGunzip } from "node:zlib";
import { getAddress, isAddress } from "ethers";
import { CATEGORIES, type CategoryName } from "./rewards";
import { customerIdFor, UsageFileError, type UsageRecord } from "./usage";

/*
 * Usage from a FinOps FOCUS 1.x export (CSV, gzip'd CSV, or Parquet), as billing systems write it.
 *
 * The rules (docs/design.md, "Usage from FOCUS exports"):
 * - Rows of ChargeCategory `Usage` and `Credit` count; `Purchase`, `Tax` and `Adjustment` earn no cashback
 *   (counted in the report).
 * - The account is SubAccountId, or BillingAccountId where SubAccountId is empty; its wallet and number come
 *   from the issuer's registry. An account not in it is reported with its total, never signed.
 * - The period is the billing period the row is invoiced in (BillingPeriodStart, UTC, as YYYYMM). A
 *   correction (ChargeClass `Correction`) of an earlier period is billed in a later period's invoice and so
 *   nets there: cashback follows the invoice, and an earlier period's attestations may already be claimed.
 * - ServiceName, then ServiceCategory, picks the cashback category through the mapping; unmapped rows earn
 *   no cashback (reported by service category).
 * - BilledCost is summed exactly per (account, period, category), credits and corrections included; the
 *   net is rounded down to whole cents; a net of zero or less signs nothing and is reported.
 * - BillingCurrency must be USD: attestations are in US cents. Another currency refuses the export at its
 *   row.
 * - The attestation id is the account's number × 8 + the category: the same export, or any later export
 *   of the same account and period, gives the same ids, so one (account, period, category) mints once.
 */

/** Attestations are in US cents. */
export const FOCUS_CURRENCY = "USD";

/** FOCUS ServiceCategory → cashback category, unless the mapping file says otherwise. */
export const DEFAULT_FOCUS_CATEGORIES: Readonly<Record<string, CategoryName>> = {
  Compute: "compute",
  Storage: "storage",
  Networking: "network",
  Databases: "database",
  Analytics: "analytics",
  "AI and Machine Learning": "ai",
};

/** The mapping: by ServiceName first (support plans, marketplace), then by ServiceCategory. */
export interface FocusMapping {
  serviceCategories: Map<string, number | null>;
  serviceNames: Map<string, number | null>;
}

/** One registered account: its wallet and the number its attestation ids are derived from. */
export interface RegisteredAccount {
  wallet: string;
  number: bigint;
}

/** What turning an export into usage needs: the registry, the mapping and the customer-id salt. */
export interface FocusContext {
  accounts: Map<string, RegisteredAccount>;
  mapping: FocusMapping;
  salt: string;
}

/** What an export held besides the attestations, for the issuer to read before signing. */
export interface FocusReport {
  rows: number;
  rowsByChargeCategory: Record<string, number>;
  /** Rows of Purchase, Tax and Adjustment: no cashback. */
  excludedCents: Record<string, string>;
  corrections: number;
  credits: number;
  /** Usage with no cashback category: by ServiceCategory (and ServiceName), cents. */
  unmapped: Record<string, string>;
  /** Accounts with usage that are not in the registry: cents, and the first row. */
  unregistered: Record<string, { cents: string; firstRow: number }>;
  /** (account, period, category) whose net after credits and corrections is zero or less. */
  nonPositive: Array<{ account: string; period: number; category: CategoryName; cents: string }>;
  attestations: number;
}

const FOCUS_REQUIRED = [
  "BillingAccountId",
  "BillingPeriodStart",
  "ChargeCategory",
  "ServiceCategory",
  "BilledCost",
  "BillingCurrency",
] as const;
const CHARGE_CATEGORIES = new Set(["Usage", "Purchase", "Tax", "Credit", "Adjustment"]);
const CASHBACK_CHARGES = new Set(["Usage", "Credit"]);
/** BilledCost is summed in units of 10^-18 dollars: exact for every decimal an export writes. */
const COST_DECIMALS = 18;
const CENTS_UNIT = 10n ** BigInt(COST_DECIMALS - 2);
const DECIMAL = /^(-)?([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$/;
const MAX_ACCOUNT_NUMBER = (2n ** 64n - 1n) / BigInt(CATEGORIES.length);

/** Whether a header is a FOCUS export's (and not the project's own usage CSV). */
export function isFocusHeader(header: readonly string[]): boolean {
  return ["BilledCost", "ChargeCategory", "BillingPeriodStart"].every((name) => header.includes(name));
}

/** The attestation id of an account's usage in a category: stable across exports of the same period. */
export function focusAttestationId(accountNumber: bigint, category: number): bigint {
  return accountNumber * BigInt(CATEGORIES.length) + BigInt(category);
}

/** Exact decimal BilledCost → units of 10^-18; undefined when the cell is not a number. */
export function parseCost(text: string): bigint | undefined {
  const match = DECIMAL.exec(text);
  if (!match || (match[2] === "" && (match[3] ?? "") === "")) return undefined;
  const [, sign, whole, fraction = "", exponentText] = match;
  const exponent = exponentText === undefined ? 0 : Number(exponentText);
  if (Math.abs(exponent) > 40) return undefined;
  const digits = BigInt(whole + fraction || "0");
  const shift = COST_DECIMALS - fraction.length + exponent;
  const value = shift >= 0 ? digits * 10n ** BigInt(shift) : digits / 10n ** BigInt(-shift);
  return sign ? -value : value;
}

/** Reads the issuer's account registry: a CSV of `account,wallet,number` (a header, one account a line). */
export function readAccountRegistry(file: string): Map<string, RegisteredAccount> {
  const lines = readFileSync(file, "utf8")
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/);
  const header = splitCsvLine(lines[0] ?? "") ?? [];
  const column = (name: string): number => {
    const index = header.indexOf(name);
    if (index < 0)
      throw new UsageFileError(file, 1, name, "required column is missing (account,wallet,number)");
    return index;
  };
  const [accountAt, walletAt, numberAt] = [column("account"), column("wallet"), column("number")];
  const accounts = new Map<string, RegisteredAccount>();
  const numbers = new Map<bigint, number>();
  lines.slice(1).forEach((line, index) => {
    const row = index + 2;
    if (line.trim() === "") return;
    const cells = splitCsvLine(line);
    if (cells === undefined) throw new UsageFileError(file, row, "row", "an unclosed quote");
    const account = cells[accountAt] ?? "";
    const wallet = cells[walletAt] ?? "";
    const numberText = cells[numberAt] ?? "";
    if (account === "") throw new UsageFileError(file, row, "account", "missing");
    if (accounts.has(account))
      throw new UsageFileError(file, row, "account", `${JSON.stringify(account)} is registered twice`);
    if (!isAddress(wallet) || /^0x0{40}$/i.test(wallet))
      throw new UsageFileError(file, row, "wallet", `${JSON.stringify(wallet)} is not a wallet address`);
    if (!/^[0-9]+$/.test(numberText) || BigInt(numberText) > MAX_ACCOUNT_NUMBER)
      throw new UsageFileError(
        file,
        row,
        "number",
        `${JSON.stringify(numberText)} is not a whole number from 0 to ${MAX_ACCOUNT_NUMBER}`,
      );
    const number = BigInt(numberText);
    if (numbers.has(number))
      throw new UsageFileError(file, row, "number", `${number} is also row ${numbers.get(number)}'s`);
    numbers.set(number, row);
    accounts.set(account, { wallet: getAddress(wallet).toLowerCase(), number });
  });
  return accounts;
}

/**
 * Reads a mapping file: `{"serviceCategories": {...}, "serviceNames": {...}}`, each name → a cashback
 * category or "none". Its service categories are laid over the default; without a file, the default.
 */
export function readFocusMapping(file?: string): FocusMapping {
  const mapping: FocusMapping = { serviceCategories: new Map(), serviceNames: new Map() };
  for (const [name, category] of Object.entries(DEFAULT_FOCUS_CATEGORIES))
    mapping.serviceCategories.set(name, CATEGORIES.indexOf(category));
  if (file === undefined) return mapping;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`mapping: ${file} is not a JSON file (${(error as Error).message})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json))
    throw new Error(`mapping: ${file} must hold an object with "serviceCategories" and/or "serviceNames"`);
  for (const [key, entries] of Object.entries(json)) {
    if (key !== "serviceCategories" && key !== "serviceNames")
      throw new Error(`mapping: ${file} has "${key}" (known: serviceCategories, serviceNames)`);
    if (typeof entries !== "object" || entries === null || Array.isArray(entries))
      throw new Error(`mapping: ${file} "${key}" must be an object of name → category`);
    for (const [name, category] of Object.entries(entries as Record<string, unknown>)) {
      if (category === "none") {
        mapping[key].set(name, null);
        continue;
      }
      const index = CATEGORIES.indexOf(category as CategoryName);
      if (index < 0)
        throw new Error(
          `mapping: ${file} "${key}"."${name}" is ${JSON.stringify(category)} (known: ${CATEGORIES.join(", ")}, none)`,
        );
      mapping[key].set(name, index);
    }
  }
  return mapping;
}

/** Whether a file is a FOCUS export: a Parquet file, or a CSV (plain or gzip'd) whose header is FOCUS's. */
export async function isFocusFile(file: string): Promise<boolean> {
  const kind = await fileKind(file);
  if (kind === "parquet") return true;
  for await (const header of csvLines(file, kind)) {
    if (header.trim() === "") continue;
    return isFocusHeader(splitCsvLine(header.replace(/^\uFEFF/, "")) ?? []);
  }
  return false;
}

type FileKind = "csv" | "gzip" | "parquet";

async function fileKind(file: string): Promise<FileKind> {
  const handle = await open(file, "r");
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4), 0, 4, 0);
    if (bytesRead >= 2 && buffer[0] === 0x1f && buffer[1] === 0x8b) return "gzip";
    if (bytesRead === 4 && buffer.toString("latin1") === "PAR1") return "parquet";
    return "csv";
  } finally {
    await handle.close();
  }
}

/** A FOCUS export's rows as records of its columns (only the columns the rules read). */
interface FocusRow {
  row: number;
  cell: (name: string) => string;
}

const COLUMNS_READ = [...FOCUS_REQUIRED, "SubAccountId", "ChargeClass", "ServiceName"];

async function* focusRows(file: string): AsyncGenerator<FocusRow> {
  const kind = await fileKind(file);
  if (kind === "parquet") {
    yield* parquetRows(file);
    return;
  }
  let header: Map<string, number> | undefined;
  let row = 0;
  let pending = "";
  let pendingFrom = 0;
  for await (const line of csvLines(file, kind)) {
    row++;
    const text = pending === "" ? line : `${pending}\n${line}`;
    const cells = splitCsvLine(row === 1 ? text.replace(/^\uFEFF/, "") : text);
    if (cells === undefined) {
      // A quoted cell holds a line break: the record goes on on the next line.
      if (pending === "") pendingFrom = row;
      pending = text;
      continue;
    }
    const at = pending === "" ? row : pendingFrom;
    pending = "";
    if (cells.length === 1 && cells[0] === "") continue;
    if (!header) {
      header = new Map(cells.map((name, i) => [name, i]));
      for (const name of FOCUS_REQUIRED)
        if (!header.has(name))
          throw new UsageFileError(
            file,
            at,
            name,
            "a FOCUS column the rules need is missing from the header",
          );
      continue;
    }
    const columns = header;
    if (cells.length !== columns.size)
      throw new UsageFileError(file, at, "row", `${cells.length} cells, the header has ${columns.size}`);
    yield { row: at, cell: (name) => cells[columns.get(name) ?? -1] ?? "" };
  }
  if (pending !== "") throw new UsageFileError(file, pendingFrom, "row", "a quoted cell is never closed");
  if (!header) throw new UsageFileError(file, 1, "header", "the file is empty: a FOCUS header is required");
}

async function* csvLines(file: string, kind: "csv" | "gzip"): AsyncGenerator<string> {
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  const stream = kind === "gzip" ? raw.pipe(createGunzip()) : raw;
  stream.setEncoding("utf8");
  let rest = "";
  try {
    for await (const chunk of stream) {
      const lines = (rest + (chunk as string)).split("\n");
      rest = lines.pop()!;
      for (const line of lines) yield line.endsWith("\r") ? line.slice(0, -1) : line;
    }
  } catch (error) {
    if (error instanceof UsageFileError) throw error;
    throw new UsageFileError(file, 0, "file", `cannot be read (${(error as Error).message})`);
  } finally {
    raw.destroy();
  }
  if (rest !== "") yield rest.endsWith("\r") ? rest.slice(0, -1) : rest;
}

/**
 * Splits one CSV record (RFC 4180: quoted cells may hold commas, doubled quotes and line breaks);
 * undefined when a quoted cell is still open at the end of the text.
 */
export function splitCsvLine(line: string): string[] | undefined {
  if (!line.includes('"')) return line.split(",");
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = "";
      let from = i + 1;
      for (;;) {
        const quote = line.indexOf('"', from);
        if (quote < 0) return undefined;
        value += line.slice(from, quote);
        if (line[quote + 1] === '"') {
          value += '"';
          from = quote + 2;
          continue;
        }
        i = quote + 1;
        break;
      }
      const comma = line.indexOf(",", i);
      cells.push(value + (comma < 0 ? line.slice(i) : line.slice(i, comma)));
      if (comma < 0) return cells;
      i = comma + 1;
    } else {
      const comma = line.indexOf(",", i);
      if (comma < 0) {
        cells.push(line.slice(i));
        return cells;
      }
      cells.push(line.slice(i, comma));
      i = comma + 1;
    }
  }
}

// hyparquet is an ES module: loaded with the runtime's own import(), which ts-node would turn into require.
// The few functions used are typed here (its types resolve only under Node's ESM resolution).
const importModule = new Function("specifier", "return import(specifier)") as (
  specifier: string,
) => Promise<unknown>;

interface ParquetReader {
  asyncBufferFromFile(file: string): Promise<unknown>;
  parquetMetadataAsync(buffer: unknown): Promise<{
    schema: Array<{ name: string }>;
    row_groups: Array<{ num_rows: bigint | number }>;
  }>;
  parquetReadObjects(options: {
    file: unknown;
    metadata: unknown;
    columns: string[];
    rowStart: number;
    rowEnd: number;
    compressors: unknown;
  }): Promise<Array<Record<string, unknown>>>;
}

async function* parquetRows(file: string): AsyncGenerator<FocusRow> {
  const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } = (await importModule(
    "hyparquet",
  )) as ParquetReader;
  const { compressors } = (await importModule("hyparquet-compressors")) as { compressors: unknown };
  const buffer = await asyncBufferFromFile(file);
  const metadata = await parquetMetadataAsync(buffer);
  const present = new Set(metadata.schema.slice(1).map((element) => element.name));
  for (const name of FOCUS_REQUIRED)
    if (!present.has(name))
      throw new UsageFileError(file, 0, name, "a FOCUS column the rules need is missing from the schema");
  const columns = COLUMNS_READ.filter((name) => present.has(name));
  // One row group at a time: an export of millions of rows never sits in memory whole.
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    const objects = await parquetReadObjects({
      file: buffer,
      metadata,
      columns,
      rowStart,
      rowEnd,
      compressors,
    });
    for (let i = 0; i < objects.length; i++) {
      const object = objects[i];
      yield { row: rowStart + i + 1, cell: (name) => parquetText(object[name]) };
    }
    rowStart = rowEnd;
  }
}

function parquetText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

/**
 * Reads a FOCUS export and yields one usage record per registered (account, period, category) with a
 * positive net, in a fixed order (period, account number, category); `report` is filled as it reads.
 */
export async function* readFocusExport(
  file: string,
  context: FocusContext,
  report: FocusReport = emptyFocusReport(),
): AsyncGenerator<UsageRecord> {
  interface Sum {
    account: string;
    period: number;
    category: number;
    cost: bigint;
    firstRow: number;
  }
  const sums = new Map<string, Sum>();
  const periodOf = new Map<string, number>();
  const unregistered = new Map<string, { cost: bigint; firstRow: number }>();
  const excluded = new Map<string, bigint>();
  const unmapped = new Map<string, bigint>();
  const fail = (row: number, field: string, value: string, message: string): never => {
    throw new UsageFileError(file, row, field, `${JSON.stringify(value)} ${message}`);
  };
  for await (const { row, cell } of focusRows(file)) {
    report.rows++;
    const charge = cell("ChargeCategory");
    if (!CHARGE_CATEGORIES.has(charge))
      fail(
        row,
        "ChargeCategory",
        charge,
        `is not a FOCUS charge category (${[...CHARGE_CATEGORIES].join(", ")})`,
      );
    report.rowsByChargeCategory[charge] = (report.rowsByChargeCategory[charge] ?? 0) + 1;
    const costText = cell("BilledCost");
    const cost = parseCost(costText) ?? fail(row, "BilledCost", costText, "is not a decimal number");
    const currency = cell("BillingCurrency");
    if (currency !== FOCUS_CURRENCY && !(cost === 0n && currency === ""))
      fail(row, "BillingCurrency", currency, `is not ${FOCUS_CURRENCY}: attestations are in US cents`);
    if (!CASHBACK_CHARGES.has(charge)) {
      excluded.set(charge, (excluded.get(charge) ?? 0n) + cost);
      continue;
    }
    if (charge === "Credit") report.credits++;
    if (cell("ChargeClass") === "Correction") report.corrections++;
    const periodText = cell("BillingPeriodStart");
    let period = periodOf.get(periodText);
    if (period === undefined) {
      const time = Date.parse(periodText);
      if (Number.isNaN(time)) fail(row, "BillingPeriodStart", periodText, "is not a date and time");
      const start = new Date(time);
      period = start.getUTCFullYear() * 100 + start.getUTCMonth() + 1;
      periodOf.set(periodText, period);
    }
    const serviceName = cell("ServiceName");
    const serviceCategory = cell("ServiceCategory");
    const { serviceNames, serviceCategories } = context.mapping;
    const category = serviceNames.has(serviceName)
      ? serviceNames.get(serviceName)
      : serviceCategories.get(serviceCategory);
    if (category === null || category === undefined) {
      const name = serviceName === "" ? serviceCategory : `${serviceCategory} / ${serviceName}`;
      unmapped.set(name, (unmapped.get(name) ?? 0n) + cost);
      continue;
    }
    const account = cell("SubAccountId") || cell("BillingAccountId");
    if (account === "") fail(row, "BillingAccountId", account, "is empty: the row names no account");
    if (!context.accounts.has(account)) {
      const seen = unregistered.get(account) ?? { cost: 0n, firstRow: row };
      seen.cost += cost;
      unregistered.set(account, seen);
      continue;
    }
    const key = `${period}\u0000${account}\u0000${category}`;
    const sum = sums.get(key);
    if (sum) sum.cost += cost;
    else sums.set(key, { account, period, category, cost, firstRow: row });
  }
  for (const [charge, cost] of excluded) report.excludedCents[charge] = toCents(cost).toString();
  for (const [name, cost] of unmapped) report.unmapped[name] = toCents(cost).toString();
  for (const [account, { cost, firstRow }] of unregistered)
    report.unregistered[account] = { cents: toCents(cost).toString(), firstRow };

  const ordered = [...sums.values()].map((sum) => ({ sum, registered: context.accounts.get(sum.account)! }));
  ordered.sort(
    (a, b) =>
      a.sum.period - b.sum.period ||
      (a.registered.number < b.registered.number ? -1 : a.registered.number > b.registered.number ? 1 : 0) ||
      a.sum.category - b.sum.category,
  );
  const customerIds = new Map<string, string>();
  for (const { sum, registered } of ordered) {
    const cents = toCents(sum.cost);
    if (cents <= 0n) {
      report.nonPositive.push({
        account: sum.account,
        period: sum.period,
        category: CATEGORIES[sum.category],
        cents: cents.toString(),
      });
      continue;
    }
    let customerId = customerIds.get(sum.account);
    if (customerId === undefined) {
      customerId = customerIdFor(context.salt, sum.account);
      customerIds.set(sum.account, customerId);
    }
    report.attestations++;
    yield {
      row: sum.firstRow,
      beneficiary: registered.wallet,
      customerId,
      period: sum.period,
      category: sum.category,
      usageCents: cents,
      id: focusAttestationId(registered.number, sum.category),
    };
  }
}

/** Whole cents, rounded down (toward minus infinity: a net credit of a fraction of a cent is -1). */
function toCents(cost: bigint): bigint {
  const cents = cost / CENTS_UNIT;
  return cost < 0n && cents * CENTS_UNIT !== cost ? cents - 1n : cents;
}

export function emptyFocusReport(): FocusReport {
  return {
    rows: 0,
    rowsByChargeCategory: {},
    excludedCents: {},
    corrections: 0,
    credits: 0,
    unmapped: {},
    unregistered: {},
    nonPositive: [],
    attestations: 0,
  };
}

/**
 * The salt a local development chain uses when none is configured (as its test accounts stand in for
 * keys): public, so never for a real network's customer ids.
 */
export const LOCAL_CUSTOMER_ID_SALT = "local-development-chain-salt";

/** The configured salt, or on a local chain the development one. */
export function customerIdSalt(configured: string | undefined, localChain: boolean): string | undefined {
  return configured ?? (localChain ? LOCAL_CUSTOMER_ID_SALT : undefined);
}

/** Reads the registry, the mapping and the salt: what the tasks and the issuer service both need. */
export function focusContext(options: {
  wallets: string;
  mapping?: string;
  salt: string | undefined;
}): FocusContext {
  if (options.salt === undefined)
    throw new Error(
      "salt: none configured; run npx hardhat vars set CUSTOMER_ID_SALT (16 characters or more, secret) or set it in the environment",
    );
  customerIdFor(options.salt, "check"); // refuses a short salt before anything is read
  return {
    accounts: readAccountRegistry(options.wallets),
    mapping: readFocusMapping(options.mapping),
    salt: options.salt,
  };
}

/** A report in a few lines: what was left out, and why. */
export function describeFocusReport(file: string, report: FocusReport): string[] {
  const lines = [
    `${path.basename(file)}: ${report.rows} rows (${Object.entries(report.rowsByChargeCategory)
      .map(([charge, rows]) => `${charge} ${rows}`)
      .join(
        ", ",
      )}), ${report.credits} credits and ${report.corrections} corrections netted, ${report.attestations} attestations`,
  ];
  const cents = (value: string) => `${value} cents`;
  for (const [charge, value] of Object.entries(report.excludedCents))
    lines.push(`  no cashback: ${charge} rows, ${cents(value)}`);
  for (const [name, value] of Object.entries(report.unmapped))
    lines.push(`  no cashback category for "${name}": ${cents(value)} (add it to the mapping file)`);
  for (const [account, { cents: value, firstRow }] of Object.entries(report.unregistered))
    lines.push(
      `  not in the wallet registry: account "${account}", ${cents(value)} (first at row ${firstRow})`,
    );
  for (const item of report.nonPositive)
    lines.push(`  nets to ${cents(item.cents)}: account "${item.account}", ${item.period}, ${item.category}`);
  return lines;
}

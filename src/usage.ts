import { createReadStream } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { parse } from "csv-parse";
import { getAddress, isHexString, keccak256, toUtf8Bytes } from "ethers";
import { isFocusFile, readFocusExport, type FocusContext, type FocusReport } from "./focus";
import { CATEGORIES, type CategoryName } from "./rewards";

/**
 * Usage records as the billing backend exports them, in CSV (with a header) or JSON lines. Parsing
 * streams: a file of millions of rows never sits in memory. Every error names the file, the row and the
 * field, and the value that is wrong.
 */
export interface UsageRecord {
  /** 1-based line number in the file (the header is line 1 of a CSV). */
  row: number;
  beneficiary: string;
  customerId: string;
  period: number;
  category: number;
  usageCents: bigint;
  /** Per-period attestation id (needed to sign attestations; epochs number leaves themselves). */
  id?: bigint;
  /** Unix seconds after which an attestation expires. */
  deadline?: bigint;
}

export const USAGE_REQUIRED_FIELDS = [
  "beneficiary",
  "customerId",
  "period",
  "category",
  "usageCents",
] as const;
export const USAGE_OPTIONAL_FIELDS = ["id", "deadline"] as const;
const KNOWN_FIELDS: readonly string[] = [...USAGE_REQUIRED_FIELDS, ...USAGE_OPTIONAL_FIELDS];

const UINT64_MAX = 2n ** 64n - 1n;
const UINT32_MAX = 2 ** 32 - 1;
const HEX_ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const CATEGORY_INDEX = new Map<string, number>(CATEGORIES.map((name, i) => [name, i]));

/** An error about one field of one row of a usage file. */
export class UsageFileError extends Error {
  constructor(
    readonly file: string,
    readonly row: number,
    readonly field: string,
    message: string,
  ) {
    super(`${path.basename(file)} row ${row}, field "${field}": ${message}`);
    this.name = "UsageFileError";
  }
}

type RawRow = Record<string, unknown>;

/** How a usage file is read: FOCUS exports need `focus`; unknown columns are a notice unless `strict`. */
export interface UsageReadOptions {
  focus?: FocusContext;
  /** Filled while a FOCUS export is read: what it held besides the attestations. */
  focusReport?: FocusReport;
  /** Refuse columns and fields the usage format does not know (by default they are ignored). */
  strict?: boolean;
  /** Told once per file of the unknown columns it ignores. */
  onNotice?: (message: string) => void;
}

/** The columns a file carries that the usage format does not read: ignored, or refused with `strict`. */
class UnknownColumns {
  private readonly seen = new Set<string>();
  constructor(
    private readonly file: string,
    private readonly options: UsageReadOptions,
  ) {}

  /** Whether `name` is a usage field; an unknown one is refused (strict) or noticed once. */
  known(name: string, row: number, kind: "column" | "field"): boolean {
    if (KNOWN_FIELDS.includes(name)) return true;
    if (this.options.strict)
      throw new UsageFileError(this.file, row, name, `unknown ${kind} (known: ${KNOWN_FIELDS.join(", ")})`);
    if (!this.seen.has(name)) {
      this.seen.add(name);
      this.options.onNotice?.(
        `${path.basename(this.file)}: ignoring unknown ${kind} "${name}" (first at row ${row}; --strict refuses it)`,
      );
    }
    return false;
  }
}

/**
 * Reads a usage file, yielding validated records in file order. A FOCUS export (CSV, gzip'd CSV or
 * Parquet; see focus.ts) becomes one record per account, period and category. A file named `*.csv` is
 * the project's CSV as billing exports write it (RFC 4180: a header row; quoted cells, which may hold
 * commas; CRLF or LF line ends; an optional byte-order mark); any other file is JSON lines (one object a
 * line). Columns the format does not know are ignored with one notice (refused with `strict`).
 */
export async function* readUsageFile(
  file: string,
  options: UsageReadOptions = {},
): AsyncGenerator<UsageRecord> {
  if (await isFocusFile(file)) {
    if (!options.focus)
      throw new UsageFileError(
        file,
        1,
        "header",
        "is a FOCUS export: give the wallet registry (--wallets) and the salt (CUSTOMER_ID_SALT) to read it",
      );
    yield* readFocusExport(file, options.focus, options.focusReport);
  } else if (/\.gz$/i.test(file))
    throw new UsageFileError(
      file,
      1,
      "header",
      "a gzip'd file must be a FOCUS export (a header with BilledCost, ChargeCategory and BillingPeriodStart)",
    );
  else if (file.toLowerCase().endsWith(".csv")) yield* readCsv(file, options);
  else yield* readJsonLines(file, options);
}

async function* readCsv(file: string, options: UsageReadOptions): AsyncGenerator<UsageRecord> {
  // Most exports quote nothing: those are split by hand, four times as fast as the full parser (a 200 MB
  // export is read twice by the issuer service). A file with any quote goes through csv-parse.
  if (await hasNoQuote(file)) yield* readPlainCsv(file, options);
  else yield* readQuotedCsv(file, options);
}

async function hasNoQuote(file: string): Promise<boolean> {
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }))
    if ((chunk as Buffer).includes(0x22)) return false;
  return true;
}

/** A CSV without quotes, line by line: the same rows, line numbers and errors as csv-parse gives (`readQuotedCsv`). */
export async function* readPlainCsv(
  file: string,
  options: UsageReadOptions = {},
): AsyncGenerator<UsageRecord> {
  let header: string[] | undefined;
  let line = 0;
  let rest = "";
  let first = true;
  const rowsOf = function* (text: string): Generator<UsageRecord> {
    line++;
    let content = text.endsWith("\r") ? text.slice(0, -1) : text;
    if (first) {
      content = content.replace(/^\uFEFF/, "");
      first = false;
    }
    if (content.trim() === "") return;
    const cells = content.split(",").map((cell) => cell.trim());
    if (!header) {
      header = parseHeader(file, cells, options);
      return;
    }
    yield parseUsageRow(file, line, csvRow(file, line, header, cells));
  };
  for await (const chunk of createReadStream(file, { encoding: "utf8", highWaterMark: 1 << 20 })) {
    const lines = (rest + (chunk as string)).split("\n");
    rest = lines.pop()!;
    for (const text of lines) yield* rowsOf(text);
  }
  if (rest !== "") yield* rowsOf(rest);
  if (!header) throw new UsageFileError(file, 1, "header", "the file is empty: a CSV header is required");
}

export async function* readQuotedCsv(
  file: string,
  options: UsageReadOptions = {},
): AsyncGenerator<UsageRecord> {
  const parser = createReadStream(file).pipe(
    parse({ bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, info: true }),
  );
  let header: string[] | undefined;
  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: string[];
      info: { lines: number };
    }>) {
      if (!header) {
        header = parseHeader(file, record, options);
        continue;
      }
      yield parseUsageRow(file, info.lines, csvRow(file, info.lines, header, record));
    }
  } catch (error) {
    if (error instanceof UsageFileError) throw error;
    const { lines } = error as { lines?: number };
    throw new UsageFileError(file, lines ?? 0, "row", `not valid CSV (${(error as Error).message})`);
  }
  if (!header) throw new UsageFileError(file, 1, "header", "the file is empty: a CSV header is required");
}

async function* readJsonLines(file: string, options: UsageReadOptions): AsyncGenerator<UsageRecord> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  const columns = new UnknownColumns(file, options);
  let row = 0;
  for await (const text of lines) {
    const line = row++ === 0 ? text.replace(/^\uFEFF/, "") : text;
    if (line.trim() === "") continue;
    yield parseUsageRow(file, row, jsonRow(file, row, line, columns));
  }
}

/** Reads a whole usage file, failing on its first bad row: use it before submitting anything. */
export async function readAllUsage(file: string, options: UsageReadOptions = {}): Promise<UsageRecord[]> {
  const records: UsageRecord[] = [];
  for await (const record of readUsageFile(file, options)) records.push(record);
  return records;
}

function parseHeader(file: string, cells: string[], options: UsageReadOptions): string[] {
  const header = cells.map((h) => h.trim());
  const columns = new UnknownColumns(file, options);
  for (const name of header) columns.known(name, 1, "column");
  for (const name of USAGE_REQUIRED_FIELDS) {
    if (!header.includes(name))
      throw new UsageFileError(file, 1, name, "required column is missing from the header");
  }
  return header;
}

function csvRow(file: string, row: number, header: string[], cells: string[]): RawRow {
  if (cells.length !== header.length) {
    throw new UsageFileError(file, row, "row", `${cells.length} cells, the header has ${header.length}`);
  }
  const raw: RawRow = {};
  header.forEach((name, i) => (raw[name] = cells[i].trim()));
  return raw;
}

function jsonRow(file: string, row: number, line: string, columns: UnknownColumns): RawRow {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new UsageFileError(file, row, "row", `not valid JSON: ${JSON.stringify(line.slice(0, 80))}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UsageFileError(file, row, "row", "a JSON line must be an object");
  }
  for (const [name, cell] of Object.entries(value)) {
    // An ignored field is never converted, whatever it holds.
    if (!columns.known(name, row, "field")) continue;
    // Every value a text or a number: anything else (an object, a list, true) is refused by name, before
    // anything converts it (an object whose toString is not a function throws on conversion).
    if (typeof cell !== "string" && typeof cell !== "number" && cell !== null)
      throw new UsageFileError(file, row, name, `is ${describeJsonValue(cell)}, not a text or a number`);
  }
  return value as RawRow;
}

function describeJsonValue(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  return `${JSON.stringify(value)} (a ${typeof value})`;
}

/** Validates one raw row (strings from CSV, strings or numbers from JSON). */
export function parseUsageRow(file: string, row: number, raw: RawRow): UsageRecord {
  const fail = (field: string, message: string): never => {
    throw new UsageFileError(file, row, field, `${JSON.stringify(raw[field])} ${message}`);
  };
  for (const name of USAGE_REQUIRED_FIELDS) {
    if (raw[name] === undefined || raw[name] === "" || raw[name] === null)
      throw new UsageFileError(file, row, name, "missing");
  }
  const beneficiary = String(raw.beneficiary);
  if (!HEX_ADDRESS.test(beneficiary)) fail("beneficiary", "is not an address");
  const lower = beneficiary.toLowerCase();
  // Nothing can be minted to it, and a claim batch that holds it can only skip it.
  if (/^0x0{40}$/.test(lower)) fail("beneficiary", "is the zero address, which cannot receive ZON");
  // Mixed case carries an EIP-55 checksum, which must then be right.
  if (
    beneficiary.slice(2) !== lower.slice(2) &&
    beneficiary.slice(2) !== beneficiary.slice(2).toUpperCase()
  ) {
    if (getAddress(lower) !== beneficiary) fail("beneficiary", "has a wrong EIP-55 checksum");
  }
  const customerId = String(raw.customerId);
  if (!isHexString(customerId, 32)) fail("customerId", "is not a 32-byte hex value (0x + 64 hex digits)");

  const period = Number(wholeNumber(raw.period) ?? fail("period", "is not a whole number"));
  if (period < 1 || period > UINT32_MAX) fail("period", `is out of range (1 to ${UINT32_MAX})`);

  const category =
    parseCategoryCell(raw.category) ??
    fail("category", `is not a category (${CATEGORIES.join(", ")}, or 0 to ${CATEGORIES.length - 1})`);

  const usageCents = wholeNumber(raw.usageCents) ?? fail("usageCents", "is not a whole number of cents");
  if (usageCents > UINT64_MAX) fail("usageCents", "is above 2^64 - 1");

  const record: UsageRecord = {
    row,
    beneficiary: lower,
    customerId: customerId.toLowerCase(),
    period,
    category,
    usageCents,
  };
  if (raw.id !== undefined && raw.id !== "" && raw.id !== null) {
    record.id = wholeNumber(raw.id) ?? fail("id", "is not a whole number");
    if (record.id > UINT64_MAX) fail("id", "is above 2^64 - 1");
  }
  if (raw.deadline !== undefined && raw.deadline !== "" && raw.deadline !== null) {
    record.deadline = wholeNumber(raw.deadline) ?? fail("deadline", "is not a whole number of Unix seconds");
    if (record.deadline > UINT64_MAX) fail("deadline", "is above 2^64 - 1");
  }
  return record;
}

function wholeNumber(value: unknown): bigint | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? BigInt(value) : undefined;
  if (typeof value === "string" && /^[0-9]+$/.test(value)) return BigInt(value);
  return undefined;
}

function parseCategoryCell(value: unknown): number | undefined {
  if (typeof value === "number")
    return Number.isInteger(value) && value >= 0 && value < CATEGORIES.length ? value : undefined;
  if (typeof value !== "string") return undefined;
  const byName = CATEGORY_INDEX.get(value.trim().toLowerCase() as CategoryName);
  if (byName !== undefined) return byName;
  return /^[0-9]+$/.test(value) && Number(value) < CATEGORIES.length ? Number(value) : undefined;
}

/** The customer id of a cloud account: keccak256 of a per-issuer secret salt and the account id. */
export function customerIdFor(salt: string, cloudAccountId: string): string {
  if (salt.length < 16)
    throw new Error(`salt: ${salt.length} characters is too short to hide account ids (16 or more)`);
  return keccak256(toUtf8Bytes(`${salt}:${cloudAccountId}`));
}

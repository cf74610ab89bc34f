import { readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { getAddress, HDNodeWallet, isAddress, Mnemonic, parseUnits } from "ethers";
import { packRates, parseCategory, TEST_MNEMONIC } from "../src";

/** Everything a deploy of the suite needs, validated. Amounts in ZON wei, durations in seconds. */
export interface SuiteParameters {
  governance: string;
  pauser: string;
  compliance: string;
  adminTransferDelay: bigint;
  maxSupply: bigint;
  rewards: {
    weiPerCent: bigint;
    minterAllowance: bigint;
    attestors: string[];
    threshold: bigint;
    policyOfficer: string;
  };
  redemption: {
    fulfiller: string;
    catalogueManager: string;
    fulfilmentTimeout: bigint;
    acceptanceWindow: bigint;
    catalogue: Array<{
      sku: bigint;
      kind: bigint;
      price: bigint;
      limitedStock: boolean;
      stock: bigint;
      perAccountLimit: bigint;
      active: boolean;
    }>;
  };
  escrow: {
    treasury: string;
    /** The platform fee governance sets; each agreement keeps the one in force when it was made. */
    feeBps: bigint;
  };
  /** The token's two rare powers: recovery of a lost wallet and forced transfer. */
  enforcement: {
    recoveryOfficer: string;
    forcedTransferOfficer: string;
    /** Seconds between announcing a recovery or forced transfer and carrying it out (0: no announcement). */
    delay: bigint;
  };
  /** The issuer service's own sending account (its relayer key): on a Besu network it must be allowed too. */
  issuerService?: { relayer: string };
}

/** The token's cap on the enforcement delay (ZonCoin.MAX_ENFORCEMENT_DELAY). */
export const MAX_ENFORCEMENT_DELAY = 30n * 86_400n;

const SKU_KINDS = ["cloudCredit", "catalogueItem", "subscription"];

/** Reads `deploy/parameters/<network>.json`; any missing or malformed entry throws, naming it. */
export function loadParameters(network: string): SuiteParameters {
  const file = path.join(__dirname, "parameters", `${network}.json`);
  if (!existsSync(file))
    throw new Error(`deploy/parameters/${network}.json: missing (one parameter file per network)`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`deploy/parameters/${network}.json: not valid JSON (${(error as Error).message})`);
  }
  return parseParameters(raw, `deploy/parameters/${network}.json`);
}

export function parseParameters(raw: unknown, source: string): SuiteParameters {
  const at = (obj: unknown, key: string, where: string): unknown => {
    if (typeof obj !== "object" || obj === null || !(key in obj))
      throw new Error(`${source}: ${where}${key} is missing`);
    return (obj as Record<string, unknown>)[key];
  };
  const fail = (where: string, value: unknown, what: string): never => {
    throw new Error(`${source}: ${where} ${JSON.stringify(value)} is not ${what}`);
  };
  const address = (obj: unknown, key: string, where = ""): string => {
    const v = at(obj, key, where);
    if (typeof v !== "string" || !isAddress(v) || /^0x0{40}$/i.test(v))
      fail(`${where}${key}:`, v, "a non-zero address");
    return getAddress(v as string);
  };
  const whole = (obj: unknown, key: string, where = "", min = 0n): bigint => {
    const v = at(obj, key, where);
    if (
      !(typeof v === "string" && /^[0-9]+$/.test(v)) &&
      !(typeof v === "number" && Number.isSafeInteger(v) && v >= 0)
    ) {
      fail(`${where}${key}:`, v, "a whole number");
    }
    const n = BigInt(v as string | number);
    if (n < min) fail(`${where}${key}:`, v, `at least ${min}`);
    return n;
  };
  const zon = (obj: unknown, key: string, where = ""): bigint => {
    const v = at(obj, key, where);
    if (typeof v !== "string" || !/^[0-9]+(\.[0-9]{1,18})?$/.test(v))
      fail(`${where}${key}:`, v, 'an amount of ZON as a string (e.g. "1000000")');
    return parseUnits(v as string, 18);
  };
  const section = (key: string) => {
    const v = at(raw, key, "");
    if (typeof v !== "object" || v === null) fail(`${key}:`, v, "an object");
    return v as Record<string, unknown>;
  };

  const rewards = section("rewards");
  const attestorsRaw = at(rewards, "attestors", "rewards.");
  if (!Array.isArray(attestorsRaw) || attestorsRaw.length === 0)
    fail("rewards.attestors:", attestorsRaw, "a non-empty list of addresses");
  const attestors = (attestorsRaw as unknown[]).map((_, i) =>
    address(attestorsRaw, String(i), "rewards.attestors."),
  );
  if (new Set(attestors).size !== attestors.length)
    fail("rewards.attestors:", attestorsRaw, "a list without duplicates");
  const threshold = whole(rewards, "threshold", "rewards.", 1n);
  if (threshold > BigInt(attestors.length))
    fail("rewards.threshold:", Number(threshold), `at most the ${attestors.length} attestors`);

  const redemption = section("redemption");
  const catalogueRaw = at(redemption, "catalogue", "redemption.");
  if (!Array.isArray(catalogueRaw)) fail("redemption.catalogue:", catalogueRaw, "a list of SKUs");
  const catalogue = (catalogueRaw as unknown[]).map((item, i) => {
    const where = `redemption.catalogue.${i}.`;
    const kind = SKU_KINDS.indexOf(String(at(item, "kind", where)));
    if (kind < 0) fail(`${where}kind:`, at(item, "kind", where), `one of ${SKU_KINDS.join(", ")}`);
    const stock = (item as Record<string, unknown>).stock;
    return {
      sku: whole(item, "sku", where, 1n),
      kind: BigInt(kind),
      price: zon(item, "price", where),
      limitedStock: stock !== undefined,
      stock: stock === undefined ? 0n : whole(item, "stock", where),
      perAccountLimit:
        (item as Record<string, unknown>).perAccountLimit === undefined
          ? 0n
          : whole(item, "perAccountLimit", where),
      active: true,
    };
  });

  const escrow = section("escrow");
  const feeBps = whole(escrow, "feeBps", "escrow.");
  if (feeBps > 1_000n) fail("escrow.feeBps:", Number(feeBps), "at most 1000 (the contract's hard cap)");
  const acceptanceWindow = whole(redemption, "acceptanceWindow", "redemption.", 1n);
  if (acceptanceWindow > 30n * 86_400n)
    fail(
      "redemption.acceptanceWindow:",
      Number(acceptanceWindow),
      "at most 2592000 (30 days, the contract's cap)",
    );

  const enforcement = section("enforcement");
  const delay = whole(enforcement, "delay", "enforcement.");
  if (delay > MAX_ENFORCEMENT_DELAY)
    fail("enforcement.delay:", Number(delay), "at most 2592000 (30 days, the contract's cap)");

  const issuerService = (raw as Record<string, unknown>).issuerService;
  return {
    governance: address(raw, "governance"),
    pauser: address(raw, "pauser"),
    compliance: address(raw, "compliance"),
    adminTransferDelay: whole(raw, "adminTransferDelay"),
    maxSupply: zon(raw, "maxSupply"),
    rewards: {
      weiPerCent: whole(rewards, "weiPerCent", "rewards.", 1n),
      minterAllowance: zon(rewards, "minterAllowance", "rewards."),
      attestors,
      threshold,
      policyOfficer: address(rewards, "policyOfficer", "rewards."),
    },
    redemption: {
      fulfiller: address(redemption, "fulfiller", "redemption."),
      catalogueManager: address(redemption, "catalogueManager", "redemption."),
      fulfilmentTimeout: whole(redemption, "fulfilmentTimeout", "redemption.", 1n),
      acceptanceWindow,
      catalogue,
    },
    escrow: { treasury: address(escrow, "treasury", "escrow."), feeBps },
    enforcement: {
      recoveryOfficer: address(enforcement, "recoveryOfficer", "enforcement."),
      forcedTransferOfficer: address(enforcement, "forcedTransferOfficer", "enforcement."),
      delay,
    },
    ...(issuerService === undefined
      ? {}
      : { issuerService: { relayer: address(section("issuerService"), "relayer", "issuerService.") } }),
  };
}

/** A period policy given by category names (for scripts): `{compute: 500, storage: 300}`. */
export function ratesFromNames(rates: Record<string, number>): bigint {
  const bps = Array<number>(8).fill(0);
  for (const [name, rate] of Object.entries(rates)) bps[parseCategory(name)] = rate;
  return packRates(bps);
}

/** The first 20 of Hardhat's well-known test accounts (what `besu.example.json` holds as placeholders). */
export function testAccounts(): Set<string> {
  const mnemonic = Mnemonic.fromPhrase(TEST_MNEMONIC);
  return new Set(
    Array.from({ length: 20 }, (_, i) => HDNodeWallet.fromMnemonic(mnemonic, `m/44'/60'/0'/0/${i}`).address),
  );
}

/**
 * For a real network: refuses any role given to a placeholder (a low address such as 0x…01) or to one of
 * Hardhat's well-known test accounts (their keys are public) — what a `besu.example.json` copied as is
 * holds. The error names each field.
 */
export function refuseTestAccounts(p: SuiteParameters, source: string): void {
  const known = testAccounts();
  const roles: Array<[string, string]> = [
    ["governance", p.governance],
    ["pauser", p.pauser],
    ["compliance", p.compliance],
    ["rewards.policyOfficer", p.rewards.policyOfficer],
    ...p.rewards.attestors.map((a, i): [string, string] => [`rewards.attestors.${i}`, a]),
    ["redemption.fulfiller", p.redemption.fulfiller],
    ["redemption.catalogueManager", p.redemption.catalogueManager],
    ["escrow.treasury", p.escrow.treasury],
    ["enforcement.recoveryOfficer", p.enforcement.recoveryOfficer],
    ["enforcement.forcedTransferOfficer", p.enforcement.forcedTransferOfficer],
    ...(p.issuerService ? [["issuerService.relayer", p.issuerService.relayer] as [string, string]] : []),
  ];
  // A low address (0x…01, the precompiles' range) is a placeholder: nobody holds its key.
  const placeholders = roles.filter(([, address]) => known.has(address) || BigInt(address) < 0x10000n);
  if (placeholders.length > 0)
    throw new Error(
      `${source}: ${placeholders.map(([field, a]) => `${field} ${a}`).join(", ")} ${placeholders.length > 1 ? "are" : "is"} a placeholder or one of Hardhat's well-known test accounts, whose keys are public (a copied example?); give the addresses of your own keys`,
    );
}

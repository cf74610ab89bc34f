import { execFile } from "node:child_process";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { once } from "node:events";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { keccak256, toBeHex, Wallet, zeroPadValue } from "ethers";
import {
  AttestationSigner,
  CATEGORIES,
  rewardDomain,
  signAttestation,
  ZONCOIN_CHAIN_ID,
  type UsageAttestation,
} from "../src";
import type { BenchResults } from "./lib";

const SIGNATURES = 300;
const FAST_SIGNATURES = 20_000;
const EPOCH_RECORDS = 1_000_000;
const BENEFICIARIES = 200_000;
const FOCUS_ROWS = 1_000_000;
const FOCUS_ACCOUNTS = 20_000;
const FOCUS_HEADER =
  "BilledCost,BillingAccountId,BillingAccountName,BillingCurrency,BillingPeriodEnd,BillingPeriodStart,ChargeCategory,ChargeClass,ChargeDescription,ChargeFrequency,ChargePeriodEnd,ChargePeriodStart,ConsumedQuantity,ConsumedUnit,EffectiveCost,ListCost,ProviderName,RegionId,ResourceId,ServiceCategory,ServiceName,SubAccountId,Tags,x_UsageType";
const FOCUS_SERVICES = [
  ["Compute", "Virtual Machines"],
  ["Storage", "Object Storage"],
  ["Networking", "Data Transfer"],
  ["Databases", "Managed SQL"],
  ["Analytics", "Warehouse"],
  ["AI and Machine Learning", "Inference"],
  ["Developer Tools", "Build Service"],
];

/**
 * A FOCUS export of `rows` rows over FOCUS_ACCOUNTS sub-accounts (a quoted description and tags on every
 * fourth row, a credit every 50th, a purchase every 97th), and the registry of all but the last 100 accounts.
 */
export async function writeFocusExport(file: string, wallets: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  out.write(FOCUS_HEADER + "\n");
  let state = 0x2027_0201;
  const next = () => (state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0);
  const period = "2027-03-01T00:00:00Z,2027-02-01T00:00:00Z";
  for (let i = 0; i < rows; i++) {
    const account = next() % FOCUS_ACCOUNTS;
    const [category, service] = FOCUS_SERVICES[next() % FOCUS_SERVICES.length];
    const charge = i % 97 === 0 ? "Purchase" : i % 50 === 0 ? "Credit" : "Usage";
    const cost = `${charge === "Credit" ? "-" : ""}${next() % 500}.${String(next() % 1_000_000).padStart(6, "0")}`;
    const quoted = i % 4 === 0;
    const description = quoted ? '"VM hours, on demand"' : "VM hours";
    const tags = quoted ? `"{""team"":""t${account % 40}"",""env"":""prod""}"` : "{}";
    const line = `${cost},ba-${account % 500},Billing ${account % 500},USD,${period},${charge},,${description},Usage-Based,${period},${next() % 1000},Hours,${cost},${cost},Zon Cloud,eu-west-1,res-${i},${category},${service},sub-${account},${tags},Usage:${i % 13}\n`;
    if (!out.write(line)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  const registry = ["account,wallet,number"];
  for (let account = 0; account < FOCUS_ACCOUNTS - 100; account++)
    registry.push(`sub-${account},${zeroPadValue(toBeHex(0x2000_0000 + account), 20)},${account}`);
  await writeFile(wallets, registry.join("\n") + "\n");
}

/** Deterministic pseudo-random usage records: the same file on every run. */
async function writeUsageFile(file: string, records: number): Promise<void> {
  const out = createWriteStream(file);
  out.write("beneficiary,customerId,period,category,usageCents\n");
  let state = 0x2026_1124;
  const next = () => (state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0);
  for (let i = 0; i < records; i++) {
    const holder = next() % BENEFICIARIES;
    const beneficiary = zeroPadValue(toBeHex(0x1000_0000 + holder), 20);
    const customerId = keccak256(toBeHex(holder, 32));
    const line = `${beneficiary},${customerId},202611,${next() % CATEGORIES.length},${next() % 5_000_000}\n`;
    if (!out.write(line)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
}

/** The bench's attestation number `i`, to `beneficiary`. */
function attestationNumber(i: number, beneficiary: string): UsageAttestation {
  return {
    beneficiary,
    customerId: keccak256(toBeHex(i, 32)),
    period: 202611,
    category: i % CATEGORIES.length,
    usageCents: BigInt(1_000 + i),
    id: BigInt(i),
    deadline: 2_000_000_000n,
  };
}

/** Runs a bench child (`bench/<script>`) in a process of its own; its last line of output is its JSON. */
async function childMeasure<T>(nodeFlags: string[], script: string, args: string[]): Promise<T> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [...nodeFlags, "-r", "ts-node/register/transpile-only", path.join(__dirname, script), ...args],
    { maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split("\n").pop()!) as T;
}

/**
 * Attestation signatures per second on one core (ethers' signTypedData, and the fast signer that
 * rewards:sign uses with configured keys), and a one-million-record epoch build in a child process.
 */
export async function benchOffchain(results: BenchResults): Promise<void> {
  const signer = Wallet.createRandom();
  const domain = rewardDomain(BigInt(ZONCOIN_CHAIN_ID), "0x000000000000000000000000000000000000dEaD");
  const started = process.hrtime.bigint();
  for (let i = 0; i < SIGNATURES; i++)
    await signAttestation(signer, domain, attestationNumber(i, signer.address));
  results.offchain.signTypedDataPerSecond = Math.round(
    SIGNATURES / (Number(process.hrtime.bigint() - started) / 1e9),
  );

  // The production path (rewards:sign with configured keys): precomputed hashes, native secp256k1.
  const fast = new AttestationSigner(signer.privateKey, domain);
  const attestations = Array.from({ length: FAST_SIGNATURES }, (_, i) =>
    attestationNumber(i, signer.address),
  );
  const fastStarted = process.hrtime.bigint();
  for (const a of attestations) fast.sign(a);
  results.offchain.signPerSecond = Math.round(
    FAST_SIGNATURES / (Number(process.hrtime.bigint() - fastStarted) / 1e9),
  );

  const dir = await mkdtemp(path.join(os.tmpdir(), "zon-epoch-"));
  try {
    const usageFile = path.join(dir, "usage-1m.csv");
    await writeUsageFile(usageFile, EPOCH_RECORDS);
    const measured = await childMeasure<{ seconds: number; peakMiB: number; leafCount: number }>(
      [],
      "epoch-child.ts",
      [usageFile, path.join(dir, "out")],
    );
    if (measured.leafCount !== EPOCH_RECORDS)
      throw new Error(`epoch child built ${measured.leafCount} leaves, not ${EPOCH_RECORDS}`);
    results.offchain["epochBuild1M.seconds"] = Math.round(measured.seconds * 10) / 10;
    results.offchain["epochBuild1M.peakMiB"] = Math.round(measured.peakMiB);

    // A million FOCUS rows into attestations (the bound: under a minute), plain and gzip'd.
    const focusFile = path.join(dir, "focus-1m.csv");
    const wallets = path.join(dir, "wallets.csv");
    await writeFocusExport(focusFile, wallets, FOCUS_ROWS);
    await pipeline(createReadStream(focusFile), createGzip(), createWriteStream(`${focusFile}.gz`));
    for (const [name, file] of [
      ["focus1M", focusFile],
      ["focus1MGzip", `${focusFile}.gz`],
    ]) {
      const focus = await childMeasure<{
        seconds: number;
        peakMiB: number;
        rows: number;
        attestations: number;
      }>([], "focus-child.ts", [file, wallets]);
      if (focus.rows !== FOCUS_ROWS)
        throw new Error(`focus child read ${focus.rows} rows, not ${FOCUS_ROWS}`);
      results.offchain[`${name}.seconds`] = Math.round(focus.seconds * 10) / 10;
      results.offchain[`${name}.peakMiB`] = Math.round(focus.peakMiB);
      results.offchain[`${name}.attestations`] = focus.attestations;
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  // zon:reconcile over a period of a million rows, every one claimed (the bound: under a minute),
  // under a 512 MiB heap; the chain is a stand-in serving the logs, so the node's time is not in it.
  const reconciled = await childMeasure<{
    seconds: number;
    peakMiB: number;
    claimed: number;
    exceptions: number;
  }>(["--max-old-space-size=512"], "reconcile-child.ts", ["1000000"]);
  if (reconciled.claimed !== 1_000_000 || reconciled.exceptions !== 0)
    throw new Error(`reconcile child: ${reconciled.claimed} claimed, ${reconciled.exceptions} exceptions`);
  results.offchain["reconcile1M.seconds"] = Math.round(reconciled.seconds * 10) / 10;
  results.offchain["reconcile1M.peakMiB"] = Math.round(reconciled.peakMiB);
}

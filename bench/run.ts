import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { network } from "hardhat";
import { gasBreakdown, type GasBreakdown } from "./trace";
import { measuredTransactions, type BenchResults, type BenchSection } from "./lib";
import { benchEscrow } from "./escrow";
import { benchOffchain } from "./offchain";
import { benchRedemption } from "./redemption";
import { benchRewards } from "./rewards";
import { benchToken } from "./token";

// Each domain adds its section here; the token section comes first because it measures the baselines.
const SECTIONS: Array<[string, BenchSection]> = [
  ["token", benchToken],
  ["rewards", benchRewards],
  ["redemption", benchRedemption],
  ["escrow", benchEscrow],
  ["offchain", benchOffchain],
];

// Ratios printed next to the figures they judge (the issues' targets).
const RATIOS: Array<[string, string, number]> = [
  ["token.transfer", "baseline.transfer", 1.1],
  ["token.transferToNew", "baseline.transferToNew", 1.1],
  ["token.permit", "baseline.permit", 1.1],
  ["token.mint", "baseline.mint", Number.POSITIVE_INFINITY],
  ["reward.claim", "baseline.mint", 1.75],
  ["reward.claim2of3", "baseline.mint", Number.POSITIVE_INFINITY],
  ["reward.claimBatch100.perItem", "baseline.mint", 0.7],
  ["reward.claimBatch100New.perItem", "baseline.mint", Number.POSITIVE_INFINITY],
  ["reward.epochClaim", "baseline.mint", 1.75],
  ["reward.epochClaimFirstInWord", "baseline.mint", Number.POSITIVE_INFINITY],
];

async function main(): Promise<void> {
  if (network.name !== "hardhat")
    throw new Error(`network: bench runs on the in-process network, not ${network.name}`);
  const file = path.join(__dirname, "results.json");
  // The load figures come from `npm run bench:load`: kept as they are.
  const previous = existsSync(file)
    ? (JSON.parse(await readFile(file, "utf8")) as Partial<BenchResults>)
    : {};
  const results: BenchResults = { gas: {}, offchain: {}, load: previous.load ?? {} };
  for (const [name, section] of SECTIONS) {
    process.stdout.write(`bench: ${name}…\n`);
    await section(results);
  }
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(results, null, 2) + "\n");

  const rows = Object.entries(results.gas).map(([op, gas]) => {
    const ratio = RATIOS.find(([k]) => k === op);
    const vs = ratio ? results.gas[ratio[1]] : undefined;
    const before = previous.gas?.[op];
    return {
      operation: op,
      gas,
      "vs baseline": vs ? (gas / vs).toFixed(3) : "",
      target: ratio && Number.isFinite(ratio[2]) ? `<= ${ratio[2]}` : "",
      // What the committed results said: a change shows here, and in the diff of bench/results.json.
      was: before === undefined ? "new" : before === gas ? "" : String(before),
    };
  });
  console.table(rows);
  for (const group of ["offchain", "load"] as const) {
    if (Object.keys(results[group]).length) console.table(results[group]);
  }
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
  await writeBreakdowns();
}

/**
 * Traces every single-transaction operation and writes where its gas went to `bench/breakdown.json`
 * (cold and warm storage reads, writes, cold accounts, precompiles, logs, hashing, the rest, refunds):
 * the figures a gas target is argued with.
 */
async function writeBreakdowns(): Promise<void> {
  const breakdowns: Record<string, GasBreakdown> = {};
  for (const [op, hash] of measuredTransactions) breakdowns[op] = await gasBreakdown(network.provider, hash);
  const file = path.join(__dirname, "breakdown.json");
  await writeFile(file, JSON.stringify(breakdowns, null, 2) + "\n");
  const part = (p: { count: number; gas: number }) => (p.count ? `${p.gas} (${p.count})` : "");
  console.table(
    Object.fromEntries(
      Object.entries(breakdowns).map(([op, b]) => [
        op,
        {
          gasUsed: b.gasUsed,
          "base+data": b.intrinsic + b.calldata,
          "sload cold (n)": part(b.sloadCold),
          "sload warm (n)": part(b.sloadWarm),
          "sstore (n)": part(b.sstore),
          "cold accounts (n)": part(b.coldAccounts),
          precompiles: b.precompiles.gas || "",
          "logs (n)": part(b.logs),
          keccak: b.keccak.gas,
          execution: b.execution,
          refund: b.refund || "",
        },
      ]),
    ),
  );
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

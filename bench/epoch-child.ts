import { Wallet } from "ethers";
import { buildEpoch, rewardDomain, ZONCOIN_CHAIN_ID } from "../src";

/*
 * Runs one epoch build in its own process so that its peak memory is its own.
 * Usage: epoch-child <usage file> <out dir>. Prints one JSON line: {"seconds", "peakMiB", "leafCount"}.
 */
async function main(): Promise<void> {
  const [usageFile, outDir] = process.argv.slice(2);
  if (!usageFile || !outDir) throw new Error("usage: epoch-child <usage file> <out dir>");
  // Well-known Hardhat test key #0: a benchmark signs nothing of value.
  const signer = new Wallet("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
  const started = process.hrtime.bigint();
  const result = await buildEpoch({
    usageFile,
    outDir,
    policy: { weiPerCent: 10n ** 16n, ratesBps: [500, 300, 200, 100, 100, 250, 0, 1_000] },
    period: 202611,
    epoch: 0,
    claimDeadline: 2_000_000_000n,
    domain: rewardDomain(BigInt(ZONCOIN_CHAIN_ID), "0x000000000000000000000000000000000000dEaD"),
    signers: [signer],
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const peakMiB = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ seconds, peakMiB, leafCount: Number(result.epochRoot.leafCount) }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

import { createReadStream } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import { task, types, vars } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { formatUnits, Wallet, type Signer } from "ethers";
import {
  buildEpoch,
  bundleSignatures,
  decodeBundle,
  encodeBundle,
  packRates,
  parseAddress,
  parseCategory,
  parseRates,
  readAllUsage,
  recoverAttestationSigner,
  rewardDomain,
  signAttestation,
  UsageFileError,
  type EpochFile,
  type EpochProofLine,
  type SignedAttestation,
} from "../src";

const LOCAL_NETWORKS = ["hardhat", "localhost", "besuLocal"];
const SKIP_REASONS = ["none", "already claimed", "revoked", "expired", "over budget"];

/** Attestor keys: `ATTESTOR_KEYS` (comma-separated) from Hardhat's vars; on a local chain, test accounts. */
async function attestorSigners(hre: HardhatRuntimeEnvironment, accounts: string): Promise<Signer[]> {
  if (vars.has("ATTESTOR_KEYS"))
    return vars
      .get("ATTESTOR_KEYS")
      .split(",")
      .map((key) => new Wallet(key.trim()));
  if (!LOCAL_NETWORKS.includes(hre.network.name)) {
    throw new Error(
      `attestor keys: none configured for ${hre.network.name}; run npx hardhat vars set ATTESTOR_KEYS`,
    );
  }
  const all = await hre.ethers.getSigners();
  return accounts.split(",").map((index) => {
    const signer = all[Number(index)];
    if (!/^[0-9]+$/.test(index.trim()) || !signer)
      throw new Error(`attestor-accounts: ${JSON.stringify(index)} is not an account index`);
    return signer;
  });
}

async function distributorAt(hre: HardhatRuntimeEnvironment, address: string) {
  const distributor = await hre.ethers.getContractAt(
    "RewardDistributor",
    parseAddress("distributor", address),
  );
  if ((await hre.ethers.provider.getCode(await distributor.getAddress())) === "0x") {
    throw new Error(`distributor: no contract at ${address} on ${hre.network.name}`);
  }
  return distributor;
}

function wholeArg(field: string, value: string): bigint {
  if (!/^[0-9]+$/.test(value)) throw new Error(`${field}: ${JSON.stringify(value)} is not a whole number`);
  return BigInt(value);
}

task("rewards:policy", "Publishes a billing period's cashback rates and mint budget (never changeable)")
  .addParam("distributor", "RewardDistributor address")
  .addParam("period", "billing period, e.g. 202611")
  .addParam("rates", "basis points per category, e.g. compute=500,storage=300")
  .addParam("budget", "the period's mint budget in whole ZON")
  .setAction(async (args: { distributor: string; period: string; rates: string; budget: string }, hre) => {
    const distributor = await distributorAt(hre, args.distributor);
    const packed = packRates(parseRates(args.rates, parseCategory));
    const period = Number(wholeArg("period", args.period));
    const receipt = await (
      await distributor.publishPolicy(period, packed, wholeArg("budget", args.budget))
    ).wait();
    console.log(
      `policy of period ${period} published (rates ${args.rates}, budget ${args.budget} ZON) in ${receipt?.hash}`,
    );
  });

task("rewards:sign", "Signs the attestations of a usage file (CSV or JSON lines) into a bundle file")
  .addParam("distributor", "RewardDistributor address (part of what is signed)")
  .addParam("usage", "usage file: beneficiary,customerId,period,category,usageCents,id[,deadline]")
  .addParam("out", "bundle file to write")
  .addOptionalParam("deadline", "Unix seconds, for rows without a deadline")
  .addOptionalParam("attestorAccounts", "local networks: indexes of the test accounts that sign", "0")
  .setAction(
    async (
      args: { distributor: string; usage: string; out: string; deadline?: string; attestorAccounts: string },
      hre,
    ) => {
      const records = await readAllUsage(args.usage); // the whole file is checked before anything is signed
      const fallbackDeadline = args.deadline === undefined ? undefined : wholeArg("deadline", args.deadline);
      const distributor = parseAddress("distributor", args.distributor);
      const chainId = (await hre.ethers.provider.getNetwork()).chainId;
      const domain = rewardDomain(chainId, distributor);
      const signers = await attestorSigners(hre, args.attestorAccounts);
      const items: SignedAttestation[] = [];
      for (const r of records) {
        if (r.id === undefined)
          throw new UsageFileError(
            args.usage,
            r.row,
            "id",
            "missing (an attestation needs its per-period id)",
          );
        const deadline = r.deadline ?? fallbackDeadline;
        if (deadline === undefined)
          throw new UsageFileError(
            args.usage,
            r.row,
            "deadline",
            "missing (give it in the file or --deadline)",
          );
        const attestation = { ...r, id: r.id, deadline };
        delete (attestation as { row?: number }).row;
        const signatures = await Promise.all(signers.map((s) => signAttestation(s, domain, attestation)));
        items.push({
          attestation,
          signatures: bundleSignatures(signatures, (sig) =>
            recoverAttestationSigner(domain, attestation, sig),
          ),
        });
      }
      await writeFile(args.out, JSON.stringify(encodeBundle(chainId, distributor, items), null, 2) + "\n");
      console.log(`signed ${items.length} attestations with ${signers.length} attestor(s) into ${args.out}`);
    },
  );

task("rewards:submit", "Claims a signed bundle in batches; safe to re-run (claimed items are skipped)")
  .addParam("bundle", "bundle file written by rewards:sign")
  .addOptionalParam("batchSize", "attestations per transaction", 100, types.int)
  .setAction(async (args: { bundle: string; batchSize: number }, hre) => {
    const bundle = decodeBundle(JSON.parse(await readFile(args.bundle, "utf8")));
    const chainId = (await hre.ethers.provider.getNetwork()).chainId;
    if (bundle.chainId !== chainId)
      throw new Error(
        `chainId: the bundle is for chain ${bundle.chainId}, ${hre.network.name} is ${chainId}`,
      );
    if (!(args.batchSize >= 1)) throw new Error(`batch-size: ${args.batchSize} is not a positive number`);
    const distributor = await distributorAt(hre, bundle.distributor);
    const totals = { claimed: 0, skipped: 0, minted: 0n };
    for (let from = 0; from < bundle.items.length; from += args.batchSize) {
      const batch = bundle.items.slice(from, from + args.batchSize);
      const tx = await distributor.claimBatch(
        batch.map((i) => i.attestation),
        batch.map((i) => i.signatures),
      );
      const receipt = await tx.wait();
      for (const log of receipt?.logs ?? []) {
        const event = distributor.interface.parseLog(log);
        if (event?.name === "AttestationClaimed") {
          totals.claimed++;
          totals.minted += event.args.reward as bigint;
        } else if (event?.name === "AttestationSkipped") {
          totals.skipped++;
          console.log(
            `  skipped period ${event.args.period} id ${event.args.id}: ${SKIP_REASONS[Number(event.args.reason)]}`,
          );
        }
      }
      console.log(
        `batch ${from / args.batchSize + 1}: items ${from}..${from + batch.length - 1} in ${receipt?.hash}`,
      );
    }
    console.log(
      `claimed ${totals.claimed}, skipped ${totals.skipped}, minted ${formatUnits(totals.minted, 18)} ZON`,
    );
    return totals;
  });

task("rewards:status", "Shows the claim status of attestations (of a bundle, or by period and ids)")
  .addOptionalParam("bundle", "bundle file")
  .addOptionalParam("distributor", "RewardDistributor address (with --period and --ids)")
  .addOptionalParam("period", "billing period")
  .addOptionalParam("ids", "comma-separated attestation ids")
  .setAction(async (args: { bundle?: string; distributor?: string; period?: string; ids?: string }, hre) => {
    let address: string;
    let keys: Array<{ period: number; id: bigint; beneficiary?: string }>;
    if (args.bundle) {
      const bundle = decodeBundle(JSON.parse(await readFile(args.bundle, "utf8")));
      address = bundle.distributor;
      keys = bundle.items.map(({ attestation: a }) => ({
        period: a.period,
        id: a.id,
        beneficiary: a.beneficiary,
      }));
    } else {
      if (!args.distributor || !args.period || !args.ids)
        throw new Error("status: give --bundle, or --distributor, --period and --ids");
      address = args.distributor;
      const period = Number(wholeArg("period", args.period));
      keys = args.ids.split(",").map((id) => ({ period, id: wholeArg("ids", id.trim()) }));
    }
    const distributor = await distributorAt(hre, address);
    const rows = [];
    for (const k of keys) {
      const [claimed, revoked] = await distributor.attestationStatus(k.period, k.id);
      rows.push({
        period: k.period,
        id: k.id.toString(),
        beneficiary: k.beneficiary ?? "",
        status: revoked ? "revoked" : claimed ? "claimed" : "open",
      });
    }
    console.table(rows);
    return rows;
  });

task("epoch:build", "Builds a Merkle epoch from a usage file: tree, proofs and the attestors' signed root")
  .addParam("distributor", "RewardDistributor address (its policy and EIP-712 domain are read on chain)")
  .addParam("usage", "usage file (CSV or JSON lines) of one period")
  .addParam("period", "billing period")
  .addParam("epoch", "epoch number within the period", "0")
  .addParam("deadline", "claim deadline, Unix seconds")
  .addParam("out", "output directory")
  .addOptionalParam("attestorAccounts", "local networks: indexes of the test accounts that sign", "0")
  .setAction(
    async (
      args: {
        distributor: string;
        usage: string;
        period: string;
        epoch: string;
        deadline: string;
        out: string;
        attestorAccounts: string;
      },
      hre,
    ) => {
      const distributor = await distributorAt(hre, args.distributor);
      const period = Number(wholeArg("period", args.period));
      const [packed, budget] = await distributor.periodPolicy(period);
      if (budget === 0n) throw new Error(`period: no policy is published for ${period}`);
      const ratesBps = Array.from({ length: 8 }, (_, i) => Number((packed >> BigInt(16 * i)) & 0xffffn));
      const started = Date.now();
      const result = await buildEpoch({
        usageFile: args.usage,
        outDir: args.out,
        policy: { weiPerCent: await distributor.weiPerCent(), ratesBps },
        period,
        epoch: Number(wholeArg("epoch", args.epoch)),
        claimDeadline: wholeArg("deadline", args.deadline),
        domain: rewardDomain(
          (await hre.ethers.provider.getNetwork()).chainId,
          await distributor.getAddress(),
        ),
        signers: await attestorSigners(hre, args.attestorAccounts),
      });
      const { root, total, leafCount } = result.epochRoot;
      console.log(
        `epoch ${args.epoch} of ${period}: root ${root}, ${leafCount} leaves, ${result.beneficiaries} beneficiaries, total ${formatUnits(total, 18)} ZON, built in ${(Date.now() - started) / 1000} s into ${args.out}`,
      );
      return result;
    },
  );

async function readEpochFile(dir: string): Promise<EpochFile> {
  return JSON.parse(await readFile(path.join(dir, "epoch.json"), "utf8")) as EpochFile;
}

task("epoch:publish", "Publishes a built epoch's signed root, reserving its total from the period budget")
  .addParam("dir", "directory written by epoch:build")
  .setAction(async (args: { dir: string }, hre) => {
    const e = await readEpochFile(args.dir);
    const distributor = await distributorAt(hre, e.distributor);
    const epochRoot = {
      period: e.period,
      epoch: e.epoch,
      root: e.root,
      total: BigInt(e.total),
      leafCount: BigInt(e.leafCount),
      claimDeadline: BigInt(e.claimDeadline),
    };
    const receipt = await (await distributor.publishEpoch(epochRoot, e.bundle)).wait();
    console.log(
      `epoch ${e.epoch} of ${e.period} published: root ${e.root}, reserved ${formatUnits(e.total, 18)} ZON, in ${receipt?.hash}`,
    );
  });

task("epoch:claim", "Claims every unclaimed leaf of a beneficiary from a built epoch (anyone may send it)")
  .addParam("dir", "directory written by epoch:build")
  .addParam("beneficiary", "the business's wallet address")
  .setAction(async (args: { dir: string; beneficiary: string }, hre) => {
    const e = await readEpochFile(args.dir);
    const beneficiary = parseAddress("beneficiary", args.beneficiary);
    const distributor = await distributorAt(hre, e.distributor);
    let line: EpochProofLine | undefined;
    for await (const text of createInterface({
      input: createReadStream(path.join(args.dir, "proofs.jsonl")),
    })) {
      const candidate = JSON.parse(text) as EpochProofLine;
      if (candidate.beneficiary === beneficiary) {
        line = candidate;
        break;
      }
    }
    if (!line) throw new Error(`beneficiary: ${beneficiary} has no leaf in epoch ${e.epoch} of ${e.period}`);
    let minted = 0n;
    for (const c of line.claims) {
      if (await distributor.isEpochLeafClaimed(e.root, c.index)) continue;
      await (
        await distributor.claimEpoch(
          e.root,
          c.index,
          beneficiary,
          c.customerId,
          c.category,
          c.usageCents,
          c.proof,
        )
      ).wait();
      minted += BigInt(c.reward);
    }
    console.log(
      `${beneficiary}: claimed ${formatUnits(minted, 18)} ZON from epoch ${e.epoch} of ${e.period}`,
    );
    return minted;
  });

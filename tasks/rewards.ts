import { existsSync } from "node:fs";
import { readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { types } from "hardhat/config";
import {
  configValue,
  focusReading,
  isLocalChain,
  readJsonFile,
  signerFor,
  suiteAddress,
  zonTask,
  ROLE,
} from "./context";
import { loadParameters } from "../deploy/parameters";
import type { RewardDistributor } from "../typechain-types";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { Wallet, type Signer } from "ethers";
import { formatZon } from "../src/amounts";
import {
  AttestorBundle,
  AttestationSigner,
  buildEpoch,
  bundleSignatures,
  customerIdFor,
  decodeBundle,
  encodeBundle,
  packRates,
  parseAddress,
  parseBillingPeriod,
  parseCategory,
  parseRates,
  readAllUsage,
  readEpochFile,
  readProofLines,
  recoverAttestationSigner,
  recoverRevocationSigner,
  rewardDomain,
  ROLES,
  signAttestation,
  signRevocation,
  UsageFileError,
  describeFocusReport,
  type UsageReadOptions,
  type EpochProofLine,
  type SignedAttestation,
} from "../src";

const SKIP_REASONS = [
  "none",
  "already claimed",
  "revoked",
  "expired",
  "over budget",
  "beneficiary cannot receive",
];

/**
 * The attestors who sign: `ATTESTOR_KEYS` (comma-separated private keys, a configuration variable); on a
 * local chain (recognised by its node, whatever the network is called), the test accounts chosen by
 * `--attestor-accounts`, or by default the deploy parameters' attestors among the configured accounts, as
 * many as the threshold. Each must be an attestor on chain, and together they must reach the threshold.
 * A bad key is named by its position, never echoed.
 */
async function attestorSigners(
  hre: HardhatRuntimeEnvironment,
  distributor: RewardDistributor,
  accounts: string | undefined,
): Promise<Signer[]> {
  const threshold = Number(await distributor.threshold());
  let signers: Signer[];
  const keys = configValue("ATTESTOR_KEYS");
  if (keys !== undefined) {
    signers = keys.split(",").map((key, i) => {
      try {
        return new Wallet(key.trim());
      } catch {
        throw new Error(
          `configuration variable ATTESTOR_KEYS: entry ${i + 1} is not a private key (32 bytes of hex)`,
        );
      }
    });
  } else if (!(await isLocalChain(hre))) {
    throw new Error(
      `attestor keys: none configured for ${hre.network.name}; run npx hardhat vars set ATTESTOR_KEYS`,
    );
  } else {
    const all = await hre.ethers.getSigners();
    if (accounts !== undefined) {
      signers = accounts.split(",").map((index) => {
        const signer = all[Number(index)];
        if (!/^[0-9]+$/.test(index.trim()) || !signer)
          throw new Error(`attestor-accounts: ${JSON.stringify(index)} is not an account index`);
        return signer;
      });
    } else {
      const configured = existsSync(
        path.join(__dirname, "..", "deploy", "parameters", `${hre.network.name}.json`),
      )
        ? loadParameters(hre.network.name).rewards.attestors
        : [];
      signers = all.filter((a) => configured.includes(a.address)).slice(0, threshold);
    }
  }
  for (const signer of signers) {
    const address = await signer.getAddress();
    if (!(await distributor.isAttestor(address)))
      throw new Error(
        `attestor: account ${address} is not an attestor of the distributor ${await distributor.getAddress()}`,
      );
  }
  if (signers.length < threshold)
    throw new Error(
      `attestors: ${signers.length} signer(s), the distributor needs ${threshold}; pass --attestor-accounts or set ATTESTOR_KEYS`,
    );
  return signers;
}

/**
 * Checks every signature of a bundle before anything is sent: each must recover to a current attestor,
 * one per signer, ascending, at least the threshold. The error names the item and the signature.
 */
async function verifyBundleLocally(
  bundle: ReturnType<typeof decodeBundle>,
  distributor: RewardDistributor,
  chainId: bigint,
): Promise<void> {
  const domain = rewardDomain(chainId, await distributor.getAddress());
  const threshold = Number(await distributor.threshold());
  const attestors = new Map<string, boolean>();
  for (const [i, item] of bundle.items.entries()) {
    const hex = item.signatures.slice(2);
    if (hex.length === 0 || hex.length % 130 !== 0)
      throw new Error(`bundle item ${i}: signatures are not whole 65-byte signatures`);
    let previous = 0n;
    for (let k = 0; k < hex.length / 130; k++) {
      let signer: string;
      try {
        signer = recoverAttestationSigner(domain, item.attestation, "0x" + hex.slice(k * 130, (k + 1) * 130));
      } catch {
        throw new Error(`bundle item ${i}: signature ${k} does not recover to a signer`);
      }
      if (!attestors.has(signer)) attestors.set(signer, await distributor.isAttestor(signer));
      if (!attestors.get(signer))
        throw new Error(
          `bundle item ${i} (period ${item.attestation.period}, id ${item.attestation.id}): signature ${k} recovers to ${signer}, not an attestor (signed for another distributor or chain, or altered)`,
        );
      if (BigInt(signer) <= previous)
        throw new Error(`bundle item ${i}: signature ${k} is a duplicate or out of order`);
      previous = BigInt(signer);
    }
    if (hex.length / 130 < threshold)
      throw new Error(
        `bundle item ${i}: ${hex.length / 130} signature(s), the distributor needs ${threshold}`,
      );
  }
}

/** The distributor: the address given (flag or file), or the network's deployment record. */
async function distributorAt(hre: HardhatRuntimeEnvironment, address: string | undefined) {
  return hre.ethers.getContractAt(
    "RewardDistributor",
    await suiteAddress(hre, "RewardDistributor", "distributor", address),
  );
}

const DISTRIBUTOR = "RewardDistributor address (default: deployments/<network>.json)";

function wholeArg(field: string, value: string): bigint {
  if (!/^[0-9]+$/.test(value)) throw new Error(`${field}: ${JSON.stringify(value)} is not a whole number`);
  return BigInt(value);
}

zonTask("rewards:policy", "Publishes a billing period's cashback rates and mint budget (never changeable)")
  .addOptionalParam("distributor", DISTRIBUTOR)
  .addParam("period", "billing period, e.g. 202611")
  .addParam("rates", "basis points per category, e.g. compute=500,storage=300")
  .addParam("budget", "the period's mint budget in whole ZON")
  .addOptionalParam("from", "account to send from: index, address, or name (default: the policy officer)")
  .setAction(
    async (
      args: { distributor?: string; period: string; rates: string; budget: string; from?: string },
      hre,
    ) => {
      // The flags first: a bad one is named before the chain is asked anything.
      const period = parseBillingPeriod("period", args.period);
      const packed = packRates(parseRates(args.rates, parseCategory));
      const budget = wholeArg("budget", args.budget);
      const distributor = await distributorAt(hre, args.distributor);
      const officer = await signerFor(hre, args.from, { ...ROLE.policyOfficer, contract: distributor });
      const receipt = await (await distributor.connect(officer).publishPolicy(period, packed, budget)).wait();
      console.log(
        `policy of period ${period} published (rates ${args.rates}, budget ${formatZon(budget * 10n ** 18n)}) in ${receipt?.hash}`,
      );
    },
  );

/**
 * The usage a task reads: `--usage` (the project's CSV or JSON lines) or `--focus` with `--wallets` (a
 * FOCUS export, its account registry, the mapping and `CUSTOMER_ID_SALT`); notices go to stderr.
 */
async function usageInput(
  hre: HardhatRuntimeEnvironment,
  args: {
    usage?: string;
    focus?: string;
    wallets?: string;
    mapping?: string;
    strict: boolean;
  },
): Promise<{ file: string; options: UsageReadOptions }> {
  const onNotice = (message: string) => console.warn(`notice: ${message}`);
  if ((args.usage === undefined) === (args.focus === undefined))
    throw new Error("usage: give either --usage (the usage CSV or JSON lines) or --focus (a FOCUS export)");
  if (args.usage !== undefined) {
    for (const flag of ["wallets", "mapping"] as const)
      if (args[flag] !== undefined) throw new Error(`${flag}: only with --focus`);
    return { file: args.usage, options: { strict: args.strict, onNotice } };
  }
  if (args.wallets === undefined)
    throw new Error("wallets: --focus needs the account registry (a CSV of account,wallet,number)");
  return {
    file: args.focus!,
    options: { ...(await focusReading(hre, args.wallets, args.mapping)), strict: args.strict, onNotice },
  };
}

zonTask(
  "rewards:sign",
  "Signs the attestations of a usage file (CSV or JSON lines) or a FOCUS billing export into a bundle file",
)
  .addOptionalParam("distributor", `${DISTRIBUTOR}; part of what is signed`)
  .addOptionalParam("usage", "usage file: beneficiary,customerId,period,category,usageCents,id[,deadline]")
  .addOptionalParam("focus", "a FOCUS 1.x export (CSV, .csv.gz or Parquet) instead of --usage")
  .addOptionalParam("wallets", "with --focus: the account registry, a CSV of account,wallet,number")
  .addOptionalParam("mapping", "with --focus: service categories and names → cashback categories (JSON)")
  .addFlag("strict", "refuse columns the usage format does not know (by default ignored, with a notice)")
  .addParam("out", "bundle file to write")
  .addOptionalParam("deadline", "Unix seconds, for rows without a deadline")
  .addParam("deadlineMargin", "seconds a deadline must lie beyond the chain's time", 3_600, types.int)
  .addOptionalParam(
    "attestorAccounts",
    "local chains: indexes of the test accounts that sign (default: the configured attestors)",
  )
  .setAction(
    async (
      args: {
        distributor?: string;
        usage?: string;
        focus?: string;
        wallets?: string;
        mapping?: string;
        strict: boolean;
        out: string;
        deadline?: string;
        deadlineMargin: number;
        attestorAccounts?: string;
      },
      hre,
    ) => {
      const { file, options } = await usageInput(hre, args);
      // The whole file is checked before anything is signed.
      const records = await readAllUsage(file, options);
      if (options.focusReport)
        for (const line of describeFocusReport(file, options.focusReport)) console.log(line);
      const fallbackDeadline = args.deadline === undefined ? undefined : wholeArg("deadline", args.deadline);
      const margin = BigInt(args.deadlineMargin);
      const now = BigInt((await hre.ethers.provider.getBlock("latest"))!.timestamp);
      if (records.length === 0)
        throw new Error(
          options.focusReport
            ? `${file}: no attestation to sign (the report above says what the export held)`
            : `${file}: no usage rows (only a header?)`,
        );
      const seen = new Map<string, number>();
      const attestations = records.map((r) => {
        if (r.id === undefined)
          throw new UsageFileError(file, r.row, "id", "missing (an attestation needs its per-period id)");
        const deadline = r.deadline ?? fallbackDeadline;
        if (deadline === undefined)
          throw new UsageFileError(file, r.row, "deadline", "missing (give it in the file or --deadline)");
        if (deadline < now + margin)
          throw new UsageFileError(
            file,
            r.row,
            "deadline",
            `${deadline} is ${deadline < now ? "in the past" : `less than ${margin} s away`} (chain time ${now}); nobody could claim it in time`,
          );
        const key = `${r.period}/${r.id}`;
        if (seen.has(key))
          throw new UsageFileError(
            file,
            r.row,
            "id",
            `${key} repeats row ${seen.get(key)}: each (period, id) mints once`,
          );
        seen.set(key, r.row);
        const attestation = { ...r, id: r.id, deadline };
        delete (attestation as { row?: number }).row;
        return attestation;
      });
      const distributor = await suiteAddress(hre, "RewardDistributor", "distributor", args.distributor);
      const chainId = (await hre.ethers.provider.getNetwork()).chainId;
      const domain = rewardDomain(chainId, distributor);
      const signers = await attestorSigners(
        hre,
        await hre.ethers.getContractAt("RewardDistributor", distributor),
        args.attestorAccounts,
      );
      const items: SignedAttestation[] = [];
      // Configured keys sign on the fast path (native secp256k1, precomputed hashes), ascending by
      // address as bundles must be; the test accounts of a local chain sign through ethers.
      const fast = signers.every((s) => s instanceof Wallet)
        ? new AttestorBundle(signers.map((s) => new AttestationSigner((s as Wallet).privateKey, domain)))
        : undefined;
      for (const attestation of attestations) {
        if (fast) {
          items.push({ attestation, signatures: fast.sign(attestation) });
          continue;
        }
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

zonTask("rewards:submit", "Claims a signed bundle in batches; safe to re-run (claimed items are skipped)")
  .addParam("bundle", "bundle file written by rewards:sign")
  .addOptionalParam("batchSize", "attestations per transaction", 100, types.int)
  .setAction(async (args: { bundle: string; batchSize: number }, hre) => {
    const bundle = decodeBundle(
      await readJsonFile("bundle", args.bundle, "a bundle (what rewards:sign writes)"),
    );
    const chainId = (await hre.ethers.provider.getNetwork()).chainId;
    if (bundle.chainId !== chainId)
      throw new Error(
        `chainId: the bundle is for chain ${bundle.chainId}, ${hre.network.name} is ${chainId}`,
      );
    if (!(args.batchSize >= 1)) throw new Error(`batch-size: ${args.batchSize} is not a positive number`);
    const distributor = await distributorAt(hre, bundle.distributor);
    await verifyBundleLocally(bundle, distributor, chainId);
    const totals = { claimed: 0, skipped: 0, minted: 0n, skippedBy: {} as Record<string, number> };
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
          const reason = SKIP_REASONS[Number(event.args.reason)];
          totals.skipped++;
          totals.skippedBy[reason] = (totals.skippedBy[reason] ?? 0) + 1;
          console.log(`  skipped period ${event.args.period} id ${event.args.id}: ${reason}`);
        }
      }
      console.log(
        `batch ${from / args.batchSize + 1}: items ${from}..${from + batch.length - 1} in ${receipt?.hash}`,
      );
    }
    const reasons = Object.entries(totals.skippedBy)
      .map(([reason, n]) => `${n} ${reason}`)
      .join(", ");
    console.log(
      `claimed ${totals.claimed}, skipped ${totals.skipped}${reasons ? ` (${reasons})` : ""}, minted ${formatZon(totals.minted)}`,
    );
    if (totals.claimed === 0)
      throw new Error(
        `bundle: nothing could be claimed; ${totals.skipped} item(s) skipped (${reasons || "none"})`,
      );
    return totals;
  });

zonTask(
  "rewards:status",
  "Shows the status of attestations (of a bundle, or by period and ids): claimed, revoked, expired or open",
)
  .addOptionalParam("bundle", "bundle file")
  .addOptionalParam("distributor", `${DISTRIBUTOR}; a bundle names its own`)
  .addOptionalParam("period", "billing period (with --ids)")
  .addOptionalParam("ids", "comma-separated attestation ids (with --period)")
  .setAction(async (args: { bundle?: string; distributor?: string; period?: string; ids?: string }, hre) => {
    let address: string | undefined = args.distributor;
    let keys: Array<{ period: number; id: bigint; beneficiary?: string; deadline?: bigint }>;
    if (args.bundle) {
      const bundle = decodeBundle(
        await readJsonFile("bundle", args.bundle, "a bundle (what rewards:sign writes)"),
      );
      address = bundle.distributor;
      keys = bundle.items.map(({ attestation: a }) => ({
        period: a.period,
        id: a.id,
        beneficiary: a.beneficiary,
        deadline: a.deadline,
      }));
    } else {
      if (!args.period || !args.ids) throw new Error("status: give --bundle, or --period and --ids");
      const period = parseBillingPeriod("period", args.period);
      keys = args.ids.split(",").map((id) => ({ period, id: wholeArg("ids", id.trim()) }));
    }
    const distributor = await distributorAt(hre, address);
    const now = BigInt((await hre.ethers.provider.getBlock("latest"))!.timestamp);
    const rows = [];
    for (const k of keys) {
      const [claimed, revoked] = await distributor.attestationStatus(k.period, k.id);
      // The chain keeps no deadline: a bundle's says when an unclaimed item can no longer be claimed.
      const expired = k.deadline !== undefined && k.deadline < now;
      rows.push({
        period: k.period,
        id: k.id.toString(),
        beneficiary: k.beneficiary ?? "",
        status: revoked ? "revoked" : claimed ? "claimed" : expired ? "expired" : "open",
        ...(k.deadline !== undefined
          ? { deadline: new Date(Number(k.deadline) * 1000).toISOString().replace(".000Z", "Z") }
          : {}),
      });
    }
    console.table(rows);
    return rows;
  });

zonTask("epoch:build", "Builds a Merkle epoch from a usage file: tree, proofs and the attestors' signed root")
  .addOptionalParam("distributor", `${DISTRIBUTOR}; its policy and EIP-712 domain are read on chain`)
  .addParam("usage", "usage file (CSV or JSON lines) of one period")
  .addParam("period", "billing period")
  .addParam("epoch", "epoch number within the period", "0")
  .addParam("deadline", "claim deadline, Unix seconds")
  .addParam("out", "output directory")
  .addOptionalParam(
    "attestorAccounts",
    "local chains: indexes of the test accounts that sign (default: the configured attestors)",
  )
  .addFlag("force", "write into an output directory that is not empty")
  .setAction(
    async (
      args: {
        distributor?: string;
        usage: string;
        period: string;
        epoch: string;
        deadline: string;
        out: string;
        attestorAccounts?: string;
        force: boolean;
      },
      hre,
    ) => {
      if (existsSync(args.out) && (await readdir(args.out)).length > 0 && !args.force)
        throw new Error(
          `out: ${args.out} is not empty (an earlier epoch?); choose another directory or pass --force`,
        );
      const claimDeadline = wholeArg("deadline", args.deadline);
      const now = BigInt((await hre.ethers.provider.getBlock("latest"))!.timestamp);
      if (claimDeadline <= now)
        throw new Error(`deadline: ${claimDeadline} is not after the chain's time ${now}`);
      const distributor = await distributorAt(hre, args.distributor);
      const period = parseBillingPeriod("period", args.period);
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
        claimDeadline,
        domain: rewardDomain(
          (await hre.ethers.provider.getNetwork()).chainId,
          await distributor.getAddress(),
        ),
        signers: await attestorSigners(hre, distributor, args.attestorAccounts),
      });
      const { root, total, leafCount } = result.epochRoot;
      console.log(
        `epoch ${args.epoch} of ${period}: root ${root}, ${leafCount} leaves, ${result.beneficiaries} beneficiaries, total ${formatZon(total)}, built in ${(Date.now() - started) / 1000} s into ${args.out}`,
      );
      return result;
    },
  );

zonTask("epoch:publish", "Publishes a built epoch's signed root, reserving its total from the period budget")
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
      `epoch ${e.epoch} of ${e.period} published: root ${e.root}, reserved ${formatZon(BigInt(e.total))}, in ${receipt?.hash}`,
    );
  });

zonTask("epoch:claim", "Claims every unclaimed leaf of a beneficiary from a built epoch (anyone may send it)")
  .addParam("dir", "directory written by epoch:build")
  .addParam("beneficiary", "the business's wallet address")
  .setAction(async (args: { dir: string; beneficiary: string }, hre) => {
    const e = await readEpochFile(args.dir);
    const beneficiary = parseAddress("beneficiary", args.beneficiary);
    const distributor = await distributorAt(hre, e.distributor);
    let line: EpochProofLine | undefined;
    for await (const candidate of readProofLines(args.dir)) {
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
    console.log(`${beneficiary}: claimed ${formatZon(minted)} from epoch ${e.epoch} of ${e.period}`);
    return minted;
  });

zonTask(
  "rewards:raiseBudget",
  "Raises a billing period's mint budget (the policy officer; budgets only go up)",
)
  .addOptionalParam("distributor", DISTRIBUTOR)
  .addParam("period", "billing period")
  .addParam("budget", "the new budget in whole ZON, above the current one")
  .addOptionalParam("from", "account to send from: index, address, or name (default: the policy officer)")
  .setAction(async (args: { distributor?: string; period: string; budget: string; from?: string }, hre) => {
    const distributor = await distributorAt(hre, args.distributor);
    const officer = await signerFor(hre, args.from, { ...ROLE.policyOfficer, contract: distributor });
    const period = parseBillingPeriod("period", args.period);
    const receipt = await (
      await distributor.connect(officer).raiseBudget(period, wholeArg("budget", args.budget))
    ).wait();
    console.log(`budget of period ${period} raised to ${args.budget} ZON in ${receipt?.hash}`);
  });

zonTask(
  "rewards:revoke",
  "Revokes unclaimed attestations: k attestors sign a Revocation each (or the admin alone)",
)
  .addOptionalParam("distributor", DISTRIBUTOR)
  .addParam("period", "billing period")
  .addParam("ids", "attestation ids, comma-separated")
  .addFlag("asAdmin", "revoke as the distributor's admin instead of with attestor signatures")
  .addOptionalParam(
    "attestorAccounts",
    "local chains: indexes of the test accounts that sign (default: the configured attestors)",
  )
  .addOptionalParam("from", "account that sends (any for signatures; the admin with --as-admin)")
  .setAction(
    async (
      args: {
        distributor?: string;
        period: string;
        ids: string;
        asAdmin: boolean;
        attestorAccounts?: string;
        from?: string;
      },
      hre,
    ) => {
      const distributor = await distributorAt(hre, args.distributor);
      const period = parseBillingPeriod("period", args.period);
      const ids = args.ids.split(",").map((id) => wholeArg("ids", id.trim()));
      for (const id of ids) {
        const [claimed, revoked] = await distributor.attestationStatus(period, id);
        if (claimed || revoked)
          throw new Error(`ids: attestation ${period}/${id} is already ${claimed ? "claimed" : "revoked"}`);
      }
      if (args.asAdmin) {
        const admin = await signerFor(hre, args.from, {
          title: "distributor's admin",
          role: ROLES.DEFAULT_ADMIN,
          contract: distributor,
          parameter: "governance",
        });
        for (const id of ids) await (await distributor.connect(admin).revoke(period, id)).wait();
      } else {
        const domain = rewardDomain(
          (await hre.ethers.provider.getNetwork()).chainId,
          await distributor.getAddress(),
        );
        const signers = await attestorSigners(hre, distributor, args.attestorAccounts);
        const relayer = await signerFor(hre, args.from);
        for (const id of ids) {
          const revocation = { period, id };
          const bundle = bundleSignatures(
            await Promise.all(signers.map((s) => signRevocation(s, domain, revocation))),
            (sig) => recoverRevocationSigner(domain, revocation, sig),
          );
          await (await distributor.connect(relayer).revokeWithSignatures(revocation, bundle)).wait();
        }
      }
      console.log(`revoked ${ids.map((id) => `${period}/${id}`).join(", ")}`);
      return ids;
    },
  );

zonTask("epoch:release", "Returns an epoch's unclaimed rest to its period budget, after the claim deadline")
  .addParam("dir", "directory written by epoch:build")
  .setAction(async (args: { dir: string }, hre) => {
    const e = await readEpochFile(args.dir);
    const distributor = await distributorAt(hre, e.distributor);
    const [remaining] = await distributor.epochOf(e.root);
    const receipt = await (await distributor.releaseEpoch(e.root)).wait();
    console.log(
      `epoch ${e.epoch} of ${e.period}: ${formatZon(remaining)} back to the budget, in ${receipt?.hash}`,
    );
    return remaining;
  });

zonTask(
  "rewards:customerId",
  "Computes the salted customer id of a cloud account (the salt never leaves this machine)",
)
  .addParam("account", "the cloud account id, as the billing system knows it")
  .setAction(async (args: { account: string }) => {
    const salt = configValue("CUSTOMER_ID_SALT");
    if (salt === undefined)
      throw new Error(
        "salt: none configured; run npx hardhat vars set CUSTOMER_ID_SALT (16 characters or more, secret) or set it in the environment",
      );
    const customerId = customerIdFor(salt, args.account);
    console.log(customerId);
    return customerId;
  });

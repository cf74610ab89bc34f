import { time } from "@nomicfoundation/hardhat-network-helpers";
import { concat, keccak256, randomBytes, hexlify, Wallet, type Signer } from "ethers";
import { ethers } from "hardhat";
import {
  bundleSignatures,
  epochLeafHash,
  packRates,
  recoverAttestationSigner,
  rewardDomain,
  ROLES,
  signAttestation,
  signEpochRoot,
  recoverEpochRootSigner,
  type EpochLeaf,
  type UsageAttestation,
} from "../src";
import { gasUsed, measure, type BenchResults } from "./lib";

const WEI_PER_CENT = 10n ** 16n;
const PERIOD = 202611;
const TREE_DEPTH = 20;

/** OpenZeppelin MerkleProof's commutative pair hash. */
function hashPair(a: string, b: string): string {
  return BigInt(a) < BigInt(b) ? keccak256(concat([a, b])) : keccak256(concat([b, a]));
}

/**
 * Gas of reward claims: one attestation (1-of-1, existing holder), 2-of-3, a batch of 100 to existing and
 * to new holders, and an epoch claim with a real 20-level proof (the depth of a 2^20-leaf tree: the
 * sibling hashes are random, the leaf and the root are genuine).
 */
export async function benchRewards(results: BenchResults): Promise<void> {
  const [admin, holder, ...others] = await ethers.getSigners();
  const token = await ethers.deployContract("ZonCoin", [admin.address, 0n, 0n]);
  const distributor = await ethers.deployContract("RewardDistributor", [
    await token.getAddress(),
    WEI_PER_CENT,
    admin.address,
    0n,
  ]);
  const distributorAddress = await distributor.getAddress();
  await (await token.grantRole(ROLES.MINTER_ADMIN, admin.address)).wait();
  await (await token.configureMinter(distributorAddress, 10n ** 30n)).wait();
  await (await token.configureMinter(admin.address, 10n ** 30n)).wait();
  await (await distributor.grantRole(ROLES.POLICY, admin.address)).wait();
  await (
    await distributor.publishPolicy(
      PERIOD,
      packRates([500, 300, 200, 100, 100, 100, 100, 100]),
      4_000_000_000n,
    )
  ).wait();

  const attestors: Signer[] = [0, 1, 2].map(() => Wallet.createRandom());
  for (const a of attestors) await (await distributor.addAttestor(await a.getAddress())).wait();
  const domain = rewardDomain((await ethers.provider.getNetwork()).chainId, distributorAddress);
  const deadline = BigInt(await time.latest()) + 86_400n;
  let nextId = 0n;
  const attestation = (beneficiary: string): UsageAttestation => ({
    beneficiary,
    customerId: keccak256(randomBytes(32)),
    period: PERIOD,
    category: 0,
    usageCents: 123_456n,
    id: nextId++,
    deadline,
  });
  const sign = async (a: UsageAttestation, signers: Signer[]) =>
    bundleSignatures(await Promise.all(signers.map((s) => signAttestation(s, domain, a))), (sig) =>
      recoverAttestationSigner(domain, a, sig),
    );

  // Existing holders: every beneficiary already holds ZON; the id bitmap word is already in use.
  const existing = others.slice(0, 10);
  for (const s of [holder, ...existing]) await (await token.mint(s.address, 1n)).wait();
  const warmUp = attestation(holder.address);
  await (await distributor.claim(warmUp, await sign(warmUp, attestors.slice(0, 1)))).wait();

  const single = attestation(holder.address);
  await measure(
    results,
    "reward.claim",
    distributor.claim(single, await sign(single, attestors.slice(0, 1))),
  );

  await (await distributor.setThreshold(2n)).wait();
  const twoOfThree = attestation(holder.address);
  await measure(
    results,
    "reward.claim2of3",
    distributor.claim(twoOfThree, await sign(twoOfThree, attestors.slice(0, 2))),
  );
  await (await distributor.setThreshold(1n)).wait();

  const batch = async (beneficiaries: string[]) => {
    const items = beneficiaries.map((b) => attestation(b));
    const sigs = await Promise.all(items.map((a) => sign(a, attestors.slice(0, 1))));
    return gasUsed(distributor.claimBatch(items, sigs));
  };
  const existingBeneficiaries = Array.from({ length: 100 }, (_, i) => existing[i % existing.length].address);
  results.gas["reward.claimBatch100.perItem"] = Math.round((await batch(existingBeneficiaries)) / 100);
  const newBeneficiaries = Array.from({ length: 100 }, () => Wallet.createRandom().address);
  results.gas["reward.claimBatch100New.perItem"] = Math.round((await batch(newBeneficiaries)) / 100);

  // Epoch: two genuine sibling leaves (indices 2k, 2k+1 share a bitmap word) under a root 20 levels up.
  // The first claim of a bitmap word also creates the word (+20k gas, once per 256 leaves): it is
  // recorded apart; `reward.epochClaim` is the usual claim, into a word already in use.
  const customer = () => keccak256(randomBytes(32));
  const first: EpochLeaf = [777_776n, existing[0].address, customer(), 1, 250_000n];
  const second: EpochLeaf = [777_777n, holder.address, customer(), 1, 250_000n];
  const upper = Array.from({ length: TREE_DEPTH - 1 }, () => hexlify(randomBytes(32)));
  const root = upper.reduce(
    (node, sibling) => hashPair(node, sibling),
    hashPair(epochLeafHash(first), epochLeafHash(second)),
  );
  const epochRoot = {
    period: PERIOD,
    epoch: 0,
    root,
    total: 10n ** 24n,
    leafCount: 1n << BigInt(TREE_DEPTH),
    claimDeadline: deadline,
  };
  const epochSigs = bundleSignatures([await signEpochRoot(attestors[0], domain, epochRoot)], (sig) =>
    recoverEpochRootSigner(domain, epochRoot, sig),
  );
  await (await distributor.publishEpoch(epochRoot, epochSigs)).wait();
  await measure(
    results,
    "reward.epochClaimFirstInWord",
    distributor.claimEpoch(root, ...first, [epochLeafHash(second), ...upper]),
  );
  await measure(
    results,
    "reward.epochClaim",
    distributor.claimEpoch(root, ...second, [epochLeafHash(first), ...upper]),
  );
}

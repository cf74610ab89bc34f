import { time } from "@nomicfoundation/hardhat-network-helpers";
import { keccak256, toUtf8Bytes, type Signer, type TypedDataDomain } from "ethers";
import { ethers } from "hardhat";
import {
  bundleSignatures,
  packRates,
  recoverAttestationSigner,
  recoverEpochRootSigner,
  rewardDomain,
  ROLES,
  signAttestation,
  signEpochRoot,
  type EpochRoot,
  type PeriodPolicy,
  type UsageAttestation,
} from "../../src";
import { ADMIN_DELAY } from "../helpers/fixtures";

export const PERIOD = 202611;
export const WEI_PER_CENT = 10n ** 16n; // 1 ZON per US dollar of spend
export const RATES = [500, 300, 200, 100, 0, 250, 0, 1_000];
export const POLICY: PeriodPolicy = { weiPerCent: WEI_PER_CENT, ratesBps: RATES };
export const BUDGET_ZON = 1_000_000n;
export const ONE_DAY = 86_400n;

export function customerId(account: string): string {
  return keccak256(toUtf8Bytes(`test-salt:${account}`));
}

/** Signs `attestation` with each of `signers` and bundles the signatures as the contract wants them. */
export async function signBundle(domain: TypedDataDomain, attestation: UsageAttestation, signers: Signer[]) {
  const signatures = await Promise.all(signers.map((s) => signAttestation(s, domain, attestation)));
  return bundleSignatures(signatures, (sig) => recoverAttestationSigner(domain, attestation, sig));
}

export async function signEpochBundle(domain: TypedDataDomain, epochRoot: EpochRoot, signers: Signer[]) {
  const signatures = await Promise.all(signers.map((s) => signEpochRoot(s, domain, epochRoot)));
  return bundleSignatures(signatures, (sig) => recoverEpochRootSigner(domain, epochRoot, sig));
}

/**
 * Token + distributor (a minter with a large allowance), three attestors with k = 1, a policy officer, a
 * pauser, and the policy of PERIOD published.
 */
export async function rewardsFixture() {
  const signers = await ethers.getSigners();
  const [admin, policy, pauser, relayer, alice, bob, carol, outsider, attestorA, attestorB, attestorC] =
    signers;
  const token = await ethers.deployContract("ZonCoin", [admin.address, ADMIN_DELAY, 0n]);
  const distributor = await ethers.deployContract("RewardDistributor", [
    await token.getAddress(),
    WEI_PER_CENT,
    admin.address,
    ADMIN_DELAY,
  ]);
  const distributorAddress = await distributor.getAddress();
  await token.grantRole(ROLES.MINTER_ADMIN, admin.address);
  await token.configureMinter(distributorAddress, 10n ** 27n);
  await distributor.grantRole(ROLES.POLICY, policy.address);
  await distributor.grantRole(ROLES.PAUSER, pauser.address);
  // Ascending address order, as bundles must be.
  const attestors = [attestorA, attestorB, attestorC].sort((x, y) =>
    BigInt(x.address) < BigInt(y.address) ? -1 : 1,
  );
  for (const a of attestors) await distributor.addAttestor(a.address);
  await distributor.connect(policy).publishPolicy(PERIOD, packRates(RATES), BUDGET_ZON);

  const domain = rewardDomain((await ethers.provider.getNetwork()).chainId, distributorAddress);
  const deadline = BigInt(await time.latest()) + 30n * ONE_DAY;
  let nextId = 0n;
  const attestation = (overrides: Partial<UsageAttestation> = {}): UsageAttestation => ({
    beneficiary: alice.address,
    customerId: customerId(alice.address),
    period: PERIOD,
    category: 0,
    usageCents: 10_000n, // $100.00
    id: nextId++,
    deadline,
    ...overrides,
  });
  return {
    token,
    distributor,
    admin,
    policy,
    pauser,
    relayer,
    alice,
    bob,
    carol,
    outsider,
    attestors,
    domain,
    deadline,
    attestation,
  };
}

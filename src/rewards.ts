import {
  AbiCoder,
  getAddress,
  isAddress,
  keccak256,
  Signature,
  TypedDataEncoder,
  verifyTypedData,
  type Signer,
  type TypedDataDomain,
  type TypedDataField,
} from "ethers";

/*
 * The single source of truth of the reward domain's off-chain encoding: the EIP-712 types the
 * RewardDistributor verifies, the Merkle leaf of an epoch, the service categories and the reward formula.
 * Tests, tasks, scripts and the backend import these; nothing else spells them out again.
 */

/** EIP-712 domain name and version of the RewardDistributor. */
export const REWARD_DOMAIN_NAME = "ZonCoin RewardDistributor";
export const REWARD_DOMAIN_VERSION = "1";

/**
 * Service categories a cashback rate is set for. The index is the on-chain `uint8 category`; the
 * contract keeps a period's eight 16-bit rates in half of one storage word.
 */
export const CATEGORIES = [
  "compute",
  "storage",
  "network",
  "database",
  "analytics",
  "ai",
  "support",
  "marketplace",
] as const;
export type CategoryName = (typeof CATEGORIES)[number];
export const MAX_CATEGORIES = 8;

/**
 * A billing period as the tasks take it: YYYYMM with a month from 01 to 12 (a policy, once published,
 * cannot be changed, so 202613 is refused before it is sent).
 */
export function parseBillingPeriod(field: string, value: string): number {
  const match = /^([0-9]{4})([0-9]{2})$/.exec(value.trim());
  const month = match ? Number(match[2]) : 0;
  if (!match || month < 1 || month > 12 || Number(match[1]) < 1970)
    throw new Error(
      `${field}: ${JSON.stringify(value)} is not a billing period (YYYYMM, month 01 to 12, e.g. 202611)`,
    );
  return Number(value.trim());
}

/** Basis points: a rate of 500 is 5 % cashback. */
export const BPS = 10_000n;

/**
 * A usage attestation: the billing backend's statement that `beneficiary` (the business's wallet) spent
 * `usageCents` US cents on `category` during billing period `period`.
 *
 * Attestation ids are a per-period sequence (`id` = 0, 1, 2, … within a period). The contract keeps one
 * bitmap per period, so 256 consecutive ids share one storage word: claiming a batch of fresh ids writes
 * one word per 256 items, and a replay check is one bit test.
 */
export interface UsageAttestation {
  beneficiary: string;
  /** keccak256 of a per-issuer salt and the cloud account id: never the raw account id. */
  customerId: string;
  /** Billing period, e.g. 202611 for November 2026. */
  period: number;
  category: number;
  usageCents: bigint;
  id: bigint;
  /** Unix seconds after which the attestation cannot be claimed. */
  deadline: bigint;
}

export const USAGE_ATTESTATION_TYPES: Record<string, TypedDataField[]> = {
  UsageAttestation: [
    { name: "beneficiary", type: "address" },
    { name: "customerId", type: "bytes32" },
    { name: "period", type: "uint32" },
    { name: "category", type: "uint8" },
    { name: "usageCents", type: "uint64" },
    { name: "id", type: "uint64" },
    { name: "deadline", type: "uint64" },
  ],
};

/**
 * A Merkle epoch: the root of a whole period's rewards for a very large customer base, with the total
 * it reserves from the period's budget and the deadline after which the unclaimed rest is released.
 * `epoch` numbers the epochs of one period (0, 1, …).
 */
export interface EpochRoot {
  period: number;
  epoch: number;
  root: string;
  total: bigint;
  leafCount: bigint;
  claimDeadline: bigint;
}

export const EPOCH_ROOT_TYPES: Record<string, TypedDataField[]> = {
  EpochRoot: [
    { name: "period", type: "uint32" },
    { name: "epoch", type: "uint32" },
    { name: "root", type: "bytes32" },
    { name: "total", type: "uint128" },
    { name: "leafCount", type: "uint64" },
    { name: "claimDeadline", type: "uint64" },
  ],
};

/**
 * The attestors' statement that attestation `period`/`id` must never mint (a billing correction). It
 * needs the same k-of-n signatures as issuance: one attestor key alone cannot block what k keys signed.
 */
export interface Revocation {
  period: number;
  id: bigint;
}

export const REVOCATION_TYPES: Record<string, TypedDataField[]> = {
  Revocation: [
    { name: "period", type: "uint32" },
    { name: "id", type: "uint64" },
  ],
};

/**
 * Leaf of an epoch tree, in OpenZeppelin StandardMerkleTree format (double keccak of the ABI encoding):
 * `[index, beneficiary, customerId, category, usageCents]`. The contract recomputes the reward of a leaf
 * from the period's published policy, exactly as for a signed attestation.
 */
export const EPOCH_LEAF_ENCODING = ["uint256", "address", "bytes32", "uint8", "uint256"] as const;
export type EpochLeaf = [
  index: bigint,
  beneficiary: string,
  customerId: string,
  category: number,
  usageCents: bigint,
];

/** Hash of a leaf, as `StandardMerkleTree` and the contract compute it. */
export function epochLeafHash(leaf: EpochLeaf): string {
  const inner = keccak256(AbiCoder.defaultAbiCoder().encode([...EPOCH_LEAF_ENCODING], leaf));
  return keccak256(inner);
}

/**
 * A period's cashback policy: per category, the cashback rate in basis points (published once, before the
 * period's attestations, never changed), and the distributor's fixed exchange rate, ZON wei per US cent
 * of spend (`weiPerCent()` on chain, set at deployment).
 */
export interface PeriodPolicy {
  weiPerCent: bigint;
  /** Rate in basis points per category index; missing categories have no cashback. */
  ratesBps: number[];
}

/** The reward of `usageCents` of `category` under `policy`, rounded down: the contract's formula. */
export function computeReward(policy: PeriodPolicy, category: number, usageCents: bigint): bigint {
  const rate = BigInt(policy.ratesBps[category] ?? 0);
  return (usageCents * policy.weiPerCent * rate) / BPS;
}

/** Packs per-category rates into the one `uint256` word the contract stores (category i at bits 16i). */
export function packRates(ratesBps: number[]): bigint {
  if (ratesBps.length > MAX_CATEGORIES) {
    throw new Error(`ratesBps: ${ratesBps.length} categories given, at most ${MAX_CATEGORIES} allowed`);
  }
  return ratesBps.reduce((word, rate, i) => {
    if (!Number.isInteger(rate) || rate < 0 || rate > Number(BPS)) {
      throw new Error(`ratesBps[${i}]: ${rate} is not a whole number of basis points from 0 to ${BPS}`);
    }
    return word | (BigInt(rate) << BigInt(16 * i));
  }, 0n);
}

/** Category index from its name or index; the error names the value. */
export function parseCategory(value: string | number): number {
  const index =
    typeof value === "number" ? value : CATEGORIES.indexOf(value.trim().toLowerCase() as CategoryName);
  if (!Number.isInteger(index) || index < 0 || index >= CATEGORIES.length) {
    throw new Error(`category: unknown category ${JSON.stringify(value)} (known: ${CATEGORIES.join(", ")})`);
  }
  return index;
}

/** Checksummed address, or an error naming the field and the value. */
export function parseAddress(field: string, value: unknown): string {
  if (typeof value !== "string" || !isAddress(value)) {
    throw new Error(`${field}: ${JSON.stringify(value)} is not an address`);
  }
  return getAddress(value);
}

/** The RewardDistributor's EIP-712 domain on `chainId` at `verifyingContract`. */
export function rewardDomain(chainId: bigint, verifyingContract: string): TypedDataDomain {
  return { name: REWARD_DOMAIN_NAME, version: REWARD_DOMAIN_VERSION, chainId, verifyingContract };
}

/** EIP-712 digest of an attestation: what each attestor signs. */
export function attestationDigest(domain: TypedDataDomain, attestation: UsageAttestation): string {
  return TypedDataEncoder.hash(domain, USAGE_ATTESTATION_TYPES, attestation);
}

/** EIP-712 digest of an epoch root. */
export function epochRootDigest(domain: TypedDataDomain, epochRoot: EpochRoot): string {
  return TypedDataEncoder.hash(domain, EPOCH_ROOT_TYPES, epochRoot);
}

/** One attestor's signature over an attestation or an epoch root. */
export interface AttestorSignature {
  signer: string;
  signature: string;
}

export async function signAttestation(
  signer: Signer,
  domain: TypedDataDomain,
  attestation: UsageAttestation,
): Promise<AttestorSignature> {
  const signature = await signer.signTypedData(domain, USAGE_ATTESTATION_TYPES, attestation);
  return { signer: getAddress(await signer.getAddress()), signature };
}

export async function signEpochRoot(
  signer: Signer,
  domain: TypedDataDomain,
  epochRoot: EpochRoot,
): Promise<AttestorSignature> {
  const signature = await signer.signTypedData(domain, EPOCH_ROOT_TYPES, epochRoot);
  return { signer: getAddress(await signer.getAddress()), signature };
}

export async function signRevocation(
  signer: Signer,
  domain: TypedDataDomain,
  revocation: Revocation,
): Promise<AttestorSignature> {
  const signature = await signer.signTypedData(domain, REVOCATION_TYPES, revocation);
  return { signer: getAddress(await signer.getAddress()), signature };
}

/** The signer a revocation signature recovers to. */
export function recoverRevocationSigner(
  domain: TypedDataDomain,
  revocation: Revocation,
  signature: string,
): string {
  return verifyTypedData(domain, REVOCATION_TYPES, revocation, signature);
}

/** The signer an attestation signature recovers to. */
export function recoverAttestationSigner(
  domain: TypedDataDomain,
  attestation: UsageAttestation,
  signature: string,
): string {
  return verifyTypedData(domain, USAGE_ATTESTATION_TYPES, attestation, signature);
}

/** The signer an epoch-root signature recovers to. */
export function recoverEpochRootSigner(
  domain: TypedDataDomain,
  epochRoot: EpochRoot,
  signature: string,
): string {
  return verifyTypedData(domain, EPOCH_ROOT_TYPES, epochRoot, signature);
}

/**
 * Bundles k-of-n signatures the way the contract expects them: one per distinct signer, each checked to
 * recover to the signer it claims, sorted by signer address ascending, concatenated as 65-byte r‖s‖v.
 */
export function bundleSignatures(
  signatures: AttestorSignature[],
  recover: (signature: string) => string,
): string {
  const seen = new Set<string>();
  const checked = signatures.map(({ signer, signature }, i) => {
    const claimed = getAddress(signer);
    const recovered = getAddress(recover(signature));
    if (recovered !== claimed) {
      throw new Error(`signatures[${i}].signature: recovers to ${recovered}, not to its signer ${claimed}`);
    }
    if (seen.has(claimed)) throw new Error(`signatures[${i}].signer: ${claimed} signed twice`);
    seen.add(claimed);
    return { signer: claimed, signature: Signature.from(signature).serialized };
  });
  checked.sort((a, b) => (BigInt(a.signer) < BigInt(b.signer) ? -1 : 1));
  return "0x" + checked.map(({ signature }) => signature.slice(2)).join("");
}

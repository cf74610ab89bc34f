import {
  Contract,
  getAddress,
  keccak256,
  toUtf8Bytes,
  TypedDataEncoder,
  type Provider,
  type Signer,
} from "ethers";

/*
 * Safe Transaction Builder batch files (the JSON its "import" takes): what a business whose funds sit in
 * a Safe multisig needs instead of sending from a key. The owners import the file, check it, sign and
 * execute it as one Safe transaction.
 */

/** One call of a batch: the target, native value (always 0 here) and calldata. */
export interface SafeCall {
  to: string;
  value: string;
  data: string;
}

export interface SafeBatchFile {
  version: "1.0";
  chainId: string;
  createdAt: number;
  meta: {
    name: string;
    description: string;
    txBuilderVersion: string;
    createdFromSafeAddress: string;
    createdFromOwnerAddress: string;
    /** What the Transaction Builder recomputes on import; a mismatch shows "changed properties". */
    checksum: string;
  };
  transactions: SafeCall[];
}

/** A batch file for `safe` on `chainId`: the calls run in order, all or none, as one Safe transaction. */
export function safeBatchFile(options: {
  chainId: bigint;
  safe: string;
  /** The owner who prepared the file, when known. */
  owner?: string;
  name: string;
  description: string;
  calls: Array<{ to: string; data: string }>;
  createdAt?: number;
}): SafeBatchFile {
  if (options.calls.length === 0) throw new Error("calls: a batch needs at least one call");
  const file: Omit<SafeBatchFile, "meta"> & { meta: Omit<SafeBatchFile["meta"], "checksum"> } = {
    version: "1.0",
    chainId: options.chainId.toString(),
    createdAt: options.createdAt ?? Date.now(),
    meta: {
      name: options.name,
      description: options.description,
      txBuilderVersion: "1.16.5",
      createdFromSafeAddress: getAddress(options.safe),
      createdFromOwnerAddress: options.owner ? getAddress(options.owner) : "",
    },
    transactions: options.calls.map((c) => ({ to: getAddress(c.to), value: "0", data: c.data })),
  };
  return { ...file, meta: { ...file.meta, checksum: batchChecksum(file) } };
}

/*
 * The Transaction Builder's checksum: keccak256 of its own serialisation (object keys sorted, each object
 * written as its key list followed by its values, undefined as null) of the file with the name left out
 * (null) and without the checksum itself — what its importer recomputes and compares.
 */
function serialise(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(serialise).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const keys = Object.keys(value).sort();
    const values = keys.map((key) => `${serialise((value as Record<string, unknown>)[key])},`);
    return `{${JSON.stringify(keys)}${values.join("")}}`;
  }
  return JSON.stringify(value === undefined ? null : value);
}

/** The checksum of a batch file as the Transaction Builder computes it (over `meta` as given). */
export function batchChecksum(file: { meta: object }): string {
  return keccak256(toUtf8Bytes(serialise({ ...file, meta: { ...file.meta, name: null } })));
}

/*
 * A Safe (v1.3.0 and later, with its CompatibilityFallbackHandler) answers ERC-1271 for a digest only when
 * its owners signed the Safe's own EIP-712 wrapping of it — `SafeMessage(bytes message)` with the digest as
 * the message, in the domain (chain id, the Safe's address) — at least `threshold` of them, concatenated
 * in ascending order of owner address; or when the message was approved on chain (SignMessageLib) and the
 * signature is empty.
 */

export const SAFE_MESSAGE_TYPES = { SafeMessage: [{ name: "message", type: "bytes" }] };

export function safeDomain(chainId: bigint, safe: string) {
  return { chainId, verifyingContract: getAddress(safe) };
}

/** The hash a Safe's owners sign to approve `digest` (the handler's getMessageHashForSafe). */
export function safeMessageHash(chainId: bigint, safe: string, digest: string): string {
  return TypedDataEncoder.hash(safeDomain(chainId, safe), SAFE_MESSAGE_TYPES, { message: digest });
}

export interface OwnerSignature {
  owner: string;
  signature: string;
}

/** One owner's signature of `digest` for `safe`, in the form the Safe checks. */
export async function signSafeMessage(
  owner: Signer,
  chainId: bigint,
  safe: string,
  digest: string,
): Promise<OwnerSignature> {
  const signature = await owner.signTypedData(safeDomain(chainId, safe), SAFE_MESSAGE_TYPES, {
    message: digest,
  });
  return { owner: getAddress(await owner.getAddress()), signature };
}

/** Owners' signatures as the one signature a Safe takes: one per owner, ascending by owner address. */
export function combineSafeSignatures(signatures: OwnerSignature[]): string {
  const byOwner = new Map<string, string>();
  for (const { owner, signature } of signatures) {
    if (!/^0x[0-9a-fA-F]{130}$/.test(signature))
      throw new Error(`signature: ${owner}'s ${JSON.stringify(signature.slice(0, 20))}… is not 65 bytes`);
    const known = byOwner.get(getAddress(owner));
    if (known !== undefined && known !== signature)
      throw new Error(`signature: two different signatures from owner ${getAddress(owner)}`);
    byOwner.set(getAddress(owner), signature);
  }
  return `0x${[...byOwner.entries()]
    .sort(([a], [b]) => (BigInt(a) < BigInt(b) ? -1 : 1))
    .map(([, signature]) => signature.slice(2))
    .join("")}`;
}

/** A Safe as read on chain: its owners and how many of them must sign. */
export interface SafeInfo {
  address: string;
  owners: string[];
  threshold: number;
}

/**
 * Checks that `address` is a Safe on the chain `provider` reaches (`where` names it in errors): code that
 * answers getOwners and getThreshold with owners set up. An address without code, another contract or an
 * uninitialised singleton is refused.
 */
export async function readSafe(provider: Provider, address: string, where: string): Promise<SafeInfo> {
  if ((await provider.getCode(address)) === "0x")
    throw new Error(
      `Safe: ${address} has no contract on ${where}; give the address of your Safe on this network`,
    );
  const safe = new Contract(
    address,
    ["function getOwners() view returns (address[])", "function getThreshold() view returns (uint256)"],
    provider,
  );
  let owners: string[];
  let threshold: bigint;
  try {
    [owners, threshold] = await Promise.all([safe.getOwners(), safe.getThreshold()]);
  } catch {
    throw new Error(
      `Safe: ${address} is a contract but not a Safe (it does not answer getOwners and getThreshold)`,
    );
  }
  if (owners.length === 0 || threshold === 0n)
    throw new Error(`Safe: ${address} has no owners set up (a Safe singleton, not a Safe proxy?)`);
  return { address, owners: owners.map((o) => getAddress(o)), threshold: Number(threshold) };
}

import { getAddress, keccak256, toUtf8Bytes } from "ethers";

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

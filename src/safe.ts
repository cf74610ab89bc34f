import { getAddress } from "ethers";

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
  };
  transactions: SafeCall[];
}

/** A batch file for `safe` on `chainId`: the calls run in order, all or none, as one Safe transaction. */
export function safeBatchFile(options: {
  chainId: bigint;
  safe: string;
  name: string;
  description: string;
  calls: Array<{ to: string; data: string }>;
  createdAt?: number;
}): SafeBatchFile {
  if (options.calls.length === 0) throw new Error("calls: a batch needs at least one call");
  return {
    version: "1.0",
    chainId: options.chainId.toString(),
    createdAt: options.createdAt ?? Date.now(),
    meta: {
      name: options.name,
      description: options.description,
      txBuilderVersion: "1.16.5",
      createdFromSafeAddress: getAddress(options.safe),
      createdFromOwnerAddress: "",
    },
    transactions: options.calls.map((c) => ({ to: getAddress(c.to), value: "0", data: c.data })),
  };
}

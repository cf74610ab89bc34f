import type { ContractTransactionResponse } from "ethers";

/** Shape of `bench/results.json`: gas per operation, off-chain figures and load figures. */
export interface BenchResults {
  gas: Record<string, number>;
  offchain: Record<string, number>;
  load: Record<string, number>;
}

/** A bench section measures one domain and records its figures into `results`. */
export type BenchSection = (results: BenchResults) => Promise<void>;

type PendingTx = Promise<ContractTransactionResponse> | ContractTransactionResponse;

/** Hashes of the single transactions behind `results.gas`, by operation, for the gas breakdown. */
export const measuredTransactions = new Map<string, string>();

/** Gas used by a mined transaction. */
export async function gasUsed(tx: PendingTx): Promise<number> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("transaction was not mined");
  return Number(receipt.gasUsed);
}

/** Records the gas of one transaction as `results.gas[op]` and remembers it for the breakdown. */
export async function measure(results: BenchResults, op: string, tx: PendingTx): Promise<void> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error(`${op}: transaction was not mined`);
  results.gas[op] = Number(receipt.gasUsed);
  measuredTransactions.set(op, receipt.hash);
}

import type { ContractTransactionResponse } from "ethers";

/** Shape of `bench/results.json`: gas per operation, off-chain figures and load figures. */
export interface BenchResults {
  gas: Record<string, number>;
  offchain: Record<string, number>;
  load: Record<string, number>;
}

/** A bench section measures one domain and records its figures into `results`. */
export type BenchSection = (results: BenchResults) => Promise<void>;

/** Gas used by a mined transaction. */
export async function gasUsed(
  tx: Promise<ContractTransactionResponse> | ContractTransactionResponse,
): Promise<number> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("transaction was not mined");
  return Number(receipt.gasUsed);
}

import type { BaseContract, ContractEventName, EventLog, Log } from "ethers";

/**
 * Besu answers `eth_getLogs` over at most `--rpc-max-logs-range` blocks (5,000 by default): every event
 * query of the suite goes through here, from the deployment's block, in chunks of at most that many.
 */
export const DEFAULT_MAX_LOGS_RANGE = 5_000;

export interface LogRange {
  fromBlock: number;
  toBlock?: number;
  maxRange?: number;
}

/** `contract.queryFilter(event)` over `[fromBlock, toBlock]`, in chunks of at most `maxRange` blocks. */
export async function queryInChunks(
  contract: BaseContract,
  event: ContractEventName,
  range: LogRange,
): Promise<Array<EventLog | Log>> {
  const maxRange = range.maxRange ?? DEFAULT_MAX_LOGS_RANGE;
  if (!Number.isInteger(maxRange) || maxRange < 1)
    throw new Error(`max-logs-range: ${maxRange} is not a positive whole number of blocks`);
  const toBlock = range.toBlock ?? (await contract.runner!.provider!.getBlockNumber());
  const logs: Array<EventLog | Log> = [];
  for (let from = range.fromBlock; from <= toBlock; from += maxRange) {
    logs.push(...(await contract.queryFilter(event, from, Math.min(toBlock, from + maxRange - 1))));
  }
  return logs;
}

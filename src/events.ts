import {
  decodeBytes32String,
  toQuantity,
  type BaseContract,
  type ContractEventName,
  type EventLog,
  type JsonRpcProvider,
  type Log,
} from "ethers";

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

/** A log as the node sends it (`eth_getLogs`), before ethers parses it: for reads of millions of logs. */
export interface RawLog {
  topics: string[];
  data: string;
  transactionHash: string;
  blockNumber: string;
}

/**
 * Every raw log matching `filter` over `[fromBlock, toBlock]`, in chunks of at most `maxRange` blocks,
 * yielded as each chunk arrives (nothing parsed, nothing held beyond one chunk).
 */
export async function* rawLogsInChunks(
  provider: Pick<JsonRpcProvider, "send">,
  filter: { address: string; topics: Array<string | string[] | null> },
  fromBlock: number,
  toBlock: number,
  maxRange = DEFAULT_MAX_LOGS_RANGE,
): AsyncGenerator<RawLog> {
  for (let from = fromBlock; from <= toBlock; from += maxRange) {
    const logs = (await provider.send("eth_getLogs", [
      { ...filter, fromBlock: toQuantity(from), toBlock: toQuantity(Math.min(toBlock, from + maxRange - 1)) },
    ])) as RawLog[];
    yield* logs;
  }
}

/** A bytes32 that holds text (a worker id, a case id) as the text; otherwise its hex. */
export function bytes32Text(value: string): string {
  try {
    return decodeBytes32String(value);
  } catch {
    return value;
  }
}

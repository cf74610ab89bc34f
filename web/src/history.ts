import type { EventLog, Log } from "ethers";
import { queryInChunks } from "../../src/events";
import type { App } from "./app";

/*
 * Event reads for the views, from the deployment's block in chunks the node accepts. Results are kept per
 * query and extended with new blocks only, so a refresh does not read history again.
 */

type Source = "token" | "distributor" | "gateway" | "escrow";
const cache = new Map<string, { toBlock: number; logs: Array<EventLog | Log> }>();

export async function events(
  app: App,
  source: Source,
  filter: Parameters<typeof queryInChunks>[1],
  key: string,
): Promise<EventLog[]> {
  const head = await app.provider.getBlockNumber();
  const known = cache.get(key);
  const fromBlock = known ? known.toBlock + 1 : app.config.fromBlock;
  const logs = known?.logs ?? [];
  if (fromBlock <= head)
    logs.push(
      ...(await queryInChunks(app.read[source], filter, {
        fromBlock,
        toBlock: head,
        maxRange: app.config.maxLogsRange,
      })),
    );
  cache.set(key, { toBlock: head, logs });
  return logs.filter((log): log is EventLog => "args" in log);
}

import { ZeroAddress, type EventLog, type Log, type TransactionReceipt } from "ethers";
import { queryInChunks } from "../../src/events";
import { findReference } from "../../src/reference";
import type { App } from "./app";
import { short } from "./ui";

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

const references = new Map<string, string | undefined>();

/**
 * The reference text a transaction carried for `hash` (an agreement's termsHash, a redemption's
 * deliveryRef), read once from the transaction's input and trusted only because it hashes to `hash`.
 */
export async function referenceIn(app: App, txHash: string, hash: string): Promise<string | undefined> {
  const key = `${txHash}:${hash}`;
  if (!references.has(key)) {
    const tx = await app.provider.getTransaction(txHash);
    references.set(key, tx ? findReference(tx.data, hash) : undefined);
  }
  return references.get(key);
}

const receipts = new Map<string, Promise<TransactionReceipt | null>>();
const blockTimes = new Map<number, Promise<number>>();

/** When block `number` was made (seconds), read once. */
export function blockTime(app: App, number: number): Promise<number> {
  if (!blockTimes.has(number))
    blockTimes.set(
      number,
      app.provider.getBlock(number).then((b) => b!.timestamp),
    );
  return blockTimes.get(number)!;
}

/** "2026-11" for period 202611. */
export function periodName(period: bigint | number): string {
  const p = String(period);
  return `${p.slice(0, 4)}-${p.slice(4)}`;
}

/**
 * What a ZON movement of `account` was, in a business's words: read from the suite's events in the same
 * transaction (cashback for a period, a redemption, an agreement's step), else the other party's address.
 */
export async function describeMove(app: App, log: EventLog, account: string): Promise<string> {
  const incoming = log.args.to === account;
  const other = (incoming ? log.args.from : log.args.to) as string;
  if (!receipts.has(log.transactionHash))
    receipts.set(log.transactionHash, app.provider.getTransactionReceipt(log.transactionHash));
  const receipt = await receipts.get(log.transactionHash)!;
  const parsed = (receipt?.logs ?? []).flatMap((l) => {
    for (const contract of [app.read.distributor, app.read.gateway, app.read.escrow])
      if (l.address === contract.target) {
        const event = contract.interface.parseLog(l);
        return event ? [event] : [];
      }
    return [];
  });
  const find = (...names: string[]) => parsed.find((e) => names.includes(e.name));
  const { RedemptionGateway, B2BEscrow } = app.config.contracts;
  if (other === ZeroAddress) {
    if (!incoming) return "burned";
    const claim = find("AttestationClaimed");
    if (claim) return `cashback for period ${periodName(claim.args.period as bigint)}`;
    const leaf = find("EpochClaimed");
    if (leaf) {
      const epochs = await events(
        app,
        "distributor",
        app.read.distributor.filters.EpochPublished(),
        "epochs",
      );
      const epoch = epochs.find((e) => e.args.root === leaf.args.root);
      return epoch ? `cashback for period ${periodName(epoch.args.period as bigint)}` : "cashback";
    }
    return "minted to you";
  }
  if (other === RedemptionGateway) {
    const event = find("RedemptionRequested", "RedemptionCancelled", "RedemptionRejected");
    const id = event ? `redemption #${event.args.id}` : "a redemption";
    if (!incoming) return event ? `${id}: ${event.args.quantity} × SKU ${event.args.sku}` : id;
    return event?.name === "RedemptionRejected" ? `${id} rejected: ZON back` : `${id} cancelled: ZON back`;
  }
  if (other === B2BEscrow) {
    const event = find(
      "AgreementCreated",
      "MilestoneReleased",
      "MilestoneResolved",
      "MilestoneRefunded",
      "AgreementCancelled",
      "AgreementWithdrawn",
    );
    if (!event) return "the escrow";
    const agreement = `agreement #${event.args.id}`;
    const milestone = event.args.index !== undefined ? `, milestone ${event.args.index}` : "";
    const step: Record<string, string> = {
      AgreementCreated: "funded",
      MilestoneReleased: "paid",
      MilestoneResolved: "split by the arbiter",
      MilestoneRefunded: "refunded",
      AgreementCancelled: "cancelled by both",
      AgreementWithdrawn: "taken back (not accepted)",
    };
    return `${agreement}${milestone} ${step[event.name]}`;
  }
  return incoming ? `from ${short(other)}` : `to ${short(other)}`;
}

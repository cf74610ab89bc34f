import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { id as keccakOfText, type EventLog } from "ethers";
import type { RedemptionGateway } from "../../typechain-types";
import { queryInChunks, type LogRange } from "../events";
import { requestFromEvent, type RedemptionRequest } from "../redemption";
import {
  requestHash,
  type FulfilmentAdapter,
  type FulfilmentContext,
  type FulfilmentOutcome,
} from "./worker";

/** One delivery in the ledger: a JSON line. */
export interface LedgerEntry {
  /** Chain id, gateway and request id. */
  redemptionKey: string;
  /** The exact request delivered (its hash), so a different request under the same key gets its own. */
  requestHash: string;
  owner: string;
  sku: string;
  quantity: string;
  code: string;
  deliveryRef: string;
}

/** Reason codes this adapter rejects with. */
export const FILE_ADAPTER_REASONS = { skuNotDeliverable: 1 } as const;

/**
 * The demo's and tests' fulfilment adapter: issues a cloud-credit code per redemption into a JSON-lines
 * ledger. Idempotent on (redemption key, request hash): asked again for the same request, it returns the
 * entry it already wrote; a different request under the same key (a reorganisation, a second gateway
 * sharing the ledger by mistake) gets its own delivery, and the orphaned one is logged for the operator.
 * Each entry is appended synchronously before the answer, so a crash after it never loses a delivery.
 */
export class FileLedgerAdapter implements FulfilmentAdapter {
  private readonly entries = new Map<string, LedgerEntry>();
  private readonly byKey = new Map<string, LedgerEntry>();
  /** Why the last write of the ledger failed, until one succeeds (a full disk, a read-only volume). */
  writeError?: string;

  /**
   * @param ledgerFile The JSON-lines ledger (created if missing).
   * @param deliverableSkus The SKUs this adapter can deliver; others are refused.
   * @param warn Told about deliveries made for a request that is no longer the one under its key.
   */
  constructor(
    readonly ledgerFile: string,
    private readonly deliverableSkus: ReadonlySet<bigint>,
    private readonly warn: (message: string) => void = () => undefined,
  ) {
    if (existsSync(ledgerFile)) {
      const text = readFileSync(ledgerFile, "utf8");
      const lines = text.split("\n");
      // A last line without its end was torn by a crash or a full disk in the middle of its write: the
      // delivery it began was never answered as made, so it is not one (the request is delivered again).
      const torn = !text.endsWith("\n") && lines.at(-1) !== "" ? lines.pop() : undefined;
      if (torn !== undefined) {
        this.warn(
          `${ledgerFile}: its last line was cut off (${torn.length} characters); it is left out and rewritten`,
        );
        writeFileSync(ledgerFile, lines.join("\n"), { flush: true });
      }
      lines
        .filter((line) => line.trim() !== "")
        .forEach((line, i) => {
          let entry: LedgerEntry;
          try {
            entry = JSON.parse(line) as LedgerEntry;
          } catch {
            throw new Error(`${ledgerFile} line ${i + 1}: not valid JSON`);
          }
          if (typeof entry.redemptionKey !== "string" || typeof entry.requestHash !== "string")
            throw new Error(`${ledgerFile} line ${i + 1}: no redemptionKey or requestHash`);
          this.remember(entry);
        });
    }
  }

  async findDelivery(_request: RedemptionRequest, context: FulfilmentContext): Promise<string | undefined> {
    const entry = this.entries.get(FileLedgerAdapter.idOf(context));
    return entry && receiptHashOf(entry);
  }

  async fulfil(request: RedemptionRequest, context: FulfilmentContext): Promise<FulfilmentOutcome> {
    if (!this.deliverableSkus.has(request.sku)) {
      return {
        delivered: false,
        reasonCode: FILE_ADAPTER_REASONS.skuNotDeliverable,
        reason: `SKU ${request.sku} is not deliverable`,
      };
    }
    let entry = this.entries.get(FileLedgerAdapter.idOf(context));
    if (!entry) {
      const orphan = this.byKey.get(context.redemptionKey);
      if (orphan) {
        this.warn(
          `${context.redemptionKey}: the ledger's delivery ${orphan.code} was for request ${orphan.requestHash}, ` +
            `which the chain no longer holds under this key (reorganisation?); delivering ${context.requestHash} anew`,
        );
      }
      entry = {
        redemptionKey: context.redemptionKey,
        requestHash: context.requestHash,
        owner: request.owner,
        sku: request.sku.toString(),
        quantity: request.quantity.toString(),
        code: `ZON-${randomBytes(6).toString("hex").toUpperCase()}`,
        deliveryRef: context.deliveryRef,
      };
      const before = existsSync(this.ledgerFile) ? statSync(this.ledgerFile).size : 0;
      try {
        appendFileSync(this.ledgerFile, JSON.stringify(entry) + "\n", { flush: true });
        this.writeError = undefined;
      } catch (error) {
        // Not written is not delivered: the worker tries again later (its adapter threw). What part of the
        // line made it to the disk is cut off again, so that the next line starts on a line of its own.
        this.writeError = `cannot write ${this.ledgerFile}: ${(error as Error).message}`;
        try {
          truncateSync(this.ledgerFile, before);
        } catch {
          // the next start leaves a torn last line out
        }
        throw error;
      }
      this.remember(entry);
    }
    return { delivered: true, receiptHash: receiptHashOf(entry) };
  }

  /** The ledger's entries, in file order. */
  ledger(): LedgerEntry[] {
    return [...this.entries.values()];
  }

  private remember(entry: LedgerEntry) {
    this.entries.set(`${entry.redemptionKey}/${entry.requestHash}`, entry);
    this.byKey.set(entry.redemptionKey, entry);
  }

  private static idOf(context: FulfilmentContext) {
    return `${context.redemptionKey}/${context.requestHash}`;
  }
}

/** What the gateway records of a delivery: the hash of its ledger line. */
function receiptHashOf(entry: LedgerEntry): string {
  return keccakOfText(JSON.stringify(entry));
}

/** A delivery of the ledger whose request ended without its burn. */
export interface UnpaidLedgerEntry {
  entry: LedgerEntry;
  id: bigint;
  closedBy: "cancelled" | "rejected";
  transactionHash: string;
  blockNumber: number;
}

/**
 * The ledger's deliveries whose requests ended unpaid, from the chain itself: each delivery of `gateway`'s
 * requests is matched with how its request ended (`RedemptionFulfilled` is paid; `RedemptionCancelled` or
 * `RedemptionRejected` is a delivery without its burn, for the operator to claw back). Deliveries of
 * requests still open are not listed: they may yet be confirmed.
 */
export async function unpaidDeliveries(
  gateway: RedemptionGateway,
  entries: LedgerEntry[],
  range: LogRange,
): Promise<UnpaidLedgerEntry[]> {
  const { chainId } = await gateway.runner!.provider!.getNetwork();
  const prefix = `${chainId}:${(await gateway.getAddress()).toLowerCase()}:`;
  const mine = entries.filter((e) => e.redemptionKey.startsWith(prefix));
  if (mine.length === 0) return [];
  // The request each id names on this chain: a ledger entry for another request under the same key (a
  // reorganisation, a gateway redeployed at the same address on a reset chain) is not this one's delivery.
  const hashes = new Map<bigint, string>();
  for (const log of await queryInChunks(gateway, gateway.filters.RedemptionRequested(), range))
    hashes.set((log as EventLog).args.id as bigint, requestHash(requestFromEvent(log).request));
  const endings = new Map<bigint, Omit<UnpaidLedgerEntry, "entry" | "id"> | "paid">();
  for (const log of await queryInChunks(gateway, gateway.filters.RedemptionFulfilled(), range))
    endings.set((log as EventLog).args.id as bigint, "paid");
  for (const [event, closedBy] of [
    [gateway.filters.RedemptionCancelled(), "cancelled"],
    [gateway.filters.RedemptionRejected(), "rejected"],
  ] as const)
    for (const log of await queryInChunks(gateway, event, range))
      endings.set((log as EventLog).args.id as bigint, {
        closedBy,
        transactionHash: log.transactionHash,
        blockNumber: log.blockNumber,
      });
  const unpaid: UnpaidLedgerEntry[] = [];
  for (const entry of mine) {
    const id = BigInt(entry.redemptionKey.slice(prefix.length));
    const ending = endings.get(id);
    if (hashes.get(id) !== entry.requestHash) continue;
    if (ending !== undefined && ending !== "paid") unpaid.push({ entry, id, ...ending });
  }
  return unpaid;
}

import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { id as keccakOfText } from "ethers";
import type { RedemptionRequest } from "../redemption";
import type { FulfilmentAdapter, FulfilmentContext, FulfilmentOutcome } from "./worker";

/** One delivery in the ledger: a JSON line. */
export interface LedgerEntry {
  redemptionId: string;
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
 * ledger. Idempotent on the redemption id: asked again, it returns the entry it already wrote. Each entry
 * is appended synchronously before the answer, so a crash after it never loses a delivery.
 */
export class FileLedgerAdapter implements FulfilmentAdapter {
  private readonly entries = new Map<string, LedgerEntry>();

  /**
   * @param ledgerFile The JSON-lines ledger (created if missing).
   * @param deliverableSkus The SKUs this adapter can deliver; others are refused.
   */
  constructor(
    readonly ledgerFile: string,
    private readonly deliverableSkus: ReadonlySet<bigint>,
  ) {
    if (existsSync(ledgerFile)) {
      readFileSync(ledgerFile, "utf8")
        .split("\n")
        .filter((line) => line.trim() !== "")
        .forEach((line, i) => {
          let entry: LedgerEntry;
          try {
            entry = JSON.parse(line) as LedgerEntry;
          } catch {
            throw new Error(`${ledgerFile} line ${i + 1}: not valid JSON`);
          }
          this.entries.set(entry.redemptionId, entry);
        });
    }
  }

  async fulfil(request: RedemptionRequest, context: FulfilmentContext): Promise<FulfilmentOutcome> {
    if (!this.deliverableSkus.has(request.sku)) {
      return {
        delivered: false,
        reasonCode: FILE_ADAPTER_REASONS.skuNotDeliverable,
        reason: `SKU ${request.sku} is not deliverable`,
      };
    }
    let entry = this.entries.get(context.redemptionId);
    if (!entry) {
      entry = {
        redemptionId: context.redemptionId,
        owner: request.owner,
        sku: request.sku.toString(),
        quantity: request.quantity.toString(),
        code: `ZON-${randomBytes(6).toString("hex").toUpperCase()}`,
        deliveryRef: context.deliveryRef,
      };
      appendFileSync(this.ledgerFile, JSON.stringify(entry) + "\n", { flush: true });
      this.entries.set(entry.redemptionId, entry);
    }
    return { delivered: true, receiptHash: keccakOfText(JSON.stringify(entry)) };
  }

  /** The ledger's entries, in file order. */
  ledger(): LedgerEntry[] {
    return [...this.entries.values()];
  }
}

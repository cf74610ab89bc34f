import type { RedemptionGateway } from "../../typechain-types";
import { requestFromEvent, type RedemptionRequest } from "../redemption";

/** What an adapter is told about a request; `redemptionId` is the idempotency key. */
export interface FulfilmentContext {
  redemptionId: string;
  deliveryRef: string;
}

/** The adapter's answer: delivered (with a receipt hash to record on chain) or refused (with a reason). */
export type FulfilmentOutcome =
  { delivered: true; receiptHash: string } | { delivered: false; reasonCode: number; reason: string };

/**
 * Turns a redemption into a cloud credit or an order. It must be idempotent on `redemptionId`: the worker
 * may call it again for a request it already delivered (after a crash before the on-chain confirmation),
 * and must then get the same delivery back, not a second one. Throwing means "try again later".
 */
export interface FulfilmentAdapter {
  fulfil(request: RedemptionRequest, context: FulfilmentContext): Promise<FulfilmentOutcome>;
}

export interface WorkerOptions {
  /** The gateway, connected to the fulfiller's signer. */
  gateway: RedemptionGateway;
  adapter: FulfilmentAdapter;
  /** First block to scan for `RedemptionRequested`. */
  fromBlock: number;
  /** Blocks a request must be buried under before it is acted on. */
  confirmations: number;
  /** Requests per confirm or reject transaction. */
  batchSize?: number;
  /** Tries per RPC call before the round gives up (the next round starts over from the chain). */
  rpcAttempts?: number;
  /** Waits before retry `attempt` (1, 2, …); injectable so tests need not wait. */
  backoff?: (attempt: number) => Promise<void>;
  /** Most blocks per log query. */
  blockRange?: number;
  log?: (message: string) => void;
}

export interface RoundReport {
  scannedTo: number;
  confirmed: bigint[];
  rejected: bigint[];
  deferred: bigint[];
}

// Starts above ethers' 250 ms request cache, so that a retry reaches the node again.
const exponentialBackoff = (attempt: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, Math.min(30_000, 500 * 2 ** (attempt - 1))));

/**
 * The fulfilment worker. The chain is its only state: each round reads the requests of the scanned
 * blocks, keeps those still open (`isOpen`), asks the adapter to deliver them, and confirms or rejects
 * them on chain in batches. Killed at any point and started again, it finds the same open requests and
 * the idempotent adapter hands back the same deliveries: nothing is fulfilled twice or forgotten.
 */
export class FulfilmentWorker {
  private readonly batchSize: number;
  private readonly rpcAttempts: number;
  private readonly backoff: (attempt: number) => Promise<void>;
  private readonly blockRange: number;
  private readonly log: (message: string) => void;

  constructor(private readonly options: WorkerOptions) {
    this.batchSize = options.batchSize ?? 20;
    this.rpcAttempts = options.rpcAttempts ?? 6;
    this.backoff = options.backoff ?? exponentialBackoff;
    this.blockRange = options.blockRange ?? 5_000;
    this.log = options.log ?? (() => undefined);
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1)
      throw new Error(`batchSize: ${this.batchSize} is not a positive whole number`);
    if (!Number.isInteger(options.confirmations) || options.confirmations < 0) {
      throw new Error(`confirmations: ${options.confirmations} is not a whole number of blocks`);
    }
  }

  /** One pass over the confirmed blocks from `fromBlock`; returns what it did. */
  async runOnce(): Promise<RoundReport> {
    const { gateway, adapter } = this.options;
    const head = await this.rpc("eth_blockNumber", () => gateway.runner!.provider!.getBlockNumber());
    const scannedTo = head - this.options.confirmations;
    const report: RoundReport = { scannedTo, confirmed: [], rejected: [], deferred: [] };
    if (scannedTo < this.options.fromBlock) return report;

    const toConfirm: Array<{ request: RedemptionRequest; receiptHash: string }> = [];
    const toReject: Array<{ request: RedemptionRequest; reasonCode: number }> = [];
    for (let from = this.options.fromBlock; from <= scannedTo; from += this.blockRange) {
      const to = Math.min(scannedTo, from + this.blockRange - 1);
      const logs = await this.rpc("queryFilter", () =>
        gateway.queryFilter(gateway.filters.RedemptionRequested(), from, to),
      );
      for (const log of logs) {
        const { request, deliveryRef } = requestFromEvent(log);
        if (!(await this.rpc("isOpen", () => gateway.isOpen(request.id)))) continue;
        let outcome: FulfilmentOutcome;
        try {
          outcome = await adapter.fulfil(request, { redemptionId: request.id.toString(), deliveryRef });
        } catch (error) {
          this.log(
            `request ${request.id}: adapter failed (${(error as Error).message}); left for the next round`,
          );
          report.deferred.push(request.id);
          continue;
        }
        if (outcome.delivered) toConfirm.push({ request, receiptHash: outcome.receiptHash });
        else {
          this.log(
            `request ${request.id}: refused by the adapter (${outcome.reasonCode}: ${outcome.reason})`,
          );
          toReject.push({ request, reasonCode: outcome.reasonCode });
        }
      }
    }
    for (let i = 0; i < toConfirm.length; i += this.batchSize) {
      const batch = toConfirm.slice(i, i + this.batchSize);
      report.confirmed.push(
        ...(await this.settle(
          "confirm",
          batch.map((b) => b.request),
          batch.map((b) => b.receiptHash),
        )),
      );
    }
    for (let i = 0; i < toReject.length; i += this.batchSize) {
      const batch = toReject.slice(i, i + this.batchSize);
      report.rejected.push(
        ...(await this.settle(
          "reject",
          batch.map((b) => b.request),
          batch.map((b) => b.reasonCode),
        )),
      );
    }
    return report;
  }

  /**
   * Sends one batch. A request may have closed meanwhile (its owner cancelled it, or a previous attempt
   * landed although its answer was lost), which reverts the batch: the batch is then sent again with only
   * the requests still open.
   */
  private async settle(
    kind: "confirm" | "reject",
    requests: RedemptionRequest[],
    values: Array<string | number>,
  ): Promise<bigint[]> {
    const { gateway } = this.options;
    let pending = requests.map((request, i) => ({ request, value: values[i] }));
    for (let attempt = 1; pending.length > 0; attempt++) {
      try {
        const tx =
          kind === "confirm"
            ? await gateway.confirmBatch(
                pending.map((p) => p.request),
                pending.map((p) => p.value as string),
              )
            : await gateway.rejectBatch(
                pending.map((p) => p.request),
                pending.map((p) => p.value as number),
              );
        await tx.wait();
        this.log(`${kind}ed ${pending.map((p) => p.request.id).join(", ")} in ${tx.hash}`);
        return pending.map((p) => p.request.id);
      } catch (error) {
        if (attempt >= this.rpcAttempts) throw error;
        this.log(`${kind} batch failed (${(error as Error).message.split("\n")[0]}); retrying`);
        await this.backoff(attempt);
        const stillOpen = await Promise.all(
          pending.map((p) => this.rpc("isOpen", () => gateway.isOpen(p.request.id))),
        );
        pending = pending.filter((_, i) => stillOpen[i]);
      }
    }
    return [];
  }

  /** Calls the node, retrying with backoff; the round fails only after `rpcAttempts` failures in a row. */
  private async rpc<T>(what: string, call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (attempt >= this.rpcAttempts)
          throw new Error(`${what}: failed ${attempt} times: ${(error as Error).message}`);
        this.log(`${what}: ${(error as Error).message.split("\n")[0]}; retry ${attempt}`);
        await this.backoff(attempt);
      }
    }
  }
}

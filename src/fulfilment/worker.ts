import {
  AbiCoder,
  isError,
  keccak256,
  toQuantity,
  type Provider,
  type ContractTransactionResponse,
} from "ethers";
import type { RedemptionGateway } from "../../typechain-types";
import { describeError } from "../errors";
import { minedReceipt } from "../receipts";
import { requestFromArgs, type RedemptionRequest } from "../redemption";

/**
 * What an adapter is told about a request. `redemptionKey` (chain id, gateway, request id) is the
 * idempotency key, and `requestHash` names the exact request: after a reorganisation, or with two gateways
 * sharing a ledger, the same key may come back for a different request, which must get its own delivery.
 */
export interface FulfilmentContext {
  redemptionKey: string;
  requestHash: string;
  deliveryRef: string;
}

/** The adapter's answer: delivered (with a receipt hash to record on chain) or refused (with a reason). */
export type FulfilmentOutcome =
  { delivered: true; receiptHash: string } | { delivered: false; reasonCode: number; reason: string };

/**
 * Turns a redemption into a cloud credit or an order. It must be idempotent on (`redemptionKey`,
 * `requestHash`): the worker may call it again for a request it already delivered (after a crash before
 * the on-chain confirmation), and must then get the same delivery back, not a second one. Throwing means
 * "try again later".
 */
export interface FulfilmentAdapter {
  fulfil(request: RedemptionRequest, context: FulfilmentContext): Promise<FulfilmentOutcome>;
  /** The delivery already made for this exact request, if any, without making one. */
  findDelivery(request: RedemptionRequest, context: FulfilmentContext): Promise<string | undefined>;
}

/** Reason codes the worker itself rejects with (the adapter's own codes stay below 900). */
export const WORKER_REASONS = {
  /** The acceptance ran out before the request could be delivered with the safety margin. */
  acceptanceLapsed: 900,
} as const;

/** What a rejection's reason code means, for the business that reads it (worker and file adapter codes). */
export function describeReasonCode(code: number): string {
  if (code === WORKER_REASONS.acceptanceLapsed)
    return "the fulfiller could not deliver before its acceptance ran out; your ZON came back";
  if (code === 1) return "this SKU cannot be delivered by the fulfilment service; your ZON came back";
  return `reason code ${code} of the fulfilment service; your ZON came back`;
}

export interface WorkerOptions {
  /** The gateway, connected to the fulfiller's signer. */
  gateway: RedemptionGateway;
  adapter: FulfilmentAdapter;
  /** First block to scan for `RedemptionRequested` (the deployment's block). */
  fromBlock: number;
  /** Blocks a request must be buried under before it is acted on. */
  confirmations: number;
  /** Requests per accept, confirm or reject transaction. */
  batchSize?: number;
  /** Tries per RPC call before the round gives up (the next round starts over from the chain). */
  rpcAttempts?: number;
  /** Milliseconds a sent transaction may take to be mined before its batch is checked and sent again. */
  receiptTimeoutMs?: number;
  /** Waits before retry `attempt` (1, 2, …); injectable so tests need not wait. */
  backoff?: (attempt: number) => Promise<void>;
  /** Most blocks per log query. */
  blockRange?: number;
  /**
   * Seconds of acceptance a delivery must leave: a request is delivered only when its acceptance runs at
   * least this long after the chain's latest block, so the confirmation lands before its owner can cancel.
   */
  safetyMarginSeconds?: number;
  log?: (message: string) => void;
}

export interface RoundReport {
  scannedTo: number;
  accepted: bigint[];
  confirmed: bigint[];
  rejected: bigint[];
  /** Left open for a later round: adapter errors, a paused gateway, owners who cannot receive a refund. */
  deferred: bigint[];
  /** Items the chain refused on their own, isolated from their batch (the round went on without them). */
  failed: Array<{ id: bigint; step: string; error: string }>;
}

// Starts above ethers' 250 ms request cache, so that a retry reaches the node again.
const exponentialBackoff = (attempt: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, Math.min(30_000, 500 * 2 ** (attempt - 1))));

// Reads in flight at once: enough to hide round trips, few enough for a node's connection limits.
const PARALLEL_READS = 25;

const CLOSING_EVENTS = new Set(["RedemptionFulfilled", "RedemptionRejected", "RedemptionCancelled"]);

const REQUEST_TUPLE = "tuple(uint256,address,uint32,uint32,uint96,uint40,uint8)";

/** The hash the gateway keeps of a request (the full 256 bits; the contract stores its low 216). */
export function requestHash(request: RedemptionRequest): string {
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(
      [REQUEST_TUPLE],
      [
        [
          request.id,
          request.owner,
          request.sku,
          request.quantity,
          request.amount,
          request.cancelAfter,
          request.flags,
        ],
      ],
    ),
  );
}

/** A log as `eth_getLogs` gives it (block number as hex) or as ethers does (as a number). */
interface RawLog {
  topics: readonly string[];
  data: string;
  blockNumber: string | number;
}

interface Open {
  request: RedemptionRequest;
  context: FulfilmentContext;
  acceptedUntil: bigint;
}

type Step = "accept" | "confirm" | "reject";
interface Item {
  request: RedemptionRequest;
  value?: string | number;
}

/**
 * The fulfilment worker. The chain is its only state. Each round reads the requests of the scanned blocks
 * and keeps those still open; it accepts the unaccepted ones on chain (one batched call: from then on
 * their owners cannot cancel until the acceptance deadline), delivers only accepted requests whose
 * acceptance leaves the safety margin, and confirms or rejects them in batches. A paused gateway gets no
 * acceptances and no deliveries; deliveries already made are still confirmed. Killed at any point and
 * started again, it finds the same open requests and the idempotent adapter hands back the same
 * deliveries: nothing is fulfilled twice or forgotten. A batch the chain refuses is split until the
 * refusing request is found; that request is reported and the rest goes through.
 */
export class FulfilmentWorker {
  private readonly batchSize: number;
  private readonly rpcAttempts: number;
  private readonly receiptTimeoutMs: number;
  private readonly backoff: (attempt: number) => Promise<void>;
  private readonly blockRange: number;
  private readonly safetyMargin: bigint;
  private readonly log: (message: string) => void;
  private keyPrefix?: string;
  private cursor: number;
  private readonly open = new Map<bigint, Open>();

  constructor(private readonly options: WorkerOptions) {
    this.batchSize = options.batchSize ?? 20;
    this.rpcAttempts = options.rpcAttempts ?? 6;
    this.receiptTimeoutMs = options.receiptTimeoutMs ?? 30_000;
    this.backoff = options.backoff ?? exponentialBackoff;
    this.blockRange = options.blockRange ?? 5_000;
    this.safetyMargin = BigInt(options.safetyMarginSeconds ?? 600);
    this.log = options.log ?? (() => undefined);
    this.cursor = options.fromBlock - 1;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1)
      throw new Error(`batchSize: ${this.batchSize} is not a positive whole number`);
    if (!Number.isInteger(options.confirmations) || options.confirmations < 0) {
      throw new Error(`confirmations: ${options.confirmations} is not a whole number of blocks`);
    }
    if (this.safetyMargin < 0n)
      throw new Error(`safetyMarginSeconds: ${options.safetyMarginSeconds} is negative`);
  }

  /** One pass over the confirmed blocks from `fromBlock`; returns what it did. */
  async runOnce(): Promise<RoundReport> {
    const { gateway } = this.options;
    const provider = gateway.runner!.provider!;
    const head = await this.rpc("eth_blockNumber", () => provider.getBlockNumber());
    const scannedTo = head - this.options.confirmations;
    const report: RoundReport = {
      scannedTo,
      accepted: [],
      confirmed: [],
      rejected: [],
      deferred: [],
      failed: [],
    };
    if (scannedTo < this.options.fromBlock) return report;

    const open = await this.openRequests(scannedTo);
    const paused = await this.rpc("paused", () => gateway.paused());
    if (paused) this.log("the gateway is paused: no acceptances and no new deliveries this round");

    const unaccepted = open.filter((o) => o.acceptedUntil === 0n);
    if (!paused && unaccepted.length > 0) {
      const accepted = await this.send("accept", unaccepted, report);
      report.accepted.push(...accepted);
      const taken = unaccepted.filter((o) => accepted.includes(o.request.id));
      const deadlines = await this.readEach(taken, (o) =>
        this.rpc("acceptedUntil", () => gateway.acceptedUntil(o.request.id)),
      );
      taken.forEach((o, i) => (o.acceptedUntil = deadlines[i]));
    }

    const now = BigInt((await this.rpc("latest block", () => provider.getBlock("latest")))!.timestamp);
    const toConfirm: Item[] = [];
    const toReject: Item[] = [];
    for (const o of open) {
      const { request, context } = o;
      if (o.acceptedUntil === 0n) {
        report.deferred.push(request.id);
        continue;
      }
      const made = await this.options.adapter.findDelivery(request, context);
      if (made !== undefined) {
        toConfirm.push({ request, value: made });
        continue;
      }
      if (paused) {
        report.deferred.push(request.id);
        continue;
      }
      if (o.acceptedUntil - now < this.safetyMargin) {
        this.log(
          `request ${request.id}: acceptance ends at ${o.acceptedUntil}, too close to deliver safely; rejecting`,
        );
        toReject.push({ request, value: WORKER_REASONS.acceptanceLapsed });
        continue;
      }
      let outcome: FulfilmentOutcome;
      try {
        outcome = await this.options.adapter.fulfil(request, context);
      } catch (error) {
        this.log(`request ${request.id}: adapter failed (${describeError(error)}); left for the next round`);
        report.deferred.push(request.id);
        continue;
      }
      if (outcome.delivered) toConfirm.push({ request, value: outcome.receiptHash });
      else {
        this.log(`request ${request.id}: refused by the adapter (${outcome.reasonCode}: ${outcome.reason})`);
        toReject.push({ request, value: outcome.reasonCode });
      }
    }
    report.confirmed.push(...(await this.send("confirm", toConfirm, report)));
    report.rejected.push(...(await this.send("reject", toReject, report)));
    for (const id of [...report.confirmed, ...report.rejected]) this.open.delete(id);
    return report;
  }

  /**
   * The open requests up to `scannedTo`. The first round reads the gateway's events from `fromBlock`; every
   * later round reads only the blocks after the cursor, and keeps the open set up to date from them: a
   * request event adds (when the chain still holds it open), an acceptance event sets the deadline, and a
   * fulfilment, rejection or cancel removes. A round's cost grows with its new blocks and the requests
   * still open, never with the history behind them. The cursor moves one chunk at a time, only after the
   * whole chunk is applied: a round that fails half-way reads the rest again, and applying a chunk twice
   * changes nothing.
   */
  private async openRequests(scannedTo: number): Promise<Open[]> {
    const { gateway } = this.options;
    const provider = gateway.runner!.provider!;
    const address = await gateway.getAddress();
    if (this.keyPrefix === undefined) {
      const { chainId } = await this.rpc("eth_chainId", () => provider.getNetwork());
      this.keyPrefix = `${chainId}:${address.toLowerCase()}:`;
    }
    const topics = this.topics();
    for (let from = this.cursor + 1; from <= scannedTo; from = this.cursor + 1) {
      const to = Math.min(scannedTo, from + this.blockRange - 1);
      const logs = await this.rpc("eth_getLogs", () => this.rawLogs(address, from, to));
      // Requests of this chunk, until the chunk says whether they closed in it (as most in a history do).
      const fresh = new Map<
        bigint,
        { request: RedemptionRequest; deliveryRef: string; acceptedUntil: bigint }
      >();
      for (const log of logs) {
        const topic = log.topics[0];
        if (topic === topics.requested) {
          const parsed = gateway.interface.parseLog(log)!;
          const { request, deliveryRef } = requestFromArgs(parsed.args, Number(log.blockNumber));
          fresh.set(request.id, { request, deliveryRef, acceptedUntil: 0n });
        } else if (topic === topics.accepted) {
          // The id is indexed; the deadline is the data's one word.
          const id = BigInt(log.topics[1]);
          const acceptedUntil = BigInt(log.data);
          const known = fresh.get(id) ?? this.open.get(id);
          if (known) known.acceptedUntil = acceptedUntil;
        } else if (topics.closing.has(topic)) {
          const id = BigInt(log.topics[1]);
          fresh.delete(id);
          this.open.delete(id);
        }
      }
      // Requests of this chunk may have closed in blocks not read yet (with confirmations, or in this
      // very round): the chain's current state says which are still open.
      const candidates = [...fresh.values()];
      const states = await this.readEach(candidates, async ({ request }) =>
        (await this.rpc("isOpen", () => gateway.isOpen(request.id)))
          ? await this.rpc("acceptedUntil", () => gateway.acceptedUntil(request.id))
          : undefined,
      );
      for (const [i, { request, deliveryRef }] of candidates.entries()) {
        const acceptedUntil = states[i];
        if (acceptedUntil === undefined) continue;
        this.open.set(request.id, {
          request,
          acceptedUntil,
          context: {
            redemptionKey: this.keyPrefix + request.id.toString(),
            requestHash: requestHash(request),
            deliveryRef,
          },
        });
      }
      this.cursor = to;
    }
    return [...this.open.values()];
  }

  private eventTopics?: { requested: string; accepted: string; closing: Set<string> };

  private topics() {
    const i = this.options.gateway.interface;
    this.eventTopics ??= {
      requested: i.getEvent("RedemptionRequested").topicHash,
      accepted: i.getEvent("RedemptionAccepted").topicHash,
      closing: new Set(
        [...CLOSING_EVENTS].map((name) => i.getEvent(name as "RedemptionFulfilled").topicHash),
      ),
    };
    return this.eventTopics;
  }

  /**
   * The gateway's logs of `[from, to]` as the node sends them: a history holds hundreds of thousands, and
   * ethers' Log objects (a checksummed address and frozen copies each) made a restarted worker's catch-up
   * take minutes. Providers without `send` get ethers' logs, which carry the same fields.
   */
  private async rawLogs(address: string, from: number, to: number): Promise<RawLog[]> {
    const provider = this.options.gateway.runner!.provider! as Provider & {
      send?: (method: string, params: unknown[]) => Promise<RawLog[]>;
    };
    if (typeof provider.send !== "function")
      return provider.getLogs({ address, fromBlock: from, toBlock: to });
    return provider.send("eth_getLogs", [{ address, fromBlock: toQuantity(from), toBlock: toQuantity(to) }]);
  }

  /** Requests open as far as this worker knows (after its last round). */
  openCount(): number {
    return this.open.size;
  }

  /** The last block this worker has read. */
  lastScannedBlock(): number {
    return this.cursor;
  }

  /** Sends `items` in batches; returns the ids the chain took (a reject batch's skipped ones excluded). */
  private async send(step: Step, items: Item[], report: RoundReport): Promise<bigint[]> {
    const done: bigint[] = [];
    for (let i = 0; i < items.length; i += this.batchSize) {
      done.push(...(await this.sendIsolating(step, items.slice(i, i + this.batchSize), report)));
    }
    return done;
  }

  /**
   * Sends one batch. When it reverts, the requests that closed meanwhile (an owner's cancel, or an earlier
   * attempt that landed although its answer was lost) are dropped and the rest is split in halves, down to
   * the one request the chain refuses, which is reported in `failed` while the others go through.
   */
  private async sendIsolating(
    step: Step,
    items: Item[],
    report: RoundReport,
    attempt = 1,
  ): Promise<bigint[]> {
    if (items.length === 0) return [];
    try {
      return await this.sendBatch(step, items, report);
    } catch (error) {
      const message = describeError(error);
      // The chain refused it (revert data came back), as opposed to a node or network fault.
      const reverted = isError(error, "CALL_EXCEPTION") && error.data != null;
      // A node or network fault, not the chain refusing: the same batch is sent again after a pause.
      if (!reverted && attempt >= this.rpcAttempts) throw error;
      if (!reverted) await this.backoff(attempt);
      const still = await this.stillPending(step, items);
      if (!reverted || still.length < items.length) {
        this.log(
          `${step} batch failed (${message}); ${items.length - still.length} request(s) closed meanwhile`,
        );
        return this.sendIsolating(step, still, report, reverted ? 1 : attempt + 1);
      }
      if (items.length === 1) {
        this.log(`request ${items[0].request.id}: ${step} refused by the chain (${message}); left open`);
        report.failed.push({ id: items[0].request.id, step, error: message });
        return [];
      }
      const half = Math.ceil(items.length / 2);
      return [
        ...(await this.sendIsolating(step, items.slice(0, half), report)),
        ...(await this.sendIsolating(step, items.slice(half), report)),
      ];
    }
  }

  private async sendBatch(step: Step, items: Item[], report: RoundReport): Promise<bigint[]> {
    const { gateway } = this.options;
    const requests = items.map((i) => i.request);
    const tx =
      step === "accept"
        ? await gateway.accept(requests)
        : step === "confirm"
          ? await gateway.confirmBatch(
              requests,
              items.map((i) => i.value as string),
            )
          : await gateway.rejectBatch(
              requests,
              items.map((i) => i.value as number),
            );
    const receipt = await this.receiptOf(tx);
    const skipped = new Set<bigint>();
    for (const log of receipt?.logs ?? []) {
      const parsed = gateway.interface.parseLog(log);
      if (parsed?.name === "RejectionSkipped") skipped.add(parsed.args.id as bigint);
    }
    for (const id of skipped) {
      this.log(`request ${id}: its owner cannot receive ZON now; the rejection waits for a later round`);
      report.deferred.push(id);
    }
    const done = requests.map((r) => r.id).filter((id) => !skipped.has(id));
    this.log(`${step}ed ${done.join(", ")} in ${tx.hash}`);
    return done;
  }

  /**
   * Waits for a sent transaction, retrying lost answers: a landed transaction is never taken for lost. One
   * not mined within `receiptTimeoutMs` (a node restarted without its pool) fails the batch like a node
   * fault: the batch is checked against the chain and sent again, never waited for forever.
   */
  private receiptOf(tx: ContractTransactionResponse) {
    return minedReceipt(tx, {
      timeoutMs: this.receiptTimeoutMs,
      attempts: this.rpcAttempts,
      backoff: this.backoff,
    });
  }

  /** The items of a failed batch that the step still applies to. */
  private async stillPending(step: Step, items: Item[]): Promise<Item[]> {
    const { gateway } = this.options;
    const keep = await this.readEach(items, async (item) => {
      if (!(await this.rpc("isOpen", () => gateway.isOpen(item.request.id)))) return false;
      if (step !== "accept") return true;
      return (await this.rpc("acceptedUntil", () => gateway.acceptedUntil(item.request.id))) === 0n;
    });
    return items.filter((_, i) => keep[i]);
  }

  /**
   * One read per item, PARALLEL_READS at a time, in item order. A round's reads wait on the node's round
   * trips, not on its work, so they overlap; each call in a read is retried on its own (`rpc`), as one
   * after the other they were.
   */
  private async readEach<T, R>(items: T[], read: (item: T) => Promise<R>): Promise<R[]> {
    const results: R[] = [];
    for (let i = 0; i < items.length; i += PARALLEL_READS)
      results.push(...(await Promise.all(items.slice(i, i + PARALLEL_READS).map(read))));
    return results;
  }

  /** Calls the node, retrying with backoff; the round fails only after `rpcAttempts` failures in a row. */
  private async rpc<T>(what: string, call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (attempt >= this.rpcAttempts)
          throw new Error(`${what}: failed ${attempt} times: ${describeError(error)}`);
        this.log(`${what}: ${describeError(error)}; retry ${attempt}`);
        await this.backoff(attempt);
      }
    }
  }
}

export interface LoopOptions {
  /** Pause between rounds, in milliseconds. */
  intervalMs: number;
  /** Stop after this many rounds (default: until `signal` aborts). */
  rounds?: number;
  signal?: AbortSignal;
  onReport?: (report: RoundReport) => void;
  /** Told about a round that failed as a whole (the node unreachable, say); the loop goes on. */
  onError?: (error: unknown) => void;
}

/**
 * Runs rounds until `signal` aborts or `rounds` are done. A round that fails (the node down longer than
 * the retries) is reported and the next round starts over from the chain: one bad round never ends it.
 */
export async function runWorkerLoop(worker: FulfilmentWorker, options: LoopOptions): Promise<number> {
  let done = 0;
  while (!options.signal?.aborted && (options.rounds === undefined || done < options.rounds)) {
    try {
      options.onReport?.(await worker.runOnce());
    } catch (error) {
      options.onError?.(error);
    }
    done++;
    if (options.rounds !== undefined && done >= options.rounds) break;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, options.intervalMs);
      options.signal?.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
    });
  }
  return done;
}

import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import {
  AbiCoder,
  encodeBytes32String,
  getAddress,
  isError,
  keccak256,
  toQuantity,
  ZeroHash,
  type Provider,
  type ContractTransactionResponse,
} from "ethers";
import type { RedemptionGateway, ZonCoin } from "../../typechain-types";
import { describeError } from "../errors";
import { bytes32Text } from "../events";
import { minedReceipt } from "../receipts";
import { requestFromArgs, type RedemptionRequest } from "../redemption";
import { WORKER_REASONS } from "./reasons";

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

export { describeReasonCode, WORKER_REASONS } from "./reasons";

/**
 * A worker's id as its acceptances record it on chain: a readable name of at most 31 bytes ("issuer-eu-1"),
 * or 32 bytes of hex as they are.
 */
export function workerIdOf(name: string): string {
  if (/^0x[0-9a-fA-F]{64}$/.test(name)) return name.toLowerCase();
  if (name === "" || Buffer.byteLength(name, "utf8") > 31)
    throw new Error(
      `worker id: ${JSON.stringify(name)} must be 1 to 31 bytes of text, or 32 bytes of hex (0x…)`,
    );
  return encodeBytes32String(name);
}

/** A worker id's name: its text when it is one, else its hex. */
export function workerName(id: string): string {
  return bytes32Text(id);
}

/** A worker id as a sentence shows it: its text quoted, or its hex. */
export function describeWorkerId(id: string): string {
  const name = workerName(id);
  return name === id ? id : JSON.stringify(name);
}

/**
 * A delivery whose request ended without its burn: cancelled by its owner or rejected after the adapter
 * delivered it. The business has the goods and its ZON back; the operator claws the delivery back.
 */
export interface UnpaidDelivery {
  request: RedemptionRequest;
  context: FulfilmentContext;
  /** The adapter's receipt hash of the delivery. */
  delivery: string;
  /** How the request ended. */
  closedBy: "RedemptionCancelled" | "RedemptionRejected";
  /** The block and transaction of that ending. */
  blockNumber: number;
  transactionHash: string;
}

export interface WorkerOptions {
  /** The gateway, connected to the fulfiller's signer. */
  gateway: RedemptionGateway;
  adapter: FulfilmentAdapter;
  /**
   * This worker's id (`workerIdOf`): its acceptances carry it on chain, and it delivers only requests
   * accepted under it, so that a second worker (another replica, with the same key or not) never
   * delivers what this one accepted. Keep it across restarts (a restarted worker with another id leaves
   * its accepted requests to their owners' cancel).
   */
  workerId: string;
  /** Told about each delivery that ended unpaid, once per worker (the operator claws it back). */
  onUnpaid?: (unpaid: UnpaidDelivery) => void;
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
  /** The wall clock in milliseconds (default `Date.now`): how much time passed since the round read the chain. */
  clock?: () => number;
  log?: (message: string) => void;
}

export interface RoundReport {
  scannedTo: number;
  accepted: bigint[];
  confirmed: bigint[];
  rejected: bigint[];
  /**
   * Left open for a later round: adapter errors, a paused gateway or token, a frozen gateway, a delivery
   * whose confirmation would not land, owners who cannot receive a refund.
   */
  deferred: bigint[];
  /** Accepted by another worker, which alone delivers them: left to it. */
  others: bigint[];
  /** Deliveries found ended without their burn in this round's blocks (see `UnpaidDelivery`). */
  unpaid: UnpaidDelivery[];
  /** Items the chain refused on their own, isolated from their batch (the round went on without them). */
  failed: Array<{ id: bigint; step: string; error: string }>;
}

// Starts above ethers' 250 ms request cache, so that a retry reaches the node again.
const exponentialBackoff = (attempt: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, Math.min(30_000, 500 * 2 ** (attempt - 1))));

/**
 * Whether an error is the chain refusing the call (revert data came back: ethers' CALL_EXCEPTION, or a
 * provider's error carrying the data as Hardhat's in-process node does), as opposed to a node or network
 * fault, which is tried again.
 */
function refusedByChain(error: unknown): boolean {
  if (isError(error, "CALL_EXCEPTION")) return error.data != null;
  const data = (error as { data?: unknown } | null)?.data;
  return typeof data === "string" && /^0x([0-9a-fA-F]{8})/.test(data);
}

/**
 * The chain's time now, about: the latest block's time plus the seconds since it was read. A round slower
 * than a request's remaining acceptance must not deliver it on the strength of the round's first reading.
 */
function chainClock(blockTime: bigint, wallClock: () => number): () => bigint {
  const readAt = wallClock();
  return () => blockTime + BigInt(Math.floor((wallClock() - readAt) / 1000));
}

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
  transactionHash: string;
}

interface Open {
  request: RedemptionRequest;
  context: FulfilmentContext;
  acceptedUntil: bigint;
  /** The worker the acceptance names (ZeroHash until accepted). */
  acceptedBy: string;
}

type Step = "accept" | "confirm" | "reject";
interface Item {
  request: RedemptionRequest;
  value?: string | number;
}

/** Why no confirmation could land now (the burn would revert), if so. */
interface Blocked {
  /** New acceptances and deliveries wait. */
  deliveries?: string;
  /** Confirmations of deliveries already made wait too. */
  confirmations?: string;
}

/**
 * The fulfilment worker. The chain is its state, with the adapter's own record of its deliveries. Each
 * round reads the requests of the scanned blocks and keeps those still open; it accepts the unaccepted
 * ones on chain under its own worker id (one batched call: from then on their owners cannot cancel until
 * the acceptance deadline), and delivers only requests accepted under its id, each one only when its
 * acceptance still leaves the safety margin at that moment and a dry run of its confirmation passes; it
 * confirms each group of deliveries as soon as it is delivered. Nothing is accepted or delivered while a
 * confirmation could not land (the gateway or the token paused, the gateway frozen); deliveries already
 * made are confirmed once the burn can land. Killed at any point and started again, it finds the same open
 * requests and the idempotent adapter hands back the same deliveries: nothing is fulfilled twice or
 * forgotten. A delivery whose request ended without its burn (cancelled or rejected after the delivery) is
 * reported as unpaid. A batch the chain refuses is split until the refusing request is found; that request
 * is reported and the rest goes through.
 */
export class FulfilmentWorker {
  private readonly batchSize: number;
  private readonly rpcAttempts: number;
  private readonly receiptTimeoutMs: number;
  private readonly backoff: (attempt: number) => Promise<void>;
  private readonly blockRange: number;
  private readonly safetyMargin: bigint;
  private readonly log: (message: string) => void;
  private readonly workerId: string;
  private keyPrefix?: string;
  private token?: ZonCoin;
  private cursor: number;
  private readonly open = new Map<bigint, Open>();
  /** Requests that closed before their closing event was read, with a delivery: paid or not, the event says. */
  private readonly closedUnread = new Map<bigint, Open>();
  private readonly toldOthers = new Set<bigint>();

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
    if (!/^0x[0-9a-fA-F]{64}$/.test(options.workerId ?? "") || BigInt(options.workerId) === 0n)
      throw new Error(
        `workerId: ${JSON.stringify(options.workerId)} is not a non-zero 32-byte id (workerIdOf)`,
      );
    this.workerId = options.workerId.toLowerCase();
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
      others: [],
      unpaid: [],
      failed: [],
    };
    if (scannedTo < this.options.fromBlock) return report;

    const open = await this.openRequests(scannedTo, report);
    const blocked = await this.blocked();
    if (blocked.deliveries)
      this.log(`${blocked.deliveries}: no acceptances and no new deliveries this round`);

    const unaccepted = open.filter((o) => o.acceptedUntil === 0n);
    if (!blocked.deliveries && unaccepted.length > 0) {
      const accepted = await this.send("accept", unaccepted, report);
      report.accepted.push(...accepted);
      const taken = unaccepted.filter((o) => accepted.includes(o.request.id));
      const deadlines = await this.readEach(taken, (o) =>
        this.rpc("acceptedUntil", () => gateway.acceptedUntil(o.request.id)),
      );
      taken.forEach((o, i) => {
        o.acceptedUntil = deadlines[i];
        o.acceptedBy = this.workerId;
      });
    }

    const latest = (await this.rpc("latest block", () => provider.getBlock("latest")))!;
    const clock = chainClock(BigInt(latest.timestamp), this.options.clock ?? Date.now);
    const made: Item[] = [];
    const deliverable: Open[] = [];
    for (const o of open) {
      const { request, context } = o;
      if (o.acceptedUntil === 0n) {
        report.deferred.push(request.id);
        continue;
      }
      if (o.acceptedBy === ZeroHash) {
        // Accepted in a block not read yet (within the confirmations): by whom, its event will say.
        report.deferred.push(request.id);
        continue;
      }
      if (o.acceptedBy !== this.workerId) {
        // Accepted by another worker: it alone delivers; a delivery here could be a second one.
        if (!this.toldOthers.has(request.id))
          this.log(`request ${request.id}: accepted by worker ${describeWorkerId(o.acceptedBy)}; left to it`);
        this.toldOthers.add(request.id);
        report.others.push(request.id);
        continue;
      }
      const delivery = await this.options.adapter.findDelivery(request, context);
      if (delivery !== undefined) made.push({ request, value: delivery });
      else if (blocked.deliveries) report.deferred.push(request.id);
      else deliverable.push(o);
    }
    // Deliveries made before (a crash, a pause) are paid first, as soon as the burn can land.
    if (blocked.confirmations) {
      if (made.length > 0)
        this.log(`${blocked.confirmations}: ${made.length} delivery(ies) wait for their confirmation`);
      report.deferred.push(...made.map((i) => i.request.id));
    } else report.confirmed.push(...(await this.send("confirm", made, report)));

    // Delivered a group at a time, each group confirmed at once: the margin is checked against the chain's
    // time at each delivery, not at the round's start.
    const toReject: Item[] = [];
    for (let i = 0; i < deliverable.length; i += this.batchSize) {
      const delivered: Item[] = [];
      for (const o of deliverable.slice(i, i + this.batchSize)) {
        const outcome = await this.deliver(o, clock(), report);
        if (outcome === undefined) continue;
        if (outcome.delivered) delivered.push({ request: o.request, value: outcome.receiptHash });
        else toReject.push({ request: o.request, value: outcome.reasonCode });
      }
      report.confirmed.push(...(await this.send("confirm", delivered, report)));
    }
    report.rejected.push(...(await this.send("reject", toReject, report)));
    for (const id of [...report.confirmed, ...report.rejected]) this.open.delete(id);
    return report;
  }

  /**
   * Delivers one accepted request of this worker's, or says why not: rejected (the adapter refused it, or
   * its acceptance no longer leaves the safety margin), or left for later (undefined: the adapter failed,
   * or a dry run of its confirmation reverts).
   */
  private async deliver(o: Open, now: bigint, report: RoundReport): Promise<FulfilmentOutcome | undefined> {
    const { request, context } = o;
    if (o.acceptedUntil - now < this.safetyMargin) {
      this.log(
        `request ${request.id}: acceptance ends at ${o.acceptedUntil}, too close to deliver safely; rejecting`,
      );
      return { delivered: false, reasonCode: WORKER_REASONS.acceptanceLapsed, reason: "acceptance lapsed" };
    }
    try {
      // What the confirmation will do, asked before anything is delivered: a burn that cannot land now
      // (the token paused since the round began, the request closed) must not follow a delivery.
      await this.rpc("confirm (dry run)", () => this.options.gateway.confirm.staticCall(request, ZeroHash));
    } catch (error) {
      this.log(
        `request ${request.id}: its confirmation would not land (${describeError(error)}); not delivered now`,
      );
      report.deferred.push(request.id);
      return undefined;
    }
    try {
      const outcome = await this.options.adapter.fulfil(request, context);
      if (!outcome.delivered)
        this.log(`request ${request.id}: refused by the adapter (${outcome.reasonCode}: ${outcome.reason})`);
      return outcome;
    } catch (error) {
      this.log(`request ${request.id}: adapter failed (${describeError(error)}); left for the next round`);
      report.deferred.push(request.id);
      return undefined;
    }
  }

  /** Whether a confirmation (a burn of the gateway's ZON) could land now, and if not, why. */
  private async blocked(): Promise<Blocked> {
    const { gateway } = this.options;
    const address = await gateway.getAddress();
    // Required here, not imported: hardhat.config.ts loads this module before a fresh checkout has compiled.
    const { ZonCoin__factory } = require("../../typechain-types") as typeof import("../../typechain-types");
    this.token ??= ZonCoin__factory.connect(
      await this.rpc("token", () => gateway.token()),
      gateway.runner!.provider!,
    );
    const token = this.token;
    const [gatewayPaused, tokenPaused, frozen] = await Promise.all([
      this.rpc("paused", () => gateway.paused()),
      this.rpc("token paused", () => token.paused()),
      this.rpc("gateway frozen", () => token.isFrozen(address)),
    ]);
    const burnBlocked = tokenPaused
      ? "the token is paused"
      : frozen
        ? "the gateway is frozen in the token"
        : undefined;
    return {
      deliveries: burnBlocked ?? (gatewayPaused ? "the gateway is paused" : undefined),
      confirmations: burnBlocked,
    };
  }

  /**
   * The open requests up to `scannedTo`. The first round reads the gateway's events from `fromBlock`; every
   * later round reads only the blocks after the cursor, and keeps the open set up to date from them: a
   * request event adds (when the chain still holds it open), an acceptance event sets the deadline and the
   * accepting worker, an owner replacement the owner, and a fulfilment, rejection or cancel removes — a
   * rejection or cancel of a request this worker's adapter delivered is reported as unpaid. A round's
   * cost grows with its new blocks and the requests still open, never with the history behind them. The
   * cursor moves one chunk at a time, only after the whole chunk is applied: a round that fails half-way
   * reads the rest again, and applying a chunk twice changes nothing.
   */
  private async openRequests(scannedTo: number, report: RoundReport): Promise<Open[]> {
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
      const fresh = new Map<bigint, Open>();
      for (const log of logs) {
        const topic = log.topics[0];
        if (topic === topics.requested) {
          const parsed = gateway.interface.parseLog(log)!;
          const { request, deliveryRef } = requestFromArgs(parsed.args, Number(log.blockNumber));
          fresh.set(request.id, {
            request,
            acceptedUntil: 0n,
            acceptedBy: ZeroHash,
            context: {
              redemptionKey: this.keyPrefix + request.id.toString(),
              requestHash: requestHash(request),
              deliveryRef,
            },
          });
          continue;
        }
        const isClosing = topics.closing.has(topic);
        if (topic !== topics.accepted && topic !== topics.ownerReplaced && !isClosing) continue;
        const id = BigInt(log.topics[1]);
        const known = fresh.get(id) ?? this.open.get(id) ?? this.closedUnread.get(id);
        if (topic === topics.accepted) {
          // The id is indexed; the data's words are the deadline and the worker.
          if (known) {
            known.acceptedUntil = BigInt(log.data.slice(0, 66));
            known.acceptedBy = `0x${log.data.slice(66, 130)}`.toLowerCase();
          }
        } else if (topic === topics.ownerReplaced) {
          if (known) known.request = { ...known.request, owner: getAddress(`0x${log.topics[3].slice(26)}`) };
        } else {
          fresh.delete(id);
          this.open.delete(id);
          this.closedUnread.delete(id);
          if (known && topic !== topics.fulfilled) await this.checkPaid(known, topic, log, report);
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
      for (const [i, o] of candidates.entries()) {
        if (states[i] === undefined) {
          // Closed in a block not read yet: whether it was paid, its closing event will say.
          if ((await this.options.adapter.findDelivery(o.request, o.context)) !== undefined)
            this.closedUnread.set(o.request.id, o);
          continue;
        }
        o.acceptedUntil = states[i];
        this.open.set(o.request.id, o);
      }
      this.cursor = to;
    }
    return [...this.open.values()];
  }

  /** A request closed without its burn: if the adapter delivered it, that delivery is unpaid. */
  private async checkPaid(o: Open, topic: string, log: RawLog, report: RoundReport): Promise<void> {
    const delivery = await this.options.adapter.findDelivery(o.request, o.context);
    if (delivery === undefined) return;
    const unpaid: UnpaidDelivery = {
      request: o.request,
      context: o.context,
      delivery,
      closedBy: topic === this.topics().cancelled ? "RedemptionCancelled" : "RedemptionRejected",
      blockNumber: Number(log.blockNumber),
      transactionHash: log.transactionHash,
    };
    this.log(
      `request ${o.request.id}: delivered (${delivery}) but ${unpaid.closedBy === "RedemptionCancelled" ? "cancelled by its owner" : "rejected"} in ${log.transactionHash}: an unpaid delivery to claw back`,
    );
    report.unpaid.push(unpaid);
    this.options.onUnpaid?.(unpaid);
  }

  private eventTopics?: {
    requested: string;
    accepted: string;
    ownerReplaced: string;
    fulfilled: string;
    rejected: string;
    cancelled: string;
    closing: Set<string>;
  };

  private topics() {
    const i = this.options.gateway.interface;
    this.eventTopics ??= {
      requested: i.getEvent("RedemptionRequested").topicHash,
      accepted: i.getEvent("RedemptionAccepted").topicHash,
      ownerReplaced: i.getEvent("RequestOwnerReplaced").topicHash,
      fulfilled: i.getEvent("RedemptionFulfilled").topicHash,
      rejected: i.getEvent("RedemptionRejected").topicHash,
      cancelled: i.getEvent("RedemptionCancelled").topicHash,
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
      const reverted = refusedByChain(error);
      // A node or network fault, not the chain refusing: the same batch is sent again after a pause.
      if (!reverted && attempt >= this.rpcAttempts) throw error;
      if (!reverted) await this.backoff(attempt);
      const still = await this.stillPending(step, items);
      if (!reverted || still.length < items.length) {
        // What is no longer pending may be this very batch, landed although its answer was lost: counted
        // as done when the chain's event says so.
        const landed = await this.landedMeanwhile(
          step,
          items.filter((i) => !still.includes(i)),
        );
        this.log(
          `${step} batch failed (${message}); ${items.length - still.length} request(s) closed meanwhile` +
            (landed.length > 0 ? `, ${landed.length} by this ${step} itself` : ""),
        );
        return [...landed, ...(await this.sendIsolating(step, still, report, reverted ? 1 : attempt + 1))];
      }
      if (items.length === 1) {
        const what =
          step === "confirm"
            ? "its delivery is kept, and confirmed when the chain takes it"
            : step === "reject"
              ? "it stays open, and is rejected again later"
              : "it stays unaccepted, and is accepted again later";
        this.log(`request ${items[0].request.id}: ${step} refused by the chain (${message}); ${what}`);
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
        ? await gateway.accept(requests, this.workerId)
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

  /**
   * Of `items` no longer pending after a fault, those this worker's `step` itself settled: the gateway's
   * event for each (a fulfilment or rejection; an acceptance naming this worker) in the recent blocks.
   */
  private async landedMeanwhile(step: Step, items: Item[]): Promise<bigint[]> {
    if (items.length === 0) return [];
    const { gateway } = this.options;
    const topics = this.topics();
    const topic =
      step === "confirm" ? topics.fulfilled : step === "reject" ? topics.rejected : topics.accepted;
    const head = await this.rpc("eth_blockNumber", () => gateway.runner!.provider!.getBlockNumber());
    const from = Math.max(this.options.fromBlock, this.cursor - this.options.confirmations - 64);
    const ids = new Set(items.map((i) => i.request.id));
    const address = await gateway.getAddress();
    const logs = await this.rpc("eth_getLogs", () => this.rawLogs(address, from, head));
    return logs
      .filter(
        (log) =>
          log.topics[0] === topic &&
          ids.has(BigInt(log.topics[1])) &&
          (step !== "accept" || `0x${log.data.slice(66, 130)}`.toLowerCase() === this.workerId),
      )
      .map((log) => BigInt(log.topics[1]));
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

/**
 * The worker id kept in `file`: read if it is there, else made once (random) and written atomically. Kept
 * beside the worker's own records (the ledger, the state directory), so that a restarted worker is the same
 * worker and finds its acceptances, while another replica with its own volume is another worker.
 */
export function persistentWorkerId(file: string): string {
  if (existsSync(file)) {
    const name = readFileSync(file, "utf8").trim();
    try {
      return workerIdOf(name);
    } catch (error) {
      throw new Error(`${file}: ${(error as Error).message}`);
    }
  }
  const name = `worker-${randomBytes(6).toString("hex")}`;
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${name}\n`, { flush: true });
  renameSync(temporary, file);
  return workerIdOf(readFileSync(file, "utf8").trim());
}

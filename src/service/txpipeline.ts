import { isError, type JsonRpcProvider, type Wallet } from "ethers";
import { describeError } from "../errors";
import { signLegacyTransaction } from "./rawtx";

/** What to send: the pipeline picks the nonce, the gas and the price. */
export interface Payload {
  to: string;
  data: string;
  /**
   * A known upper bound of the gas: sent as is, without an `eth_estimateGas` (which a node answers by
   * running the call several times over: a third of a second for a batch of 100 claims on anvil).
   */
  gasLimit?: bigint;
}

export interface PipelineOptions {
  /** Connected to the provider the pipeline polls. */
  wallet: Wallet;
  provider: JsonRpcProvider;
  chainId: bigint;
  /** Transactions sent and not yet mined, at most. */
  maxInFlight: number;
  /** Legacy gas price in wei (the private network runs free gas: 0). */
  gasPriceWei: bigint;
  /**
   * Sends the same signed transaction again when it is not mined after this long (a node lost it); also
   * how long a nonce gap (nothing of ours at the mined nonce) is borne before the payloads are sent again
   * from the mined nonce.
   */
  rebroadcastAfterMs: number;
  /**
   * Replaces a transaction not mined after this long with one paying more, under the same nonce — never on
   * a chain whose gas price is zero (where more pays nothing), and never with one the account cannot pay.
   */
  replaceAfterMs: number;
  /** Gas estimate headroom, in percent. */
  gasHeadroomPercent?: number;
  now?: () => number;
  log?: (message: string, fields?: Record<string, unknown>) => void;
  /** Told about each RPC call that failed (counted by the service's metrics). */
  onRpcError?: (what: string, error: unknown) => void;
  /** Told about each broadcast the node refused, with why (counted by the service's metrics). */
  onBroadcastRefused?: (reason: BroadcastRefusal) => void;
  /** Told when a nonce gap made the pipeline send its payloads again from the mined nonce. */
  onNonceGap?: () => void;
}

/** Why a node refused a broadcast, as far as its message says. */
export type BroadcastRefusal = "known" | "nonce" | "funds" | "price" | "other";

/** The refusal a node's error message names (nodes word them differently; these are Besu's, geth's, anvil's). */
export function broadcastRefusal(error: unknown): BroadcastRefusal {
  const message = describeError(error);
  if (/already known|already imported|known transaction|ALREADY_EXISTS/i.test(message)) return "known";
  if (/nonce too low|NONCE_TOO_LOW|nonce.*(lower|below)/i.test(message)) return "nonce";
  if (/insufficient funds|UPFRONT_COST_EXCEEDS_BALANCE/i.test(message)) return "funds";
  if (/underpriced|fee cap|GAS_PRICE_TOO_LOW|gas price.*(low|below)/i.test(message)) return "price";
  return "other";
}

/**
 * What a mined transaction's receipt tells its sender, read straight from the node's JSON. ethers'
 * `getTransactionReceipt` checksums every log's address with keccak in JavaScript: with 200 logs to a
 * 100-claim batch, a tenth of the relayer's CPU under load (a profile of `npm run bench:load`).
 */
export interface MinedReceipt {
  hash: string;
  blockNumber: number;
  /** 1 executed, 0 reverted. */
  status: number;
  /** Each log's emitter (lowercase), topics and data, as hex. */
  logs: Array<{ address: string; topics: string[]; data: string }>;
}

interface RawReceipt {
  transactionHash: string;
  blockNumber: string;
  status: string;
  logs: Array<{ address: string; topics: string[]; data: string }>;
}

/** The node's receipt of `hash`, or null while it is not mined. */
export async function readReceipt(provider: JsonRpcProvider, hash: string): Promise<MinedReceipt | null> {
  const raw = (await provider.send("eth_getTransactionReceipt", [hash])) as RawReceipt | null;
  if (raw === null || raw.blockNumber == null) return null;
  return {
    hash: raw.transactionHash,
    blockNumber: Number(raw.blockNumber),
    status: Number(raw.status),
    logs: raw.logs.map(({ address, topics, data }) => ({ address: address.toLowerCase(), topics, data })),
  };
}

/** How long a mined nonce may show no receipt of ours before it counts as taken by another transaction. */
const RECEIPT_GRACE_MS = 2_000;

/** One signed version of a transaction under its nonce (a replacement is a second version). */
interface Version {
  hash: string;
  raw: string;
  gasPrice: bigint;
}

interface Queued {
  payload: Payload;
  resolve: (receipt: MinedReceipt) => void;
  reject: (error: unknown) => void;
}

interface InFlight extends Queued {
  nonce: number;
  gasLimit: bigint;
  /** The signed versions a node took (a replacement it refused is dropped: it is in no pool). */
  versions: Version[];
  firstSentAt: number;
  lastSentAt: number;
  /** The last replacement's time (its first send, before any). */
  lastReplacedAt: number;
  /** Since when its nonce has been mined with none of its versions' receipts found, if it has. */
  missingSince?: number;
}

/**
 * Many transactions in flight from one key. The pipeline keeps its own nonce counter (read once from the
 * chain), signs each payload locally and broadcasts it, then follows the account's mined nonce: a nonce
 * below it is settled by one of our versions (its receipt is handed back) or by a transaction that is not
 * ours — a second process with the same key, or a version from before a restart — and then the payload
 * goes back into the queue under a new nonce, never lost and never sent twice under one nonce. A
 * transaction a node dropped (a restart, a full pool) is broadcast again as signed; one left waiting is
 * replaced under its nonce with a higher price, unless the chain's gas is free (then it is only sent again
 * as it was) or the account could not pay for the replacement. A nonce gap — the lowest nonce in flight
 * above the mined one for longer than the rebroadcast time, as after a node that over-reported the nonce
 * — sends every payload in flight again from the mined nonce. Broadcast errors ("already known", "nonce
 * too low", a lost answer) change nothing but a refused replacement: only the chain's nonce and receipts
 * decide what happened; each refusal is counted.
 */
export class TxPipeline {
  private readonly queue: Queued[] = [];
  private readonly inFlight = new Map<number, InFlight>();
  private nextNonce?: number;
  /** Since when the lowest nonce in flight has been above the mined one (a gap), if it is. */
  private gapSince?: number;
  private ticking?: Promise<void>;
  private tickAgain = false;
  private readonly now: () => number;
  private readonly log: (message: string, fields?: Record<string, unknown>) => void;

  constructor(private readonly options: PipelineOptions) {
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => undefined);
  }

  /**
   * Queues `payload` and sends it at once (a tick right away, joined with one already running); resolves
   * with its receipt once mined (status 0 included), rejects if it would revert.
   */
  send(payload: Payload): Promise<MinedReceipt> {
    const receipt = new Promise<MinedReceipt>((resolve, reject) =>
      this.queue.push({ payload, resolve, reject }),
    );
    if (!this.sendSoon) {
      this.sendSoon = true;
      setImmediate(() => {
        this.sendSoon = false;
        if (this.nextNonce !== undefined)
          this.tick().catch((error: unknown) =>
            this.log("a tick failed; the next one starts over from the chain", {
              error: describeError(error),
            }),
          );
      });
    }
    return receipt;
  }

  private sendSoon = false;

  /** The sending account. */
  address(): string {
    return this.options.wallet.address;
  }

  /** Runs `payload` as a call from the sending account against the latest state (to learn why it fails). */
  async dryRun(payload: Payload): Promise<string> {
    return this.options.provider.call({
      from: this.options.wallet.address,
      to: payload.to,
      data: payload.data,
    });
  }

  /** Transactions that may be in flight at once. */
  capacity(): number {
    return this.options.maxInFlight;
  }

  /** Transactions sent and not yet seen mined. */
  inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Payloads waiting for a slot. */
  queuedCount(): number {
    return this.queue.length;
  }

  /** Forgets what is queued and in flight, failing their promises (shutdown: the chain stays the truth). */
  abandon(reason: string): void {
    const error = new Error(reason);
    for (const item of [...this.queue.splice(0), ...this.inFlight.values()]) item.reject(error);
    this.inFlight.clear();
  }

  /**
   * One step: settle what was mined, recover what was lost, then fill the free slots. Steps never overlap:
   * a call while one runs (new payloads to send at once, say) makes it run once more, and waits for that.
   */
  tick(): Promise<void> {
    if (this.ticking) {
      this.tickAgain = true;
      return this.ticking;
    }
    this.ticking = (async () => {
      do {
        this.tickAgain = false;
        await this.step();
      } while (this.tickAgain);
    })().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async step(): Promise<void> {
    const { provider, wallet } = this.options;
    const mined = await this.call("eth_getTransactionCount", () =>
      provider.getTransactionCount(wallet.address, "latest"),
    );
    if (mined === undefined) return;
    if (this.nextNonce === undefined || (this.inFlight.size === 0 && mined > this.nextNonce))
      this.nextNonce = mined;
    await this.settle(mined);
    if (this.closeGap(mined)) return;
    await this.recover(mined);
    await this.fill();
  }

  /**
   * Nothing of ours can be mined while the lowest nonce in flight is above the mined one (a node told a
   * nonce too high, say): after the rebroadcast time, every payload in flight goes back to the front of
   * the queue, in order, and the next tick sends them from the mined nonce. A payload whose old
   * transaction is mined after all is read as "taken by another transaction" and sent once more: a claim
   * batch sent twice mints once.
   */
  private closeGap(mined: number): boolean {
    const lowest = Math.min(...this.inFlight.keys());
    if (this.inFlight.size === 0 || lowest <= mined) {
      this.gapSince = undefined;
      return false;
    }
    const now = this.now();
    this.gapSince ??= now;
    if (now - this.gapSince < this.options.rebroadcastAfterMs) return false;
    this.log(
      "nonce gap: nothing of ours can be mined; the payloads in flight are sent again from the mined nonce",
      {
        mined,
        lowestInFlight: lowest,
        inFlight: this.inFlight.size,
      },
    );
    const waiting = [...this.inFlight.values()].sort((a, b) => a.nonce - b.nonce);
    this.queue.unshift(...waiting.map(({ payload, resolve, reject }) => ({ payload, resolve, reject })));
    this.inFlight.clear();
    this.nextNonce = mined;
    this.gapSince = undefined;
    this.options.onNonceGap?.();
    return true;
  }

  private async settle(mined: number): Promise<void> {
    const due = [...this.inFlight].filter(([nonce]) => nonce < mined).sort(([a], [b]) => a - b);
    // Every due receipt at once: one after the other, a block's dozen batches took a tick of their own.
    const receipts = await Promise.all(due.map(([, tx]) => this.receiptOf(tx)));
    for (const [i, [nonce, tx]] of due.entries()) {
      const receipt = receipts[i];
      if (receipt === undefined) return; // the node did not answer: ask again next tick
      if (receipt === null) {
        // A node may count a block's nonces a moment before it serves the block's receipts: a nonce is
        // taken by another transaction only when none of ours shows up for a while.
        tx.missingSince ??= this.now();
        if (this.now() - tx.missingSince < RECEIPT_GRACE_MS) continue;
      }
      this.inFlight.delete(nonce);
      if (receipt) tx.resolve(receipt);
      else {
        // The nonce went to a transaction that is not one of ours: send the payload again, later.
        this.log("nonce taken by another transaction; the payload is sent again", { nonce });
        this.queue.unshift({ payload: tx.payload, resolve: tx.resolve, reject: tx.reject });
      }
    }
    // After a restart or a second sender, nonces may have moved past ours: start again from the chain's.
    if (this.inFlight.size === 0 && this.nextNonce !== undefined && mined > this.nextNonce)
      this.nextNonce = mined;
  }

  private async recover(mined: number): Promise<void> {
    const now = this.now();
    let balance: bigint | undefined;
    for (const [nonce, tx] of this.inFlight) {
      if (nonce < mined) continue;
      const last = tx.versions[tx.versions.length - 1];
      // A higher price buys nothing where gas is free: there the original is only sent again as it was.
      if (this.options.gasPriceWei > 0n && now - tx.lastReplacedAt >= this.options.replaceAfterMs) {
        tx.lastReplacedAt = now;
        const gasPrice = last.gasPrice + last.gasPrice / 8n + 1n;
        balance ??= await this.call("eth_getBalance", () => this.options.provider.getBalance(this.address()));
        if (balance !== undefined && balance >= gasPrice * tx.gasLimit) {
          this.log("transaction not mined in time; replacing it with a higher price", {
            nonce,
            hash: last.hash,
            gasPrice: gasPrice.toString(),
          });
          await this.broadcast(tx, await this.sign(tx, gasPrice));
          continue;
        }
        this.log(
          "transaction not mined in time; the account cannot pay a higher price, so it is sent again as it was",
          {
            nonce,
            hash: last.hash,
            balance: balance?.toString(),
          },
        );
        await this.broadcast(tx, last);
      } else if (now - tx.lastSentAt >= this.options.rebroadcastAfterMs) {
        await this.broadcast(tx, last);
      }
    }
  }

  private async fill(): Promise<void> {
    const { provider, wallet, maxInFlight } = this.options;
    // Signed in nonce order, broadcast together: a node takes a later nonce into its pool before an earlier
    // one arrives, and one after the other a tick's dozen broadcasts of 70 kB each took most of a second.
    const signed: Array<Promise<void>> = [];
    while (this.queue.length > 0 && this.inFlight.size < maxInFlight) {
      const item = this.queue[0];
      const { gasLimit: bound, ...call } = item.payload;
      let gas: bigint;
      try {
        gas = bound ?? (await provider.estimateGas({ from: wallet.address, ...call }));
      } catch (error) {
        if (isError(error, "CALL_EXCEPTION") && error.data != null) {
          this.queue.shift();
          item.reject(error); // it would revert: the caller decides (split the batch, wait for an unpause)
          continue;
        }
        this.options.onRpcError?.("eth_estimateGas", error);
        return;
      }
      this.queue.shift();
      const headroom = bound === undefined ? BigInt(100 + (this.options.gasHeadroomPercent ?? 20)) : 100n;
      const tx: InFlight = {
        ...item,
        nonce: this.nextNonce!,
        gasLimit: (gas * headroom) / 100n,
        versions: [],
        firstSentAt: this.now(),
        lastSentAt: 0,
        lastReplacedAt: this.now(),
      };
      this.nextNonce = tx.nonce + 1;
      this.inFlight.set(tx.nonce, tx);
      signed.push(this.broadcast(tx, await this.sign(tx, this.options.gasPriceWei)));
    }
    await Promise.all(signed);
  }

  private async sign(tx: InFlight, gasPrice: bigint): Promise<Version> {
    const { raw, hash } = signLegacyTransaction(this.options.wallet.privateKey, {
      chainId: this.options.chainId,
      nonce: tx.nonce,
      gasLimit: tx.gasLimit,
      gasPrice,
      to: tx.payload.to,
      data: tx.payload.data,
    });
    const version = { hash, raw, gasPrice };
    tx.versions.push(version);
    return version;
  }

  private async broadcast(tx: InFlight, version: Version): Promise<void> {
    tx.lastSentAt = this.now();
    try {
      await this.options.provider.send("eth_sendRawTransaction", [version.raw]);
    } catch (error) {
      const reason = broadcastRefusal(error);
      this.options.onBroadcastRefused?.(reason);
      // A replacement the node would not take (it cannot pay, or is underpriced) is in no pool: it is
      // forgotten, and the version before it stays the one sent again. Anything else (known already, nonce
      // used, a lost answer): the next ticks read the outcome from the chain.
      const refusedReplacement =
        (reason === "funds" || reason === "price") &&
        tx.versions.length > 1 &&
        tx.versions.at(-1) === version;
      if (refusedReplacement) tx.versions.pop();
      this.log(
        refusedReplacement
          ? "replacement refused by the node; the transaction before it is kept"
          : "broadcast not taken; the chain decides at the next tick",
        { nonce: tx.nonce, hash: version.hash, reason, error: describeError(error) },
      );
    }
  }

  /** The receipt of whichever version of `tx` was mined; null if none was; undefined if the node did not answer. */
  private async receiptOf(tx: InFlight): Promise<MinedReceipt | null | undefined> {
    for (const version of tx.versions) {
      const receipt = await this.call("eth_getTransactionReceipt", () =>
        readReceipt(this.options.provider, version.hash),
      );
      if (receipt !== null) return receipt;
    }
    return null;
  }

  /** One read; undefined when the node did not answer (counted, and tried again next tick). */
  private async call<T>(what: string, read: () => Promise<T>): Promise<T | undefined> {
    try {
      return await read();
    } catch (error) {
      this.options.onRpcError?.(what, error);
      return undefined;
    }
  }
}

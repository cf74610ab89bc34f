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
  /** Sends the same signed transaction again when it is not mined after this long (a node lost it). */
  rebroadcastAfterMs: number;
  /** Replaces a transaction not mined after this long with one paying more, under the same nonce. */
  replaceAfterMs: number;
  /** Gas estimate headroom, in percent. */
  gasHeadroomPercent?: number;
  now?: () => number;
  log?: (message: string, fields?: Record<string, unknown>) => void;
  /** Told about each RPC call that failed (counted by the service's metrics). */
  onRpcError?: (what: string, error: unknown) => void;
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
  versions: Version[];
  firstSentAt: number;
  lastSentAt: number;
}

/**
 * Many transactions in flight from one key. The pipeline keeps its own nonce counter (read once from the
 * chain), signs each payload locally and broadcasts it, then follows the account's mined nonce: a nonce
 * below it is settled by one of our versions (its receipt is handed back) or by a transaction that is not
 * ours — a second process with the same key, or a version from before a restart — and then the payload
 * goes back into the queue under a new nonce, never lost and never sent twice under one nonce. A
 * transaction a node dropped (a restart, a full pool) is broadcast again as signed; one left waiting is
 * replaced under its nonce with a higher price. Broadcast errors ("already known", "nonce too low", a lost
 * answer) change nothing: only the chain's nonce and receipts decide what happened.
 */
export class TxPipeline {
  private readonly queue: Queued[] = [];
  private readonly inFlight = new Map<number, InFlight>();
  private nextNonce?: number;
  private readonly now: () => number;
  private readonly log: (message: string, fields?: Record<string, unknown>) => void;

  constructor(private readonly options: PipelineOptions) {
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => undefined);
  }

  /** Queues `payload`; resolves with its receipt once mined (status 0 included), rejects if it would revert. */
  send(payload: Payload): Promise<MinedReceipt> {
    return new Promise((resolve, reject) => this.queue.push({ payload, resolve, reject }));
  }

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

  /** One step: settle what was mined, recover what was lost, then fill the free slots. */
  async tick(): Promise<void> {
    const { provider, wallet } = this.options;
    const mined = await this.call("eth_getTransactionCount", () =>
      provider.getTransactionCount(wallet.address, "latest"),
    );
    if (mined === undefined) return;
    if (this.nextNonce === undefined || (this.inFlight.size === 0 && mined > this.nextNonce))
      this.nextNonce = mined;
    await this.settle(mined);
    await this.recover(mined);
    await this.fill();
  }

  private async settle(mined: number): Promise<void> {
    const due = [...this.inFlight].filter(([nonce]) => nonce < mined).sort(([a], [b]) => a - b);
    // Every due receipt at once: one after the other, a block's dozen batches took a tick of their own.
    const receipts = await Promise.all(due.map(([, tx]) => this.receiptOf(tx)));
    for (const [i, [nonce, tx]] of due.entries()) {
      const receipt = receipts[i];
      if (receipt === undefined) return; // the node did not answer: ask again next tick
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
    for (const [nonce, tx] of this.inFlight) {
      if (nonce < mined) continue;
      if (now - tx.firstSentAt >= this.options.replaceAfterMs * tx.versions.length) {
        const last = tx.versions[tx.versions.length - 1];
        const gasPrice = last.gasPrice + last.gasPrice / 8n + 1n;
        this.log("transaction not mined in time; replacing it with a higher price", {
          nonce,
          hash: last.hash,
          gasPrice: gasPrice.toString(),
        });
        await this.broadcast(tx, await this.sign(tx, gasPrice));
      } else if (now - tx.lastSentAt >= this.options.rebroadcastAfterMs) {
        await this.broadcast(tx, tx.versions[tx.versions.length - 1]);
      }
    }
  }

  private async fill(): Promise<void> {
    const { provider, wallet, maxInFlight } = this.options;
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
      };
      this.nextNonce = tx.nonce + 1;
      this.inFlight.set(tx.nonce, tx);
      await this.broadcast(tx, await this.sign(tx, this.options.gasPriceWei));
    }
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
      // Known already, nonce used, a lost answer: the next ticks read the outcome from the chain.
      this.log("broadcast not taken; the chain decides at the next tick", {
        nonce: tx.nonce,
        hash: version.hash,
        error: describeError(error),
      });
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

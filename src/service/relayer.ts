import { existsSync } from "node:fs";
import { mkdir, readdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { formatUnits, isError, type Interface } from "ethers";
import { encodeClaimBatch } from "../calldata";
import { describeError } from "../errors";
import type { UsageAttestation } from "../rewards";
import { readAllUsage, UsageFileError } from "../usage";
import type { IssuerMetrics, Logger } from "./status";
import type { AttestationSigning } from "./signing-pool";
import type { MinedReceipt, TxPipeline } from "./txpipeline";

/** Why the distributor skipped a batch item (its `SkipReason`, by index). */
export const SKIP_REASON_NAMES = [
  "none",
  "alreadyClaimed",
  "revoked",
  "expired",
  "overBudget",
  "cannotReceive",
] as const;
type SkipReasonName = (typeof SKIP_REASON_NAMES)[number];

/** Skips that end an item for good; the others (budget, a frozen beneficiary) may pass later. */
const FINAL_SKIPS: ReadonlySet<SkipReasonName> = new Set(["alreadyClaimed", "revoked", "expired"]);

/** How an item of a usage file ended on chain. */
export type Outcome = "claimed" | "alreadyClaimed" | "revoked" | "expired";

export interface RelayerOptions {
  /** The distributor's interface and address (claimBatch is encoded here, sent by the pipeline). */
  distributor: { address: string; interface: Interface };
  pipeline: TxPipeline;
  /** Signs each attestation with the attestors (at least the distributor's threshold of them). */
  signer: AttestationSigning;
  /** The inbox directory; finished files go to `done/`, unreadable ones to `rejected/`, inside it. */
  inbox: string;
  batchSize: number;
  /** Seconds from first sight for a row without a deadline. */
  deadlineSeconds: number;
  /** Milliseconds before an item skipped for the budget or its beneficiary is tried again. */
  retrySkippedAfterMs: number;
  metrics: IssuerMetrics;
  log: Logger;
  now?: () => number;
}

interface Item {
  file: InboxFile;
  attestation: UsageAttestation;
  signatures: string;
  state: "pending" | "sending" | "settled";
  outcome?: Outcome;
  notBefore: number;
}

interface InboxFile {
  name: string;
  /** When the relayer first saw it in the inbox (ms). */
  landedAt: number;
  items: Item[];
  pending: number;
}

/** A file's record in `done/`: when it landed and settled, and how each of its items ended. */
export interface FileResult {
  file: string;
  landedAt: string;
  settledAt: string;
  seconds: number;
  items: number;
  outcomes: Partial<Record<Outcome, number>>;
  /** Every item: period, id and outcome, for the auditor who matches the file to the chain. */
  settled: Array<{ period: number; id: string; outcome: Outcome }>;
}

/**
 * An upper bound of a claim batch's gas: a claim to a new beneficiary costs about 44,000 gas with two
 * signatures (bench: reward.claimBatch100New.perItem); a third attestor's signature adds a few thousand.
 * The block builder counts the gas used, not this bound, so a bound too high costs no block space.
 */
export function claimBatchGasBound(items: number): bigint {
  return 100_000n + 60_000n * BigInt(items);
}

const USAGE_FILE = /^[^.].*\.(csv|jsonl|json)$/i;

/**
 * The relayer: takes usage exports dropped into the inbox, signs their attestations and claims them in
 * batches through the pipeline (many in flight), reading each item's fate from the receipt's events. The
 * chain is its only state: a file stays in the inbox until every item in it is settled on chain (claimed;
 * or skipped as already claimed, revoked or expired), and only then moves to `done/` with its result. After
 * a crash the same files are read and sent again, and the chain skips what was claimed before, so every
 * attestation is minted once — also with a second relayer on the same inbox by mistake. Items skipped for
 * the budget or a beneficiary that cannot receive are tried again later, until their deadline ends them.
 * Writers must place a file in the inbox whole: write it under a name starting with "." and rename it.
 */
export class Relayer {
  private readonly files = new Map<string, InboxFile>();
  private readonly now: () => number;
  private readonly distributorAddress: string;
  private readonly claimedTopic: string;
  private readonly skippedTopic: string;
  private readonly claimBatchSelector: string;
  private batchesInFlight = 0;
  private stopping = false;

  constructor(private readonly options: RelayerOptions) {
    this.now = options.now ?? Date.now;
    this.distributorAddress = options.distributor.address.toLowerCase();
    this.claimedTopic = options.distributor.interface.getEvent("AttestationClaimed")!.topicHash;
    this.skippedTopic = options.distributor.interface.getEvent("AttestationSkipped")!.topicHash;
    this.claimBatchSelector = options.distributor.interface.getFunction("claimBatch")!.selector;
  }

  /** One round: take new files, send what is pending, move what is settled. */
  async round(): Promise<void> {
    await this.scanInbox();
    if (!this.stopping) this.dispatch();
    await this.options.pipeline.tick();
    this.options.metrics.batchesInFlight.set(this.options.pipeline.inFlightCount());
    await this.finishSettledFiles();
    this.options.metrics.pendingItems.set(
      [...this.files.values()].reduce((sum, file) => sum + file.pending, 0),
    );
  }

  /** Batches sent and not yet answered. */
  busy(): number {
    return this.batchesInFlight;
  }

  /** Items not yet settled, across the files in the inbox. */
  pendingItems(): number {
    return [...this.files.values()].reduce((sum, file) => sum + file.pending, 0);
  }

  /** No new batches from now on; the ones in flight may finish. */
  stop(): void {
    this.stopping = true;
  }

  private async scanInbox(): Promise<void> {
    const { inbox, log } = this.options;
    const names = (await readdir(inbox, { withFileTypes: true }))
      .filter((entry) => entry.isFile() && USAGE_FILE.test(entry.name))
      .map((entry) => entry.name)
      .sort();
    for (const name of names) {
      if (this.files.has(name)) continue;
      const landedAt = this.now();
      const file = path.join(inbox, name);
      const entry: InboxFile = { name, landedAt, items: [], pending: 0 };
      try {
        entry.items = await this.readAndSign(file, entry);
      } catch (error) {
        if (!existsSync(file)) continue; // moved by another relayer meanwhile
        if (!(error instanceof UsageFileError)) throw error;
        await this.moveAside(name, "rejected", `${error.message}\n`, ".error.txt");
        this.options.metrics.files.inc({ outcome: "rejected" });
        log("warn", "usage file rejected: nothing of it was sent", {
          loop: "relayer",
          file: name,
          error: error.message,
        });
        continue;
      }
      entry.pending = entry.items.length;
      this.files.set(name, entry);
      log("info", "usage file taken", { loop: "relayer", file: name, items: entry.pending });
    }
  }

  private async readAndSign(file: string, entry: InboxFile): Promise<Item[]> {
    const records = await readAllUsage(file);
    const defaultDeadline = BigInt(Math.floor(entry.landedAt / 1000) + this.options.deadlineSeconds);
    const seen = new Set<string>();
    const attestations = records.map((record) => {
      if (record.id === undefined)
        throw new UsageFileError(file, record.row, "id", "the relayer needs each row's attestation id");
      const key = `${record.period}/${record.id}`;
      if (seen.has(key))
        throw new UsageFileError(
          file,
          record.row,
          "id",
          `${record.id} appears twice in period ${record.period}`,
        );
      seen.add(key);
      const attestation: UsageAttestation = {
        beneficiary: record.beneficiary,
        customerId: record.customerId,
        period: record.period,
        category: record.category,
        usageCents: record.usageCents,
        id: record.id,
        deadline: record.deadline ?? defaultDeadline,
      };
      return attestation;
    });
    const bundles = await this.options.signer.sign(attestations);
    return attestations.map((attestation, i) => ({
      file: entry,
      attestation,
      signatures: bundles[i],
      state: "pending" as const,
      notBefore: 0,
    }));
  }

  /** Ends the signing threads (after the loop has stopped). */
  close(): Promise<void> {
    return this.options.signer.close();
  }

  /** Fills batches with pending items, oldest file first, and hands them to the pipeline. */
  private dispatch(): void {
    const { batchSize, pipeline } = this.options;
    const now = this.now();
    const ready: Item[] = [];
    for (const file of this.files.values()) {
      for (const item of file.items) if (item.state === "pending" && item.notBefore <= now) ready.push(item);
    }
    // Keep the pipeline fed, but never queue far beyond what it can have in flight.
    let room = 2 * pipeline.capacity() - pipeline.queuedCount();
    for (let i = 0; i < ready.length && room > 0; i += batchSize, room--)
      this.sendBatch(ready.slice(i, i + batchSize));
  }

  private encode(items: Item[]): string {
    return encodeClaimBatch(
      this.claimBatchSelector,
      items.map((i) => i.attestation),
      items.map((i) => i.signatures),
    );
  }

  private sendBatch(items: Item[]): void {
    const { distributor, pipeline } = this.options;
    for (const item of items) item.state = "sending";
    this.batchesInFlight++;
    const data = this.encode(items);
    pipeline
      .send({ to: distributor.address, data, gasLimit: claimBatchGasBound(items.length) })
      .then(
        (receipt) => this.applyReceipt(items, receipt),
        (error) => this.refused(items, error),
      )
      .catch((error: unknown) => {
        // Whatever went wrong reading the outcome (a node fault while asking why a batch failed, say), the
        // items are sent again: the chain skips what was claimed. Nothing is left waiting, nothing crashes.
        this.options.log("warn", "batch outcome unreadable; its items are sent again", {
          loop: "relayer",
          error: describeError(error),
        });
        for (const item of items) if (item.state === "sending") item.state = "pending";
      })
      .finally(() => this.batchesInFlight--);
  }

  private async applyReceipt(items: Item[], receipt: MinedReceipt): Promise<void> {
    const { distributor, metrics, log } = this.options;
    if (receipt.status !== 1) {
      // Sent without an estimate, a refused batch is mined as a failure: the same call, made again
      // against the chain's state, names the custom error (a pause, say) or shows the items went through.
      const refusal = await this.options.pipeline
        .dryRun({ to: distributor.address, data: this.encode(items) })
        .then(
          () => new Error(`claimBatch failed on chain in ${receipt.hash}`),
          (error: unknown) => error,
        );
      this.refused(items, refusal);
      return;
    }
    const byKey = new Map(items.map((item) => [`${item.attestation.period}/${item.attestation.id}`, item]));
    // Read straight from the topics and data (a batch's receipt holds two logs per claim): the period
    // and id are indexed, the reward is the claim's last data word, the skip's reason its only one.
    for (const entry of receipt.logs) {
      const topic = entry.topics[0];
      if (
        (topic !== this.claimedTopic && topic !== this.skippedTopic) ||
        entry.address !== this.distributorAddress
      )
        continue;
      const item = byKey.get(`${BigInt(entry.topics[1])}/${BigInt(entry.topics[2])}`);
      if (!item || item.state !== "sending") continue;
      if (topic === this.claimedTopic) {
        metrics.claims.inc();
        metrics.minted.inc(Number(formatUnits(BigInt("0x" + entry.data.slice(2 + 3 * 64, 2 + 4 * 64)), 18)));
        this.settle(item, "claimed");
      } else {
        const reason = SKIP_REASON_NAMES[Number(BigInt(entry.data))] ?? "none";
        metrics.skips.inc({ reason });
        if (FINAL_SKIPS.has(reason)) this.settle(item, reason as Outcome);
        else {
          item.state = "pending";
          item.notBefore = this.now() + this.options.retrySkippedAfterMs;
        }
      }
    }
    for (const item of items) if (item.state === "sending") item.state = "pending"; // no event: send again
    log("info", "batch mined", {
      loop: "relayer",
      tx: receipt.hash,
      block: receipt.blockNumber,
      items: items.length,
    });
  }

  /** The batch would revert: split it down to the item the chain refuses; that one waits and is retried. */
  private refused(items: Item[], error: unknown): void {
    const { log, metrics } = this.options;
    const sentence = describeError(error);
    if (this.stopping || !(isError(error, "CALL_EXCEPTION") || /failed on chain/.test(sentence))) {
      for (const item of items) item.state = "pending";
      return;
    }
    if (/EnforcedPause|paused/i.test(sentence) || items.length === 1) {
      if (items.length === 1) metrics.claimFailures.inc();
      log("warn", "claim refused by the chain; tried again later", {
        loop: "relayer",
        items: items.map((i) => `${i.attestation.period}/${i.attestation.id}`).slice(0, 5),
        error: sentence,
      });
      for (const item of items) {
        item.state = "pending";
        item.notBefore = this.now() + this.options.retrySkippedAfterMs;
      }
      return;
    }
    const half = Math.ceil(items.length / 2);
    this.sendBatch(items.slice(0, half));
    this.sendBatch(items.slice(half));
  }

  private settle(item: Item, outcome: Outcome): void {
    item.state = "settled";
    item.outcome = outcome;
    item.file.pending--;
  }

  private async finishSettledFiles(): Promise<void> {
    const { metrics, log } = this.options;
    for (const file of [...this.files.values()]) {
      if (file.pending > 0) continue;
      const settledAt = this.now();
      const outcomes: Partial<Record<Outcome, number>> = {};
      for (const item of file.items) outcomes[item.outcome!] = (outcomes[item.outcome!] ?? 0) + 1;
      const result: FileResult = {
        file: file.name,
        landedAt: new Date(file.landedAt).toISOString(),
        settledAt: new Date(settledAt).toISOString(),
        seconds: (settledAt - file.landedAt) / 1000,
        items: file.items.length,
        outcomes,
        settled: file.items.map((i) => ({
          period: i.attestation.period,
          id: i.attestation.id.toString(),
          outcome: i.outcome!,
        })),
      };
      const moved = await this.moveAside(
        file.name,
        "done",
        JSON.stringify(result, null, 1) + "\n",
        ".result.json",
      );
      this.files.delete(file.name);
      if (!moved) continue;
      metrics.files.inc({ outcome: "done" });
      metrics.inboxToChain.observe(result.seconds);
      log("info", "usage file settled on chain", { loop: "relayer", ...result, settled: undefined });
    }
  }

  /** Moves `name` into `inbox/<folder>/` next to a note; false when another process moved it first. */
  private async moveAside(name: string, folder: string, note: string, noteSuffix: string): Promise<boolean> {
    const dir = path.join(this.options.inbox, folder);
    await mkdir(dir, { recursive: true });
    try {
      await rename(path.join(this.options.inbox, name), path.join(dir, name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      this.options.log("warn", "usage file already moved by another process (a second relayer?)", {
        loop: "relayer",
        file: name,
      });
      return false;
    }
    await writeFile(path.join(dir, name + noteSuffix), note);
    return true;
  }
}

import { existsSync } from "node:fs";
import { appendFile, mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { formatUnits, getAddress, toBeHex, zeroPadValue, type Interface } from "ethers";
import { encodeClaimBatch } from "../calldata";
import { describeError, revertDataOf } from "../errors";
import { computeReward, type PeriodPolicy, type UsageAttestation } from "../rewards";
import { emptyFocusReport, type FocusContext, type FocusReport } from "../focus";
import { formatZon } from "../amounts";
import { readUsageFile, UsageFileError, type UsageReadOptions, type UsageRecord } from "../usage";
import { linesOf, writeFileAtomic } from "./files";
import { InboxWatcher, unchanged, type Snapshot } from "./inbox";
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

/**
 * How a row of a usage file ended:
 * - `claimed`: minted by this row's attestation;
 * - `alreadyClaimed`: its id was claimed before, for this same row's content (a restart, a file dropped
 *   twice, a second relayer on the inbox);
 * - `conflict`: its id was claimed before for other content (another beneficiary, customer, category or
 *   usage): nothing was minted for this row; both rows are named;
 * - `revoked`, `expired`: the chain refuses it for good;
 * - `refused`: the chain refuses it on its own (its period has no policy, its reward exceeds what the
 *   token may still mint, …), with the reason; the other rows of its file go on.
 */
export type Outcome = "claimed" | "alreadyClaimed" | "conflict" | "revoked" | "expired" | "refused";

/** The chain's claim a conflicting row met: what was minted under the same (period, id). */
export interface ClaimOnChain {
  beneficiary: string;
  customerId: string;
  category: number;
  usageCents: string;
  /** ZON wei minted (from the chain's log; unknown for a claim this relayer remembers). */
  reward?: string;
  transactionHash?: string;
  blockNumber?: number;
  /** The row it came from, when this relayer claimed it: file and row. */
  from?: string;
}

/** A row's line of a result file. */
export interface RowOutcome {
  row: number;
  period: number;
  id: string;
  outcome: Outcome;
  /** Why the chain refused it (`refused`). */
  reason?: string;
  /** What the chain holds under its id (`conflict`). */
  claimed?: ClaimOnChain;
}

/** A file's record in `done/`: when it landed and settled, and how each of its rows ended. */
export interface FileResult {
  file: string;
  landedAt: string;
  settledAt: string;
  seconds: number;
  items: number;
  outcomes: Partial<Record<Outcome, number>>;
  /** How many times the file changed after it was taken (it was then taken again, whole). */
  changedAfterTaken?: number;
  /** A FOCUS export: what it held besides the attestations (excluded charges, unregistered accounts…). */
  focus?: FocusReport;
  /** Every row, in the order it settled: its line, period, id and outcome, for the auditor. */
  settled: RowOutcome[];
}

/** What the relayer reads of the chain before it sends claims (cheap views, once a round at most). */
export interface ClaimChain {
  /** Which of the distributor and the token is paused (either refuses every claim). */
  paused(): Promise<{ distributor: boolean; token: boolean }>;
  /** ZON that may still be minted now: the distributor's minter allowance, and what the supply cap leaves. */
  mintable(): Promise<bigint>;
  /** The period's policy and budget (ZON wei), or undefined while none is published. */
  policy(period: number): Promise<(PeriodPolicy & { budget: bigint }) | undefined>;
}

export interface RelayerOptions {
  /** The distributor's interface and address (claimBatch is encoded here, sent by the pipeline). */
  distributor: { address: string; interface: Interface };
  pipeline: TxPipeline;
  /** Signs each attestation with the attestors (at least the distributor's threshold of them). */
  signer: AttestationSigning;
  /** The inbox directory; finished files go to `done/`, unreadable ones to `rejected/`, inside it. */
  inbox: string;
  /** The relayer's own working files (a file's progress, so a restart resumes it). */
  workDir: string;
  batchSize: number;
  /** Seconds from first sight for a row without a deadline. */
  deadlineSeconds: number;
  /** Milliseconds before an item skipped for the budget or its beneficiary is tried again. */
  retrySkippedAfterMs: number;
  /** A file is taken once its size and time have not changed for this long (default 2,000 ms). */
  fileStableMs?: number;
  /** Rows of one file held at once, read and signed ahead of sending (default 20,000). */
  windowRows?: number;
  /**
   * What reading a FOCUS export needs (the account registry, the mapping, the salt), read again for each
   * file taken; without it a FOCUS export is rejected.
   */
  focus?: () => FocusContext;
  /** Refuse usage columns the format does not know (by default they are ignored, with a log line). */
  strictColumns?: boolean;
  /** What the chain allows now (pauses, what may be minted, policies). */
  chain: ClaimChain;
  /** Reads the distributor's logs (for what an earlier claim of an id was): `eth_getLogs`, chunked. */
  claimLogs: (topics: Array<string | string[] | null>) => Promise<ClaimLog[]>;
  metrics: IssuerMetrics;
  log: Logger;
  now?: () => number;
}

/** A log as the node gives it. */
export interface ClaimLog {
  topics: string[];
  data: string;
  transactionHash: string;
  blockNumber: string | number;
}

interface Item {
  file: InboxFile;
  row: number;
  attestation: UsageAttestation;
  signatures: string;
  state: "pending" | "sending" | "checking" | "settled";
  notBefore: number;
}

interface InboxFile {
  snapshot: Snapshot;
  name: string;
  landedAt: number;
  /** Rows in the file (counted by the reading that validated it). */
  total: number;
  settled: number;
  outcomes: Partial<Record<Outcome, number>>;
  /** Rows settled before a restart: not read again. */
  resumed: Set<number>;
  reader: AsyncGenerator<UsageRecord>;
  exhausted: boolean;
  refilling: boolean;
  /** Rows read and signed, not settled yet. */
  window: Set<Item>;
  /** Outcome lines not yet written to the progress file. */
  unwritten: string[];
  progressFile: string;
  defaultDeadline: bigint;
  /** Set once the file changed or vanished: what is still in flight for it is ignored. */
  dropped: boolean;
  changes: number;
  focus?: FocusReport;
}

/**
 * An upper bound of a claim batch's gas: a claim to a new beneficiary costs about 44,000 gas with two
 * signatures (bench: reward.claimBatch100New.perItem); a third attestor's signature adds a few thousand.
 * The block builder counts the gas used, not this bound, so a bound too high costs no block space.
 */
export function claimBatchGasBound(items: number): bigint {
  return 100_000n + 60_000n * BigInt(items);
}

/** Claims this process saw minted, by (period, id): enough to tell a restart from a conflict at once. */
const KNOWN_CLAIMS_KEPT = 200_000;

/** What identifies a row's claim, apart from its id and deadline. */
function contentOf(a: { beneficiary: string; customerId: string; category: number; usageCents: bigint }) {
  return `${a.beneficiary.toLowerCase()}/${a.customerId.toLowerCase()}/${a.category}/${a.usageCents}`;
}

/**
 * The relayer: takes usage exports dropped into the inbox once they are whole, reads and validates each in
 * one streaming pass (a bad row sets the whole file aside in `rejected/`, nothing of it sent), then reads
 * it again a window of rows at a time, signs them and claims them in batches through the pipeline (many in
 * flight; files take turns, so a small file is not held up behind a large one). Each batch is run as a
 * call first, and never sent if the call shows it would revert; a batch the chain refuses is split down to
 * the row it refuses, which ends `refused` with the reason while the rest goes on. Each row's fate is read
 * from the batch's receipt, event by event in the order of the rows, and matched to the row by content: an
 * id claimed before for another content is a `conflict`. A file moves to `done/` with its result (written
 * whole first) once every row is settled. Its progress is kept in the work directory, so a restart resumes
 * where it was; the chain stays the truth (a row claimed before it was recorded comes back as
 * `alreadyClaimed`). A file that changes after it was taken is reported and taken again, whole.
 */
export class Relayer {
  private readonly files = new Map<string, InboxFile>();
  private readonly taking = new Set<string>();
  private readonly changes = new Map<string, number>();
  private readonly watcher: InboxWatcher;
  private readonly knownClaims = new Map<string, { content: string; from: string }>();
  private readonly lookups: Item[] = [];
  private readonly now: () => number;
  private readonly distributorAddress: string;
  private readonly claimedTopic: string;
  private readonly skippedTopic: string;
  private readonly claimBatchSelector: string;
  private readonly windowRows: number;
  private batchesInFlight = 0;
  private stopping = false;
  /** What the chain allowed when last read (pauses, what may be minted). */
  private allowed = { pausedBy: undefined as string | undefined, mintable: 0n, readAt: -Infinity };
  private readonly policies = new Map<
    number,
    { policy?: PeriodPolicy & { budget: bigint }; readAt: number }
  >();
  /** Rewards of the batches sent and not settled: they may still be minted. */
  private rewardsInFlight = 0n;
  /** Set after a batch failed on chain or was refused: every batch is run as a call first, until one lands. */
  private careful = false;
  private toldPaused?: string;
  private lastProgressAt: number;
  private writeError?: string;

  constructor(private readonly options: RelayerOptions) {
    this.now = options.now ?? Date.now;
    this.lastProgressAt = this.now();
    this.watcher = new InboxWatcher(options.inbox, options.fileStableMs ?? 2_000, this.now);
    this.watcher.follow(() => this.scanSoon());
    this.windowRows = options.windowRows ?? 20_000;
    this.distributorAddress = options.distributor.address.toLowerCase();
    this.claimedTopic = options.distributor.interface.getEvent("AttestationClaimed")!.topicHash;
    this.skippedTopic = options.distributor.interface.getEvent("AttestationSkipped")!.topicHash;
    this.claimBatchSelector = options.distributor.interface.getFunction("claimBatch")!.selector;
  }

  /** One round: take new files, read ahead, send what is pending, move what is settled. */
  async round(): Promise<void> {
    await mkdir(this.options.workDir, { recursive: true });
    await this.watchFiles();
    await this.scanInbox();
    for (const file of this.files.values()) if (!this.stopping) this.refill(file);
    await this.readAllowed();
    if (!this.stopping) await this.dispatch();
    await this.options.pipeline.tick();
    this.options.metrics.batchesInFlight.set(this.options.pipeline.inFlightCount());
    await this.lookUpEarlierClaims();
    await this.writeProgress();
    await this.finishSettledFiles();
    this.options.metrics.pendingItems.set(this.pendingItems());
  }

  /** Batches sent and not yet answered. */
  busy(): number {
    return this.batchesInFlight;
  }

  /** Rows not yet settled, across the files taken. */
  pendingItems(): number {
    return [...this.files.values()].reduce((sum, file) => sum + file.total - file.settled, 0);
  }

  /** When a row last settled (or the relayer started). */
  lastProgress(): number {
    return this.lastProgressAt;
  }

  /** Why results or progress cannot be written now (undefined: they can). */
  writeProblem(): string | undefined {
    return this.writeError;
  }

  /** No new batches from now on; the ones in flight may finish. */
  stop(): void {
    this.stopping = true;
  }

  /** Ends the signing threads (after the loop has stopped). */
  close(): Promise<void> {
    this.watcher.unfollow();
    return this.options.signer.close();
  }

  // ------------------------------------------------------------------------------- taking files

  /** A look at the inbox right away (it changed), joined with one under way. */
  private scanSoon(): void {
    if (this.scanPending || this.stopping) return;
    this.scanPending = true;
    setImmediate(() => {
      this.scanPending = false;
      this.scanInbox().catch((error: unknown) =>
        this.options.log("warn", "cannot look at the inbox now; the next round does", {
          loop: "relayer",
          error: describeError(error),
        }),
      );
    });
  }

  private scanPending = false;
  private scanning?: Promise<void>;

  private scanInbox(): Promise<void> {
    this.scanning ??= this.scanOnce().finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  private async scanOnce(): Promise<void> {
    const { log, metrics } = this.options;
    const scan = await this.watcher.scan(new Set([...this.files.keys(), ...this.taking]));
    for (const { name, why } of scan.ignored) {
      metrics.inboxIgnored.inc({ why });
      log(
        "warn",
        "inbox entry left alone: the relayer takes only regular .csv, .csv.gz, .parquet, .jsonl and .json files",
        {
          loop: "relayer",
          file: name,
          why,
        },
      );
    }
    if (this.stopping) return;
    for (const snapshot of scan.whole) {
      this.taking.add(snapshot.name);
      void this.take(snapshot).finally(() => this.taking.delete(snapshot.name));
    }
  }

  /** How a file is read: FOCUS exports with the registry as it is now; ignored columns logged once. */
  private readOptions(name: string): UsageReadOptions {
    const { focus, strictColumns, log } = this.options;
    return {
      strict: strictColumns,
      onNotice: (message) =>
        log("info", "usage file column ignored", { loop: "relayer", file: name, notice: message }),
      ...(focus ? { focus: focus(), focusReport: emptyFocusReport() } : {}),
    };
  }

  /**
   * Reads the whole file once, streaming, to validate every row (a bad one rejects the file before
   * anything of it is sent), then opens it again to be read a window at a time. Any failure to read it sets
   * this one file aside, never the round.
   */
  private async take(snapshot: Snapshot): Promise<void> {
    const { inbox, log, metrics } = this.options;
    const file = path.join(inbox, snapshot.name);
    let total: number;
    let readOptions: UsageReadOptions;
    try {
      readOptions = this.readOptions(snapshot.name);
      total = await validate(file, readOptions);
    } catch (error) {
      if (!existsSync(file)) return; // moved by another relayer meanwhile
      const reason =
        error instanceof UsageFileError ? error.message : `cannot be read: ${describeError(error)}`;
      if (await this.moveAside(snapshot.name, "rejected", [`${reason}\n`], ".error.txt")) {
        metrics.files.inc({ outcome: "rejected" });
        log("warn", "usage file rejected: nothing of it was sent", {
          loop: "relayer",
          file: snapshot.name,
          error: reason,
        });
      }
      return;
    }
    if ((await unchanged(inbox, snapshot)) !== true) {
      this.watcher.forget(snapshot.name); // it changed while it was read: taken again once whole
      return;
    }
    const landedAt = this.now();
    const entry: InboxFile = {
      snapshot,
      name: snapshot.name,
      landedAt,
      total,
      settled: 0,
      outcomes: {},
      resumed: new Set(),
      // The same registry and mapping as the validation read: the rows are the ones counted.
      reader: readUsageFile(file, { ...readOptions, focusReport: undefined, onNotice: undefined }),
      exhausted: false,
      refilling: false,
      window: new Set(),
      unwritten: [],
      progressFile: path.join(this.options.workDir, `${snapshot.name}.progress.jsonl`),
      defaultDeadline: BigInt(Math.floor(landedAt / 1000) + this.options.deadlineSeconds),
      dropped: false,
      changes: this.changes.get(snapshot.name) ?? 0,
      focus: readOptions.focusReport,
    };
    await this.resume(entry);
    this.files.set(entry.name, entry);
    this.refill(entry); // at once, not at the next round
    log("info", "usage file taken", {
      loop: "relayer",
      file: entry.name,
      items: total,
      ...(entry.settled > 0 ? { resumedSettled: entry.settled } : {}),
      ...(entry.focus ? { focus: focusSummary(entry.focus) } : {}),
    });
  }

  /**
   * The progress a run before a restart recorded for this very file (same inode, size and time), if any:
   * its settled rows are not sent again. A progress file of another version of the file is discarded.
   */
  private async resume(file: InboxFile): Promise<void> {
    const header = JSON.stringify({ file: file.name, ...file.snapshot });
    let resumed = false;
    if (existsSync(file.progressFile)) {
      try {
        let first = true;
        for await (const line of linesOf(file.progressFile)) {
          if (first) {
            first = false;
            if (line !== header) break;
            resumed = true;
            continue;
          }
          let outcome: RowOutcome;
          try {
            outcome = JSON.parse(line) as RowOutcome;
          } catch {
            break; // a line torn by a crash: what follows is read again from the chain
          }
          if (file.resumed.has(outcome.row)) continue;
          file.resumed.add(outcome.row);
          file.settled++;
          file.outcomes[outcome.outcome] = (file.outcomes[outcome.outcome] ?? 0) + 1;
        }
      } catch (error) {
        this.options.log("warn", "progress file unreadable; the file is read again from its start", {
          loop: "relayer",
          file: file.name,
          error: describeError(error),
        });
        resumed = false;
      }
    }
    if (!resumed) {
      file.resumed.clear();
      file.settled = 0;
      file.outcomes = {};
      await writeFile(file.progressFile, header + "\n", { flush: true });
    }
  }

  /** Reads and signs the next rows of `file`, up to its window, in the background. */
  private refill(file: InboxFile): void {
    if (file.refilling || file.exhausted || file.dropped || file.window.size >= this.windowRows) return;
    file.refilling = true;
    void (async () => {
      const records: UsageRecord[] = [];
      while (records.length < Math.min(2_000, this.windowRows - file.window.size)) {
        const next = await file.reader.next();
        if (next.done) {
          file.exhausted = true;
          break;
        }
        if (!file.resumed.has(next.value.row)) records.push(next.value);
      }
      const attestations = records.map((r): UsageAttestation => ({
        beneficiary: r.beneficiary,
        customerId: r.customerId,
        period: r.period,
        category: r.category,
        usageCents: r.usageCents,
        id: r.id!,
        deadline: r.deadline ?? file.defaultDeadline,
      }));
      const bundles = attestations.length > 0 ? await this.options.signer.sign(attestations) : [];
      if (file.dropped) return;
      attestations.forEach((attestation, i) =>
        file.window.add({
          file,
          row: records[i].row,
          attestation,
          signatures: bundles[i],
          state: "pending",
          notBefore: 0,
        }),
      );
      // Sent at once, not at the next round: a file's rows are on their way as soon as they are signed.
      if (attestations.length > 0 && !this.stopping) {
        await this.dispatch();
        await this.options.pipeline.tick();
      }
    })()
      .catch((error: unknown) => {
        // Validated already, the file failed on a second reading (changed, or gone): drop it; the next scan
        // decides (taken again whole, or moved by another relayer).
        this.drop(file, `cannot be read again: ${describeError(error)}`);
      })
      .finally(() => (file.refilling = false));
  }

  /** A taken file changed (or vanished): what is in flight for it is ignored, and it is taken again whole. */
  private async watchFiles(): Promise<void> {
    for (const file of [...this.files.values()]) {
      const state = await unchanged(this.options.inbox, file.snapshot);
      if (state === true) continue;
      if (state === "gone") {
        this.drop(file, undefined);
        continue;
      }
      this.changes.set(file.name, file.changes + 1);
      this.options.metrics.files.inc({ outcome: "changed" });
      this.drop(
        file,
        "it changed after it was taken (written in place?): it is taken again, whole, once it stops changing",
      );
    }
  }

  private drop(file: InboxFile, why: string | undefined): void {
    if (file.dropped) return;
    file.dropped = true;
    this.files.delete(file.name);
    this.watcher.forget(file.name);
    void file.reader.return(undefined);
    void rm(file.progressFile, { force: true });
    if (why)
      this.options.log("error", "usage file set back: no row of it is settled in silence", {
        loop: "relayer",
        file: file.name,
        why,
        settledBefore: file.settled,
      });
  }

  // ---------------------------------------------------------------------------------- sending

  /** Reads, at most twice a second, whether claims are paused and how much may still be minted. */
  private async readAllowed(): Promise<void> {
    if (this.now() - this.allowed.readAt < 500) return;
    const { chain, log } = this.options;
    try {
      const [paused, mintable] = await Promise.all([chain.paused(), chain.mintable()]);
      const pausedBy = paused.distributor ? "the distributor" : paused.token ? "the token" : undefined;
      this.allowed = { pausedBy, mintable, readAt: this.now() };
      if (pausedBy && this.toldPaused !== pausedBy)
        log("warn", `${pausedBy} is paused: claims wait until it is unpaused`, { loop: "relayer" });
      this.toldPaused = pausedBy;
    } catch (error) {
      log("warn", "cannot read the chain's pauses now; asked again next round", {
        loop: "relayer",
        error: describeError(error),
      });
    }
  }

  /** The period's policy (read again every 10 s while missing, and for its budget), or undefined. */
  private async policyOf(period: number): Promise<(PeriodPolicy & { budget: bigint }) | undefined> {
    const known = this.policies.get(period);
    if (known && this.now() - known.readAt < 10_000) return known.policy;
    const policy = await this.options.chain.policy(period);
    this.policies.set(period, { policy, readAt: this.now() });
    return policy;
  }

  /**
   * Refuses on their own the rows the chain would refuse for good: a period without a policy, a reward
   * larger than the period's whole budget (it can never be paid). Returns the reward of the rest.
   */
  private async screen(items: Item[]): Promise<{ sendable: Item[]; reward: bigint }> {
    const sendable: Item[] = [];
    let reward = 0n;
    for (const item of items) {
      const a = item.attestation;
      const policy = await this.policyOf(a.period);
      if (!policy) {
        this.refuse(item, this.errorSentence("PolicyNotPublished", [a.period]));
        continue;
      }
      const amount = computeReward(policy, a.category, a.usageCents);
      if (amount > policy.budget) {
        this.refuse(
          item,
          `its reward of ${formatZon(amount)} is larger than period ${a.period}'s whole budget of ${formatZon(policy.budget)}: it can never be paid unless the policy officer raises the budget that far`,
        );
        continue;
      }
      sendable.push(item);
      reward += amount;
    }
    return { sendable, reward };
  }

  private errorSentence(name: string, args: unknown[]): string {
    return describeError({ data: this.options.distributor.interface.encodeErrorResult(name, args) });
  }

  /** Fills batches with pending rows, a batch from each file in turn, and hands them to the pipeline. */
  private async dispatch(): Promise<void> {
    if (this.allowed.pausedBy || this.dispatching) return;
    this.dispatching = true;
    try {
      await this.dispatchBatches();
    } finally {
      this.dispatching = false;
    }
  }

  private dispatching = false;

  private async dispatchBatches(): Promise<void> {
    const { batchSize, pipeline } = this.options;
    const now = this.now();
    const ready = [...this.files.values()]
      .map((file) => [...file.window].filter((item) => item.state === "pending" && item.notBefore <= now))
      .filter((items) => items.length > 0);
    // Keep the pipeline fed, but never queue far beyond what it can have in flight.
    // Batches not yet in flight: queued in the pipeline, or still being run as a call.
    let room = 2 * pipeline.capacity() - (this.batchesInFlight - pipeline.inFlightCount());
    for (let offset = 0; room > 0 && ready.some((items) => offset < items.length); offset += batchSize)
      for (const items of ready) {
        if (room <= 0) break;
        if (offset >= items.length) continue;
        const batch = items.slice(offset, offset + batchSize);
        for (const item of batch) item.state = "sending";
        let screened: { sendable: Item[]; reward: bigint };
        try {
          screened = await this.screen(batch);
        } catch (error) {
          // A policy could not be read (a node fault): the batch waits for a later round.
          for (const item of batch) if (item.state === "sending") item.state = "pending";
          this.options.log("warn", "cannot read a period's policy now; its rows wait", {
            loop: "relayer",
            error: describeError(error),
          });
          return;
        }
        const { sendable, reward } = screened;
        if (sendable.length === 0) continue;
        // Run as a call first only when it might revert: after a failure, or near what may still be minted.
        const risky = this.careful || this.rewardsInFlight + reward > this.allowed.mintable;
        this.sendBatch(sendable, reward, risky);
        room--;
      }
  }

  private encode(items: Item[]): string {
    return encodeClaimBatch(
      this.claimBatchSelector,
      items.map((i) => i.attestation),
      items.map((i) => i.signatures),
    );
  }

  /**
   * Sends a batch; a batch that might revert (`asCallFirst`) is run as a call first and sent only if the
   * call passes: no transaction is sent that a call shows would revert. The others were screened already
   * (pauses, policies, budgets, what may be minted), so the chain's work is not done twice for each.
   */
  private sendBatch(items: Item[], reward: bigint, asCallFirst: boolean): void {
    const { distributor, pipeline } = this.options;
    for (const item of items) item.state = "sending";
    this.batchesInFlight++;
    this.rewardsInFlight += reward;
    const data = this.encode(items);
    (asCallFirst ? pipeline.dryRun({ to: distributor.address, data }) : Promise.resolve("0x"))
      .then(
        () =>
          pipeline.send({ to: distributor.address, data, gasLimit: claimBatchGasBound(items.length) }).then(
            (receipt) => {
              if (asCallFirst && receipt.status === 1) this.careful = false;
              return this.applyReceipt(items, receipt);
            },
            (error) => this.refused(items, error),
          ),
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
      .finally(() => {
        this.batchesInFlight--;
        this.rewardsInFlight -= reward;
      });
  }

  private async applyReceipt(items: Item[], receipt: MinedReceipt): Promise<void> {
    const { distributor, metrics, log } = this.options;
    if (receipt.status !== 1) {
      // Failed when mined (the state moved since it was screened or run as a call): the same call, made
      // again, names the custom error (a pause, say) or shows the items went through. Every batch is run as
      // a call first from now on, until one lands.
      this.careful = true;
      const refusal = await this.options.pipeline
        .dryRun({ to: distributor.address, data: this.encode(items) })
        .then(
          () => new Error(`claimBatch failed on chain in ${receipt.hash}`),
          (error: unknown) => error,
        );
      this.refused(items, refusal);
      return;
    }
    // claimBatch emits exactly one event per item, claimed or skipped, in the order of the items: each is
    // matched to its row by position, so two rows with one (period, id) in one batch are told apart.
    const events = receipt.logs.filter(
      (entry) =>
        entry.address === this.distributorAddress &&
        (entry.topics[0] === this.claimedTopic || entry.topics[0] === this.skippedTopic),
    );
    if (events.length !== items.length) {
      log("warn", "a batch's events do not match its items; its items are sent again", {
        loop: "relayer",
        tx: receipt.hash,
        items: items.length,
        events: events.length,
      });
      for (const item of items) if (item.state === "sending") item.state = "pending";
      return;
    }
    for (const [i, entry] of events.entries()) {
      const item = items[i];
      if (item.state !== "sending") continue;
      const a = item.attestation;
      if (BigInt(entry.topics[1]) !== BigInt(a.period) || BigInt(entry.topics[2]) !== a.id) {
        item.state = "pending"; // cannot happen with claimBatch; sent again, the chain decides
        continue;
      }
      if (entry.topics[0] === this.claimedTopic) {
        metrics.claims.inc();
        metrics.minted.inc(Number(formatUnits(BigInt("0x" + entry.data.slice(2 + 3 * 64, 2 + 4 * 64)), 18)));
        this.rememberClaim(item);
        this.settle(item, { outcome: "claimed" });
        continue;
      }
      const reason: SkipReasonName = SKIP_REASON_NAMES[Number(BigInt(entry.data))] ?? "none";
      metrics.skips.inc({ reason });
      if (reason === "revoked" || reason === "expired") this.settle(item, { outcome: reason });
      else if (reason === "alreadyClaimed") this.checkEarlierClaim(item);
      else {
        // The budget or the beneficiary may change: tried again later, until the deadline ends it.
        item.state = "pending";
        item.notBefore = this.now() + this.options.retrySkippedAfterMs;
      }
    }
    log("info", "batch mined", {
      loop: "relayer",
      file: items[0].file.name,
      tx: receipt.hash,
      block: receipt.blockNumber,
      items: items.length,
    });
  }

  /**
   * The batch would revert (as a call, or mined as a failure): split it down to the row the chain refuses.
   * That row ends `refused` with the reason and the others go on; a pause refuses every row alike, and they
   * all wait for it to be lifted.
   */
  private refused(items: Item[], error: unknown): void {
    const { log, metrics } = this.options;
    const sentence = describeError(error);
    const refusal = revertDataOf(error) !== undefined || /failed on chain/.test(sentence);
    if (this.stopping || !refusal) {
      for (const item of items) if (item.state === "sending") item.state = "pending";
      return;
    }
    this.careful = true;
    if (/EnforcedPause|paused/i.test(sentence)) {
      log("warn", "claims refused while paused; tried again later", { loop: "relayer", error: sentence });
      for (const item of items) {
        item.state = "pending";
        item.notBefore = this.now() + this.options.retrySkippedAfterMs;
      }
      return;
    }
    if (items.length === 1) {
      const [item] = items;
      metrics.claimFailures.inc();
      log("warn", "row refused by the chain on its own; the rest of its file goes on", {
        loop: "relayer",
        file: item.file.name,
        row: item.row,
        id: `${item.attestation.period}/${item.attestation.id}`,
        error: sentence,
      });
      this.settle(item, { outcome: "refused", reason: sentence });
      return;
    }
    // Halves run as calls first: they are suspects.
    const half = Math.ceil(items.length / 2);
    this.sendBatch(items.slice(0, half), 0n, true);
    this.sendBatch(items.slice(half), 0n, true);
  }

  /** A row the chain would refuse for good, refused here without sending it. */
  private refuse(item: Item, reason: string): void {
    this.options.metrics.claimFailures.inc();
    this.options.log("warn", "row refused on its own; the rest of its file goes on", {
      loop: "relayer",
      file: item.file.name,
      row: item.row,
      id: `${item.attestation.period}/${item.attestation.id}`,
      reason,
    });
    this.settle(item, { outcome: "refused", reason });
  }

  // ----------------------------------------------------------------------- earlier claims of an id

  private key(a: UsageAttestation): string {
    return `${a.period}/${a.id}`;
  }

  private rememberClaim(item: Item): void {
    if (this.knownClaims.size >= KNOWN_CLAIMS_KEPT)
      this.knownClaims.delete(this.knownClaims.keys().next().value!);
    this.knownClaims.set(this.key(item.attestation), {
      content: contentOf(item.attestation),
      from: `${item.file.name} row ${item.row}`,
    });
  }

  /** An id claimed before: the same content (this row, claimed before) or a conflict. */
  private checkEarlierClaim(item: Item): void {
    const known = this.knownClaims.get(this.key(item.attestation));
    if (known) {
      if (known.content === contentOf(item.attestation)) this.settle(item, { outcome: "alreadyClaimed" });
      else this.conflict(item, { ...claimOf(known.content), from: known.from });
      return;
    }
    item.state = "checking";
    this.lookups.push(item);
  }

  /** What the chain minted under the ids of rows that met an earlier claim: one log query per period. */
  private async lookUpEarlierClaims(): Promise<void> {
    const byPeriod = new Map<number, Item[]>();
    for (const item of this.lookups.splice(0, 500)) {
      if (item.file.dropped || item.state !== "checking") continue;
      byPeriod.set(item.attestation.period, [...(byPeriod.get(item.attestation.period) ?? []), item]);
    }
    for (const [period, items] of byPeriod) {
      let logs: ClaimLog[];
      try {
        logs = await this.options.claimLogs([
          this.claimedTopic,
          zeroPadValue(toBeHex(period), 32),
          [...new Set(items.map((i) => zeroPadValue(toBeHex(i.attestation.id), 32)))],
        ]);
      } catch (error) {
        this.options.log("warn", "cannot read earlier claims now; asked again next round", {
          loop: "relayer",
          error: describeError(error),
        });
        this.lookups.push(...items);
        continue;
      }
      const claims = new Map(logs.map((log) => [BigInt(log.topics[2]), log]));
      for (const item of items) {
        const log = claims.get(item.attestation.id);
        const claim = log && claimFromLog(log);
        if (
          !claim ||
          contentOf({ ...claim, usageCents: BigInt(claim.usageCents) }) === contentOf(item.attestation)
        )
          this.settle(item, { outcome: "alreadyClaimed" });
        else this.conflict(item, claim);
      }
    }
  }

  private conflict(item: Item, claimed: ClaimOnChain): void {
    const a = item.attestation;
    this.options.metrics.conflicts.inc();
    this.options.log(
      "error",
      "conflict: this row's id was claimed before for another content; nothing minted for it",
      {
        loop: "relayer",
        file: item.file.name,
        row: item.row,
        id: `${a.period}/${a.id}`,
        beneficiary: a.beneficiary,
        usageCents: a.usageCents.toString(),
        claimed,
      },
    );
    this.settle(item, { outcome: "conflict", claimed });
  }

  // --------------------------------------------------------------------------------- settling

  private settle(item: Item, result: Omit<RowOutcome, "row" | "period" | "id">): void {
    const { file } = item;
    item.state = "settled";
    file.window.delete(item);
    if (file.dropped) return;
    file.settled++;
    file.outcomes[result.outcome] = (file.outcomes[result.outcome] ?? 0) + 1;
    const line: RowOutcome = {
      row: item.row,
      period: item.attestation.period,
      id: item.attestation.id.toString(),
      ...result,
    };
    file.unwritten.push(JSON.stringify(line) + "\n");
    this.lastProgressAt = this.now();
  }

  /** Appends the rows settled since the last round to each file's progress file. */
  private async writeProgress(): Promise<void> {
    for (const file of this.files.values()) {
      if (file.unwritten.length === 0) continue;
      const lines = file.unwritten.splice(0);
      try {
        await appendFile(file.progressFile, lines.join(""));
        this.writeError = undefined;
      } catch (error) {
        file.unwritten.unshift(...lines); // written at the next round
        this.failedWrite(file.progressFile, error);
      }
    }
  }

  private failedWrite(what: string, error: unknown): void {
    this.writeError = `cannot write ${what}: ${describeError(error)}`;
    this.options.metrics.writeErrors.inc({ loop: "relayer" });
    this.options.log("error", "a write failed; tried again next round (the file stays in the inbox)", {
      loop: "relayer",
      error: this.writeError,
    });
  }

  private async finishSettledFiles(): Promise<void> {
    const { metrics, log } = this.options;
    for (const file of [...this.files.values()]) {
      if (!file.exhausted || file.refilling || file.window.size > 0 || file.unwritten.length > 0) continue;
      if (file.settled !== file.total) continue;
      const settledAt = this.now();
      const result: Omit<FileResult, "settled"> = {
        file: file.name,
        landedAt: new Date(file.landedAt).toISOString(),
        settledAt: new Date(settledAt).toISOString(),
        seconds: (settledAt - file.landedAt) / 1000,
        items: file.total,
        outcomes: file.outcomes,
        ...(file.changes > 0 ? { changedAfterTaken: file.changes } : {}),
        ...(file.focus ? { focus: file.focus } : {}),
      };
      const head = JSON.stringify(result);
      const moved = await this.moveAside(
        file.name,
        "done",
        [head.slice(0, -1), ',"settled":[\n', rowsOf(file.progressFile), "]}\n"],
        ".result.json",
      );
      if (moved === undefined) continue; // could not be written: the file stays, tried again next round
      this.files.delete(file.name);
      this.changes.delete(file.name);
      await rm(file.progressFile, { force: true });
      if (!moved) continue;
      metrics.files.inc({ outcome: "done" });
      metrics.inboxToChain.observe(result.seconds);
      const { focus, ...settled } = result;
      log("info", "usage file settled on chain", {
        loop: "relayer",
        ...settled,
        ...(focus ? { focus: focusSummary(focus) } : {}),
      });
    }
  }

  /**
   * Writes the note for `name` into `inbox/<folder>/` (whole, or not at all), then moves the file next to
   * it. True once moved; false when another process moved it first; undefined when the note could not be
   * written (the file stays in the inbox, and a later round tries again).
   */
  private async moveAside(
    name: string,
    folder: string,
    note: Array<string | AsyncIterable<string>>,
    noteSuffix: string,
  ): Promise<boolean | undefined> {
    const dir = path.join(this.options.inbox, folder);
    try {
      await mkdir(dir, { recursive: true });
      await writeFileAtomic(path.join(dir, name + noteSuffix), note);
    } catch (error) {
      this.failedWrite(path.join(dir, name + noteSuffix), error);
      return undefined;
    }
    this.writeError = undefined;
    try {
      await rename(path.join(this.options.inbox, name), path.join(dir, name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
        this.failedWrite(path.join(dir, name), error);
        return undefined;
      }
      this.options.log("warn", "usage file already moved by another process (a second relayer?)", {
        loop: "relayer",
        file: name,
      });
      return false;
    }
    return true;
  }
}

/** A file's rows as the result's list: its progress lines, comma-separated. */
async function* rowsOf(progressFile: string): AsyncGenerator<string> {
  let first = true;
  let header = true;
  for await (const line of linesOf(progressFile)) {
    if (header) {
      header = false;
      continue;
    }
    yield (first ? "" : ",\n") + line;
    first = false;
  }
  yield "\n";
}

/**
 * A FOCUS report in a log line: counts only (an export can leave thousands of accounts out); the result
 * file in `done/` keeps the whole report.
 */
function focusSummary(report: FocusReport): Record<string, number> {
  return {
    rows: report.rows,
    attestations: report.attestations,
    credits: report.credits,
    corrections: report.corrections,
    unregisteredAccounts: Object.keys(report.unregistered).length,
    unmappedServices: Object.keys(report.unmapped).length,
    nonPositive: report.nonPositive.length,
  };
}

/** Reads a usage file through once, checking every row; returns how many rows it has. */
async function validate(file: string, options: UsageReadOptions): Promise<number> {
  const seen = new Map<number, Set<number | string>>();
  let rows = 0;
  for await (const record of readUsageFile(file, options)) {
    if (record.id === undefined)
      throw new UsageFileError(file, record.row, "id", "the relayer needs each row's attestation id");
    // Ids as numbers where they fit (a set of a million numbers is a few tens of MB), else as text.
    const id = record.id <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(record.id) : record.id.toString();
    const ids = seen.get(record.period) ?? new Set<number | string>();
    if (ids.has(id))
      throw new UsageFileError(
        file,
        record.row,
        "id",
        `${record.id} appears twice in period ${record.period}`,
      );
    ids.add(id);
    seen.set(record.period, ids);
    rows++;
  }
  if (rows === 0)
    throw new UsageFileError(
      file,
      1,
      "row",
      options.focusReport
        ? `no attestation to claim (${Object.entries(focusSummary(options.focusReport))
            .map(([what, count]) => `${what} ${count}`)
            .join(", ")})`
        : "the file holds no row",
    );
  return rows;
}

/** The claim an `AttestationClaimed` log records. */
function claimFromLog(log: ClaimLog): ClaimOnChain {
  const word = (i: number) => "0x" + log.data.slice(2 + 64 * i, 2 + 64 * (i + 1));
  return {
    beneficiary: getAddress("0x" + log.topics[3].slice(26)),
    customerId: word(0),
    category: Number(BigInt(word(1))),
    usageCents: BigInt(word(2)).toString(),
    reward: BigInt(word(3)).toString(),
    transactionHash: log.transactionHash,
    blockNumber: Number(log.blockNumber),
  };
}

/** A claim from its content key (as `contentOf` makes it), for a conflict this relayer claimed itself. */
function claimOf(content: string): ClaimOnChain {
  const [beneficiary, customerId, category, usageCents] = content.split("/");
  return { beneficiary: getAddress(beneficiary), customerId, category: Number(category), usageCents };
}

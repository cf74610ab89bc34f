import { createHash } from "node:crypto";
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  writeFileSync,
  type WriteStream,
} from "node:fs";
import { once } from "node:events";
import path from "node:path";
import {
  getAddress,
  Interface,
  toBeHex,
  ZeroAddress,
  zeroPadValue,
  type InterfaceAbi,
  type JsonRpcProvider,
} from "ethers";
import { formatZon } from "./amounts";
import type { Deployment } from "./deployments";
import { bytes32Text, DEFAULT_MAX_LOGS_RANGE, rawLogsInChunks, type RawLog } from "./events";
import { requestHash } from "./fulfilment/worker";
import type { RedemptionRequest } from "./redemption";
import type { LedgerEntry } from "./fulfilment/file-adapter";
import { CATEGORIES } from "./rewards";
import { readUsageFile, type UsageReadOptions } from "./usage";

/*
 * The issuer's books for a period, from the chain and the issuer's own files: every usage row of the
 * exports matched to its fate on chain by (period, id) and content, every redemption request to its
 * delivery in the fulfilment ledgers, and the supply split by minter against the custodians' books.
 * Logs are read raw in chunks of at most `maxLogsRange` blocks from the deployment's block and decoded by
 * hand; usage rows are streamed: only the chain's claims of the period (an id and a content hash each) and
 * the ids the exports named are held.
 */

export type RowFate = "claimed" | "skipped" | "revoked" | "expired" | "conflicting" | "missing";

/** What a reconciliation found, section by section; `exceptions` are what needs a person. */
export interface ReconcileSummary {
  period: number;
  chainId: string;
  block: number;
  chainTime: string;
  issuance: {
    rows: number;
    fates: Partial<Record<RowFate, number>>;
    /** ZON minted for the period's attestations (matched to a row or not). */
    claimedReward: string;
    /** Claims on chain no usage row of the exports accounts for. */
    mintedWithoutRow: number;
    rowsOfOtherPeriods: number;
  };
  epochs: { count: number; reserved: string; claimed: string; released: string; unclaimed: string };
  budget: { budget: string; committed: string; attestations: string; epochsNet: string };
  redemption: {
    requests: number;
    fates: Record<string, number>;
    deliveries: number;
    deliveredNotBurned: number;
    burnedNotDelivered: number;
    deliveriesWithoutRequest: number;
  };
  supply: {
    totalSupply: string;
    minted: string;
    burned: string;
    byMinter: Record<string, string>;
    gateway: { balance: string; openTotal: string };
    escrow: { balance: string; lockedTotal: string; feesAccrued: string };
    enforcement: number;
  };
  exceptions: string[];
  files: string[];
}

export interface ReconcileOptions {
  provider: JsonRpcProvider;
  deployment: Deployment;
  period: number;
  /** Usage exports: the project's CSV or JSON lines, or FOCUS exports (with `readOptions.focus`). */
  exports: string[];
  readOptions?: UsageReadOptions;
  /** Fulfilment ledgers (JSON lines, as the worker writes them). */
  ledgers: string[];
  outDir: string;
  maxLogsRange?: number;
}

/** The suite's ABIs, read on first use (a fresh checkout loads this module before compiling). */
function suiteInterfaces(): {
  token: Interface;
  distributor: Interface;
  gateway: Interface;
  escrow: Interface;
} {
  const bindings = require("../typechain-types") as typeof import("../typechain-types");
  const of = (abi: InterfaceAbi) => new Interface(abi);
  return {
    token: of(bindings.ZonCoin__factory.abi),
    distributor: of(bindings.RewardDistributor__factory.abi),
    gateway: of(bindings.RedemptionGateway__factory.abi),
    escrow: of(bindings.B2BEscrow__factory.abi),
  };
}

const SKIP_REASONS = ["none", "alreadyClaimed", "revoked", "expired", "overBudget", "cannotReceive"];

/** A CSV cell: quoted when it holds a comma, a quote or a line break. */
function cell(value: unknown): string {
  const text = value === undefined || value === null ? "" : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

class CsvFile {
  private readonly stream: WriteStream;
  constructor(
    readonly file: string,
    header: string[],
  ) {
    this.stream = createWriteStream(file);
    this.stream.write(header.join(",") + "\n");
  }
  async row(values: unknown[]): Promise<void> {
    if (!this.stream.write(values.map(cell).join(",") + "\n")) await once(this.stream, "drain");
  }
  async close(): Promise<void> {
    this.stream.end();
    await once(this.stream, "finish");
  }
}

/** The content an attestation claims, as 16 bytes of a native hash: comparable, and small to hold. */
function contentKey(beneficiary: string, customerId: string, category: number, usageCents: bigint): Buffer {
  return createHash("sha256")
    .update(`${beneficiary.toLowerCase()}/${customerId.toLowerCase()}/${category}/${usageCents}`)
    .digest()
    .subarray(0, 16);
}

const word = (log: RawLog, i: number): bigint => BigInt("0x" + log.data.slice(2 + 64 * i, 2 + 64 * (i + 1)));
/** An address from a topic, lower case (checksummed only where a person reads it: a checksum is a hash). */
const topicAddress = (topic: string): string => "0x" + topic.slice(26).toLowerCase();

type IdKey = number | string;

function idKey(id: bigint): IdKey {
  return id <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(id) : id.toString();
}

const PAGE = 4_096;

/** Fixed-size records in pages of PAGE: a million claims in tens of megabytes, not hundreds. */
class PackedRecords {
  private readonly pages: Buffer[] = [];
  count = 0;
  constructor(private readonly size: number) {}

  add(): number {
    if (this.count % PAGE === 0) this.pages.push(Buffer.alloc(PAGE * this.size));
    return this.count++;
  }

  /** Record `i`'s bytes (a view, not a copy). */
  at(i: number): Buffer {
    const offset = (i % PAGE) * this.size;
    return this.pages[Math.floor(i / PAGE)].subarray(offset, offset + this.size);
  }
}

/**
 * The period's claims on chain: per claim its content key (16 bytes), transaction (32), beneficiary (20),
 * whether a row matched it (1), its block and its reward.
 */
class ClaimBook {
  private readonly index = new Map<IdKey, number>();
  private readonly records = new PackedRecords(69);
  private readonly blocks: number[] = [];
  private readonly rewards: bigint[] = [];

  add(id: IdKey, content: Buffer, tx: string, beneficiary: string, block: number, reward: bigint): void {
    const i = this.records.add();
    const record = this.records.at(i);
    content.copy(record, 0);
    record.write(tx.slice(2), 16, 32, "hex");
    record.write(beneficiary.slice(2), 48, 20, "hex");
    this.blocks.push(block);
    this.rewards.push(reward);
    this.index.set(id, i);
  }

  get(id: IdKey): number | undefined {
    return this.index.get(id);
  }

  sameContent(i: number, content: Buffer): boolean {
    return this.records.at(i).subarray(0, 16).equals(content);
  }

  tx(i: number): string {
    return "0x" + this.records.at(i).toString("hex", 16, 48);
  }

  beneficiary(i: number): string {
    return getAddress("0x" + this.records.at(i).toString("hex", 48, 68));
  }

  block(i: number): number {
    return this.blocks[i];
  }

  reward(i: number): bigint {
    return this.rewards[i];
  }

  match(i: number): void {
    this.records.at(i)[68] = 1;
  }

  matched(i: number): boolean {
    return this.records.at(i)[68] === 1;
  }

  entries(): IterableIterator<[IdKey, number]> {
    return this.index.entries();
  }
}

/** Reconciles a period: writes the section files into `outDir` and returns the summary. */
export async function reconcile(options: ReconcileOptions): Promise<ReconcileSummary> {
  const { provider, deployment, period } = options;
  const maxRange = options.maxLogsRange ?? DEFAULT_MAX_LOGS_RANGE;
  const abi = suiteInterfaces();
  const head = await provider.getBlock("latest");
  if (!head) throw new Error("the node has no latest block");
  const toBlock = head.number;
  const chainTime = BigInt(head.timestamp);
  const fromBlock = deployment.fromBlock;
  const {
    ZonCoin: token,
    RewardDistributor: distributor,
    RedemptionGateway: gateway,
    B2BEscrow: escrow,
  } = deployment.contracts;
  const periodTopic = toBeHex(period, 32);
  const topic = (contract: Interface, event: string) => contract.getEvent(event)!.topicHash;
  const logs = (address: string, topics: Array<string | null>) =>
    rawLogsInChunks(provider, { address, topics }, fromBlock, toBlock, maxRange);
  mkdirSync(options.outDir, { recursive: true });
  const exceptions: string[] = [];
  const files: string[] = [];
  const csv = (name: string, header: string[]) => {
    const file = path.join(options.outDir, name);
    files.push(file);
    return new CsvFile(file, header);
  };

  // ---------------------------------------------------------------------------------------- issuance
  const claims = new ClaimBook();
  let claimedReward = 0n;
  for await (const log of logs(distributor, [topic(abi.distributor, "AttestationClaimed"), periodTopic])) {
    const beneficiary = topicAddress(log.topics[3]);
    const reward = word(log, 3);
    claimedReward += reward;
    claims.add(
      idKey(BigInt(log.topics[2])),
      contentKey(beneficiary, "0x" + log.data.slice(2, 66), Number(word(log, 1)), word(log, 2)),
      log.transactionHash,
      beneficiary,
      Number(log.blockNumber),
      reward,
    );
  }
  const skipped = new Map<IdKey, string>();
  for await (const log of logs(distributor, [topic(abi.distributor, "AttestationSkipped"), periodTopic]))
    skipped.set(idKey(BigInt(log.topics[2])), SKIP_REASONS[Number(word(log, 0))] ?? "unknown");
  const revoked = new Set<IdKey>();
  for await (const log of logs(distributor, [topic(abi.distributor, "AttestationRevoked"), periodTopic]))
    revoked.add(idKey(BigInt(log.topics[2])));

  const issuance = csv("issuance.csv", [
    "file",
    "row",
    "period",
    "id",
    "beneficiary",
    "category",
    "usageCents",
    "fate",
    "detail",
    "tx",
    "block",
    "reward",
  ]);
  const fates: Partial<Record<RowFate, number>> = {};
  // Each id an export named: its content key (16 bytes) and where (export index × 2^32 + row).
  const seenIds = new Map<IdKey, number>();
  const seenContent = new PackedRecords(16);
  const seenWhere: number[] = [];
  let rows = 0;
  let rowsOfOtherPeriods = 0;
  for (const [fileIndex, file] of options.exports.entries()) {
    for await (const record of readUsageFile(file, options.readOptions ?? {})) {
      if (record.period !== period) {
        rowsOfOtherPeriods++;
        continue;
      }
      rows++;
      const where = `${path.basename(file)} row ${record.row}`;
      const base = [
        path.basename(file),
        record.row,
        period,
        record.id?.toString() ?? "",
        record.beneficiary,
        CATEGORIES[record.category],
        record.usageCents.toString(),
      ];
      const settle = async (fate: RowFate, detail: string, claim?: number) => {
        fates[fate] = (fates[fate] ?? 0) + 1;
        if (fate === "conflicting" || fate === "missing") exceptions.push(`issuance: ${where}: ${detail}`);
        await issuance.row([
          ...base,
          fate,
          detail,
          claim === undefined ? "" : claims.tx(claim),
          claim === undefined ? "" : claims.block(claim),
          claim === undefined ? "" : formatZon(claims.reward(claim), false),
        ]);
      };
      if (record.id === undefined) {
        await settle("missing", "the row has no attestation id, so nothing on chain can be matched to it");
        continue;
      }
      const content = contentKey(record.beneficiary, record.customerId, record.category, record.usageCents);
      const key = idKey(record.id);
      const earlier = seenIds.get(key);
      if (earlier !== undefined && !seenContent.at(earlier).equals(content)) {
        const where = seenWhere[earlier];
        const at = `${path.basename(options.exports[Math.floor(where / 2 ** 32)])} row ${where % 2 ** 32}`;
        await settle("conflicting", `id ${record.id} is also ${at}, with other content`);
        continue;
      }
      if (earlier === undefined) {
        const i = seenContent.add();
        content.copy(seenContent.at(i));
        seenWhere.push(fileIndex * 2 ** 32 + record.row);
        seenIds.set(key, i);
      }
      const claim = claims.get(key);
      if (claim !== undefined) {
        if (claims.sameContent(claim, content)) {
          claims.match(claim);
          await settle("claimed", "", claim);
        } else
          await settle(
            "conflicting",
            `id ${record.id} was claimed on chain with other content (to ${claims.beneficiary(claim)})`,
            claim,
          );
      } else if (revoked.has(key)) await settle("revoked", "revoked before it was claimed");
      else if (
        skipped.get(key) === "expired" ||
        (record.deadline !== undefined && record.deadline < chainTime)
      )
        await settle("expired", "its deadline passed before it was claimed");
      else if (skipped.has(key)) await settle("skipped", `last skipped: ${skipped.get(key)}`);
      else await settle("missing", `id ${record.id} was never claimed, skipped or revoked on chain`);
    }
  }
  let mintedWithoutRow = 0;
  for (const [id, claim] of claims.entries()) {
    // A claim whose id a row names with other content is that row's conflict, already listed.
    if (claims.matched(claim) || seenIds.has(id)) continue;
    mintedWithoutRow++;
    const what = "no row of the exports has its id";
    const [beneficiary, reward] = [claims.beneficiary(claim), claims.reward(claim)];
    exceptions.push(`issuance: id ${id} was minted (${formatZon(reward)} to ${beneficiary}) but ${what}`);
    await issuance.row([
      "",
      "",
      period,
      id.toString(),
      beneficiary,
      "",
      "",
      "minted without a row",
      what,
      claims.tx(claim),
      claims.block(claim),
      formatZon(reward, false),
    ]);
  }
  await issuance.close();

  // ------------------------------------------------------------------------------------ epochs, budget
  const epochs = csv("epochs.csv", ["root", "period", "total", "claimed", "released", "unclaimed"]);
  const epochTotals = new Map<string, { total: bigint; claimed: bigint; released: bigint }>();
  for await (const log of logs(distributor, [topic(abi.distributor, "EpochPublished"), null, periodTopic]))
    epochTotals.set(log.topics[1].toLowerCase(), { total: word(log, 1), claimed: 0n, released: 0n });
  for await (const log of logs(distributor, [topic(abi.distributor, "EpochClaimed")])) {
    const totals = epochTotals.get(log.topics[1].toLowerCase());
    if (totals) totals.claimed += word(log, 0);
  }
  for await (const log of logs(distributor, [topic(abi.distributor, "EpochReleased"), null, periodTopic])) {
    const totals = epochTotals.get(log.topics[1].toLowerCase());
    if (totals) totals.released += word(log, 0);
  }
  const sum = { total: 0n, claimed: 0n, released: 0n };
  for (const [root, t] of epochTotals) {
    sum.total += t.total;
    sum.claimed += t.claimed;
    sum.released += t.released;
    await epochs.row([
      root,
      period,
      formatZon(t.total, false),
      formatZon(t.claimed, false),
      formatZon(t.released, false),
      formatZon(t.total - t.claimed - t.released, false),
    ]);
  }
  await epochs.close();
  const policy = abi.distributor.decodeFunctionResult(
    "periodPolicy",
    await provider.call({
      to: distributor,
      data: abi.distributor.encodeFunctionData("periodPolicy", [period]),
    }),
  );
  const budget = BigInt(policy.budget); // in ZON wei, as committed
  const committed = BigInt(policy.committed);
  if (committed !== claimedReward + sum.total - sum.released)
    exceptions.push(
      `budget: the distributor counts ${formatZon(committed)} used for ${period}, the events ${formatZon(claimedReward + sum.total - sum.released)} (claims ${formatZon(claimedReward)}, epochs ${formatZon(sum.total)} reserved, ${formatZon(sum.released)} released)`,
    );

  // -------------------------------------------------------------------------------------- redemption
  const chainId = deployment.chainId;
  interface Request {
    request: RedemptionRequest;
    owner: string;
    fate: string;
    worker?: string;
  }
  const requests = new Map<bigint, Request>();
  for await (const log of logs(gateway, [topic(abi.gateway, "RedemptionRequested")])) {
    const args = abi.gateway.parseLog(log)!.args;
    const request = {
      id: BigInt(args.id),
      owner: getAddress(args.owner),
      sku: BigInt(args.sku),
      quantity: BigInt(args.quantity),
      amount: BigInt(args.amount),
      cancelAfter: BigInt(args.cancelAfter),
      flags: BigInt(args.flags),
    };
    requests.set(request.id, { request, owner: request.owner, fate: "open" });
  }
  const ending: Array<[string, string]> = [
    ["RedemptionFulfilled", "confirmed (burned)"],
    ["RedemptionRejected", "rejected"],
    ["RedemptionCancelled", "cancelled"],
  ];
  for (const [event, fate] of ending)
    for await (const log of logs(gateway, [topic(abi.gateway, event)])) {
      const request = requests.get(BigInt(log.topics[1]));
      if (request) request.fate = fate;
    }
  for await (const log of logs(gateway, [topic(abi.gateway, "RedemptionAccepted")])) {
    const request = requests.get(BigInt(log.topics[1]));
    if (request) request.worker = bytes32Text("0x" + log.data.slice(66, 130));
  }
  for await (const log of logs(gateway, [topic(abi.gateway, "RequestOwnerReplaced")])) {
    const request = requests.get(BigInt(log.topics[1]));
    if (request) request.owner = getAddress(topicAddress(log.topics[3]));
  }
  const deliveries = new Map<bigint, { entry: LedgerEntry; ledger: string }>();
  let deliveriesWithoutRequest = 0;
  let deliveryCount = 0;
  const gatewayKey = `${chainId}:${gateway.toLowerCase()}:`;
  for (const ledger of options.ledgers) {
    if (!existsSync(ledger)) throw new Error(`ledger: no file at ${ledger}`);
    readFileSync(ledger, "utf8")
      .split("\n")
      .forEach((line, i) => {
        if (line.trim() === "") return;
        let entry: LedgerEntry;
        try {
          entry = JSON.parse(line) as LedgerEntry;
        } catch {
          // A torn last line is no delivery (the worker rewrites it); any other is a broken ledger.
          exceptions.push(`redemption: ${path.basename(ledger)} line ${i + 1} is not valid JSON`);
          return;
        }
        if (
          typeof entry.redemptionKey !== "string" ||
          !entry.redemptionKey.toLowerCase().startsWith(gatewayKey)
        )
          return;
        deliveryCount++;
        const id = BigInt(entry.redemptionKey.slice(gatewayKey.length));
        const request = requests.get(id);
        const hashes = request
          ? [requestHash(request.request), requestHash({ ...request.request, owner: request.owner })]
          : [];
        if (!request || !hashes.includes(entry.requestHash)) {
          deliveriesWithoutRequest++;
          exceptions.push(
            `redemption: ${path.basename(ledger)} line ${i + 1} delivered request ${id} (${entry.code}), which ${request ? "is another request on chain" : "no request on chain has"}`,
          );
          return;
        }
        deliveries.set(id, { entry, ledger: path.basename(ledger) });
      });
  }
  const redemptions = csv("redemptions.csv", [
    "id",
    "owner",
    "sku",
    "quantity",
    "amount",
    "fate",
    "acceptedBy",
    "delivered",
    "ledger",
    "exception",
  ]);
  const redemptionFates: Record<string, number> = {};
  let deliveredNotBurned = 0;
  let burnedNotDelivered = 0;
  for (const [id, r] of [...requests].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const delivery = deliveries.get(id);
    redemptionFates[r.fate] = (redemptionFates[r.fate] ?? 0) + 1;
    let exception = "";
    if (delivery && (r.fate === "cancelled" || r.fate === "rejected")) {
      deliveredNotBurned++;
      exception = `delivered (${delivery.entry.code}) but ${r.fate}: no ZON was burned for it`;
    } else if (!delivery && r.fate === "confirmed (burned)") {
      burnedNotDelivered++;
      exception = "burned, but no ledger holds its delivery";
    }
    if (exception) exceptions.push(`redemption: request ${id}: ${exception}`);
    await redemptions.row([
      id,
      r.owner,
      r.request.sku,
      r.request.quantity,
      formatZon(r.request.amount, false),
      r.fate,
      r.worker ?? "",
      delivery?.entry.code ?? "",
      delivery?.ledger ?? "",
      exception,
    ]);
  }
  await redemptions.close();

  // ------------------------------------------------------------------------------------------ supply
  const byMinter = new Map<string, bigint>();
  for await (const log of logs(token, [topic(abi.token, "MinterAllowanceSpent")])) {
    const minter = getAddress(topicAddress(log.topics[1]));
    byMinter.set(minter, (byMinter.get(minter) ?? 0n) + word(log, 0));
  }
  let burned = 0n;
  const transfer = topic(abi.token, "Transfer");
  for await (const log of logs(token, [transfer, null, zeroPadValue(ZeroAddress, 32)]))
    burned += word(log, 0);
  const view = async (contract: Interface, to: string, name: string, args: unknown[] = []) =>
    BigInt(
      contract.decodeFunctionResult(
        name,
        await provider.call({ to, data: contract.encodeFunctionData(name, args) }),
      )[0],
    );
  const totalSupply = await view(abi.token, token, "totalSupply");
  const minted = [...byMinter.values()].reduce((a, b) => a + b, 0n);
  if (minted - burned !== totalSupply)
    exceptions.push(
      `supply: minted ${formatZon(minted)} − burned ${formatZon(burned)} = ${formatZon(minted - burned)}, but totalSupply is ${formatZon(totalSupply)}`,
    );
  const gatewayBalance = await view(abi.token, token, "balanceOf", [gateway]);
  const openTotal = await view(abi.gateway, gateway, "openTotal");
  if (gatewayBalance !== openTotal)
    exceptions.push(
      `supply: the gateway holds ${formatZon(gatewayBalance)}, its books owe ${formatZon(openTotal)} (openTotal)`,
    );
  const escrowBalance = await view(abi.token, token, "balanceOf", [escrow]);
  const lockedTotal = await view(abi.escrow, escrow, "lockedTotal");
  const feesAccrued = await view(abi.escrow, escrow, "feesAccrued");
  if (escrowBalance !== lockedTotal + feesAccrued)
    exceptions.push(
      `supply: the escrow holds ${formatZon(escrowBalance)}, its books owe ${formatZon(lockedTotal + feesAccrued)} (lockedTotal + feesAccrued)`,
    );
  const supply = csv("supply.csv", ["what", "account", "amount"]);
  for (const [minter, amount] of byMinter) await supply.row(["minted by", minter, formatZon(amount, false)]);
  await supply.row(["burned", "", formatZon(burned, false)]);
  await supply.row(["totalSupply", "", formatZon(totalSupply, false)]);
  await supply.row(["gateway balance", gateway, formatZon(gatewayBalance, false)]);
  await supply.row(["gateway openTotal", gateway, formatZon(openTotal, false)]);
  await supply.row(["escrow balance", escrow, formatZon(escrowBalance, false)]);
  await supply.row(["escrow lockedTotal + feesAccrued", escrow, formatZon(lockedTotal + feesAccrued, false)]);
  await supply.close();

  const enforcement = csv("enforcement.csv", ["case", "action", "from", "to", "amount", "tx", "block"]);
  let enforcementActions = 0;
  for (const [event, action] of [
    ["WalletRecovered", "recovery"],
    ["ForcedTransfer", "forced transfer"],
  ])
    for await (const log of logs(token, [topic(abi.token, event)])) {
      enforcementActions++;
      await enforcement.row([
        bytes32Text(log.topics[3]),
        action,
        getAddress(topicAddress(log.topics[1])),
        getAddress(topicAddress(log.topics[2])),
        formatZon(word(log, 0), false),
        log.transactionHash,
        Number(log.blockNumber),
      ]);
    }
  await enforcement.close();

  const summary: ReconcileSummary = {
    period,
    chainId,
    block: toBlock,
    chainTime: new Date(Number(chainTime) * 1000).toISOString(),
    issuance: { rows, fates, claimedReward: formatZon(claimedReward), mintedWithoutRow, rowsOfOtherPeriods },
    epochs: {
      count: epochTotals.size,
      reserved: formatZon(sum.total),
      claimed: formatZon(sum.claimed),
      released: formatZon(sum.released),
      unclaimed: formatZon(sum.total - sum.claimed - sum.released),
    },
    budget: {
      budget: formatZon(budget),
      committed: formatZon(committed),
      attestations: formatZon(claimedReward),
      epochsNet: formatZon(sum.total - sum.released),
    },
    redemption: {
      requests: requests.size,
      fates: redemptionFates,
      deliveries: deliveryCount,
      deliveredNotBurned,
      burnedNotDelivered,
      deliveriesWithoutRequest,
    },
    supply: {
      totalSupply: formatZon(totalSupply),
      minted: formatZon(minted),
      burned: formatZon(burned),
      byMinter: Object.fromEntries([...byMinter].map(([minter, amount]) => [minter, formatZon(amount)])),
      gateway: { balance: formatZon(gatewayBalance), openTotal: formatZon(openTotal) },
      escrow: {
        balance: formatZon(escrowBalance),
        lockedTotal: formatZon(lockedTotal),
        feesAccrued: formatZon(feesAccrued),
      },
      enforcement: enforcementActions,
    },
    exceptions,
    files: [...files, path.join(options.outDir, "summary.json")],
  };
  writeFileSync(path.join(options.outDir, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
  return summary;
}

/** The summary on one screen. */
export function describeReconciliation(summary: ReconcileSummary): string[] {
  const { issuance, epochs, budget, redemption, supply } = summary;
  const fates = (counts: Record<string, number | undefined>) =>
    Object.entries(counts)
      .map(([fate, count]) => `${fate} ${count}`)
      .join(", ") || "none";
  const lines = [
    `period ${summary.period} on chain ${summary.chainId}, block ${summary.block} (${summary.chainTime})`,
    `issuance: ${issuance.rows} rows: ${fates(issuance.fates)}; ${issuance.claimedReward} claimed; ${issuance.mintedWithoutRow} claims without a row`,
    `epochs: ${epochs.count}, ${epochs.reserved} reserved, ${epochs.claimed} claimed, ${epochs.released} released, ${epochs.unclaimed} unclaimed`,
    `budget: ${budget.budget}, used ${budget.committed} (attestations ${budget.attestations}, epochs ${budget.epochsNet})`,
    `redemption: ${redemption.requests} requests: ${fates(redemption.fates)}; ${redemption.deliveries} deliveries in the ledgers`,
    `supply: ${supply.totalSupply} = minted ${supply.minted} − burned ${supply.burned}; gateway ${supply.gateway.balance} (owes ${supply.gateway.openTotal}); escrow ${supply.escrow.balance} (owes ${supply.escrow.lockedTotal} + fees ${supply.escrow.feesAccrued}); ${supply.enforcement} enforcement actions`,
    summary.exceptions.length === 0 ? "no exceptions" : `${summary.exceptions.length} exception(s):`,
    ...summary.exceptions.slice(0, 20).map((e) => `  ${e}`),
  ];
  if (summary.exceptions.length > 20)
    lines.push(`  … and ${summary.exceptions.length - 20} more in the files`);
  return lines;
}

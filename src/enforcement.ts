import {
  AbiCoder,
  decodeBytes32String,
  encodeBytes32String,
  getAddress,
  keccak256,
  ZeroHash,
  type EventLog,
} from "ethers";
import type { B2BEscrow, RedemptionGateway, ZonCoin } from "../typechain-types";
import { formatZon } from "./amounts";
import { readAgreement, type MilestoneStatusName } from "./escrow";
import { queryInChunks, type LogRange } from "./events";
import { requestFromEvent } from "./redemption";
import { ROLES } from "./roles";

/*
 * The token's two rare powers, recovery of a lost wallet and forced transfer, as the operator and the
 * auditor see them: the case id that ties each to its off-chain evidence, the operation ids under which
 * they are announced, what is still announced, and what a lost wallet still has open in the gateway and
 * the escrow (the token cannot move those: they pay out to the parties the gateway and the escrow hold).
 */

/**
 * A case id as typed: 32 bytes of hex (`0x` + 64 digits) as they are, or a reference of at most 31 bytes
 * ("COURT-2026-0042"), stored as a readable bytes32 string so that an auditor reads it on chain.
 */
export function parseCaseId(field: string, value: string): string {
  const typed = value.trim();
  if (/^0x[0-9a-fA-F]{64}$/.test(typed)) {
    if (typed === ZeroHash) throw new Error(`${field}: ${JSON.stringify(value)} is zero; name the case`);
    return typed.toLowerCase();
  }
  if (typed === "")
    throw new Error(`${field}: "" is empty; give the case's reference (e.g. COURT-2026-0042)`);
  if (Buffer.byteLength(typed, "utf8") > 31)
    throw new Error(
      `${field}: ${JSON.stringify(value)} is longer than 31 bytes; give a shorter reference or its 32-byte hash (0x + 64 hex digits)`,
    );
  return encodeBytes32String(typed);
}

/** A case id as its reader typed it: the reference it holds as text, otherwise its hex. */
export function caseReference(caseId: string): string {
  try {
    const text = decodeBytes32String(caseId);
    if (text !== "" && /^[\x20-\x7e]+$/.test(text)) return text;
  } catch {
    // not a bytes32 string: a hash of the evidence
  }
  return caseId;
}

/** A case id within a sentence: a text reference quoted, a hash as its hex. */
export function describeCaseId(caseId: string): string {
  const reference = caseReference(caseId);
  return reference === caseId ? caseId : `"${reference}"`;
}

const coder = AbiCoder.defaultAbiCoder();

/** Unix seconds as the tasks show times: ISO 8601, UTC, whole seconds. */
const isoDate = (seconds: bigint) => new Date(Number(seconds) * 1000).toISOString().replace(".000Z", "Z");

/** The id a recovery is announced under (ZonCoin.recoveryOperation). */
export function recoveryOperation(lost: string, replacement: string, caseId: string): string {
  return keccak256(
    coder.encode(["bytes32", "address", "address", "bytes32"], [ROLES.RECOVERY, lost, replacement, caseId]),
  );
}

/** The id a forced transfer is announced under (ZonCoin.forcedTransferOperation). */
export function forcedTransferOperation(from: string, to: string, amount: bigint, caseId: string): string {
  return keccak256(
    coder.encode(
      ["bytes32", "address", "address", "uint256", "bytes32"],
      [ROLES.FORCED_TRANSFER, from, to, amount, caseId],
    ),
  );
}

/**
 * Whether an operation can be carried out at `now` (the latest block's time): throws a sentence saying
 * what is missing (`what` names the operation: "the recovery of 0x… to 0x…").
 */
export async function requireOperationReady(
  token: ZonCoin,
  operation: string,
  now: bigint,
  what: string,
  announceTask: string,
): Promise<void> {
  const [readyAt, delay] = await Promise.all([token.operationReadyAt(operation), token.enforcementDelay()]);
  if (readyAt === 0n && delay > 0n)
    throw new Error(
      `${what} is not announced, and the enforcement delay is ${delay} s: run ${announceTask} first, then this once the delay has passed`,
    );
  if (readyAt > now)
    throw new Error(
      `${what} was announced and can be carried out from ${isoDate(readyAt)} (${readyAt - now} s from now)`,
    );
}

// ------------------------------------------------------------------------------------------ announced

export interface AnnouncedOperation {
  operation: string;
  kind: "recovery" | "forced transfer";
  caseId: string;
  from: string;
  to: string;
  /** The forced transfer's amount; a recovery moves the whole balance it finds. */
  amount?: bigint;
  readyAt: bigint;
}

/** The recoveries and forced transfers announced and neither carried out nor cancelled yet. */
export async function announcedOperations(token: ZonCoin, range: LogRange): Promise<AnnouncedOperation[]> {
  const announced = new Map<string, AnnouncedOperation>();
  for (const log of await queryInChunks(token, token.filters.RecoveryAnnounced(), range)) {
    const a = (log as EventLog).args;
    announced.set(a.operation, {
      operation: a.operation,
      kind: "recovery",
      caseId: a.caseId,
      from: a.lost,
      to: a.replacement,
      readyAt: a.readyAt,
    });
  }
  for (const log of await queryInChunks(token, token.filters.ForcedTransferAnnounced(), range)) {
    const a = (log as EventLog).args;
    announced.set(a.operation, {
      operation: a.operation,
      kind: "forced transfer",
      caseId: a.caseId,
      from: a.from,
      to: a.to,
      amount: a.amount,
      readyAt: a.readyAt,
    });
  }
  const pending: AnnouncedOperation[] = [];
  // The chain says which are still pending; an operation announced again after it ran has its new time.
  for (const op of announced.values()) {
    const readyAt = await token.operationReadyAt(op.operation);
    if (readyAt !== 0n) pending.push({ ...op, readyAt });
  }
  return pending.sort((a, b) => Number(a.readyAt - b.readyAt));
}

// ------------------------------------------------------------------------------------------ positions

export interface OpenRedemption {
  id: bigint;
  sku: bigint;
  quantity: bigint;
  amount: bigint;
  /** 0 while the fulfiller has not accepted it. */
  acceptedUntil: bigint;
  cancelAfter: bigint;
}

export interface EscrowPosition {
  id: bigint;
  side: "buyer" | "seller";
  counterparty: string;
  /** The milestones still holding ZON (funded, delivered or disputed). */
  unsettled: Array<{ index: number; amount: bigint; status: MilestoneStatusName }>;
}

export interface Positions {
  account: string;
  redemptions: OpenRedemption[];
  agreements: EscrowPosition[];
}

const UNSETTLED: ReadonlySet<MilestoneStatusName> = new Set(["funded", "delivered", "disputed"]);

/**
 * What `account` still has open: redemption requests of its in the gateway, and escrow agreements where it
 * is buyer or seller with milestones still holding ZON. Read from the contracts' indexed events, then
 * checked against their state.
 */
export async function openPositions(
  gateway: RedemptionGateway,
  escrow: B2BEscrow,
  account: string,
  ranges: { gateway: LogRange; escrow: LogRange },
): Promise<Positions> {
  const owner = getAddress(account);
  const redemptions: OpenRedemption[] = [];
  for (const log of await queryInChunks(
    gateway,
    gateway.filters.RedemptionRequested(undefined, owner),
    ranges.gateway,
  )) {
    const { request } = requestFromEvent(log);
    if (!(await gateway.isOpen(request.id))) continue;
    redemptions.push({
      id: request.id,
      sku: request.sku,
      quantity: request.quantity,
      amount: request.amount,
      acceptedUntil: await gateway.acceptedUntil(request.id),
      cancelAfter: request.cancelAfter,
    });
  }
  const agreements: EscrowPosition[] = [];
  for (const side of ["buyer", "seller"] as const) {
    const filter =
      side === "buyer"
        ? escrow.filters.AgreementCreated(undefined, owner)
        : escrow.filters.AgreementCreated(undefined, undefined, owner);
    for (const log of await queryInChunks(escrow, filter, ranges.escrow)) {
      const agreement = await readAgreement(escrow, (log as EventLog).args.id as bigint);
      const unsettled = agreement.milestones
        .filter((m) => UNSETTLED.has(m.status))
        .map((m) => ({ index: m.index, amount: m.amount, status: m.status }));
      if (unsettled.length === 0) continue;
      agreements.push({
        id: agreement.id,
        side,
        counterparty: side === "buyer" ? agreement.seller : agreement.buyer,
        unsettled,
      });
    }
  }
  return { account: owner, redemptions, agreements };
}

/**
 * The positions as lines for the operator, with what each means once the wallet is frozen: the gateway and
 * the escrow pay the parties they hold, and a frozen wallet refuses every payment.
 */
export function describePositions(p: Positions): string[] {
  if (p.redemptions.length === 0 && p.agreements.length === 0)
    return [`${p.account} has no open redemption and no unsettled escrow milestone.`];
  const lines: string[] = [];
  if (p.redemptions.length > 0) {
    lines.push(
      `${p.account} has ${p.redemptions.length} open redemption request(s). Confirming one burns its ZON as usual;` +
        " a refund (reject, cancel) goes to this wallet, which refuses it while frozen:",
    );
    for (const r of p.redemptions)
      lines.push(
        `  request ${r.id}: sku ${r.sku} x ${r.quantity}, ${formatZon(r.amount)}, ` +
          (r.acceptedUntil === 0n
            ? "not accepted by the fulfiller yet"
            : `accepted until ${isoDate(r.acceptedUntil)}`),
      );
  }
  if (p.agreements.length > 0) {
    lines.push(
      `${p.account} is a party to ${p.agreements.length} escrow agreement(s) with ZON still held. What the escrow pays` +
        " this wallet (a seller's payout, a buyer's refund) is refused while it is frozen:",
    );
    for (const a of p.agreements)
      lines.push(
        `  agreement ${a.id} as ${a.side} (${a.side === "buyer" ? "seller" : "buyer"} ${a.counterparty}): ` +
          a.unsettled.map((m) => `milestone ${m.index} ${m.status} ${formatZon(m.amount)}`).join(", "),
      );
  }
  return lines;
}

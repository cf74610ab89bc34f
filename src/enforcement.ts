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
import { requestFromEvent, withCurrentOwners, type RedemptionRequest } from "./redemption";
import { ROLES } from "./roles";

/*
 * The token's two rare powers, recovery of a lost wallet and forced transfer, as the operator and the
 * auditor see them: the case id that ties each to its off-chain evidence, the operation ids under which
 * they are announced, what is still announced, and what a lost wallet still has open in the gateway and
 * the escrow. The token cannot move those (the gateway and the escrow are custodians it refuses to touch);
 * after a recovery, the custodians' own settlement moves them to the new wallet (`settleRecoveredPositions`).
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
  /** The request as the gateway holds it now (its current owner), as `replaceRecoveredOwners` takes it. */
  request: RedemptionRequest;
  sku: bigint;
  quantity: bigint;
  amount: bigint;
  /** 0 while the fulfiller has not accepted it. */
  acceptedUntil: bigint;
  cancelAfter: bigint;
}

export interface EscrowPosition {
  id: bigint;
  side: "buyer" | "seller" | "arbiter";
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
 * What `account` holds open now: redemption requests it owns in the gateway, and escrow agreements where it
 * is buyer, seller or arbiter with milestones still holding ZON — made by it, or moved to it from a
 * recovered wallet. Read from the contracts' indexed events, then checked against their state (a position
 * moved away to a replacement is no longer `account`'s).
 */
export async function openPositions(
  gateway: RedemptionGateway,
  escrow: B2BEscrow,
  account: string,
  ranges: { gateway: LogRange; escrow: LogRange },
): Promise<Positions> {
  const owner = getAddress(account);
  const requested = new Map<bigint, RedemptionRequest>();
  const made = await queryInChunks(
    gateway,
    gateway.filters.RedemptionRequested(undefined, owner),
    ranges.gateway,
  );
  for (const log of made) {
    const { request } = requestFromEvent(log);
    requested.set(request.id, request);
  }
  const movedIn = await queryInChunks(
    gateway,
    gateway.filters.RequestOwnerReplaced(undefined, undefined, owner),
    ranges.gateway,
  );
  for (const moved of movedIn) {
    const id = (moved as EventLog).args.id as bigint;
    if (requested.has(id)) continue;
    const [log] = await queryInChunks(gateway, gateway.filters.RedemptionRequested(id), ranges.gateway);
    requested.set(id, requestFromEvent(log).request);
  }
  const redemptions: OpenRedemption[] = [];
  for (const request of await withCurrentOwners(gateway, [...requested.values()], ranges.gateway)) {
    if (request.owner !== owner || !(await gateway.isOpen(request.id))) continue;
    redemptions.push({
      id: request.id,
      request,
      sku: request.sku,
      quantity: request.quantity,
      amount: request.amount,
      acceptedUntil: await gateway.acceptedUntil(request.id),
      cancelAfter: request.cancelAfter,
    });
  }
  const ids = new Set<bigint>();
  for (const filter of [
    escrow.filters.AgreementCreated(undefined, owner),
    escrow.filters.AgreementCreated(undefined, undefined, owner),
    escrow.filters.PartyReplaced(undefined, undefined, owner),
  ])
    for (const log of await queryInChunks(escrow, filter, ranges.escrow))
      ids.add((log as EventLog).args.id as bigint);
  // An arbiter is named in the creation's data, not in a topic, or by a change of arbiter.
  for (const log of await queryInChunks(escrow, escrow.filters.AgreementCreated(), ranges.escrow)) {
    const terms = (log as EventLog).args.terms as unknown as { arbiter: string };
    if (terms.arbiter === owner) ids.add((log as EventLog).args.id as bigint);
  }
  for (const log of await queryInChunks(escrow, escrow.filters.ArbiterChanged(), ranges.escrow))
    if ((log as EventLog).args.arbiter === owner) ids.add((log as EventLog).args.id as bigint);
  const agreements: EscrowPosition[] = [];
  for (const id of [...ids].sort((a, b) => (a < b ? -1 : 1))) {
    const agreement = await readAgreement(escrow, id);
    const side =
      agreement.buyer === owner
        ? "buyer"
        : agreement.seller === owner
          ? "seller"
          : agreement.arbiter === owner
            ? "arbiter"
            : undefined;
    const unsettled = agreement.milestones
      .filter((m) => UNSETTLED.has(m.status))
      .map((m) => ({ index: m.index, amount: m.amount, status: m.status }));
    if (side === undefined || unsettled.length === 0) continue;
    agreements.push({
      id: agreement.id,
      side,
      counterparty: side === "seller" ? agreement.buyer : agreement.seller,
      unsettled,
    });
  }
  return { account: owner, redemptions, agreements };
}

/** What `settleRecoveredPositions` moved, by transaction. */
export interface SettledPositions {
  requests?: { ids: bigint[]; tx: string };
  agreements: Array<{ id: bigint; tx: string }>;
}

/**
 * The custodians' settlement of a recovery: every open request of the recovered wallet moves to its
 * replacement (one `replaceRecoveredOwners`), and each agreement it is a party to hands its role over
 * (`replaceRecoveredParties`). Anyone may send them; they move no ZON and can only ever move a position to
 * the replacement the token recorded.
 */
export async function settleRecoveredPositions(
  gateway: RedemptionGateway,
  escrow: B2BEscrow,
  positions: Positions,
): Promise<SettledPositions> {
  const settled: SettledPositions = { agreements: [] };
  if (positions.redemptions.length > 0) {
    const tx = await gateway.replaceRecoveredOwners(positions.redemptions.map((r) => r.request));
    await tx.wait();
    settled.requests = { ids: positions.redemptions.map((r) => r.id), tx: tx.hash };
  }
  for (const a of positions.agreements) {
    const tx = await escrow.replaceRecoveredParties(a.id);
    await tx.wait();
    settled.agreements.push({ id: a.id, tx: tx.hash });
  }
  return settled;
}

/**
 * The positions as lines for the operator. A recovered wallet's positions move to its replacement with
 * `recovery:settle` (`recovery:execute` does it); until then the gateway and the escrow would pay the
 * frozen wallet, which refuses every payment.
 */
export function describePositions(p: Positions): string[] {
  if (p.redemptions.length === 0 && p.agreements.length === 0)
    return [`${p.account} has no open redemption and no unsettled escrow milestone.`];
  const lines: string[] = [];
  if (p.redemptions.length > 0) {
    lines.push(
      `${p.account} has ${p.redemptions.length} open redemption request(s). Confirming one burns its ZON as usual;` +
        " a refund (reject, cancel) goes to its owner, so a recovered owner's requests move to the new wallet (recovery:settle):",
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
        " this wallet (a seller's payout, a buyer's refund) goes to its new wallet once its role moves there (recovery:settle):",
    );
    for (const a of p.agreements)
      lines.push(
        `  agreement ${a.id} as ${a.side} (${a.side === "seller" ? "buyer" : "seller"} ${a.counterparty}): ` +
          a.unsettled.map((m) => `milestone ${m.index} ${m.status} ${formatZon(m.amount)}`).join(", "),
      );
  }
  return lines;
}

import { type ContractTransactionReceipt, type Signer } from "ethers";
import type { B2BEscrow, ZonCoin } from "../typechain-types";
import { signPermit } from "./permit";

/** Milestone statuses, by their on-chain index. */
export const MILESTONE_STATUS = [
  "none",
  "funded",
  "delivered",
  "disputed",
  "released",
  "resolved",
  "refunded",
] as const;
export type MilestoneStatusName = (typeof MILESTONE_STATUS)[number];

export interface AgreementTerms {
  seller: string;
  /** Zero address: no disputes, the review window decides. */
  arbiter: string;
  termsHash: string;
  deliveryDeadline: bigint;
  reviewWindow: bigint;
  /** The seller accepts by then; until it does, the buyer may take everything back. */
  acceptDeadline: bigint;
  /** Seconds the arbiter has to split a disputed milestone. */
  arbitrationWindow: bigint;
  /** The buyer's share (basis points) of a disputed milestone the arbiter did not split in time. */
  fallbackBuyerBps: bigint;
}

export interface AgreementState {
  id: bigint;
  buyer: string;
  seller: string;
  arbiter: string;
  deliveryDeadline: bigint;
  reviewWindow: bigint;
  /** The platform fee, fixed when the agreement was created. */
  feeBps: bigint;
  accepted: boolean;
  acceptDeadline: bigint;
  arbitrationWindow: bigint;
  fallbackBuyerBps: bigint;
  cancelRequested: { buyer: boolean; seller: boolean };
  milestones: Array<{
    index: number;
    amount: bigint;
    status: MilestoneStatusName;
    deliveredAt: bigint;
    reviewEndsAt?: bigint;
    disputedAt: bigint;
    arbitrationEndsAt?: bigint;
  }>;
}

function createdId(escrow: B2BEscrow, receipt: ContractTransactionReceipt | null): bigint {
  for (const log of receipt?.logs ?? []) {
    const event = escrow.interface.parseLog(log);
    if (event?.name === "AgreementCreated") return event.args.id as bigint;
  }
  throw new Error("createAndFund: no AgreementCreated event in the receipt");
}

/**
 * Creates and funds an agreement as `buyer`. With `permitDeadline` it signs an ERC-2612 permit for the
 * total and does it in one transaction; otherwise the buyer must have approved the escrow.
 */
export async function createAgreement(
  escrow: B2BEscrow,
  token: ZonCoin,
  buyer: Signer,
  terms: AgreementTerms,
  amounts: bigint[],
  options: { permitDeadline?: bigint } = {},
): Promise<bigint> {
  const asBuyer = escrow.connect(buyer);
  let tx;
  if (options.permitDeadline === undefined) {
    tx = await asBuyer.createAndFund(terms, amounts);
  } else {
    const total = amounts.reduce((a, b) => a + b, 0n);
    const p = await signPermit(token, buyer, await escrow.getAddress(), total, options.permitDeadline);
    tx = await asBuyer.createAndFundWithPermit(terms, amounts, options.permitDeadline, p.v, p.r, p.s);
  }
  return createdId(escrow, await tx.wait());
}

/** An agreement and its milestones, with status names and review deadlines. */
export async function readAgreement(escrow: B2BEscrow, id: bigint): Promise<AgreementState> {
  const h = await escrow.agreement(id);
  if (h.buyer === "0x0000000000000000000000000000000000000000") throw new Error(`id: no agreement ${id}`);
  const milestones = [];
  for (let index = 0; index < Number(h.milestoneCount); index++) {
    const m = await escrow.milestone(id, index);
    const status = MILESTONE_STATUS[Number(m.status)];
    milestones.push({
      index,
      amount: m.amount,
      status,
      deliveredAt: m.deliveredAt,
      ...(status === "delivered" || status === "disputed"
        ? { reviewEndsAt: m.deliveredAt + h.reviewWindow }
        : {}),
      disputedAt: m.disputedAt,
      ...(status === "disputed" ? { arbitrationEndsAt: m.disputedAt + h.arbitrationWindow } : {}),
    });
  }
  return {
    id,
    buyer: h.buyer,
    seller: h.seller,
    arbiter: h.arbiter,
    deliveryDeadline: h.deliveryDeadline,
    reviewWindow: h.reviewWindow,
    feeBps: h.feeBps,
    accepted: h.accepted,
    acceptDeadline: h.acceptDeadline,
    arbitrationWindow: h.arbitrationWindow,
    fallbackBuyerBps: h.fallbackBuyerBps,
    cancelRequested: { buyer: h.buyerCancels, seller: h.sellerCancels },
    milestones,
  };
}

import { id as keccakOfText, type Interface } from "ethers";
import type { B2BEscrow, RedemptionGateway, RewardDistributor, ZonCoin } from "../typechain-types";
import type { AgreementTerms } from "./escrow";
import { withReference } from "./reference";
import type { RedemptionRequest } from "./redemption";
import type { SignedAttestation } from "./bundle";
import type { CashbackEpochClaim } from "./cashback";

/*
 * What a business does, as the calls it makes: one list of `{to, data}` per action. The web page sends
 * them from the connected wallet, or writes them into a Safe Transaction Builder file; `safe:batch` writes
 * the same file from the command line. The calls are encoded here once, from the contracts' ABIs.
 */

/** One call of an action: the contract and its calldata (no native value: ZON is an ERC-20). */
export interface Call {
  to: string;
  data: string;
}

function call(contract: { target: unknown }, data: string): Call {
  return { to: String(contract.target), data };
}

/** The bytes32 a redemption carries for its delivery reference (the reference itself stays off chain). */
export function deliveryRefHash(reference: string): string {
  if (reference.trim() === "")
    throw new Error('delivery reference: "" is empty; give where the item goes (an account, an email)');
  return keccakOfText(reference.trim());
}

/** Sends `amount` wei of ZON to `to`. */
export function transferCalls(token: ZonCoin, to: string, amount: bigint): Call[] {
  return [call(token, token.interface.encodeFunctionData("transfer", [to, amount]))];
}

/**
 * Redeems `quantity` of `sku` for exactly `total`: approve the price, then redeem (for a Safe). A
 * `reference` (the text `deliveryRef` hashes) travels after the redeem's calldata for the fulfiller to read.
 */
export function redeemCalls(
  token: ZonCoin,
  gateway: RedemptionGateway,
  sku: bigint,
  quantity: bigint,
  total: bigint,
  deliveryRef: string,
  reference?: string,
): Call[] {
  const redeem = gateway.interface.encodeFunctionData("redeem", [sku, quantity, total, deliveryRef]);
  return [
    call(token, token.interface.encodeFunctionData("approve", [String(gateway.target), total])),
    call(gateway, reference === undefined ? redeem : withReference("delivery reference", redeem, reference)),
  ];
}

/** Takes an open request's ZON back, once its cancel time has come. */
export function cancelRedemptionCalls(gateway: RedemptionGateway, request: RedemptionRequest): Call[] {
  return [call(gateway, gateway.interface.encodeFunctionData("cancel", [request]))];
}

/**
 * Creates and funds an agreement as its buyer: approve the total, then create (for a Safe). A `reference`
 * (the text `terms.termsHash` hashes) travels after the creation's calldata for the other parties to read.
 */
export function createAgreementCalls(
  token: ZonCoin,
  escrow: B2BEscrow,
  terms: AgreementTerms,
  amounts: bigint[],
  reference?: string,
): Call[] {
  const total = amounts.reduce((a, b) => a + b, 0n);
  const create = escrow.interface.encodeFunctionData("createAndFund", [terms, amounts]);
  return [
    call(token, token.interface.encodeFunctionData("approve", [String(escrow.target), total])),
    call(escrow, reference === undefined ? create : withReference("contract reference", create, reference)),
  ];
}

/** The escrow's steps on an agreement (`accept`…) or on one of its milestones (`deliver`…). */
export const AGREEMENT_STEPS = [
  "accept",
  "withdrawUnaccepted",
  "requestCancel",
  "withdrawCancelRequest",
] as const;
export const MILESTONE_STEPS = [
  "deliver",
  "release",
  "claim",
  "dispute",
  "resolveByFallback",
  "refundUndelivered",
  "sellerRefund",
] as const;
export type AgreementStep = (typeof AGREEMENT_STEPS)[number];
export type MilestoneStep = (typeof MILESTONE_STEPS)[number];

export function agreementStepCalls(escrow: B2BEscrow, step: AgreementStep, id: bigint): Call[] {
  // The step names one of the union's functions; the typed overloads cannot take a union of names.
  return [call(escrow, (escrow.interface as Interface).encodeFunctionData(step, [id]))];
}

export function milestoneStepCalls(
  escrow: B2BEscrow,
  step: MilestoneStep,
  id: bigint,
  index: bigint,
): Call[] {
  return [call(escrow, (escrow.interface as Interface).encodeFunctionData(step, [id, index]))];
}

/** The arbiter's split of a disputed milestone: `buyerShare` wei back to the buyer, the rest to the seller. */
export function resolveCalls(escrow: B2BEscrow, id: bigint, index: bigint, buyerShare: bigint): Call[] {
  return [call(escrow, escrow.interface.encodeFunctionData("resolve", [id, index, buyerShare]))];
}

/** Names a (new) arbiter; it takes effect when buyer and seller have named the same one. */
export function proposeArbiterCalls(escrow: B2BEscrow, id: bigint, arbiter: string): Call[] {
  return [call(escrow, escrow.interface.encodeFunctionData("proposeArbiter", [id, arbiter]))];
}

/**
 * Claims a business's cashback: its signed attestations in one `claimBatch` (which skips, by event, what
 * was claimed, revoked or expired meanwhile), then each unclaimed epoch leaf.
 */
export function cashbackCalls(
  distributor: RewardDistributor,
  attestations: SignedAttestation[],
  epochClaims: CashbackEpochClaim[],
): Call[] {
  const calls: Call[] = [];
  if (attestations.length > 0)
    calls.push(
      call(
        distributor,
        distributor.interface.encodeFunctionData("claimBatch", [
          attestations.map((a) => a.attestation),
          attestations.map((a) => a.signatures),
        ]),
      ),
    );
  for (const c of epochClaims)
    calls.push(
      call(
        distributor,
        distributor.interface.encodeFunctionData("claimEpoch", [
          c.root,
          c.index,
          c.beneficiary,
          c.customerId,
          c.category,
          c.usageCents,
          c.proof,
        ]),
      ),
    );
  return calls;
}

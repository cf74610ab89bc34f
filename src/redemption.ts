import {
  toBeHex,
  zeroPadValue,
  type ContractTransactionResponse,
  type EventLog,
  type Log,
  type Result,
  type Signer,
} from "ethers";
import type { RedemptionGateway } from "../typechain-types";
import { queryInChunks, type LogRange } from "./events";
import { signPermit, type PermitToken } from "./permit";

/** SKU kinds, by their on-chain index. */
export const SKU_KINDS = ["cloudCredit", "catalogueItem", "subscription"] as const;

/** An open redemption request, exactly as `RedemptionRequested` published it (the gateway keeps its hash). */
export interface RedemptionRequest {
  id: bigint;
  owner: string;
  sku: bigint;
  quantity: bigint;
  amount: bigint;
  cancelAfter: bigint;
  flags: bigint;
}

/** The request of a `RedemptionRequested` log, plus its delivery reference and block. */
export interface RequestedEvent {
  request: RedemptionRequest;
  deliveryRef: string;
  blockNumber: number;
}

/** Reads a parsed `RedemptionRequested` log into the struct `confirm`, `reject` and `cancel` take. */
export function requestFromEvent(log: EventLog | Log): RequestedEvent {
  const args = (log as EventLog).args;
  if (!args)
    throw new Error(`log ${log.transactionHash}:${log.index}: not a parsed RedemptionRequested event`);
  return requestFromArgs(args, log.blockNumber);
}

/** The same, from a `RedemptionRequested` event's decoded arguments (`interface.parseLog(log).args`). */
export function requestFromArgs(args: Result, blockNumber: number): RequestedEvent {
  return {
    request: {
      id: args.id as bigint,
      owner: args.owner as string,
      sku: args.sku as bigint,
      quantity: args.quantity as bigint,
      amount: args.amount as bigint,
      cancelAfter: args.cancelAfter as bigint,
      flags: args.flags as bigint,
    },
    deliveryRef: args.deliveryRef as string,
    blockNumber,
  };
}

/**
 * The requests as the gateway holds them now: a recovered owner's request moved to its replacement
 * (`RequestOwnerReplaced`, in order, perhaps more than once) carries the new owner, which `confirm`,
 * `reject` and `cancel` need. The requests are copied, not changed.
 */
export async function withCurrentOwners(
  gateway: RedemptionGateway,
  requests: RedemptionRequest[],
  range: LogRange,
): Promise<RedemptionRequest[]> {
  if (requests.length === 0) return [];
  const owners = new Map<bigint, string>();
  // One query for all of them: the id is the event's first indexed topic.
  const event = gateway.interface.getEvent("RequestOwnerReplaced");
  const ids = requests.map((r) => zeroPadValue(toBeHex(r.id), 32));
  for (const log of await queryInChunks(gateway, [event.topicHash, ids], range)) {
    const { args } = gateway.interface.parseLog(log)!;
    owners.set(args.id as bigint, args.replacement as string);
  }
  return requests.map((r) => ({ ...r, owner: owners.get(r.id) ?? r.owner }));
}

/** The gateway functions the redemption helpers call. */
export interface GatewayLike {
  getAddress(): Promise<string>;
  connect(signer: Signer): GatewayLike;
  redeemWithPermit(
    sku: bigint | number,
    quantity: bigint | number,
    maxTotalPrice: bigint,
    deliveryRef: string,
    permitDeadline: bigint,
    v: number,
    r: string,
    s: string,
  ): Promise<ContractTransactionResponse>;
}

/** Redeems in one transaction, signing an ERC-2612 permit for `maxTotalPrice` on the way. */
export async function redeemWithPermit(
  gateway: GatewayLike,
  token: PermitToken,
  buyer: Signer,
  sku: number,
  quantity: number,
  maxTotalPrice: bigint,
  deliveryRef: string,
  permitDeadline: bigint,
) {
  const permit = await signPermit(token, buyer, await gateway.getAddress(), maxTotalPrice, permitDeadline);
  return gateway
    .connect(buyer)
    .redeemWithPermit(
      sku,
      quantity,
      maxTotalPrice,
      deliveryRef,
      permitDeadline,
      permit.v,
      permit.r,
      permit.s,
    );
}

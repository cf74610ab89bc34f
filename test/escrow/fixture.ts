import { time } from "@nomicfoundation/hardhat-network-helpers";
import { id as keccakOfText, MaxUint256, ZeroAddress } from "ethers";
import { ethers } from "hardhat";
import { ROLES } from "../../src";
import { ADMIN_DELAY, ONE_ZON } from "../helpers/fixtures";

export const DAY = 86_400n;
export const REVIEW = 7n * DAY;
export const AMOUNTS = [100n * ONE_ZON, 200n * ONE_ZON, 300n * ONE_ZON];
export const FEE_BPS = 100n; // 1 %, the platform fee governance sets
export const ARBITRATION = 14n * DAY;
export const FALLBACK_BUYER_BPS = 5_000n; // an arbiter who does not decide in time: half each
export const STATUS = {
  None: 0,
  Funded: 1,
  Delivered: 2,
  Disputed: 3,
  Released: 4,
  Resolved: 5,
  Refunded: 6,
} as const;

export async function escrowFixture() {
  const [admin, pauser, buyer, seller, arbiter, treasury, outsider] = await ethers.getSigners();
  const token = await ethers.deployContract("ZonCoin", [admin.address, ADMIN_DELAY, 0n]);
  const escrow = await ethers.deployContract("B2BEscrow", [
    await token.getAddress(),
    admin.address,
    ADMIN_DELAY,
    treasury.address,
    FEE_BPS,
  ]);
  const escrowAddress = await escrow.getAddress();
  await token.grantRole(ROLES.MINTER_ADMIN, admin.address);
  await token.configureMinter(admin.address, 10n ** 30n);
  await escrow.grantRole(ROLES.ESCROW_PAUSER, pauser.address);
  await token.mint(buyer.address, 10_000n * ONE_ZON);
  await token.connect(buyer).approve(escrowAddress, MaxUint256);
  const deliveryDeadline = BigInt(await time.latest()) + 30n * DAY;
  const acceptDeadline = deliveryDeadline - 23n * DAY;
  const terms = (overrides: Record<string, unknown> = {}) => ({
    seller: seller.address,
    arbiter: arbiter.address,
    termsHash: keccakOfText("statement of work #42"),
    deliveryDeadline,
    reviewWindow: REVIEW,
    acceptDeadline,
    arbitrationWindow: ARBITRATION,
    fallbackBuyerBps: FALLBACK_BUYER_BPS,
    ...overrides,
  });
  return {
    token,
    escrow,
    escrowAddress,
    admin,
    pauser,
    buyer,
    seller,
    arbiter,
    treasury,
    outsider,
    terms,
    deliveryDeadline,
    acceptDeadline,
    ZeroAddress,
  };
}

/** Agreement 0: three funded milestones, 1 % fee, with an arbiter. Agreement 1: the same without one.
 * Neither accepted by the seller yet. */
export async function offeredFixture() {
  const f = await escrowFixture();
  await f.escrow.connect(f.buyer).createAndFund(f.terms(), AMOUNTS);
  await f.escrow.connect(f.buyer).createAndFund(f.terms({ arbiter: ZeroAddress }), AMOUNTS);
  return f;
}

/** The offered agreements 0 and 1, both accepted by the seller. */
export async function fundedFixture() {
  const f = await offeredFixture();
  await f.escrow.connect(f.seller).accept(0);
  await f.escrow.connect(f.seller).accept(1);
  return f;
}

/** Milestone 0 of agreement 0 delivered. */
export async function deliveredFixture() {
  const f = await fundedFixture();
  await f.escrow.connect(f.seller).deliver(0, 0);
  const deliveredAt = BigInt(await time.latest());
  return { ...f, deliveredAt };
}

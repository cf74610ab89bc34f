import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { id as keccakOfText, MaxUint256, type Interface } from "ethers";
import { ethers } from "hardhat";
import type { B2BEscrow, ReentrantParty } from "../../typechain-types";
import { ADMIN_DELAY, ONE_ZON } from "../helpers/fixtures";
import { AMOUNTS, ARBITRATION, DAY, FALLBACK_BUYER_BPS, FEE_BPS, REVIEW, STATUS } from "./fixture";

const TOTAL = AMOUNTS.reduce((a, b) => a + b, 0n);
const netOf = (amount: bigint) => amount - (amount * FEE_BPS) / 10_000n;

/**
 * The escrow on a token that calls the receivers registered for it (a hook ZonCoin does not have), with a party
 * that is a contract: when paid, it calls back into the escrow once. Agreement 0 has three milestones.
 */
async function hostileFixture(partyIs: "seller" | "buyer") {
  const [admin, buyerEoa, sellerEoa, arbiter, treasury] = await ethers.getSigners();
  const token = await ethers.deployContract("HookToken");
  const escrow = await ethers.deployContract("B2BEscrow", [
    await token.getAddress(),
    admin.address,
    ADMIN_DELAY,
    treasury.address,
    FEE_BPS,
  ]);
  const escrowAddress = await escrow.getAddress();
  const party = await ethers.deployContract("ReentrantParty");
  const partyAddress = await party.getAddress();
  await token.registerHook(partyAddress);
  const buyer = partyIs === "buyer" ? partyAddress : buyerEoa.address;
  const seller = partyIs === "seller" ? partyAddress : sellerEoa.address;
  const deliveryDeadline = BigInt(await time.latest()) + 30n * DAY;
  const terms = {
    seller,
    arbiter: arbiter.address,
    termsHash: keccakOfText("statement of work #7"),
    deliveryDeadline,
    reviewWindow: REVIEW,
    acceptDeadline: deliveryDeadline - DAY,
    arbitrationWindow: ARBITRATION,
    fallbackBuyerBps: FALLBACK_BUYER_BPS,
  };
  await token.mint(buyer, TOTAL);
  const create = escrow.interface.encodeFunctionData("createAndFund", [terms, AMOUNTS]);
  if (partyIs === "buyer") {
    await party.execute(
      await token.getAddress(),
      token.interface.encodeFunctionData("approve", [escrowAddress, MaxUint256]),
    );
    await party.execute(escrowAddress, create);
  } else {
    await token.connect(buyerEoa).approve(escrowAddress, MaxUint256);
    await escrow.connect(buyerEoa).createAndFund(terms, AMOUNTS);
  }
  if (partyIs === "seller")
    await party.execute(escrowAddress, escrow.interface.encodeFunctionData("accept", [0n]));
  else await escrow.connect(sellerEoa).accept(0n);
  return {
    token,
    escrow,
    escrowAddress,
    party,
    partyAddress,
    buyerEoa,
    sellerEoa,
    arbiter,
    treasury,
    deliveryDeadline,
  };
}

const sellerFixture = () => hostileFixture("seller");
const buyerFixture = () => hostileFixture("buyer");

/** Acts as the party: `party.execute(escrow, calldata)`. */
function asParty(party: ReentrantParty, escrow: B2BEscrow, escrowAddress: string) {
  const escrowInterface: Interface = escrow.interface;
  return (fn: "deliver" | "claim" | "refundUndelivered" | "requestCancel", args: bigint[]) =>
    party.execute(escrowAddress, escrowInterface.encodeFunctionData(fn, args));
}

/** The re-entry's revert, decoded as an escrow custom error. */
async function reentryError(party: ReentrantParty, escrow: B2BEscrow) {
  expect([await party.attempted(), await party.succeeded()]).to.deep.equal([true, false]);
  const error = escrow.interface.parseError(await party.outcome());
  return [error?.name, ...(error?.args ?? [])];
}

describe("B2BEscrow against re-entry through a token hook", function () {
  it("lets a seller re-entering claim from its payout find the milestone Released", async function () {
    const { escrow, escrowAddress, party } = await loadFixture(sellerFixture);
    const act = asParty(party, escrow, escrowAddress);
    await act("deliver", [0n, 0n]);
    await time.increase(REVIEW + 1n);
    await party.planReentry(escrowAddress, escrow.interface.encodeFunctionData("claim", [0n, 0n]));
    await act("claim", [0n, 0n]);
    expect(await reentryError(party, escrow)).to.deep.equal(["WrongStatus", 0n, 0n, BigInt(STATUS.Released)]);
  });

  it("pays a re-entering seller exactly once", async function () {
    const { token, escrow, escrowAddress, party, partyAddress } = await loadFixture(sellerFixture);
    const act = asParty(party, escrow, escrowAddress);
    await act("deliver", [0n, 0n]);
    await time.increase(REVIEW + 1n);
    await party.planReentry(escrowAddress, escrow.interface.encodeFunctionData("claim", [0n, 0n]));
    await act("claim", [0n, 0n]);
    expect([await token.balanceOf(partyAddress), await token.balanceOf(escrowAddress)]).to.deep.equal([
      netOf(AMOUNTS[0]),
      TOTAL - netOf(AMOUNTS[0]),
    ]);
  });

  it("lets a seller re-entering sellerRefund from a release find the milestone Released", async function () {
    const { token, escrow, escrowAddress, party, buyerEoa } = await loadFixture(sellerFixture);
    await party.planReentry(escrowAddress, escrow.interface.encodeFunctionData("sellerRefund", [0n, 0n]));
    await escrow.connect(buyerEoa).release(0, 0);
    expect([...(await reentryError(party, escrow)), await token.balanceOf(buyerEoa.address)]).to.deep.equal([
      "WrongStatus",
      0n,
      0n,
      BigInt(STATUS.Released),
      0n,
    ]);
  });

  it("lets a seller re-entering claim from an arbiter's split find the milestone Resolved", async function () {
    const { escrow, escrowAddress, party, buyerEoa, arbiter } = await loadFixture(sellerFixture);
    const act = asParty(party, escrow, escrowAddress);
    await act("deliver", [0n, 0n]);
    await escrow.connect(buyerEoa).dispute(0, 0);
    await party.planReentry(escrowAddress, escrow.interface.encodeFunctionData("claim", [0n, 0n]));
    await escrow.connect(arbiter).resolve(0, 0, 40n * ONE_ZON);
    expect(await reentryError(party, escrow)).to.deep.equal(["WrongStatus", 0n, 0n, BigInt(STATUS.Resolved)]);
  });

  it("lets a buyer re-entering refundUndelivered from its refund find the milestone Refunded", async function () {
    const { token, escrow, escrowAddress, party, partyAddress, deliveryDeadline } =
      await loadFixture(buyerFixture);
    const act = asParty(party, escrow, escrowAddress);
    await time.increaseTo(deliveryDeadline + 1n);
    await party.planReentry(
      escrowAddress,
      escrow.interface.encodeFunctionData("refundUndelivered", [0n, 0n]),
    );
    await act("refundUndelivered", [0n, 0n]);
    expect([...(await reentryError(party, escrow)), await token.balanceOf(partyAddress)]).to.deep.equal([
      "WrongStatus",
      0n,
      0n,
      BigInt(STATUS.Refunded),
      AMOUNTS[0],
    ]);
  });

  it("refunds a buyer re-entering requestCancel from its cancel refund only once", async function () {
    const { token, escrow, escrowAddress, party, partyAddress, sellerEoa } = await loadFixture(buyerFixture);
    const act = asParty(party, escrow, escrowAddress);
    await escrow.connect(sellerEoa).requestCancel(0);
    await party.planReentry(escrowAddress, escrow.interface.encodeFunctionData("requestCancel", [0n]));
    await act("requestCancel", [0n]);
    expect([
      await party.succeeded(),
      await token.balanceOf(partyAddress),
      await token.balanceOf(escrowAddress),
      (await escrow.milestone(0, 2)).status,
    ]).to.deep.equal([true, TOTAL, 0n, BigInt(STATUS.Refunded)]);
  });

  it("accrues the treasury's fee once when the seller re-enters", async function () {
    const { token, escrow, escrowAddress, party, buyerEoa, treasury } = await loadFixture(sellerFixture);
    await party.planReentry(escrowAddress, escrow.interface.encodeFunctionData("sellerRefund", [0n, 0n]));
    await escrow.connect(buyerEoa).release(0, 0);
    await escrow.withdrawFees();
    expect(await token.balanceOf(treasury.address)).to.equal(AMOUNTS[0] - netOf(AMOUNTS[0]));
  });
});

import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ZeroAddress } from "ethers";
import { ethers } from "hardhat";
import { ROLES, signPermit, submitPermit } from "../../src";
import { ONE_ZON } from "../helpers/fixtures";
import {
  AMOUNTS,
  ARBITRATION,
  DAY,
  deliveredFixture,
  escrowFixture,
  FEE_BPS,
  fundedFixture,
  REVIEW,
  STATUS,
} from "./fixture";

const fee = (amount: bigint) => (amount * FEE_BPS) / 10_000n;

describe("B2BEscrow", function () {
  describe("creation", function () {
    it("takes the total from the buyer into escrow", async function () {
      const { escrow, token, buyer, terms } = await loadFixture(escrowFixture);
      await expect(escrow.connect(buyer).createAndFund(terms(), AMOUNTS)).to.changeTokenBalances(
        token,
        [buyer, escrow],
        [-600n * ONE_ZON, 600n * ONE_ZON],
      );
    });

    it("emits AgreementCreated with the terms and the platform fee fixed for its life", async function () {
      const { escrow, buyer, seller, terms } = await loadFixture(escrowFixture);
      const t = terms();
      const receipt = await (await escrow.connect(buyer).createAndFund(t, AMOUNTS)).wait();
      const [event] = await escrow.queryFilter(escrow.filters.AgreementCreated(0n), receipt!.blockNumber);
      expect([
        event.args.buyer,
        event.args.seller,
        event.args.total,
        event.args.milestoneCount,
      ]).to.deep.equal([buyer.address, seller.address, 600n * ONE_ZON, 3n]);
      expect(event.args.feeBps).to.equal(FEE_BPS);
      const e = event.args.terms;
      expect({
        seller: e.seller,
        arbiter: e.arbiter,
        termsHash: e.termsHash,
        deliveryDeadline: e.deliveryDeadline,
        reviewWindow: e.reviewWindow,
        acceptDeadline: e.acceptDeadline,
        arbitrationWindow: e.arbitrationWindow,
        fallbackBuyerBps: e.fallbackBuyerBps,
      }).to.deep.equal(t);
    });

    it("records each milestone as funded", async function () {
      const { escrow } = await loadFixture(fundedFixture);
      const m = await escrow.milestone(0, 2);
      expect([m.amount, m.status]).to.deep.equal([300n * ONE_ZON, BigInt(STATUS.Funded)]);
    });

    it("keeps the fee of an agreement when the platform fee changes later", async function () {
      const { escrow, admin } = await loadFixture(fundedFixture);
      await escrow.connect(admin).setFee(0n);
      expect((await escrow.agreement(0)).feeBps).to.equal(FEE_BPS);
    });

    it("accepts the maximum number of milestones", async function () {
      const { escrow, buyer, terms } = await loadFixture(escrowFixture);
      await escrow.connect(buyer).createAndFund(terms(), Array(20).fill(ONE_ZON));
      expect((await escrow.agreement(0)).milestoneCount).to.equal(20n);
    });

    it("rejects one milestone more than the maximum with InvalidMilestoneCount", async function () {
      const { escrow, buyer, terms } = await loadFixture(escrowFixture);
      await expect(escrow.connect(buyer).createAndFund(terms(), Array(21).fill(ONE_ZON)))
        .to.be.revertedWithCustomError(escrow, "InvalidMilestoneCount")
        .withArgs(21n, 20n);
    });

    it("rejects an agreement without milestones with InvalidMilestoneCount", async function () {
      const { escrow, buyer, terms } = await loadFixture(escrowFixture);
      await expect(escrow.connect(buyer).createAndFund(terms(), []))
        .to.be.revertedWithCustomError(escrow, "InvalidMilestoneCount")
        .withArgs(0n, 20n);
    });

    it("rejects a zero milestone with ZeroMilestone", async function () {
      const { escrow, buyer, terms } = await loadFixture(escrowFixture);
      await expect(escrow.connect(buyer).createAndFund(terms(), [ONE_ZON, 0n]))
        .to.be.revertedWithCustomError(escrow, "ZeroMilestone")
        .withArgs(1n);
    });

    it("rejects the buyer as seller with InvalidSeller", async function () {
      const { escrow, buyer, terms } = await loadFixture(escrowFixture);
      await expect(escrow.connect(buyer).createAndFund(terms({ seller: buyer.address }), AMOUNTS))
        .to.be.revertedWithCustomError(escrow, "InvalidSeller")
        .withArgs(buyer.address);
    });

    it("rejects the zero address as seller with InvalidSeller", async function () {
      const { escrow, buyer, terms } = await loadFixture(escrowFixture);
      await expect(escrow.connect(buyer).createAndFund(terms({ seller: ZeroAddress }), AMOUNTS))
        .to.be.revertedWithCustomError(escrow, "InvalidSeller")
        .withArgs(ZeroAddress);
    });

    it("rejects a party as arbiter with InvalidArbiter", async function () {
      const { escrow, buyer, seller, terms } = await loadFixture(escrowFixture);
      await expect(escrow.connect(buyer).createAndFund(terms({ arbiter: seller.address }), AMOUNTS))
        .to.be.revertedWithCustomError(escrow, "InvalidArbiter")
        .withArgs(seller.address);
    });

    it("rejects a delivery deadline in the past with InvalidDeliveryDeadline", async function () {
      const { escrow, buyer, terms } = await loadFixture(escrowFixture);
      const now = BigInt(await time.latest());
      await expect(escrow.connect(buyer).createAndFund(terms({ deliveryDeadline: now }), AMOUNTS))
        .to.be.revertedWithCustomError(escrow, "InvalidDeliveryDeadline")
        .withArgs(now);
    });

    it("rejects a review window under an hour with InvalidReviewWindow", async function () {
      const { escrow, buyer, terms } = await loadFixture(escrowFixture);
      await expect(escrow.connect(buyer).createAndFund(terms({ reviewWindow: 60n }), AMOUNTS))
        .to.be.revertedWithCustomError(escrow, "InvalidReviewWindow")
        .withArgs(60n, 90n * DAY);
    });

    it("rejects a review window above 90 days with InvalidReviewWindow", async function () {
      const { escrow, buyer, terms } = await loadFixture(escrowFixture);
      await expect(escrow.connect(buyer).createAndFund(terms({ reviewWindow: 91n * DAY }), AMOUNTS))
        .to.be.revertedWithCustomError(escrow, "InvalidReviewWindow")
        .withArgs(91n * DAY, 90n * DAY);
    });

    it("rejects a total above 2^128 - 1 with AmountTooLarge", async function () {
      const { escrow, buyer, terms } = await loadFixture(escrowFixture);
      const half = 2n ** 127n;
      await expect(escrow.connect(buyer).createAndFund(terms(), [half, half]))
        .to.be.revertedWithCustomError(escrow, "AmountTooLarge")
        .withArgs(2n ** 128n);
    });

    it("creates and funds with a permit in one transaction", async function () {
      const { escrow, token, escrowAddress, buyer, terms } = await loadFixture(escrowFixture);
      await token.connect(buyer).approve(escrowAddress, 0n);
      const deadline = BigInt(await time.latest()) + 3_600n;
      const p = await signPermit(token, buyer, escrowAddress, 600n * ONE_ZON, deadline);
      await expect(
        escrow.connect(buyer).createAndFundWithPermit(terms(), AMOUNTS, deadline, p.v, p.r, p.s),
      ).to.changeTokenBalance(token, escrow, 600n * ONE_ZON);
    });

    it("still funds when someone front-ran the permit", async function () {
      const { escrow, token, escrowAddress, buyer, outsider, terms } = await loadFixture(escrowFixture);
      await token.connect(buyer).approve(escrowAddress, 0n);
      const deadline = BigInt(await time.latest()) + 3_600n;
      const p = await signPermit(token, buyer, escrowAddress, 600n * ONE_ZON, deadline);
      await submitPermit(token.connect(outsider), p);
      await expect(
        escrow.connect(buyer).createAndFundWithPermit(terms(), AMOUNTS, deadline, p.v, p.r, p.s),
      ).to.emit(escrow, "AgreementCreated");
    });

    it("blocks new agreements while paused with EnforcedPause", async function () {
      const { escrow, pauser, buyer, terms } = await loadFixture(escrowFixture);
      await escrow.connect(pauser).pause();
      await expect(escrow.connect(buyer).createAndFund(terms(), AMOUNTS)).to.be.revertedWithCustomError(
        escrow,
        "EnforcedPause",
      );
    });

    it("blocks new agreements with a permit while paused with EnforcedPause", async function () {
      const { escrow, pauser, buyer, terms } = await loadFixture(escrowFixture);
      await escrow.connect(pauser).pause();
      await expect(
        escrow
          .connect(buyer)
          .createAndFundWithPermit(terms(), AMOUNTS, 0n, 27, ethers.ZeroHash, ethers.ZeroHash),
      ).to.be.revertedWithCustomError(escrow, "EnforcedPause");
    });
  });

  describe("delivery and release", function () {
    it("lets the seller mark a milestone delivered, emitting MilestoneDelivered", async function () {
      const { escrow, seller } = await loadFixture(fundedFixture);
      const tx = escrow.connect(seller).deliver(0, 1);
      await expect(tx)
        .to.emit(escrow, "MilestoneDelivered")
        .withArgs(0n, 1n, BigInt(await time.latest()) + 1n + REVIEW);
      expect((await escrow.milestone(0, 1)).status).to.equal(BigInt(STATUS.Delivered));
    });

    it("refuses delivery by anyone but the seller with NotAllowed", async function () {
      const { escrow, buyer } = await loadFixture(fundedFixture);
      await expect(escrow.connect(buyer).deliver(0, 0))
        .to.be.revertedWithCustomError(escrow, "NotAllowed")
        .withArgs(0n, buyer.address);
    });

    it("refuses delivery after the deadline with DeliveryDeadlinePassed", async function () {
      const { escrow, seller, deliveryDeadline } = await loadFixture(fundedFixture);
      await time.increaseTo(deliveryDeadline + 1n);
      await expect(escrow.connect(seller).deliver(0, 0))
        .to.be.revertedWithCustomError(escrow, "DeliveryDeadlinePassed")
        .withArgs(0n, deliveryDeadline);
    });

    it("refuses delivering twice with WrongStatus", async function () {
      const { escrow, seller } = await loadFixture(deliveredFixture);
      await expect(escrow.connect(seller).deliver(0, 0))
        .to.be.revertedWithCustomError(escrow, "WrongStatus")
        .withArgs(0n, 0n, STATUS.Delivered);
    });

    it("rejects an unknown agreement with UnknownAgreement", async function () {
      const { escrow, seller } = await loadFixture(fundedFixture);
      await expect(escrow.connect(seller).deliver(9, 0))
        .to.be.revertedWithCustomError(escrow, "UnknownAgreement")
        .withArgs(9n);
    });

    it("rejects an unknown milestone with UnknownMilestone", async function () {
      const { escrow, seller } = await loadFixture(fundedFixture);
      await expect(escrow.connect(seller).deliver(0, 3))
        .to.be.revertedWithCustomError(escrow, "UnknownMilestone")
        .withArgs(0n, 3n);
    });

    it("pays the seller on release, the fee accruing in the escrow for the treasury", async function () {
      const { escrow, token, buyer, seller, treasury } = await loadFixture(deliveredFixture);
      const tx = escrow.connect(buyer).release(0, 0);
      await expect(tx).to.changeTokenBalances(
        token,
        [seller, treasury, escrow],
        [99n * ONE_ZON, 0n, -99n * ONE_ZON],
      );
      await expect(tx)
        .to.emit(escrow, "MilestoneReleased")
        .withArgs(0n, 0n, buyer.address, 99n * ONE_ZON, ONE_ZON);
      expect(await escrow.feesAccrued()).to.equal(ONE_ZON);
    });

    it("lets the buyer release a milestone before it is marked delivered", async function () {
      const { escrow, buyer } = await loadFixture(fundedFixture);
      await escrow.connect(buyer).release(0, 2);
      expect((await escrow.milestone(0, 2)).status).to.equal(BigInt(STATUS.Released));
    });

    it("refuses release by anyone but the buyer with NotAllowed", async function () {
      const { escrow, seller } = await loadFixture(deliveredFixture);
      await expect(escrow.connect(seller).release(0, 0))
        .to.be.revertedWithCustomError(escrow, "NotAllowed")
        .withArgs(0n, seller.address);
    });

    it("settles once: a second release reverts with WrongStatus", async function () {
      const { escrow, buyer } = await loadFixture(deliveredFixture);
      await escrow.connect(buyer).release(0, 0);
      await expect(escrow.connect(buyer).release(0, 0))
        .to.be.revertedWithCustomError(escrow, "WrongStatus")
        .withArgs(0n, 0n, STATUS.Released);
    });

    it("pays no fee on an agreement made while the platform fee was zero", async function () {
      const { escrow, token, admin, buyer, seller, treasury, terms } = await loadFixture(escrowFixture);
      await escrow.connect(admin).setFee(0n);
      await escrow.connect(buyer).createAndFund(terms(), [ONE_ZON]);
      await escrow.connect(seller).accept(0);
      await expect(escrow.connect(buyer).release(0, 0)).to.changeTokenBalances(
        token,
        [seller, treasury],
        [ONE_ZON, 0n],
      );
    });

    it("rounds the fee down, in the seller's favour", async function () {
      const { escrow, token, admin, buyer, seller, treasury, terms } = await loadFixture(escrowFixture);
      await escrow.connect(admin).setFee(333n);
      await escrow.connect(buyer).createAndFund(terms(), [299n]); // 299 × 3.33 % = 9.96 wei
      await escrow.connect(seller).accept(0);
      await expect(escrow.connect(buyer).release(0, 0)).to.changeTokenBalances(
        token,
        [seller, treasury],
        [290n, 0n],
      );
      expect(await escrow.feesAccrued()).to.equal(9n);
    });
  });

  describe("review window", function () {
    it("lets the seller claim a delivered milestone once the buyer's review window is over", async function () {
      const { escrow, token, seller, deliveredAt } = await loadFixture(deliveredFixture);
      await time.increaseTo(deliveredAt + REVIEW + 1n);
      await expect(escrow.connect(seller).claim(0, 0)).to.changeTokenBalance(
        token,
        seller,
        100n * ONE_ZON - fee(100n * ONE_ZON),
      );
    });

    it("refuses a claim within the review window with ReviewWindowOpen", async function () {
      const { escrow, seller, deliveredAt } = await loadFixture(deliveredFixture);
      await expect(escrow.connect(seller).claim(0, 0))
        .to.be.revertedWithCustomError(escrow, "ReviewWindowOpen")
        .withArgs(0n, 0n, deliveredAt + REVIEW);
    });

    it("refuses a claim of an undelivered milestone with WrongStatus", async function () {
      const { escrow, seller } = await loadFixture(fundedFixture);
      await expect(escrow.connect(seller).claim(0, 1))
        .to.be.revertedWithCustomError(escrow, "WrongStatus")
        .withArgs(0n, 1n, STATUS.Funded);
    });

    it("refuses a claim by anyone but the seller with NotAllowed", async function () {
      const { escrow, buyer } = await loadFixture(deliveredFixture);
      await expect(escrow.connect(buyer).claim(0, 0))
        .to.be.revertedWithCustomError(escrow, "NotAllowed")
        .withArgs(0n, buyer.address);
    });
  });

  describe("disputes", function () {
    it("lets the buyer dispute within the window, emitting MilestoneDisputed", async function () {
      const { escrow, buyer } = await loadFixture(deliveredFixture);
      const disputedAt = BigInt(await time.latest()) + 1n;
      await time.setNextBlockTimestamp(disputedAt);
      await expect(escrow.connect(buyer).dispute(0, 0))
        .to.emit(escrow, "MilestoneDisputed")
        .withArgs(0n, 0n, buyer.address, disputedAt + ARBITRATION);
    });

    it("lets the seller dispute within the window", async function () {
      const { escrow, seller } = await loadFixture(deliveredFixture);
      await escrow.connect(seller).dispute(0, 0);
      expect((await escrow.milestone(0, 0)).status).to.equal(BigInt(STATUS.Disputed));
    });

    it("blocks the seller's claim while disputed", async function () {
      const { escrow, buyer, seller, deliveredAt } = await loadFixture(deliveredFixture);
      await escrow.connect(buyer).dispute(0, 0);
      await time.increaseTo(deliveredAt + REVIEW + 1n);
      await expect(escrow.connect(seller).claim(0, 0))
        .to.be.revertedWithCustomError(escrow, "WrongStatus")
        .withArgs(0n, 0n, STATUS.Disputed);
    });

    it("refuses a dispute after the window with ReviewWindowClosed", async function () {
      const { escrow, buyer, deliveredAt } = await loadFixture(deliveredFixture);
      await time.increaseTo(deliveredAt + REVIEW + 1n);
      await expect(escrow.connect(buyer).dispute(0, 0))
        .to.be.revertedWithCustomError(escrow, "ReviewWindowClosed")
        .withArgs(0n, 0n, deliveredAt + REVIEW);
    });

    it("refuses a dispute of an undelivered milestone with WrongStatus", async function () {
      const { escrow, buyer } = await loadFixture(fundedFixture);
      await expect(escrow.connect(buyer).dispute(0, 1))
        .to.be.revertedWithCustomError(escrow, "WrongStatus")
        .withArgs(0n, 1n, STATUS.Funded);
    });

    it("refuses a dispute by an outsider with NotAllowed", async function () {
      const { escrow, outsider } = await loadFixture(deliveredFixture);
      await expect(escrow.connect(outsider).dispute(0, 0))
        .to.be.revertedWithCustomError(escrow, "NotAllowed")
        .withArgs(0n, outsider.address);
    });

    it("makes disputes impossible without an arbiter: NoArbiter", async function () {
      const { escrow, buyer, seller } = await loadFixture(fundedFixture);
      await escrow.connect(seller).deliver(1, 0);
      await expect(escrow.connect(buyer).dispute(1, 0))
        .to.be.revertedWithCustomError(escrow, "NoArbiter")
        .withArgs(1n);
    });

    for (const buyerShare of [0n, 37n * ONE_ZON, 100n * ONE_ZON]) {
      it(`splits a disputed milestone as the arbiter says (${buyerShare / ONE_ZON} ZON to the buyer), fee on the seller's share only`, async function () {
        const { escrow, token, buyer, seller, arbiter, treasury } = await loadFixture(deliveredFixture);
        await escrow.connect(buyer).dispute(0, 0);
        const sellerGross = 100n * ONE_ZON - buyerShare;
        const tx = escrow.connect(arbiter).resolve(0, 0, buyerShare);
        await expect(tx).to.changeTokenBalances(
          token,
          [buyer, seller, treasury, escrow],
          [buyerShare, sellerGross - fee(sellerGross), 0n, fee(sellerGross) - 100n * ONE_ZON],
        );
        expect(await escrow.feesAccrued()).to.equal(fee(sellerGross));
        await expect(tx)
          .to.emit(escrow, "MilestoneResolved")
          .withArgs(0n, 0n, buyerShare, sellerGross - fee(sellerGross), fee(sellerGross));
      });
    }

    it("refuses a split above the milestone with InvalidSplit", async function () {
      const { escrow, buyer, arbiter } = await loadFixture(deliveredFixture);
      await escrow.connect(buyer).dispute(0, 0);
      await expect(escrow.connect(arbiter).resolve(0, 0, 100n * ONE_ZON + 1n))
        .to.be.revertedWithCustomError(escrow, "InvalidSplit")
        .withArgs(0n, 0n, 100n * ONE_ZON + 1n, 100n * ONE_ZON);
    });

    it("refuses a resolution by anyone but the arbiter with NotAllowed", async function () {
      const { escrow, buyer } = await loadFixture(deliveredFixture);
      await escrow.connect(buyer).dispute(0, 0);
      await expect(escrow.connect(buyer).resolve(0, 0, 0n))
        .to.be.revertedWithCustomError(escrow, "NotAllowed")
        .withArgs(0n, buyer.address);
    });

    it("refuses to resolve a milestone that is not disputed with WrongStatus", async function () {
      const { escrow, arbiter } = await loadFixture(deliveredFixture);
      await expect(escrow.connect(arbiter).resolve(0, 0, 0n))
        .to.be.revertedWithCustomError(escrow, "WrongStatus")
        .withArgs(0n, 0n, STATUS.Delivered);
    });
  });

  describe("refunds and cancellation", function () {
    it("refunds an undelivered milestone to the buyer after the deadline", async function () {
      const { escrow, token, buyer, deliveryDeadline } = await loadFixture(fundedFixture);
      await time.increaseTo(deliveryDeadline + 1n);
      const tx = escrow.connect(buyer).refundUndelivered(0, 1);
      await expect(tx).to.changeTokenBalance(token, buyer, 200n * ONE_ZON);
      await expect(tx)
        .to.emit(escrow, "MilestoneRefunded")
        .withArgs(0n, 1n, buyer.address, 200n * ONE_ZON);
    });

    it("refuses that refund before the deadline with DeliveryDeadlineNotPassed", async function () {
      const { escrow, buyer, deliveryDeadline } = await loadFixture(fundedFixture);
      await expect(escrow.connect(buyer).refundUndelivered(0, 1))
        .to.be.revertedWithCustomError(escrow, "DeliveryDeadlineNotPassed")
        .withArgs(0n, deliveryDeadline);
    });

    it("refuses that refund for a delivered milestone with WrongStatus", async function () {
      const { escrow, buyer, deliveryDeadline } = await loadFixture(deliveredFixture);
      await time.increaseTo(deliveryDeadline + 1n);
      await expect(escrow.connect(buyer).refundUndelivered(0, 0))
        .to.be.revertedWithCustomError(escrow, "WrongStatus")
        .withArgs(0n, 0n, STATUS.Delivered);
    });

    it("refuses that refund to anyone but the buyer with NotAllowed", async function () {
      const { escrow, seller, deliveryDeadline } = await loadFixture(fundedFixture);
      await time.increaseTo(deliveryDeadline + 1n);
      await expect(escrow.connect(seller).refundUndelivered(0, 0))
        .to.be.revertedWithCustomError(escrow, "NotAllowed")
        .withArgs(0n, seller.address);
    });

    it("lets the seller refund an unreleased milestone at any time", async function () {
      const { escrow, token, buyer, seller } = await loadFixture(deliveredFixture);
      await escrow.connect(buyer).dispute(0, 0);
      await expect(escrow.connect(seller).sellerRefund(0, 0)).to.changeTokenBalance(
        token,
        buyer,
        100n * ONE_ZON,
      );
    });

    it("refuses a seller refund of a released milestone with WrongStatus", async function () {
      const { escrow, buyer, seller } = await loadFixture(deliveredFixture);
      await escrow.connect(buyer).release(0, 0);
      await expect(escrow.connect(seller).sellerRefund(0, 0))
        .to.be.revertedWithCustomError(escrow, "WrongStatus")
        .withArgs(0n, 0n, STATUS.Released);
    });

    it("refuses a seller refund by the buyer with NotAllowed", async function () {
      const { escrow, buyer } = await loadFixture(fundedFixture);
      await expect(escrow.connect(buyer).sellerRefund(0, 0))
        .to.be.revertedWithCustomError(escrow, "NotAllowed")
        .withArgs(0n, buyer.address);
    });

    it("records one party's cancel request without refunding anything", async function () {
      const { escrow, token, buyer } = await loadFixture(fundedFixture);
      const tx = escrow.connect(buyer).requestCancel(0);
      await expect(tx).to.emit(escrow, "CancelRequested").withArgs(0n, buyer.address);
      await expect(tx).to.changeTokenBalance(token, escrow, 0n);
    });

    it("cancels when both parties ask, refunding every unsettled milestone", async function () {
      const { escrow, token, buyer, seller } = await loadFixture(deliveredFixture);
      await escrow.connect(buyer).release(0, 0);
      await escrow.connect(seller).requestCancel(0);
      const tx = escrow.connect(buyer).requestCancel(0);
      await expect(tx)
        .to.emit(escrow, "AgreementCancelled")
        .withArgs(0n, 500n * ONE_ZON);
      await expect(tx).to.changeTokenBalance(token, buyer, 500n * ONE_ZON);
    });

    it("refunds nothing more when a cancelled agreement is cancelled again", async function () {
      const { escrow, token, buyer, seller } = await loadFixture(fundedFixture);
      await escrow.connect(seller).requestCancel(0);
      await escrow.connect(buyer).requestCancel(0);
      await escrow.connect(seller).requestCancel(0);
      const again = escrow.connect(buyer).requestCancel(0);
      await expect(again).to.emit(escrow, "AgreementCancelled").withArgs(0n, 0n);
      await expect(again).to.changeTokenBalance(token, buyer, 0n);
    });

    it("rejects the buyer as arbiter with InvalidArbiter", async function () {
      const { escrow, buyer, terms } = await loadFixture(escrowFixture);
      await expect(escrow.connect(buyer).createAndFund(terms({ arbiter: buyer.address }), AMOUNTS))
        .to.be.revertedWithCustomError(escrow, "InvalidArbiter")
        .withArgs(buyer.address);
    });

    it("refuses a cancel request from an outsider with NotAllowed", async function () {
      const { escrow, outsider } = await loadFixture(fundedFixture);
      await expect(escrow.connect(outsider).requestCancel(0))
        .to.be.revertedWithCustomError(escrow, "NotAllowed")
        .withArgs(0n, outsider.address);
    });
  });

  describe("pause and governance", function () {
    it("lets funds in escrow settle while paused", async function () {
      const { escrow, token, pauser, buyer, seller } = await loadFixture(deliveredFixture);
      await escrow.connect(pauser).pause();
      await expect(escrow.connect(buyer).release(0, 0)).to.changeTokenBalance(token, seller, 99n * ONE_ZON);
    });

    it("lets the pauser unpause", async function () {
      const { escrow, pauser, buyer, terms } = await loadFixture(escrowFixture);
      await escrow.connect(pauser).pause();
      await escrow.connect(pauser).unpause();
      await expect(escrow.connect(buyer).createAndFund(terms(), AMOUNTS)).to.emit(escrow, "AgreementCreated");
    });

    it("refuses pause to an account without the pauser role", async function () {
      const { escrow, admin } = await loadFixture(escrowFixture);
      await expect(escrow.connect(admin).pause())
        .to.be.revertedWithCustomError(escrow, "AccessControlUnauthorizedAccount")
        .withArgs(admin.address, ROLES.ESCROW_PAUSER);
    });

    it("refuses unpause to an account without the pauser role", async function () {
      const { escrow, pauser, admin } = await loadFixture(escrowFixture);
      await escrow.connect(pauser).pause();
      await expect(escrow.connect(admin).unpause())
        .to.be.revertedWithCustomError(escrow, "AccessControlUnauthorizedAccount")
        .withArgs(admin.address, ROLES.ESCROW_PAUSER);
    });

    it("sends fees to a new treasury once it is set", async function () {
      const { escrow, token, admin, buyer, outsider } = await loadFixture(deliveredFixture);
      await expect(escrow.connect(admin).setTreasury(outsider.address))
        .to.emit(escrow, "TreasurySet")
        .withArgs(outsider.address);
      await escrow.connect(buyer).release(0, 0);
      await expect(escrow.connect(buyer).withdrawFees()).to.changeTokenBalance(token, outsider, ONE_ZON);
    });

    it("refuses a zero treasury with InvalidTreasury", async function () {
      const { escrow, admin } = await loadFixture(escrowFixture);
      await expect(escrow.connect(admin).setTreasury(ZeroAddress))
        .to.be.revertedWithCustomError(escrow, "InvalidTreasury")
        .withArgs(ZeroAddress);
    });

    it("refuses a platform fee above the hard cap with FeeTooHigh", async function () {
      const { escrow, admin } = await loadFixture(escrowFixture);
      await expect(escrow.connect(admin).setFee(1_001n))
        .to.be.revertedWithCustomError(escrow, "FeeTooHigh")
        .withArgs(1_001n, 1_000n);
    });

    it("sets the platform fee, emitting FeeSet", async function () {
      const { escrow, admin } = await loadFixture(escrowFixture);
      await expect(escrow.connect(admin).setFee(250n)).to.emit(escrow, "FeeSet").withArgs(250n);
      expect(await escrow.feeBps()).to.equal(250n);
    });

    it("refuses treasury changes to an account without the admin role", async function () {
      const { escrow, pauser, outsider } = await loadFixture(escrowFixture);
      await expect(escrow.connect(pauser).setTreasury(outsider.address))
        .to.be.revertedWithCustomError(escrow, "AccessControlUnauthorizedAccount")
        .withArgs(pauser.address, ROLES.DEFAULT_ADMIN);
    });

    it("refuses platform fee changes to an account without the admin role", async function () {
      const { escrow, pauser } = await loadFixture(escrowFixture);
      await expect(escrow.connect(pauser).setFee(1n))
        .to.be.revertedWithCustomError(escrow, "AccessControlUnauthorizedAccount")
        .withArgs(pauser.address, ROLES.DEFAULT_ADMIN);
    });

    it("numbers agreements and reports the treasury", async function () {
      const { escrow, treasury } = await loadFixture(fundedFixture);
      expect([await escrow.nextAgreementId(), await escrow.treasury()]).to.deep.equal([2n, treasury.address]);
    });
  });
});

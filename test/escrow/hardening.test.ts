import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ZeroAddress } from "ethers";
import { ROLES } from "../../src";
import { ONE_ZON, strayTokens } from "../helpers/fixtures";
import {
  AMOUNTS,
  ARBITRATION,
  DAY,
  deliveredFixture,
  escrowFixture,
  FALLBACK_BUYER_BPS,
  FEE_BPS,
  fundedFixture,
  offeredFixture,
  REVIEW,
  STATUS,
} from "./fixture";

const TOTAL = AMOUNTS.reduce((a, b) => a + b, 0n);
const fee = (amount: bigint) => (amount * FEE_BPS) / 10_000n;

describe("B2BEscrow hardening", function () {
  describe("the seller's acceptance", function () {
    it("binds the seller only once it accepts: an unaccepted agreement cannot be delivered (NotAccepted)", async function () {
      const { escrow, seller } = await loadFixture(offeredFixture);
      await expect(escrow.connect(seller).deliver(0, 0))
        .to.be.revertedWithCustomError(escrow, "NotAccepted")
        .withArgs(0n);
    });

    it("refuses a release before the seller accepts with NotAccepted", async function () {
      const { escrow, buyer } = await loadFixture(offeredFixture);
      await expect(escrow.connect(buyer).release(0, 0))
        .to.be.revertedWithCustomError(escrow, "NotAccepted")
        .withArgs(0n);
    });

    it("lets the seller accept, emitting AgreementAccepted", async function () {
      const { escrow, seller } = await loadFixture(offeredFixture);
      await expect(escrow.connect(seller).accept(0))
        .to.emit(escrow, "AgreementAccepted")
        .withArgs(0n, seller.address);
      expect((await escrow.agreement(0)).accepted).to.equal(true);
    });

    it("refuses an acceptance by anyone but the seller with NotAllowed", async function () {
      const { escrow, buyer } = await loadFixture(offeredFixture);
      await expect(escrow.connect(buyer).accept(0))
        .to.be.revertedWithCustomError(escrow, "NotAllowed")
        .withArgs(0n, buyer.address);
    });

    it("refuses a second acceptance with AlreadyAccepted", async function () {
      const { escrow, seller } = await loadFixture(fundedFixture);
      await expect(escrow.connect(seller).accept(0))
        .to.be.revertedWithCustomError(escrow, "AlreadyAccepted")
        .withArgs(0n);
    });

    it("refuses an acceptance after the acceptance deadline with AcceptDeadlinePassed", async function () {
      const { escrow, seller, acceptDeadline } = await loadFixture(offeredFixture);
      await time.increaseTo(acceptDeadline + 1n);
      await expect(escrow.connect(seller).accept(0))
        .to.be.revertedWithCustomError(escrow, "AcceptDeadlinePassed")
        .withArgs(0n, acceptDeadline);
    });

    it("refunds the buyer in full for an agreement the seller never accepted", async function () {
      const { escrow, token, buyer, acceptDeadline } = await loadFixture(offeredFixture);
      await time.increaseTo(acceptDeadline + 1n);
      const tx = escrow.connect(buyer).withdrawUnaccepted(0);
      await expect(tx).to.emit(escrow, "AgreementWithdrawn").withArgs(0n, TOTAL);
      await expect(tx).to.changeTokenBalances(token, [buyer, escrow], [TOTAL, -TOTAL]);
    });

    it("marks every milestone of a withdrawn agreement refunded", async function () {
      const { escrow, buyer } = await loadFixture(offeredFixture);
      await escrow.connect(buyer).withdrawUnaccepted(0);
      const statuses = await Promise.all([0, 1, 2].map(async (i) => (await escrow.milestone(0, i)).status));
      expect(statuses).to.deep.equal([STATUS.Refunded, STATUS.Refunded, STATUS.Refunded].map(BigInt));
    });

    it("withdraws nothing more once the seller refunded every milestone of its own accord", async function () {
      const { escrow, buyer, seller } = await loadFixture(offeredFixture);
      for (const i of [0, 1, 2]) await escrow.connect(seller).sellerRefund(0, i);
      await expect(escrow.connect(buyer).withdrawUnaccepted(0))
        .to.emit(escrow, "AgreementWithdrawn")
        .withArgs(0n, 0n);
    });

    it("refuses to withdraw an accepted agreement with AlreadyAccepted", async function () {
      const { escrow, buyer } = await loadFixture(fundedFixture);
      await expect(escrow.connect(buyer).withdrawUnaccepted(0))
        .to.be.revertedWithCustomError(escrow, "AlreadyAccepted")
        .withArgs(0n);
    });

    it("refuses a withdrawal by anyone but the buyer with NotAllowed", async function () {
      const { escrow, seller } = await loadFixture(offeredFixture);
      await expect(escrow.connect(seller).withdrawUnaccepted(0))
        .to.be.revertedWithCustomError(escrow, "NotAllowed")
        .withArgs(0n, seller.address);
    });

    it("refuses an acceptance deadline after the delivery deadline with InvalidAcceptDeadline", async function () {
      const { escrow, buyer, terms, deliveryDeadline } = await loadFixture(escrowFixture);
      await expect(
        escrow.connect(buyer).createAndFund(terms({ acceptDeadline: deliveryDeadline + 1n }), AMOUNTS),
      )
        .to.be.revertedWithCustomError(escrow, "InvalidAcceptDeadline")
        .withArgs(deliveryDeadline + 1n, deliveryDeadline);
    });

    it("refuses an acceptance deadline in the past with InvalidAcceptDeadline", async function () {
      const { escrow, buyer, terms, deliveryDeadline } = await loadFixture(escrowFixture);
      const past = BigInt(await time.latest()) - 1n;
      await expect(escrow.connect(buyer).createAndFund(terms({ acceptDeadline: past }), AMOUNTS))
        .to.be.revertedWithCustomError(escrow, "InvalidAcceptDeadline")
        .withArgs(past, deliveryDeadline);
    });
  });

  describe("the platform fee", function () {
    it("takes the fee governance set, not one the buyer picks (Terms carry no fee)", async function () {
      const { escrow, admin, buyer, seller, terms } = await loadFixture(escrowFixture);
      await escrow.connect(admin).setFee(250n);
      await escrow.connect(buyer).createAndFund(terms(), AMOUNTS);
      await escrow.connect(seller).accept(0);
      expect((await escrow.agreement(0)).feeBps).to.equal(250n);
    });
  });

  describe("cancel requests", function () {
    it("voids a seller's early cancel request when it delivers: the buyer's later request refunds nothing delivered", async function () {
      // The attack: the seller asked to cancel early, then delivered two milestones; the buyer "agreed"
      // and every milestone, the two delivered ones included, went back to the buyer.
      const { escrow, token, buyer, seller } = await loadFixture(fundedFixture);
      await escrow.connect(seller).requestCancel(0);
      await escrow.connect(seller).deliver(0, 0);
      await escrow.connect(seller).deliver(0, 1);
      await expect(escrow.connect(buyer).requestCancel(0)).to.not.emit(escrow, "AgreementCancelled");
      const statuses = await Promise.all([0, 1].map(async (i) => (await escrow.milestone(0, i)).status));
      expect(statuses).to.deep.equal([BigInt(STATUS.Delivered), BigInt(STATUS.Delivered)]);
      expect(await token.balanceOf(await escrow.getAddress())).to.equal(2n * TOTAL);
    });

    it("emits CancelRequestsVoided when a delivery voids a standing request", async function () {
      const { escrow, seller } = await loadFixture(fundedFixture);
      await escrow.connect(seller).requestCancel(0);
      await expect(escrow.connect(seller).deliver(0, 0)).to.emit(escrow, "CancelRequestsVoided").withArgs(0n);
      expect((await escrow.agreement(0)).sellerCancels).to.equal(false);
    });

    it("voids a standing request on a dispute", async function () {
      const { escrow, buyer, seller } = await loadFixture(deliveredFixture);
      await escrow.connect(buyer).requestCancel(0);
      await escrow.connect(seller).dispute(0, 0);
      expect((await escrow.agreement(0)).buyerCancels).to.equal(false);
    });

    it("voids a standing request on a settlement", async function () {
      const { escrow, buyer } = await loadFixture(deliveredFixture);
      await escrow.connect(buyer).requestCancel(0);
      await escrow.connect(buyer).release(0, 0);
      expect((await escrow.agreement(0)).buyerCancels).to.equal(false);
    });

    it("still cancels when both ask with nothing changed in between", async function () {
      const { escrow, buyer, seller } = await loadFixture(deliveredFixture);
      await escrow.connect(seller).requestCancel(0);
      await expect(escrow.connect(buyer).requestCancel(0))
        .to.emit(escrow, "AgreementCancelled")
        .withArgs(0n, TOTAL);
    });

    it("lets a party withdraw its request, emitting CancelRequestWithdrawn", async function () {
      const { escrow, seller } = await loadFixture(fundedFixture);
      await escrow.connect(seller).requestCancel(0);
      await expect(escrow.connect(seller).withdrawCancelRequest(0))
        .to.emit(escrow, "CancelRequestWithdrawn")
        .withArgs(0n, seller.address);
    });

    it("does not cancel on the other party's request once a request was withdrawn", async function () {
      const { escrow, buyer, seller } = await loadFixture(fundedFixture);
      await escrow.connect(seller).requestCancel(0);
      await escrow.connect(seller).withdrawCancelRequest(0);
      await expect(escrow.connect(buyer).requestCancel(0)).to.not.emit(escrow, "AgreementCancelled");
    });

    it("refuses to withdraw a request that is not standing with NoCancelRequest", async function () {
      const { escrow, buyer, outsider } = await loadFixture(fundedFixture);
      await expect(escrow.connect(buyer).withdrawCancelRequest(0))
        .to.be.revertedWithCustomError(escrow, "NoCancelRequest")
        .withArgs(0n, buyer.address);
      await expect(escrow.connect(outsider).withdrawCancelRequest(0))
        .to.be.revertedWithCustomError(escrow, "NoCancelRequest")
        .withArgs(0n, outsider.address);
    });
  });

  describe("arbitration deadline and fallback", function () {
    async function disputedFixture() {
      const f = await deliveredFixture();
      await f.escrow.connect(f.buyer).dispute(0, 0);
      return { ...f, disputedAt: BigInt(await time.latest()) };
    }

    it("gives a dispute a way out: after the window, either party applies the fallback split", async function () {
      // The attack: a disputed milestone waited for an absent arbiter forever.
      const { escrow, token, buyer, seller, treasury, disputedAt } = await loadFixture(disputedFixture);
      await time.increaseTo(disputedAt + ARBITRATION + 1n);
      const toBuyer = (AMOUNTS[0] * FALLBACK_BUYER_BPS) / 10_000n;
      const gross = AMOUNTS[0] - toBuyer;
      const tx = escrow.connect(seller).resolveByFallback(0, 0);
      await expect(tx)
        .to.emit(escrow, "MilestoneResolved")
        .withArgs(0n, 0n, toBuyer, gross - fee(gross), fee(gross));
      await expect(tx).to.changeTokenBalances(
        token,
        [buyer, seller, treasury],
        [toBuyer, gross - fee(gross), 0n],
      );
      expect(await escrow.feesAccrued()).to.equal(fee(gross));
    });

    it("refuses the fallback while the arbiter's window is open with ArbitrationWindowOpen", async function () {
      const { escrow, buyer, disputedAt } = await loadFixture(disputedFixture);
      await expect(escrow.connect(buyer).resolveByFallback(0, 0))
        .to.be.revertedWithCustomError(escrow, "ArbitrationWindowOpen")
        .withArgs(0n, 0n, disputedAt + ARBITRATION);
    });

    it("refuses the arbiter's split after its window with ArbitrationWindowClosed", async function () {
      const { escrow, arbiter, disputedAt } = await loadFixture(disputedFixture);
      await time.increaseTo(disputedAt + ARBITRATION + 1n);
      await expect(escrow.connect(arbiter).resolve(0, 0, 0n))
        .to.be.revertedWithCustomError(escrow, "ArbitrationWindowClosed")
        .withArgs(0n, 0n, disputedAt + ARBITRATION);
    });

    it("refuses the fallback to an outsider with NotAllowed", async function () {
      const { escrow, outsider, disputedAt } = await loadFixture(disputedFixture);
      await time.increaseTo(disputedAt + ARBITRATION + 1n);
      await expect(escrow.connect(outsider).resolveByFallback(0, 0))
        .to.be.revertedWithCustomError(escrow, "NotAllowed")
        .withArgs(0n, outsider.address);
    });

    it("refuses the fallback on a milestone that is not disputed with WrongStatus", async function () {
      const { escrow, buyer } = await loadFixture(fundedFixture);
      await expect(escrow.connect(buyer).resolveByFallback(0, 1))
        .to.be.revertedWithCustomError(escrow, "WrongStatus")
        .withArgs(0n, 1n, STATUS.Funded);
    });

    it("refuses an arbitration window under an hour with InvalidArbitrationWindow", async function () {
      const { escrow, buyer, terms } = await loadFixture(escrowFixture);
      await expect(escrow.connect(buyer).createAndFund(terms({ arbitrationWindow: 60n }), AMOUNTS))
        .to.be.revertedWithCustomError(escrow, "InvalidArbitrationWindow")
        .withArgs(60n, 90n * DAY);
    });

    it("refuses an arbitration window above 90 days with InvalidArbitrationWindow", async function () {
      const { escrow, buyer, terms } = await loadFixture(escrowFixture);
      await expect(escrow.connect(buyer).createAndFund(terms({ arbitrationWindow: 91n * DAY }), AMOUNTS))
        .to.be.revertedWithCustomError(escrow, "InvalidArbitrationWindow")
        .withArgs(91n * DAY, 90n * DAY);
    });

    it("refuses a fallback buyer share above 10,000 bps with InvalidFallbackSplit", async function () {
      const { escrow, buyer, terms } = await loadFixture(escrowFixture);
      await expect(escrow.connect(buyer).createAndFund(terms({ fallbackBuyerBps: 10_001n }), AMOUNTS))
        .to.be.revertedWithCustomError(escrow, "InvalidFallbackSplit")
        .withArgs(10_001n);
    });
  });

  describe("replacing the arbiter", function () {
    it("changes the arbiter when buyer and seller propose the same one, emitting ArbiterChanged", async function () {
      const { escrow, buyer, seller, arbiter, outsider } = await loadFixture(fundedFixture);
      await escrow.connect(buyer).proposeArbiter(0, outsider.address);
      await expect(escrow.connect(seller).proposeArbiter(0, outsider.address))
        .to.emit(escrow, "ArbiterChanged")
        .withArgs(0n, arbiter.address, outsider.address);
      expect((await escrow.agreement(0)).arbiter).to.equal(outsider.address);
    });

    it("keeps the arbiter on one party's proposal, emitting ArbiterProposed", async function () {
      const { escrow, buyer, arbiter, outsider } = await loadFixture(fundedFixture);
      await expect(escrow.connect(buyer).proposeArbiter(0, outsider.address))
        .to.emit(escrow, "ArbiterProposed")
        .withArgs(0n, buyer.address, outsider.address);
      expect([(await escrow.agreement(0)).arbiter, await escrow.arbiterProposals(0)]).to.deep.equal([
        arbiter.address,
        [outsider.address, ZeroAddress],
      ]);
    });

    it("keeps the arbiter when the parties propose different ones", async function () {
      const { escrow, buyer, seller, arbiter, outsider, treasury } = await loadFixture(fundedFixture);
      await escrow.connect(buyer).proposeArbiter(0, outsider.address);
      await escrow.connect(seller).proposeArbiter(0, treasury.address);
      expect((await escrow.agreement(0)).arbiter).to.equal(arbiter.address);
    });

    it("lets the new arbiter split a dispute and refuses the old one with NotAllowed", async function () {
      const { escrow, buyer, seller, arbiter, outsider } = await loadFixture(deliveredFixture);
      await escrow.connect(buyer).dispute(0, 0);
      await escrow.connect(buyer).proposeArbiter(0, outsider.address);
      await escrow.connect(seller).proposeArbiter(0, outsider.address);
      await expect(escrow.connect(arbiter).resolve(0, 0, 0n))
        .to.be.revertedWithCustomError(escrow, "NotAllowed")
        .withArgs(0n, arbiter.address);
      await expect(escrow.connect(outsider).resolve(0, 0, 0n)).to.emit(escrow, "MilestoneResolved");
    });

    it("lets the parties name an arbiter for an agreement made without one", async function () {
      const { escrow, buyer, seller, outsider } = await loadFixture(fundedFixture);
      await escrow.connect(buyer).proposeArbiter(1, outsider.address);
      await escrow.connect(seller).proposeArbiter(1, outsider.address);
      await escrow.connect(seller).deliver(1, 0);
      await expect(escrow.connect(buyer).dispute(1, 0)).to.emit(escrow, "MilestoneDisputed");
    });

    it("refuses a party or the zero address as arbiter with InvalidArbiter", async function () {
      const { escrow, buyer, seller } = await loadFixture(fundedFixture);
      for (const candidate of [ZeroAddress, buyer.address, seller.address]) {
        await expect(escrow.connect(buyer).proposeArbiter(0, candidate))
          .to.be.revertedWithCustomError(escrow, "InvalidArbiter")
          .withArgs(candidate);
      }
    });

    it("refuses a proposal from an outsider with NotAllowed", async function () {
      const { escrow, outsider, treasury } = await loadFixture(fundedFixture);
      await expect(escrow.connect(outsider).proposeArbiter(0, treasury.address))
        .to.be.revertedWithCustomError(escrow, "NotAllowed")
        .withArgs(0n, outsider.address);
    });
  });

  describe("ZON sent to the escrow by mistake", function () {
    it("lets the admin rescue the surplus only, emitting TokensRescued", async function () {
      const { escrow, token, admin, buyer, outsider } = await loadFixture(fundedFixture);
      const tokenAddress = await token.getAddress();
      await token.connect(buyer).transfer(await escrow.getAddress(), 5n * ONE_ZON); // the mistake
      await expect(escrow.connect(admin).rescueERC20(tokenAddress, outsider.address, 5n * ONE_ZON + 1n))
        .to.be.revertedWithCustomError(escrow, "RescueExceedsSurplus")
        .withArgs(tokenAddress, 5n * ONE_ZON, 5n * ONE_ZON + 1n);
      await expect(escrow.connect(admin).rescueERC20(tokenAddress, outsider.address, 5n * ONE_ZON))
        .to.emit(escrow, "TokensRescued")
        .withArgs(tokenAddress, outsider.address, 5n * ONE_ZON);
      expect([await token.balanceOf(await escrow.getAddress()), await escrow.lockedTotal()]).to.deep.equal([
        2n * TOTAL,
        2n * TOTAL,
      ]);
    });

    it("keeps the locked total equal to the unsettled milestones through every settlement", async function () {
      const { escrow, buyer, seller } = await loadFixture(deliveredFixture);
      await escrow.connect(buyer).release(0, 0);
      await escrow.connect(seller).sellerRefund(0, 1);
      await escrow.connect(buyer).requestCancel(1);
      await escrow.connect(seller).requestCancel(1);
      expect(await escrow.lockedTotal()).to.equal(AMOUNTS[2]);
    });

    it("rescues the whole balance of another token", async function () {
      const { escrow, admin, outsider } = await loadFixture(fundedFixture);
      const other = await strayTokens(admin, await escrow.getAddress(), 5n);
      await expect(
        escrow.connect(admin).rescueERC20(await other.getAddress(), outsider.address, 5n),
      ).to.changeTokenBalance(other, outsider, 5n);
    });

    it("refuses a rescue to an account without the admin role", async function () {
      const { escrow, token, outsider } = await loadFixture(fundedFixture);
      await expect(escrow.connect(outsider).rescueERC20(await token.getAddress(), outsider.address, 1n))
        .to.be.revertedWithCustomError(escrow, "AccessControlUnauthorizedAccount")
        .withArgs(outsider.address, ROLES.DEFAULT_ADMIN);
    });
  });

  it("keeps the review window rules for accepted agreements", async function () {
    const { escrow, seller, deliveredAt } = await loadFixture(deliveredFixture);
    await expect(escrow.connect(seller).claim(0, 0))
      .to.be.revertedWithCustomError(escrow, "ReviewWindowOpen")
      .withArgs(0n, 0n, deliveredAt + REVIEW);
  });
});

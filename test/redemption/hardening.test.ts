import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { id as hashOf } from "ethers";
import { ethers } from "hardhat";
import { ROLES } from "../../src";
import { ADMIN_DELAY, ONE_ZON, strayTokens } from "../helpers/fixtures";
import { ACCEPTANCE, CREDIT, gatewayFixture, TIMEOUT, WORKER_ID } from "./fixture";

const REF = hashOf("cloud-account:acme-prod");
const RECEIPT = hashOf("credit-code:ABCD-1234");

describe("RedemptionGateway hardening", function () {
  /** Alice's request 0 (30 ZON) and Bob's request 1 (10 ZON), open. */
  async function openFixture() {
    const f = await gatewayFixture();
    await f.gateway.connect(f.alice).redeem(CREDIT, 3, 30n * ONE_ZON, REF);
    await f.gateway.connect(f.bob).redeem(CREDIT, 1, 10n * ONE_ZON, REF);
    return f;
  }

  describe("acceptance", function () {
    it("stops the owner's cancel between delivery and confirmation, even past the timeout", async function () {
      // The attack: the worker delivers late; the owner cancels before the confirmation lands and keeps
      // both the credit and the ZON. Accepted requests cannot be cancelled until the acceptance ends.
      const { gateway, fulfiller, alice, requestOf } = await loadFixture(openFixture);
      const request = await requestOf(0);
      await time.increaseTo(request.cancelAfter - 10n); // the worker comes back just before the timeout
      await gateway.connect(fulfiller).accept([request], WORKER_ID);
      const acceptedUntil = await gateway.acceptedUntil(0);
      await time.increaseTo(request.cancelAfter + 60n); // delivery takes a while
      await expect(gateway.connect(alice).cancel(request))
        .to.be.revertedWithCustomError(gateway, "CancelTooEarly")
        .withArgs(0n, acceptedUntil);
      await expect(gateway.connect(fulfiller).confirm(request, RECEIPT)).to.emit(
        gateway,
        "RedemptionFulfilled",
      );
    });

    it("emits RedemptionAccepted with the acceptance deadline and the accepting worker", async function () {
      const { gateway, fulfiller, requestOf } = await loadFixture(openFixture);
      const requests = [await requestOf(0), await requestOf(1)];
      const acceptedAt = BigInt(await time.latest()) + 1n;
      await time.setNextBlockTimestamp(acceptedAt);
      const tx = gateway.connect(fulfiller).accept(requests, WORKER_ID);
      const until = acceptedAt + ACCEPTANCE;
      await expect(tx).to.emit(gateway, "RedemptionAccepted").withArgs(0n, until, WORKER_ID);
      await expect(tx).to.emit(gateway, "RedemptionAccepted").withArgs(1n, until, WORKER_ID);
      expect(await gateway.acceptedUntil(1)).to.equal(until);
    });

    it("refuses a second acceptance with AlreadyAccepted: no one renews the lock", async function () {
      const { gateway, fulfiller, requestOf } = await loadFixture(openFixture);
      await gateway.connect(fulfiller).accept([await requestOf(0)], WORKER_ID);
      const until = await gateway.acceptedUntil(0);
      await expect(gateway.connect(fulfiller).accept([await requestOf(0)], WORKER_ID))
        .to.be.revertedWithCustomError(gateway, "AlreadyAccepted")
        .withArgs(0n, until);
    });

    it("lets the owner cancel once the acceptance and the timeout are over: no ZON locked forever", async function () {
      const { gateway, token, fulfiller, alice, requestOf } = await loadFixture(openFixture);
      const request = await requestOf(0);
      await time.increaseTo(request.cancelAfter - 10n);
      await gateway.connect(fulfiller).accept([request], WORKER_ID);
      await time.increaseTo((await gateway.acceptedUntil(0)) + 1n);
      await expect(gateway.connect(alice).cancel(request)).to.changeTokenBalance(token, alice, 30n * ONE_ZON);
    });

    it("keeps the timeout when the acceptance ends before it", async function () {
      const { gateway, fulfiller, alice, requestOf } = await loadFixture(openFixture);
      const request = await requestOf(0);
      await gateway.connect(fulfiller).accept([request], WORKER_ID);
      await time.increaseTo((await gateway.acceptedUntil(0)) + 1n);
      await expect(gateway.connect(alice).cancel(request))
        .to.be.revertedWithCustomError(gateway, "CancelTooEarly")
        .withArgs(0n, request.cancelAfter);
    });

    it("refuses to confirm a request that was not accepted with NotAccepted", async function () {
      const { gateway, fulfiller, requestOf } = await loadFixture(openFixture);
      await expect(gateway.connect(fulfiller).confirm(await requestOf(0), RECEIPT))
        .to.be.revertedWithCustomError(gateway, "NotAccepted")
        .withArgs(0n);
    });

    it("refuses acceptances while paused with EnforcedPause: a paused gateway gets no deliveries", async function () {
      const { gateway, fulfiller, pauser, requestOf } = await loadFixture(openFixture);
      await gateway.connect(pauser).pause();
      await expect(
        gateway.connect(fulfiller).accept([await requestOf(0)], WORKER_ID),
      ).to.be.revertedWithCustomError(gateway, "EnforcedPause");
    });

    it("refuses to accept a request whose fields were altered with RequestNotOpen", async function () {
      const { gateway, fulfiller, requestOf } = await loadFixture(openFixture);
      const request = { ...(await requestOf(0)), amount: 1n };
      await expect(gateway.connect(fulfiller).accept([request], WORKER_ID))
        .to.be.revertedWithCustomError(gateway, "RequestNotOpen")
        .withArgs(0n);
    });

    it("refuses acceptance to an account without the fulfiller role", async function () {
      const { gateway, alice, requestOf } = await loadFixture(openFixture);
      await expect(gateway.connect(alice).accept([await requestOf(0)], WORKER_ID))
        .to.be.revertedWithCustomError(gateway, "AccessControlUnauthorizedAccount")
        .withArgs(alice.address, ROLES.FULFILLER);
    });

    it("lets the fulfiller reject an accepted request it cannot deliver", async function () {
      const { gateway, token, fulfiller, alice, requestOf } = await loadFixture(openFixture);
      await gateway.connect(fulfiller).accept([await requestOf(0)], WORKER_ID);
      await expect(gateway.connect(fulfiller).reject(await requestOf(0), 7)).to.changeTokenBalance(
        token,
        alice,
        30n * ONE_ZON,
      );
    });

    it("sets the acceptance window, emitting AcceptanceWindowSet", async function () {
      const { gateway, admin } = await loadFixture(gatewayFixture);
      await expect(gateway.connect(admin).setAcceptanceWindow(3_600n))
        .to.emit(gateway, "AcceptanceWindowSet")
        .withArgs(3_600n);
      expect(await gateway.acceptanceWindow()).to.equal(3_600n);
    });

    it("refuses an acceptance window of zero or above 30 days with InvalidAcceptanceWindow", async function () {
      const { gateway, admin } = await loadFixture(gatewayFixture);
      for (const window of [0n, 30n * 86_400n + 1n]) {
        await expect(gateway.connect(admin).setAcceptanceWindow(window))
          .to.be.revertedWithCustomError(gateway, "InvalidAcceptanceWindow")
          .withArgs(window, 30n * 86_400n);
      }
    });

    it("refuses an invalid acceptance window at deployment with InvalidAcceptanceWindow", async function () {
      const { token, admin } = await loadFixture(gatewayFixture);
      const factory = await ethers.getContractFactory("RedemptionGateway");
      await expect(factory.deploy(await token.getAddress(), admin.address, ADMIN_DELAY, TIMEOUT, 0n))
        .to.be.revertedWithCustomError(factory, "InvalidAcceptanceWindow")
        .withArgs(0n, 30n * 86_400n);
    });

    it("refuses acceptance window changes to an account without the admin role", async function () {
      const { gateway, fulfiller } = await loadFixture(gatewayFixture);
      await expect(gateway.connect(fulfiller).setAcceptanceWindow(3_600n))
        .to.be.revertedWithCustomError(gateway, "AccessControlUnauthorizedAccount")
        .withArgs(fulfiller.address, ROLES.DEFAULT_ADMIN);
    });
  });

  describe("a batch rejection with an owner who cannot receive", function () {
    async function frozenAliceFixture() {
      const f = await openFixture();
      await f.token.grantRole(ROLES.COMPLIANCE, f.admin.address);
      await f.token.setFrozen(f.alice.address, true);
      return f;
    }

    it("skips that request with RejectionSkipped and refunds the others (it reverted the whole batch)", async function () {
      const { gateway, token, fulfiller, alice, bob, requestOf } = await loadFixture(frozenAliceFixture);
      const tx = gateway.connect(fulfiller).rejectBatch([await requestOf(0), await requestOf(1)], [1, 1]);
      await expect(tx).to.emit(gateway, "RejectionSkipped").withArgs(0n, alice.address);
      await expect(tx).to.changeTokenBalances(token, [alice, bob], [0n, 10n * ONE_ZON]);
    });

    it("leaves the skipped request open and its ZON owed", async function () {
      const { gateway, fulfiller, requestOf } = await loadFixture(frozenAliceFixture);
      await gateway.connect(fulfiller).rejectBatch([await requestOf(0), await requestOf(1)], [1, 1]);
      expect([await gateway.isOpen(0), await gateway.isOpen(1), await gateway.openTotal()]).to.deep.equal([
        true,
        false,
        30n * ONE_ZON,
      ]);
    });

    it("still refuses a closed request in a batch with RequestNotOpen, whoever its owner", async function () {
      const { gateway, fulfiller, requestOf } = await loadFixture(frozenAliceFixture);
      const zero = await requestOf(0);
      await expect(gateway.connect(fulfiller).rejectBatch([{ ...zero, amount: 1n }], [1]))
        .to.be.revertedWithCustomError(gateway, "RequestNotOpen")
        .withArgs(0n);
    });
  });

  describe("ZON sent to the gateway by mistake", function () {
    it("lets the admin rescue the surplus only, emitting TokensRescued", async function () {
      const { gateway, token, admin, alice, outsider, gatewayAddress } = await loadFixture(openFixture);
      const tokenAddress = await token.getAddress();
      await token.connect(alice).transfer(gatewayAddress, 2n * ONE_ZON); // the mistake
      await expect(gateway.connect(admin).rescueERC20(tokenAddress, outsider.address, 2n * ONE_ZON + 1n))
        .to.be.revertedWithCustomError(gateway, "RescueExceedsSurplus")
        .withArgs(tokenAddress, 2n * ONE_ZON, 2n * ONE_ZON + 1n);
      await expect(gateway.connect(admin).rescueERC20(tokenAddress, outsider.address, 2n * ONE_ZON))
        .to.emit(gateway, "TokensRescued")
        .withArgs(tokenAddress, outsider.address, 2n * ONE_ZON);
      expect(await token.balanceOf(gatewayAddress)).to.equal(await gateway.openTotal());
    });

    it("rescues the whole balance of another token", async function () {
      const { gateway, admin, outsider, gatewayAddress } = await loadFixture(openFixture);
      const other = await strayTokens(admin, gatewayAddress, 5n);
      await expect(
        gateway.connect(admin).rescueERC20(await other.getAddress(), outsider.address, 5n),
      ).to.changeTokenBalance(other, outsider, 5n);
    });

    it("refuses a request that would take the open total past 2^96 - 1 with TotalTooLarge", async function () {
      const { gateway, token, catalogue, admin, alice, sku } = await loadFixture(gatewayFixture);
      const price = 2n ** 95n;
      await gateway.connect(catalogue).setSku(9, sku(0, price, false, 0, 0, true));
      await token.increaseMinterAllowance(admin.address, 2n * price);
      await token.mint(alice.address, 2n * price);
      await gateway.connect(alice).redeem(9, 1, price, REF);
      await expect(gateway.connect(alice).redeem(9, 1, price, REF))
        .to.be.revertedWithCustomError(gateway, "TotalTooLarge")
        .withArgs(2n * price);
    });

    it("keeps the open total equal to the open requests through every ending", async function () {
      const { gateway, fulfiller, bob, requestOf } = await loadFixture(openFixture);
      await gateway.connect(fulfiller).accept([await requestOf(0)], WORKER_ID);
      await gateway.connect(fulfiller).confirm(await requestOf(0), RECEIPT);
      const one = await requestOf(1);
      await time.increaseTo(one.cancelAfter + 1n);
      await gateway.connect(bob).cancel(one);
      expect(await gateway.openTotal()).to.equal(0n);
    });

    it("refuses a rescue to an account without the admin role", async function () {
      const { gateway, token, outsider } = await loadFixture(openFixture);
      await expect(gateway.connect(outsider).rescueERC20(await token.getAddress(), outsider.address, 1n))
        .to.be.revertedWithCustomError(gateway, "AccessControlUnauthorizedAccount")
        .withArgs(outsider.address, ROLES.DEFAULT_ADMIN);
    });
  });
});

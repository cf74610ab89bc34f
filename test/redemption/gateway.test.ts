import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { expect } from "chai";
import { id as hashOf, ZeroHash } from "ethers";
import { ethers } from "hardhat";
import { redeemWithPermit, ROLES, signPermit, submitPermit } from "../../src";
import { ONE_ZON } from "../helpers/fixtures";
import { CREDIT, gatewayFixture, HOODIE, KIND, RETIRED, TIMEOUT, WORKER_ID } from "./fixture";

const REF = hashOf("cloud-account:acme-prod");
const RECEIPT = hashOf("credit-code:ABCD-1234");

describe("RedemptionGateway", function () {
  async function openRequestsFixture() {
    const f = await gatewayFixture();
    await f.gateway.connect(f.alice).redeem(CREDIT, 3, 30n * ONE_ZON, REF); // id 0
    await f.gateway.connect(f.alice).redeem(HOODIE, 2, 50n * ONE_ZON, REF); // id 1
    await f.gateway.connect(f.bob).redeem(CREDIT, 1, 10n * ONE_ZON, REF); // id 2
    return f;
  }

  /** Requests 0, 1 and 2, accepted by the fulfiller. */
  async function acceptedRequestsFixture() {
    const f = await openRequestsFixture();
    await f.gateway.connect(f.fulfiller).accept(await Promise.all([0, 1, 2].map(f.requestOf)), WORKER_ID);
    return f;
  }

  describe("catalogue", function () {
    it("lists a SKU, emitting SkuUpdated", async function () {
      const { gateway, catalogue, sku } = await loadFixture(gatewayFixture);
      await expect(gateway.connect(catalogue).setSku(9, sku(KIND.Subscription, 7n, true, 5, 1, true)))
        .to.emit(gateway, "SkuUpdated")
        .withArgs(9, KIND.Subscription, 7n, true, 5, 1, true);
      expect((await gateway.skuOf(9)).price).to.equal(7n);
    });

    it("refuses catalogue changes to an account without the catalogue role", async function () {
      const { gateway, admin, sku } = await loadFixture(gatewayFixture);
      await expect(gateway.connect(admin).setSku(9, sku(0, 1n, false, 0, 0, true)))
        .to.be.revertedWithCustomError(gateway, "AccessControlUnauthorizedAccount")
        .withArgs(admin.address, ROLES.CATALOGUE);
    });

    it("keeps the price of a request made before a price change", async function () {
      const { gateway, catalogue, fulfiller, alice, sku, requestOf } = await loadFixture(openRequestsFixture);
      await gateway
        .connect(catalogue)
        .setSku(CREDIT, sku(KIND.CloudCredit, 99n * ONE_ZON, false, 0, 0, true));
      const request = await requestOf(0);
      expect(request.amount).to.equal(30n * ONE_ZON);
      await expect(gateway.connect(fulfiller).reject(request, 1)).to.changeTokenBalance(
        await ethers.getContractAt("ZonCoin", await gateway.token()),
        alice,
        30n * ONE_ZON,
      );
    });

    it("lets a request made before delisting still be confirmed", async function () {
      const { gateway, catalogue, fulfiller, sku, requestOf } = await loadFixture(acceptedRequestsFixture);
      await gateway
        .connect(catalogue)
        .setSku(CREDIT, sku(KIND.CloudCredit, 10n * ONE_ZON, false, 0, 0, false));
      await expect(gateway.connect(fulfiller).confirm(await requestOf(0), RECEIPT)).to.emit(
        gateway,
        "RedemptionFulfilled",
      );
    });

    it("sets the fulfilment timeout for new requests, emitting FulfilmentTimeoutSet", async function () {
      const { gateway, admin } = await loadFixture(gatewayFixture);
      await expect(gateway.connect(admin).setFulfilmentTimeout(3_600n))
        .to.emit(gateway, "FulfilmentTimeoutSet")
        .withArgs(3_600n);
      expect(await gateway.fulfilmentTimeout()).to.equal(3_600n);
    });

    it("rejects a zero fulfilment timeout with InvalidTimeout", async function () {
      const { gateway, admin } = await loadFixture(gatewayFixture);
      await expect(gateway.connect(admin).setFulfilmentTimeout(0n))
        .to.be.revertedWithCustomError(gateway, "InvalidTimeout")
        .withArgs(0n, 90n * 86_400n);
    });

    it("rejects a fulfilment timeout above 90 days with InvalidTimeout", async function () {
      const { gateway, admin } = await loadFixture(gatewayFixture);
      await expect(gateway.connect(admin).setFulfilmentTimeout(90n * 86_400n + 1n))
        .to.be.revertedWithCustomError(gateway, "InvalidTimeout")
        .withArgs(90n * 86_400n + 1n, 90n * 86_400n);
    });

    it("refuses a timeout change to an account without the admin role", async function () {
      const { gateway, catalogue } = await loadFixture(gatewayFixture);
      await expect(gateway.connect(catalogue).setFulfilmentTimeout(1n))
        .to.be.revertedWithCustomError(gateway, "AccessControlUnauthorizedAccount")
        .withArgs(catalogue.address, ROLES.DEFAULT_ADMIN);
    });
  });

  describe("redeem", function () {
    it("locks the price in the gateway", async function () {
      const { gateway, token, alice } = await loadFixture(gatewayFixture);
      await expect(gateway.connect(alice).redeem(CREDIT, 2, 20n * ONE_ZON, REF)).to.changeTokenBalances(
        token,
        [alice, gateway],
        [-20n * ONE_ZON, 20n * ONE_ZON],
      );
    });

    it("emits RedemptionRequested with everything needed to settle it", async function () {
      const { gateway, alice } = await loadFixture(gatewayFixture);
      const tx = gateway.connect(alice).redeem(HOODIE, 1, 25n * ONE_ZON, REF);
      const cancelAfter = BigInt(await time.latest()) + 1n + TIMEOUT;
      await expect(tx)
        .to.emit(gateway, "RedemptionRequested")
        .withArgs(0n, alice.address, HOODIE, 1, 25n * ONE_ZON, cancelAfter, 3, REF);
    });

    it("numbers requests from zero and records them open", async function () {
      const { gateway } = await loadFixture(openRequestsFixture);
      expect([await gateway.nextRequestId(), await gateway.isOpen(2), await gateway.isOpen(3)]).to.deep.equal(
        [3n, true, false],
      );
    });

    it("takes limited stock and counts toward the account limit", async function () {
      const { gateway, alice } = await loadFixture(openRequestsFixture);
      expect([
        (await gateway.skuOf(HOODIE)).stock,
        await gateway.redeemedBy(HOODIE, alice.address),
      ]).to.deep.equal([1n, 2n]);
    });

    it("rejects an inactive SKU with SkuInactive", async function () {
      const { gateway, alice } = await loadFixture(gatewayFixture);
      await expect(gateway.connect(alice).redeem(RETIRED, 1, ONE_ZON, REF))
        .to.be.revertedWithCustomError(gateway, "SkuInactive")
        .withArgs(RETIRED);
    });

    it("rejects an unlisted SKU with SkuInactive", async function () {
      const { gateway, alice } = await loadFixture(gatewayFixture);
      await expect(gateway.connect(alice).redeem(77, 1, ONE_ZON, REF))
        .to.be.revertedWithCustomError(gateway, "SkuInactive")
        .withArgs(77);
    });

    it("rejects a zero quantity with InvalidQuantity", async function () {
      const { gateway, alice } = await loadFixture(gatewayFixture);
      await expect(gateway.connect(alice).redeem(CREDIT, 0, ONE_ZON, REF))
        .to.be.revertedWithCustomError(gateway, "InvalidQuantity")
        .withArgs(0);
    });

    it("rejects a total above the buyer's maximum with PriceAboveMax", async function () {
      const { gateway, alice } = await loadFixture(gatewayFixture);
      await expect(gateway.connect(alice).redeem(CREDIT, 2, 19n * ONE_ZON, REF))
        .to.be.revertedWithCustomError(gateway, "PriceAboveMax")
        .withArgs(CREDIT, 20n * ONE_ZON, 19n * ONE_ZON);
    });

    it("rejects more than the stock with OutOfStock", async function () {
      const { gateway, bob } = await loadFixture(openRequestsFixture);
      await expect(gateway.connect(bob).redeem(HOODIE, 2, 50n * ONE_ZON, REF))
        .to.be.revertedWithCustomError(gateway, "OutOfStock")
        .withArgs(HOODIE, 1n, 2n);
    });

    it("rejects going over the per-account limit with PerAccountLimitExceeded", async function () {
      const { gateway, alice } = await loadFixture(openRequestsFixture);
      await expect(gateway.connect(alice).redeem(HOODIE, 1, 25n * ONE_ZON, REF))
        .to.be.revertedWithCustomError(gateway, "PerAccountLimitExceeded")
        .withArgs(HOODIE, alice.address, 2n, 3n);
    });

    it("rejects a total that does not fit 96 bits with TotalTooLarge", async function () {
      const { gateway, catalogue, alice, sku } = await loadFixture(gatewayFixture);
      await gateway.connect(catalogue).setSku(9, sku(KIND.CatalogueItem, 2n ** 95n, false, 0, 0, true));
      await expect(gateway.connect(alice).redeem(9, 2, ethers.MaxUint256, REF))
        .to.be.revertedWithCustomError(gateway, "TotalTooLarge")
        .withArgs(2n ** 96n);
    });

    it("fails without an allowance with ERC20InsufficientAllowance", async function () {
      const { gateway, token, gatewayAddress, alice } = await loadFixture(gatewayFixture);
      await token.connect(alice).approve(gatewayAddress, 0n);
      await expect(gateway.connect(alice).redeem(CREDIT, 1, 10n * ONE_ZON, REF))
        .to.be.revertedWithCustomError(token, "ERC20InsufficientAllowance")
        .withArgs(gatewayAddress, 0n, 10n * ONE_ZON);
    });

    it("blocks redemptions while paused with EnforcedPause", async function () {
      const { gateway, pauser, alice } = await loadFixture(gatewayFixture);
      await gateway.connect(pauser).pause();
      await expect(
        gateway.connect(alice).redeem(CREDIT, 1, 10n * ONE_ZON, REF),
      ).to.be.revertedWithCustomError(gateway, "EnforcedPause");
    });
  });

  describe("redeem with permit", function () {
    async function noAllowanceFixture() {
      const f = await gatewayFixture();
      await f.token.connect(f.alice).approve(f.gatewayAddress, 0n);
      const deadline = BigInt(await time.latest()) + 3_600n;
      return { ...f, deadline };
    }

    it("redeems in one transaction with a permit", async function () {
      const { gateway, token, alice, deadline } = await loadFixture(noAllowanceFixture);
      await expect(
        redeemWithPermit(gateway, token, alice, CREDIT, 1, 10n * ONE_ZON, REF, deadline),
      ).to.changeTokenBalance(token, alice, -10n * ONE_ZON);
    });

    it("still succeeds when someone front-ran the permit", async function () {
      const { gateway, token, gatewayAddress, alice, outsider, deadline } =
        await loadFixture(noAllowanceFixture);
      const p = await signPermit(token, alice, gatewayAddress, 10n * ONE_ZON, deadline);
      await submitPermit(token.connect(outsider), p);
      await expect(
        gateway.connect(alice).redeemWithPermit(CREDIT, 1, 10n * ONE_ZON, REF, deadline, p.v, p.r, p.s),
      ).to.emit(gateway, "RedemptionRequested");
    });

    it("fails on an invalid permit and no allowance with the token's ERC2612InvalidSigner", async function () {
      const { gateway, token, gatewayAddress, alice, bob, deadline } = await loadFixture(noAllowanceFixture);
      const p = await signPermit(token, bob, gatewayAddress, 10n * ONE_ZON, deadline);
      await expect(
        gateway.connect(alice).redeemWithPermit(CREDIT, 1, 10n * ONE_ZON, REF, deadline, p.v, p.r, p.s),
      )
        .to.be.revertedWithCustomError(token, "ERC2612InvalidSigner")
        .withArgs(anyValue, alice.address);
    });

    it("blocks permit redemptions while paused with EnforcedPause", async function () {
      const { gateway, token, pauser, alice, deadline } = await loadFixture(noAllowanceFixture);
      await gateway.connect(pauser).pause();
      await expect(
        redeemWithPermit(gateway, token, alice, CREDIT, 1, 10n * ONE_ZON, REF, deadline),
      ).to.be.revertedWithCustomError(gateway, "EnforcedPause");
    });
  });

  describe("confirm", function () {
    it("burns the locked ZON, emitting RedemptionFulfilled with the receipt hash", async function () {
      const { gateway, token, fulfiller, requestOf } = await loadFixture(acceptedRequestsFixture);
      const supply = await token.totalSupply();
      await expect(gateway.connect(fulfiller).confirm(await requestOf(0), RECEIPT))
        .to.emit(gateway, "RedemptionFulfilled")
        .withArgs(0n, 30n * ONE_ZON, RECEIPT);
      expect([await token.totalSupply(), await gateway.isOpen(0)]).to.deep.equal([
        supply - 30n * ONE_ZON,
        false,
      ]);
    });

    it("keeps the units counted toward the account limit", async function () {
      const { gateway, fulfiller, alice, requestOf } = await loadFixture(acceptedRequestsFixture);
      await gateway.connect(fulfiller).confirm(await requestOf(1), RECEIPT);
      expect(await gateway.redeemedBy(HOODIE, alice.address)).to.equal(2n);
    });

    it("rejects a second confirmation with RequestNotOpen", async function () {
      const { gateway, fulfiller, requestOf } = await loadFixture(acceptedRequestsFixture);
      const request = await requestOf(0);
      await gateway.connect(fulfiller).confirm(request, RECEIPT);
      await expect(gateway.connect(fulfiller).confirm(request, RECEIPT))
        .to.be.revertedWithCustomError(gateway, "RequestNotOpen")
        .withArgs(0n);
    });

    it("rejects a request whose amount was altered with RequestNotOpen", async function () {
      const { gateway, fulfiller, requestOf } = await loadFixture(acceptedRequestsFixture);
      const request = { ...(await requestOf(0)), amount: 1n };
      await expect(gateway.connect(fulfiller).confirm(request, RECEIPT))
        .to.be.revertedWithCustomError(gateway, "RequestNotOpen")
        .withArgs(0n);
    });

    it("refuses confirmation to an account without the fulfiller role", async function () {
      const { gateway, outsider, requestOf } = await loadFixture(acceptedRequestsFixture);
      await expect(gateway.connect(outsider).confirm(await requestOf(0), RECEIPT))
        .to.be.revertedWithCustomError(gateway, "AccessControlUnauthorizedAccount")
        .withArgs(outsider.address, ROLES.FULFILLER);
    });

    it("confirms an accepted request while paused: what was delivered gets paid", async function () {
      const { gateway, pauser, fulfiller, requestOf } = await loadFixture(acceptedRequestsFixture);
      await gateway.connect(pauser).pause();
      await expect(gateway.connect(fulfiller).confirm(await requestOf(0), RECEIPT)).to.emit(
        gateway,
        "RedemptionFulfilled",
      );
    });

    it("confirms a batch, burning the total once", async function () {
      const { gateway, token, fulfiller, requestOf } = await loadFixture(acceptedRequestsFixture);
      const requests = await Promise.all([0, 1, 2].map(requestOf));
      await expect(
        gateway.connect(fulfiller).confirmBatch(requests, [RECEIPT, RECEIPT, ZeroHash]),
      ).to.changeTokenBalance(token, gateway, -90n * ONE_ZON);
    });

    it("reverts a batch holding a settled request with RequestNotOpen", async function () {
      const { gateway, fulfiller, requestOf } = await loadFixture(acceptedRequestsFixture);
      const requests = await Promise.all([0, 1].map(requestOf));
      await gateway.connect(fulfiller).confirm(requests[1], RECEIPT);
      await expect(gateway.connect(fulfiller).confirmBatch(requests, [RECEIPT, RECEIPT]))
        .to.be.revertedWithCustomError(gateway, "RequestNotOpen")
        .withArgs(1n);
    });

    it("confirms a batch of accepted requests while paused", async function () {
      const { gateway, pauser, fulfiller, requestOf } = await loadFixture(acceptedRequestsFixture);
      await gateway.connect(pauser).pause();
      await expect(gateway.connect(fulfiller).confirmBatch([await requestOf(0)], [RECEIPT])).to.emit(
        gateway,
        "RedemptionFulfilled",
      );
    });

    it("refuses batch confirmation to an account without the fulfiller role", async function () {
      const { gateway, outsider, requestOf } = await loadFixture(acceptedRequestsFixture);
      await expect(gateway.connect(outsider).confirmBatch([await requestOf(0)], [RECEIPT]))
        .to.be.revertedWithCustomError(gateway, "AccessControlUnauthorizedAccount")
        .withArgs(outsider.address, ROLES.FULFILLER);
    });

    it("rejects a confirmation batch of mismatched arrays with LengthMismatch", async function () {
      const { gateway, fulfiller, requestOf } = await loadFixture(acceptedRequestsFixture);
      await expect(gateway.connect(fulfiller).confirmBatch([await requestOf(0)], []))
        .to.be.revertedWithCustomError(gateway, "LengthMismatch")
        .withArgs(1n, 0n);
    });
  });

  describe("reject", function () {
    it("returns the ZON to the owner, emitting RedemptionRejected with the reason", async function () {
      const { gateway, token, fulfiller, alice, requestOf } = await loadFixture(openRequestsFixture);
      const tx = gateway.connect(fulfiller).reject(await requestOf(1), 42);
      await expect(tx)
        .to.emit(gateway, "RedemptionRejected")
        .withArgs(1n, 50n * ONE_ZON, 42);
      await expect(tx).to.changeTokenBalances(token, [alice, gateway], [50n * ONE_ZON, -50n * ONE_ZON]);
    });

    it("returns the stock and the account-limit units", async function () {
      const { gateway, fulfiller, alice, requestOf } = await loadFixture(openRequestsFixture);
      await gateway.connect(fulfiller).reject(await requestOf(1), 1);
      expect([
        (await gateway.skuOf(HOODIE)).stock,
        await gateway.redeemedBy(HOODIE, alice.address),
      ]).to.deep.equal([3n, 0n]);
    });

    it("works while paused", async function () {
      const { gateway, pauser, fulfiller, requestOf } = await loadFixture(openRequestsFixture);
      await gateway.connect(pauser).pause();
      await expect(gateway.connect(fulfiller).reject(await requestOf(0), 1)).to.emit(
        gateway,
        "RedemptionRejected",
      );
    });

    it("rejects a batch", async function () {
      const { gateway, token, fulfiller, alice, bob, requestOf } = await loadFixture(openRequestsFixture);
      const requests = await Promise.all([0, 2].map(requestOf));
      await expect(gateway.connect(fulfiller).rejectBatch(requests, [1, 2])).to.changeTokenBalances(
        token,
        [alice, bob],
        [30n * ONE_ZON, 10n * ONE_ZON],
      );
    });

    it("rejects a rejection batch of mismatched arrays with LengthMismatch", async function () {
      const { gateway, fulfiller, requestOf } = await loadFixture(openRequestsFixture);
      await expect(gateway.connect(fulfiller).rejectBatch([await requestOf(0)], [1, 2]))
        .to.be.revertedWithCustomError(gateway, "LengthMismatch")
        .withArgs(1n, 2n);
    });

    it("refuses to reject a confirmed request with RequestNotOpen", async function () {
      const { gateway, fulfiller, requestOf } = await loadFixture(acceptedRequestsFixture);
      const request = await requestOf(0);
      await gateway.connect(fulfiller).confirm(request, RECEIPT);
      await expect(gateway.connect(fulfiller).reject(request, 1))
        .to.be.revertedWithCustomError(gateway, "RequestNotOpen")
        .withArgs(0n);
    });

    it("refuses rejection to an account without the fulfiller role", async function () {
      const { gateway, alice, requestOf } = await loadFixture(openRequestsFixture);
      await expect(gateway.connect(alice).reject(await requestOf(0), 1))
        .to.be.revertedWithCustomError(gateway, "AccessControlUnauthorizedAccount")
        .withArgs(alice.address, ROLES.FULFILLER);
    });

    it("refuses batch rejection to an account without the fulfiller role", async function () {
      const { gateway, alice, requestOf } = await loadFixture(openRequestsFixture);
      await expect(gateway.connect(alice).rejectBatch([await requestOf(0)], [1]))
        .to.be.revertedWithCustomError(gateway, "AccessControlUnauthorizedAccount")
        .withArgs(alice.address, ROLES.FULFILLER);
    });

    it("saturates a returned stock that would pass 2^32 - 1", async function () {
      const { gateway, catalogue, fulfiller, sku, requestOf } = await loadFixture(openRequestsFixture);
      await gateway
        .connect(catalogue)
        .setSku(HOODIE, sku(KIND.CatalogueItem, 25n * ONE_ZON, true, 2 ** 32 - 1, 2, true));
      await gateway.connect(fulfiller).reject(await requestOf(1), 1);
      expect((await gateway.skuOf(HOODIE)).stock).to.equal(2n ** 32n - 1n);
    });
  });

  describe("cancel", function () {
    it("lets the owner take the ZON back after the timeout, emitting RedemptionCancelled", async function () {
      const { gateway, token, alice, requestOf } = await loadFixture(openRequestsFixture);
      const request = await requestOf(1);
      await time.increaseTo(request.cancelAfter + 1n);
      const tx = gateway.connect(alice).cancel(request);
      await expect(tx)
        .to.emit(gateway, "RedemptionCancelled")
        .withArgs(1n, 50n * ONE_ZON);
      await expect(tx).to.changeTokenBalance(token, alice, 50n * ONE_ZON);
    });

    it("returns the stock on cancellation", async function () {
      const { gateway, alice, requestOf } = await loadFixture(openRequestsFixture);
      const request = await requestOf(1);
      await time.increaseTo(request.cancelAfter + 1n);
      await gateway.connect(alice).cancel(request);
      expect((await gateway.skuOf(HOODIE)).stock).to.equal(3n);
    });

    it("works while paused", async function () {
      const { gateway, pauser, alice, requestOf } = await loadFixture(openRequestsFixture);
      await gateway.connect(pauser).pause();
      const request = await requestOf(0);
      await time.increaseTo(request.cancelAfter + 1n);
      await expect(gateway.connect(alice).cancel(request)).to.emit(gateway, "RedemptionCancelled");
    });

    it("refuses a cancellation before the timeout with CancelTooEarly", async function () {
      const { gateway, alice, requestOf } = await loadFixture(openRequestsFixture);
      const request = await requestOf(0);
      await expect(gateway.connect(alice).cancel(request))
        .to.be.revertedWithCustomError(gateway, "CancelTooEarly")
        .withArgs(0n, request.cancelAfter);
    });

    it("refuses a cancellation by someone else with NotRequestOwner", async function () {
      const { gateway, bob, alice, requestOf } = await loadFixture(openRequestsFixture);
      const request = await requestOf(0);
      await time.increaseTo(request.cancelAfter + 1n);
      await expect(gateway.connect(bob).cancel(request))
        .to.be.revertedWithCustomError(gateway, "NotRequestOwner")
        .withArgs(0n, alice.address);
    });

    it("refuses to cancel a fulfilled request with RequestNotOpen", async function () {
      const { gateway, fulfiller, alice, requestOf } = await loadFixture(acceptedRequestsFixture);
      const request = await requestOf(0);
      await gateway.connect(fulfiller).confirm(request, RECEIPT);
      await time.increaseTo(request.cancelAfter + 1n);
      await expect(gateway.connect(alice).cancel(request))
        .to.be.revertedWithCustomError(gateway, "RequestNotOpen")
        .withArgs(0n);
    });
  });

  describe("operations", function () {
    it("lets the pauser unpause", async function () {
      const { gateway, pauser, alice } = await loadFixture(gatewayFixture);
      await gateway.connect(pauser).pause();
      await gateway.connect(pauser).unpause();
      await expect(gateway.connect(alice).redeem(CREDIT, 1, 10n * ONE_ZON, REF)).to.emit(
        gateway,
        "RedemptionRequested",
      );
    });

    it("refuses pause to an account without the pauser role", async function () {
      const { gateway, admin } = await loadFixture(gatewayFixture);
      await expect(gateway.connect(admin).pause())
        .to.be.revertedWithCustomError(gateway, "AccessControlUnauthorizedAccount")
        .withArgs(admin.address, ROLES.PAUSER);
    });

    it("refuses unpause to an account without the pauser role", async function () {
      const { gateway, pauser, admin } = await loadFixture(gatewayFixture);
      await gateway.connect(pauser).pause();
      await expect(gateway.connect(admin).unpause())
        .to.be.revertedWithCustomError(gateway, "AccessControlUnauthorizedAccount")
        .withArgs(admin.address, ROLES.PAUSER);
    });
  });
});

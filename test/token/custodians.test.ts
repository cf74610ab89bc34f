import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { encodeBytes32String, id as keccakOfText, MaxUint256, parseUnits, ZeroAddress } from "ethers";
import hre, { ethers } from "hardhat";
import { deploySuite } from "../../deploy/deploy";
import { loadParameters } from "../../deploy/parameters";
import { requestFromEvent, ROLES } from "../../src";
import { WORKER_ID } from "../redemption/fixture";

/*
 * Enforcement against the suite as the deploy leaves it: the gateway, the escrow and the distributor hold
 * ZON owed to their books, so the token refuses a recovery or forced transfer that names one of them, and a
 * recovered wallet's positions move to its replacement through the custodians' own settlement. acme
 * (account 11) has a redemption open and is the buyer of an accepted agreement with globex (account 12);
 * initech (account 13) also has a redemption open.
 */

const CASE = encodeBytes32String("COURT-2026-0042");
const ZON = (n: string) => parseUnits(n, 18);
const DAY = 86_400n;

async function suiteFixture() {
  const params = loadParameters("hardhat");
  const suite = await deploySuite(hre, params);
  const signers = await ethers.getSigners();
  const byAddress = (address: string) => signers.find((s) => s.address === address)!;
  const [governance, acme, globex, initech, acmeNew, thief] = [0, 11, 12, 13, 14, 15].map((i) => signers[i]);
  const recoveryOfficer = byAddress(params.enforcement.recoveryOfficer);
  const forcedOfficer = byAddress(params.enforcement.forcedTransferOfficer);
  const fulfiller = byAddress(params.redemption.fulfiller);
  const { token, gateway, escrow, distributor } = suite;
  const [gatewayAddress, escrowAddress] = [await gateway.getAddress(), await escrow.getAddress()];
  await token.connect(governance).configureMinter(governance.address, ZON("10000"));
  for (const business of [acme, initech]) {
    await token.connect(governance).mint(business.address, ZON("100"));
    await token.connect(business).approve(gatewayAddress, MaxUint256);
    await gateway.connect(business).redeem(1, 1, ZON("10"), keccakOfText(business.address));
  }
  await token.connect(acme).approve(escrowAddress, MaxUint256);
  const now = BigInt(await time.latest());
  await escrow.connect(acme).createAndFund(
    {
      seller: globex.address,
      arbiter: ZeroAddress,
      termsHash: keccakOfText("purchase order 7"),
      deliveryDeadline: now + 30n * DAY,
      reviewWindow: Number(DAY),
      acceptDeadline: now + 7n * DAY,
      arbitrationWindow: Number(DAY),
      fallbackBuyerBps: 5_000,
    },
    [ZON("20"), ZON("30")],
  );
  await escrow.connect(globex).accept(0);
  const requestOf = async (id: number) => {
    const [log] = await gateway.queryFilter(gateway.filters.RedemptionRequested(id));
    return requestFromEvent(log).request;
  };
  return {
    ...suite,
    governance,
    acme,
    globex,
    initech,
    acmeNew,
    thief,
    recoveryOfficer,
    forcedOfficer,
    fulfiller,
    gatewayAddress,
    escrowAddress,
    distributorAddress: await distributor.getAddress(),
    tokenAddress: await token.getAddress(),
    requestOf,
  };
}

/** acme's wallet recovered to acmeNew. */
async function recoveredFixture() {
  const f = await suiteFixture();
  await f.token.connect(f.recoveryOfficer).recoverWallet(f.acme.address, f.acmeNew.address, CASE);
  return f;
}

/** A second agreement (1), acme buying from globex with initech as its arbiter. */
async function arbitratedFixture() {
  const f = await suiteFixture();
  const now = BigInt(await time.latest());
  await f.escrow.connect(f.acme).createAndFund(
    {
      seller: f.globex.address,
      arbiter: f.initech.address,
      termsHash: keccakOfText("purchase order 8"),
      deliveryDeadline: now + 30n * DAY,
      reviewWindow: Number(DAY),
      acceptDeadline: now + 7n * DAY,
      arbitrationWindow: Number(DAY),
      fallbackBuyerBps: 5_000,
    },
    [ZON("5")],
  );
  return f;
}

describe("ZonCoin custodians: enforcement never reaches into the suite's books", function () {
  it("marks the gateway, the escrow, the distributor and the token itself as custodians at deployment", async function () {
    const f = await loadFixture(suiteFixture);
    const marked = await Promise.all(
      [f.gatewayAddress, f.escrowAddress, f.distributorAddress, f.tokenAddress, f.acme.address].map((a) =>
        f.token.isCustodian(a),
      ),
    );
    expect(marked).to.deep.equal([true, true, true, true, false]);
  });

  it("refuses a forced transfer out of the gateway with ZonCoinCustodian, leaving every open request payable", async function () {
    // The attack: a court order "against acme" carried out against the contract holding her ZON.
    const f = await loadFixture(suiteFixture);
    await expect(
      f.token.connect(f.forcedOfficer).forceTransfer(f.gatewayAddress, f.globex.address, ZON("10"), CASE),
    )
      .to.be.revertedWithCustomError(f.token, "ZonCoinCustodian")
      .withArgs(f.gatewayAddress);
    await time.increase(4n * DAY);
    await f.gateway.connect(f.acme).cancel(await f.requestOf(0));
    await expect(f.gateway.connect(f.initech).cancel(await f.requestOf(1))).to.changeTokenBalance(
      f.token,
      f.initech,
      ZON("10"),
    );
    expect([await f.token.balanceOf(f.gatewayAddress), await f.gateway.openTotal()]).to.deep.equal([0n, 0n]);
  });

  it("refuses a forced transfer out of the escrow with ZonCoinCustodian", async function () {
    const f = await loadFixture(suiteFixture);
    await expect(
      f.token.connect(f.forcedOfficer).forceTransfer(f.escrowAddress, f.globex.address, ZON("20"), CASE),
    )
      .to.be.revertedWithCustomError(f.token, "ZonCoinCustodian")
      .withArgs(f.escrowAddress);
    expect(await f.token.balanceOf(f.escrowAddress)).to.equal(await f.escrow.lockedTotal());
  });

  it("refuses a forced transfer into a custodian with ZonCoinCustodian (it would sit outside its books)", async function () {
    const f = await loadFixture(suiteFixture);
    await expect(
      f.token.connect(f.forcedOfficer).forceTransfer(f.acme.address, f.distributorAddress, ZON("1"), CASE),
    )
      .to.be.revertedWithCustomError(f.token, "ZonCoinCustodian")
      .withArgs(f.distributorAddress);
  });

  it("refuses a recovery of the gateway with ZonCoinCustodian, so it is never frozen by one", async function () {
    // The attack: recovering the gateway froze it, and every confirm, reject and cancel reverted.
    const f = await loadFixture(suiteFixture);
    await expect(f.token.connect(f.recoveryOfficer).recoverWallet(f.gatewayAddress, f.acmeNew.address, CASE))
      .to.be.revertedWithCustomError(f.token, "ZonCoinCustodian")
      .withArgs(f.gatewayAddress);
    expect(await f.token.isFrozen(f.gatewayAddress)).to.equal(false);
  });

  it("refuses a recovery to a custodian as the new wallet with ZonCoinCustodian", async function () {
    const f = await loadFixture(suiteFixture);
    await expect(f.token.connect(f.recoveryOfficer).recoverWallet(f.acme.address, f.escrowAddress, CASE))
      .to.be.revertedWithCustomError(f.token, "ZonCoinCustodian")
      .withArgs(f.escrowAddress);
  });

  it("refuses to announce enforcement against a custodian with ZonCoinCustodian", async function () {
    const f = await loadFixture(suiteFixture);
    await expect(f.token.connect(f.recoveryOfficer).announceRecovery(f.tokenAddress, f.acmeNew.address, CASE))
      .to.be.revertedWithCustomError(f.token, "ZonCoinCustodian")
      .withArgs(f.tokenAddress);
    await expect(
      f.token
        .connect(f.forcedOfficer)
        .announceForcedTransfer(f.escrowAddress, f.globex.address, ZON("1"), CASE),
    )
      .to.be.revertedWithCustomError(f.token, "ZonCoinCustodian")
      .withArgs(f.escrowAddress);
  });

  it("lets governance mark and unmark a custodian, emitting CustodianSet", async function () {
    const f = await loadFixture(suiteFixture);
    await expect(f.token.connect(f.governance).setCustodian(f.thief.address, true))
      .to.emit(f.token, "CustodianSet")
      .withArgs(f.thief.address, true);
    await expect(f.token.connect(f.governance).setCustodian(f.thief.address, false))
      .to.emit(f.token, "CustodianSet")
      .withArgs(f.thief.address, false);
    expect(await f.token.isCustodian(f.thief.address)).to.equal(false);
  });

  it("refuses a custodian mark that changes nothing with ZonCoinCustodianUnchanged", async function () {
    const f = await loadFixture(suiteFixture);
    await expect(f.token.connect(f.governance).setCustodian(f.gatewayAddress, true))
      .to.be.revertedWithCustomError(f.token, "ZonCoinCustodianUnchanged")
      .withArgs(f.gatewayAddress, true);
  });

  it("refuses a custodian mark from an account without the admin role", async function () {
    const f = await loadFixture(suiteFixture);
    await expect(f.token.connect(f.recoveryOfficer).setCustodian(f.gatewayAddress, false))
      .to.be.revertedWithCustomError(f.token, "AccessControlUnauthorizedAccount")
      .withArgs(f.recoveryOfficer.address, ROLES.DEFAULT_ADMIN);
  });
});

describe("ZonCoin recovery records the replacement", function () {
  it("records the replacement and the case of a recovered wallet (recoveryOf)", async function () {
    const f = await loadFixture(recoveredFixture);
    expect([...(await f.token.recoveryOf(f.acme.address))]).to.deep.equal([f.acmeNew.address, CASE]);
    expect([...(await f.token.recoveryOf(f.globex.address))]).to.deep.equal([
      ZeroAddress,
      `0x${"0".repeat(64)}`,
    ]);
  });

  it("refuses to mint from a minter wallet recovered as lost with ZonCoinAccountFrozen", async function () {
    // The attack: the lost minter key kept minting its remaining allowance.
    const f = await loadFixture(suiteFixture);
    await f.token
      .connect(f.recoveryOfficer)
      .recoverWallet(f.governance.address, f.acmeNew.address, encodeBytes32String("LOST-MINTER"));
    const allowance = await f.token.minterAllowance(f.governance.address);
    await expect(f.token.connect(f.governance).mint(f.thief.address, ZON("1")))
      .to.be.revertedWithCustomError(f.token, "ZonCoinAccountFrozen")
      .withArgs(f.governance.address);
    await expect(f.token.connect(f.governance).mintBatch([f.thief.address], [ZON("1")]))
      .to.be.revertedWithCustomError(f.token, "ZonCoinAccountFrozen")
      .withArgs(f.governance.address);
    expect(await f.token.minterAllowance(f.governance.address)).to.equal(allowance);
  });
});

describe("RedemptionGateway settlement of a recovered owner's requests", function () {
  it("moves the request to the replacement, emitting RequestOwnerReplaced with the case", async function () {
    const f = await loadFixture(recoveredFixture);
    await expect(f.gateway.connect(f.thief).replaceRecoveredOwners([await f.requestOf(0)]))
      .to.emit(f.gateway, "RequestOwnerReplaced")
      .withArgs(0n, f.acme.address, f.acmeNew.address, CASE);
  });

  it("pays the refund of a moved request to the replacement, never unfreezing the lost wallet", async function () {
    // The attack the old procedure allowed: unfreeze the lost wallet, let the refund land, and an old
    // approval (or the stolen key) takes it before the second recovery.
    const f = await loadFixture(suiteFixture);
    await f.token.connect(f.acme).approve(f.thief.address, MaxUint256);
    await f.token.connect(f.recoveryOfficer).recoverWallet(f.acme.address, f.acmeNew.address, CASE);
    const request = await f.requestOf(0);
    await f.gateway.replaceRecoveredOwners([request]);
    await time.increase(4n * DAY);
    const moved = { ...request, owner: f.acmeNew.address };
    await expect(f.gateway.connect(f.acmeNew).cancel(moved)).to.changeTokenBalances(
      f.token,
      [f.acmeNew, f.acme],
      [ZON("10"), 0n],
    );
    await expect(f.token.connect(f.thief).transferFrom(f.acme.address, f.thief.address, 1n))
      .to.be.revertedWithCustomError(f.token, "ZonCoinAccountFrozen")
      .withArgs(f.acme.address);
    expect(await f.token.isFrozen(f.acme.address)).to.equal(true);
  });

  it("takes the cancel away from the lost key (NotRequestOwner)", async function () {
    const f = await loadFixture(recoveredFixture);
    const request = await f.requestOf(0);
    await f.gateway.replaceRecoveredOwners([request]);
    await time.increase(4n * DAY);
    const moved = { ...request, owner: f.acmeNew.address };
    await expect(f.gateway.connect(f.acme).cancel(moved))
      .to.be.revertedWithCustomError(f.gateway, "NotRequestOwner")
      .withArgs(0n, f.acmeNew.address);
  });

  it("keeps the acceptance of a moved request, which the fulfiller then confirms", async function () {
    const f = await loadFixture(recoveredFixture);
    const request = await f.requestOf(0);
    await f.gateway.connect(f.fulfiller).accept([request], WORKER_ID);
    const until = await f.gateway.acceptedUntil(0);
    await f.gateway.replaceRecoveredOwners([request]);
    expect(await f.gateway.acceptedUntil(0)).to.equal(until);
    const moved = { ...request, owner: f.acmeNew.address };
    await expect(f.gateway.connect(f.fulfiller).confirm(moved, keccakOfText("code-1")))
      .to.emit(f.gateway, "RedemptionFulfilled")
      .withArgs(0n, ZON("10"), keccakOfText("code-1"));
  });

  it("moves the units a request counts toward a per-account limit with it", async function () {
    const f = await loadFixture(suiteFixture);
    await f.gateway.connect(f.acme).redeem(2, 1, ZON("25"), keccakOfText("hoodie"));
    await f.token.connect(f.recoveryOfficer).recoverWallet(f.acme.address, f.acmeNew.address, CASE);
    await f.gateway.replaceRecoveredOwners([await f.requestOf(2)]);
    expect([
      await f.gateway.redeemedBy(2, f.acme.address),
      await f.gateway.redeemedBy(2, f.acmeNew.address),
    ]).to.deep.equal([0n, 1n]);
  });

  it("leaves the gateway's balance and open total as they were", async function () {
    const f = await loadFixture(recoveredFixture);
    const before = [await f.token.balanceOf(f.gatewayAddress), await f.gateway.openTotal()];
    await f.gateway.replaceRecoveredOwners([await f.requestOf(0)]);
    expect([await f.token.balanceOf(f.gatewayAddress), await f.gateway.openTotal()]).to.deep.equal(before);
  });

  it("refuses a request whose owner was never recovered with OwnerNotRecovered", async function () {
    const f = await loadFixture(recoveredFixture);
    await expect(f.gateway.replaceRecoveredOwners([await f.requestOf(1)]))
      .to.be.revertedWithCustomError(f.gateway, "OwnerNotRecovered")
      .withArgs(1n, f.initech.address);
  });

  it("refuses a request given with other fields with RequestNotOpen", async function () {
    const f = await loadFixture(recoveredFixture);
    const request = await f.requestOf(0);
    await expect(f.gateway.replaceRecoveredOwners([{ ...request, amount: request.amount + 1n }]))
      .to.be.revertedWithCustomError(f.gateway, "RequestNotOpen")
      .withArgs(0n);
  });
});

describe("B2BEscrow settlement of a recovered party's agreements", function () {
  it("moves the buyer's role to the replacement, emitting PartyReplaced with the case", async function () {
    const f = await loadFixture(recoveredFixture);
    await expect(f.escrow.connect(f.thief).replaceRecoveredParties(0))
      .to.emit(f.escrow, "PartyReplaced")
      .withArgs(0n, f.acme.address, f.acmeNew.address, CASE);
    expect((await f.escrow.agreement(0)).buyer).to.equal(f.acmeNew.address);
  });

  it("pays the refund owed to a recovered buyer to its replacement", async function () {
    const f = await loadFixture(recoveredFixture);
    await f.escrow.replaceRecoveredParties(0);
    await expect(f.escrow.connect(f.globex).sellerRefund(0, 0)).to.changeTokenBalances(
      f.token,
      [f.acmeNew, f.acme],
      [ZON("20"), 0n],
    );
  });

  it("pays what a recovered seller is owed to its replacement", async function () {
    const f = await loadFixture(suiteFixture);
    await f.token.connect(f.recoveryOfficer).recoverWallet(f.globex.address, f.thief.address, CASE);
    await f.escrow.replaceRecoveredParties(0);
    const fee = (ZON("30") * 100n) / 10_000n;
    await expect(f.escrow.connect(f.acme).release(0, 1)).to.changeTokenBalance(
      f.token,
      f.thief,
      ZON("30") - fee,
    );
  });

  it("takes the buyer's powers away from the lost key (NotAllowed)", async function () {
    const f = await loadFixture(recoveredFixture);
    await f.escrow.replaceRecoveredParties(0);
    await expect(f.escrow.connect(f.acme).release(0, 0))
      .to.be.revertedWithCustomError(f.escrow, "NotAllowed")
      .withArgs(0n, f.acme.address);
  });

  it("voids a cancel request the lost key had made", async function () {
    const f = await loadFixture(suiteFixture);
    await f.escrow.connect(f.acme).requestCancel(0);
    await f.token.connect(f.recoveryOfficer).recoverWallet(f.acme.address, f.acmeNew.address, CASE);
    await expect(f.escrow.replaceRecoveredParties(0)).to.emit(f.escrow, "CancelRequestsVoided").withArgs(0n);
    expect((await f.escrow.agreement(0)).buyerCancels).to.equal(false);
  });

  it("leaves the escrow's balance and locked total as they were", async function () {
    const f = await loadFixture(recoveredFixture);
    const before = [await f.token.balanceOf(f.escrowAddress), await f.escrow.lockedTotal()];
    await f.escrow.replaceRecoveredParties(0);
    expect([await f.token.balanceOf(f.escrowAddress), await f.escrow.lockedTotal()]).to.deep.equal(before);
  });

  it("refuses an agreement none of whose parties was recovered with NoRecoveredParty", async function () {
    const f = await loadFixture(suiteFixture);
    await expect(f.escrow.replaceRecoveredParties(0))
      .to.be.revertedWithCustomError(f.escrow, "NoRecoveredParty")
      .withArgs(0n);
  });

  it("refuses a replacement that is the other party with InvalidReplacement", async function () {
    const f = await loadFixture(suiteFixture);
    await f.token.connect(f.recoveryOfficer).recoverWallet(f.acme.address, f.globex.address, CASE);
    await expect(f.escrow.replaceRecoveredParties(0))
      .to.be.revertedWithCustomError(f.escrow, "InvalidReplacement")
      .withArgs(0n, f.acme.address, f.globex.address);
  });

  it("moves a recovered arbiter's role to its replacement", async function () {
    const f = await loadFixture(arbitratedFixture);
    await f.token.connect(f.recoveryOfficer).recoverWallet(f.initech.address, f.thief.address, CASE);
    await expect(f.escrow.replaceRecoveredParties(1))
      .to.emit(f.escrow, "PartyReplaced")
      .withArgs(1n, f.initech.address, f.thief.address, CASE);
    expect((await f.escrow.agreement(1)).arbiter).to.equal(f.thief.address);
  });

  it("refuses a seller's replacement that is the buyer with InvalidReplacement", async function () {
    const f = await loadFixture(suiteFixture);
    await f.token.connect(f.recoveryOfficer).recoverWallet(f.globex.address, f.acme.address, CASE);
    await expect(f.escrow.replaceRecoveredParties(0))
      .to.be.revertedWithCustomError(f.escrow, "InvalidReplacement")
      .withArgs(0n, f.globex.address, f.acme.address);
  });

  it("refuses an arbiter's replacement that is a party with InvalidReplacement", async function () {
    const f = await loadFixture(arbitratedFixture);
    await f.token.connect(f.recoveryOfficer).recoverWallet(f.initech.address, f.globex.address, CASE);
    await expect(f.escrow.replaceRecoveredParties(1))
      .to.be.revertedWithCustomError(f.escrow, "InvalidReplacement")
      .withArgs(1n, f.initech.address, f.globex.address);
  });

  it("refuses an unknown agreement with UnknownAgreement", async function () {
    const f = await loadFixture(recoveredFixture);
    await expect(f.escrow.replaceRecoveredParties(7))
      .to.be.revertedWithCustomError(f.escrow, "UnknownAgreement")
      .withArgs(7n);
  });
});

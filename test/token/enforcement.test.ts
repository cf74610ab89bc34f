import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import { encodeBytes32String } from "ethers";
import { forcedTransferOperation, recoveryOperation, ROLES } from "../../src";
import { ONE_ZON, zonCoinFixture } from "../helpers/fixtures";

const CASE = encodeBytes32String("COURT-2026-0042");
const DAY = 86_400n;

/** The token fixture plus a recovery officer, a forced-transfer officer, and alice's new wallet. */
async function enforcementFixture() {
  const f = await zonCoinFixture();
  const signers = await ethers.getSigners();
  const [recoveryOfficer, forcedOfficer, aliceNew] = [signers[9], signers[10], signers[11]];
  await f.token.connect(f.admin).grantRole(ROLES.RECOVERY, recoveryOfficer.address);
  await f.token.connect(f.admin).grantRole(ROLES.FORCED_TRANSFER, forcedOfficer.address);
  return { ...f, recoveryOfficer, forcedOfficer, aliceNew };
}

/** The same with a one-day enforcement delay. */
async function delayedFixture() {
  const f = await enforcementFixture();
  await f.token.connect(f.admin).setEnforcementDelay(DAY);
  return f;
}

describe("ZonCoin wallet recovery", function () {
  it("moves the lost wallet's whole balance to the new wallet", async function () {
    const { token, recoveryOfficer, alice, aliceNew } = await loadFixture(enforcementFixture);
    await token.connect(recoveryOfficer).recoverWallet(alice.address, aliceNew.address, CASE);
    expect([await token.balanceOf(alice.address), await token.balanceOf(aliceNew.address)]).to.deep.equal([
      0n,
      1_000n * ONE_ZON,
    ]);
  });

  it("leaves the total supply unchanged", async function () {
    const { token, recoveryOfficer, alice, aliceNew } = await loadFixture(enforcementFixture);
    const supply = await token.totalSupply();
    await token.connect(recoveryOfficer).recoverWallet(alice.address, aliceNew.address, CASE);
    expect(await token.totalSupply()).to.equal(supply);
  });

  it("emits WalletRecovered with the case id, and the Transfer an ERC-20 indexer reads", async function () {
    const { token, recoveryOfficer, alice, aliceNew } = await loadFixture(enforcementFixture);
    await expect(token.connect(recoveryOfficer).recoverWallet(alice.address, aliceNew.address, CASE))
      .to.emit(token, "WalletRecovered")
      .withArgs(alice.address, aliceNew.address, CASE, 1_000n * ONE_ZON)
      .and.to.emit(token, "Transfer")
      .withArgs(alice.address, aliceNew.address, 1_000n * ONE_ZON);
  });

  it("freezes the lost wallet, emitting FrozenSet", async function () {
    const { token, recoveryOfficer, alice, aliceNew } = await loadFixture(enforcementFixture);
    await expect(token.connect(recoveryOfficer).recoverWallet(alice.address, aliceNew.address, CASE))
      .to.emit(token, "FrozenSet")
      .withArgs(alice.address, true);
    expect(await token.isFrozen(alice.address)).to.equal(true);
  });

  it("recovers a wallet compliance already froze, without freezing it twice", async function () {
    const { token, compliance, recoveryOfficer, alice, aliceNew } = await loadFixture(enforcementFixture);
    await token.connect(compliance).setFrozen(alice.address, true);
    await expect(
      token.connect(recoveryOfficer).recoverWallet(alice.address, aliceNew.address, CASE),
    ).to.not.emit(token, "FrozenSet");
    expect(await token.balanceOf(aliceNew.address)).to.equal(1_000n * ONE_ZON);
  });

  it("hands the lost wallet's allowlist status to the new wallet", async function () {
    const { token, compliance, recoveryOfficer, alice, aliceNew } = await loadFixture(enforcementFixture);
    await token.connect(compliance).setAllowlisted(alice.address, true);
    await expect(token.connect(recoveryOfficer).recoverWallet(alice.address, aliceNew.address, CASE))
      .to.emit(token, "AllowlistSet")
      .withArgs(alice.address, false)
      .and.to.emit(token, "AllowlistSet")
      .withArgs(aliceNew.address, true);
    expect([
      await token.isAllowlisted(alice.address),
      await token.isAllowlisted(aliceNew.address),
    ]).to.deep.equal([false, true]);
  });

  it("recovers to a new wallet that is not yet allowlisted in allowlist mode, when the lost one was", async function () {
    const { token, admin, compliance, recoveryOfficer, alice, aliceNew } =
      await loadFixture(enforcementFixture);
    await token.connect(compliance).setAllowlisted(alice.address, true);
    await token.connect(admin).setAllowlistMode(true);
    await token.connect(recoveryOfficer).recoverWallet(alice.address, aliceNew.address, CASE);
    expect(await token.canReceive(aliceNew.address)).to.equal(true);
  });

  it("leaves an allowlisted new wallet allowlisted, emitting AllowlistSet for the lost wallet only", async function () {
    const { token, compliance, recoveryOfficer, alice, aliceNew } = await loadFixture(enforcementFixture);
    await token.connect(compliance).setAllowlisted(alice.address, true);
    await token.connect(compliance).setAllowlisted(aliceNew.address, true);
    const receipt = await (
      await token.connect(recoveryOfficer).recoverWallet(alice.address, aliceNew.address, CASE)
    ).wait();
    const allowlistEvents = receipt!.logs
      .map((log) => token.interface.parseLog(log))
      .filter((e) => e?.name === "AllowlistSet")
      .map((e) => [e!.args.account, e!.args.allowed]);
    expect(allowlistEvents).to.deep.equal([[alice.address, false]]);
    expect(await token.isAllowlisted(aliceNew.address)).to.equal(true);
  });

  it("recovers, in allowlist mode, to an allowlisted new wallet when the lost one was not", async function () {
    const { token, admin, compliance, recoveryOfficer, alice, aliceNew } =
      await loadFixture(enforcementFixture);
    await token.connect(compliance).setAllowlisted(aliceNew.address, true);
    await token.connect(admin).setAllowlistMode(true);
    await token.connect(recoveryOfficer).recoverWallet(alice.address, aliceNew.address, CASE);
    expect(await token.balanceOf(aliceNew.address)).to.equal(1_000n * ONE_ZON);
  });

  it("lets the new wallet spend what it received", async function () {
    const { token, recoveryOfficer, alice, aliceNew, bob } = await loadFixture(enforcementFixture);
    await token.connect(recoveryOfficer).recoverWallet(alice.address, aliceNew.address, CASE);
    await token.connect(aliceNew).transfer(bob.address, ONE_ZON);
    expect(await token.balanceOf(bob.address)).to.equal(1_001n * ONE_ZON);
  });

  it("refuses an account without the recovery role, the compliance officer included", async function () {
    const { token, compliance, alice, aliceNew } = await loadFixture(enforcementFixture);
    await expect(token.connect(compliance).recoverWallet(alice.address, aliceNew.address, CASE))
      .to.be.revertedWithCustomError(token, "AccessControlUnauthorizedAccount")
      .withArgs(compliance.address, ROLES.RECOVERY);
  });

  it("refuses a recovery without a case id with ZonCoinMissingCaseId", async function () {
    const { token, recoveryOfficer, alice, aliceNew } = await loadFixture(enforcementFixture);
    await expect(
      token.connect(recoveryOfficer).recoverWallet(alice.address, aliceNew.address, ethers.ZeroHash),
    ).to.be.revertedWithCustomError(token, "ZonCoinMissingCaseId");
  });

  it("refuses a recovery to the lost wallet itself with ZonCoinSameAccount", async function () {
    const { token, recoveryOfficer, alice } = await loadFixture(enforcementFixture);
    await expect(token.connect(recoveryOfficer).recoverWallet(alice.address, alice.address, CASE))
      .to.be.revertedWithCustomError(token, "ZonCoinSameAccount")
      .withArgs(alice.address);
  });

  it("refuses the zero address as the lost wallet with ERC20InvalidSender", async function () {
    const { token, recoveryOfficer, aliceNew } = await loadFixture(enforcementFixture);
    await expect(token.connect(recoveryOfficer).recoverWallet(ethers.ZeroAddress, aliceNew.address, CASE))
      .to.be.revertedWithCustomError(token, "ERC20InvalidSender")
      .withArgs(ethers.ZeroAddress);
  });

  it("refuses the zero address as the new wallet with ERC20InvalidReceiver", async function () {
    const { token, recoveryOfficer, alice } = await loadFixture(enforcementFixture);
    await expect(token.connect(recoveryOfficer).recoverWallet(alice.address, ethers.ZeroAddress, CASE))
      .to.be.revertedWithCustomError(token, "ERC20InvalidReceiver")
      .withArgs(ethers.ZeroAddress);
  });

  it("refuses a frozen new wallet with ZonCoinAccountFrozen", async function () {
    const { token, compliance, recoveryOfficer, alice, aliceNew } = await loadFixture(enforcementFixture);
    await token.connect(compliance).setFrozen(aliceNew.address, true);
    await expect(token.connect(recoveryOfficer).recoverWallet(alice.address, aliceNew.address, CASE))
      .to.be.revertedWithCustomError(token, "ZonCoinAccountFrozen")
      .withArgs(aliceNew.address);
  });

  it("refuses, in allowlist mode, a new wallet when neither it nor the lost one is allowlisted", async function () {
    const { token, admin, recoveryOfficer, alice, aliceNew } = await loadFixture(enforcementFixture);
    await token.connect(admin).setAllowlistMode(true);
    await expect(token.connect(recoveryOfficer).recoverWallet(alice.address, aliceNew.address, CASE))
      .to.be.revertedWithCustomError(token, "ZonCoinAccountNotAllowlisted")
      .withArgs(aliceNew.address);
  });

  it("is paused with everything else (EnforcedPause)", async function () {
    const { token, pauser, recoveryOfficer, alice, aliceNew } = await loadFixture(enforcementFixture);
    await token.connect(pauser).pause();
    await expect(
      token.connect(recoveryOfficer).recoverWallet(alice.address, aliceNew.address, CASE),
    ).to.be.revertedWithCustomError(token, "EnforcedPause");
  });
});

describe("ZonCoin forced transfer", function () {
  it("moves the amount between the two holders", async function () {
    const { token, forcedOfficer, alice, carol } = await loadFixture(enforcementFixture);
    await token.connect(forcedOfficer).forceTransfer(alice.address, carol.address, 300n * ONE_ZON, CASE);
    expect([await token.balanceOf(alice.address), await token.balanceOf(carol.address)]).to.deep.equal([
      700n * ONE_ZON,
      300n * ONE_ZON,
    ]);
  });

  it("emits ForcedTransfer with the case id, and a Transfer", async function () {
    const { token, forcedOfficer, alice, carol } = await loadFixture(enforcementFixture);
    await expect(token.connect(forcedOfficer).forceTransfer(alice.address, carol.address, ONE_ZON, CASE))
      .to.emit(token, "ForcedTransfer")
      .withArgs(alice.address, carol.address, CASE, ONE_ZON)
      .and.to.emit(token, "Transfer")
      .withArgs(alice.address, carol.address, ONE_ZON);
  });

  it("takes from a frozen holder (that is its point) and leaves it frozen", async function () {
    const { token, compliance, forcedOfficer, alice, carol } = await loadFixture(enforcementFixture);
    await token.connect(compliance).setFrozen(alice.address, true);
    await token.connect(forcedOfficer).forceTransfer(alice.address, carol.address, ONE_ZON, CASE);
    expect([await token.balanceOf(carol.address), await token.isFrozen(alice.address)]).to.deep.equal([
      ONE_ZON,
      true,
    ]);
  });

  it("gives to a frozen holder", async function () {
    const { token, compliance, forcedOfficer, alice, carol } = await loadFixture(enforcementFixture);
    await token.connect(compliance).setFrozen(carol.address, true);
    await token.connect(forcedOfficer).forceTransfer(alice.address, carol.address, ONE_ZON, CASE);
    expect(await token.balanceOf(carol.address)).to.equal(ONE_ZON);
  });

  it("neither mints nor burns, and spends no allowance", async function () {
    const { token, forcedOfficer, alice, bob, carol } = await loadFixture(enforcementFixture);
    await token.connect(alice).approve(bob.address, 5n);
    const supply = await token.totalSupply();
    await token.connect(forcedOfficer).forceTransfer(alice.address, carol.address, ONE_ZON, CASE);
    expect([await token.totalSupply(), await token.allowance(alice.address, bob.address)]).to.deep.equal([
      supply,
      5n,
    ]);
  });

  it("refuses an account without the forced-transfer role, the recovery officer included", async function () {
    const { token, recoveryOfficer, alice, carol } = await loadFixture(enforcementFixture);
    await expect(token.connect(recoveryOfficer).forceTransfer(alice.address, carol.address, ONE_ZON, CASE))
      .to.be.revertedWithCustomError(token, "AccessControlUnauthorizedAccount")
      .withArgs(recoveryOfficer.address, ROLES.FORCED_TRANSFER);
  });

  it("refuses more than the holder has with ERC20InsufficientBalance", async function () {
    const { token, forcedOfficer, alice, carol } = await loadFixture(enforcementFixture);
    await expect(
      token.connect(forcedOfficer).forceTransfer(alice.address, carol.address, 1_001n * ONE_ZON, CASE),
    )
      .to.be.revertedWithCustomError(token, "ERC20InsufficientBalance")
      .withArgs(alice.address, 1_000n * ONE_ZON, 1_001n * ONE_ZON);
  });

  it("refuses a transfer of nothing with ZonCoinZeroAmount", async function () {
    const { token, forcedOfficer, alice, carol } = await loadFixture(enforcementFixture);
    await expect(
      token.connect(forcedOfficer).forceTransfer(alice.address, carol.address, 0n, CASE),
    ).to.be.revertedWithCustomError(token, "ZonCoinZeroAmount");
  });

  it("refuses a transfer without a case id with ZonCoinMissingCaseId", async function () {
    const { token, forcedOfficer, alice, carol } = await loadFixture(enforcementFixture);
    await expect(
      token.connect(forcedOfficer).forceTransfer(alice.address, carol.address, ONE_ZON, ethers.ZeroHash),
    ).to.be.revertedWithCustomError(token, "ZonCoinMissingCaseId");
  });

  it("refuses a transfer from a holder to itself with ZonCoinSameAccount", async function () {
    const { token, forcedOfficer, alice } = await loadFixture(enforcementFixture);
    await expect(token.connect(forcedOfficer).forceTransfer(alice.address, alice.address, ONE_ZON, CASE))
      .to.be.revertedWithCustomError(token, "ZonCoinSameAccount")
      .withArgs(alice.address);
  });

  it("refuses to burn: the zero address as receiver with ERC20InvalidReceiver", async function () {
    const { token, forcedOfficer, alice } = await loadFixture(enforcementFixture);
    await expect(token.connect(forcedOfficer).forceTransfer(alice.address, ethers.ZeroAddress, ONE_ZON, CASE))
      .to.be.revertedWithCustomError(token, "ERC20InvalidReceiver")
      .withArgs(ethers.ZeroAddress);
  });

  it("refuses to mint: the zero address as holder with ERC20InvalidSender", async function () {
    const { token, forcedOfficer, carol } = await loadFixture(enforcementFixture);
    await expect(token.connect(forcedOfficer).forceTransfer(ethers.ZeroAddress, carol.address, ONE_ZON, CASE))
      .to.be.revertedWithCustomError(token, "ERC20InvalidSender")
      .withArgs(ethers.ZeroAddress);
  });

  it("refuses, in allowlist mode, a receiver that is not allowlisted", async function () {
    const { token, admin, compliance, forcedOfficer, alice, carol } = await loadFixture(enforcementFixture);
    await token.connect(compliance).setAllowlisted(alice.address, true);
    await token.connect(admin).setAllowlistMode(true);
    await expect(token.connect(forcedOfficer).forceTransfer(alice.address, carol.address, ONE_ZON, CASE))
      .to.be.revertedWithCustomError(token, "ZonCoinAccountNotAllowlisted")
      .withArgs(carol.address);
  });

  it("is paused with everything else (EnforcedPause)", async function () {
    const { token, pauser, forcedOfficer, alice, carol } = await loadFixture(enforcementFixture);
    await token.connect(pauser).pause();
    await expect(
      token.connect(forcedOfficer).forceTransfer(alice.address, carol.address, ONE_ZON, CASE),
    ).to.be.revertedWithCustomError(token, "EnforcedPause");
  });
});

describe("ZonCoin enforcement delay (announce, then execute)", function () {
  it("lets the admin set the delay, emitting EnforcementDelaySet", async function () {
    const { token, admin } = await loadFixture(enforcementFixture);
    await expect(token.connect(admin).setEnforcementDelay(DAY))
      .to.emit(token, "EnforcementDelaySet")
      .withArgs(0n, DAY);
    expect(await token.enforcementDelay()).to.equal(DAY);
  });

  it("refuses the delay from anyone but the admin", async function () {
    const { token, recoveryOfficer } = await loadFixture(enforcementFixture);
    await expect(token.connect(recoveryOfficer).setEnforcementDelay(DAY))
      .to.be.revertedWithCustomError(token, "AccessControlUnauthorizedAccount")
      .withArgs(recoveryOfficer.address, ROLES.DEFAULT_ADMIN);
  });

  it("refuses a delay above 30 days with ZonCoinEnforcementDelayTooLong", async function () {
    const { token, admin } = await loadFixture(enforcementFixture);
    await expect(token.connect(admin).setEnforcementDelay(30n * DAY + 1n))
      .to.be.revertedWithCustomError(token, "ZonCoinEnforcementDelayTooLong")
      .withArgs(30n * DAY + 1n, 30n * DAY);
  });

  it("refuses the delay already in force with ZonCoinEnforcementDelayUnchanged", async function () {
    const { token, admin } = await loadFixture(delayedFixture);
    await expect(token.connect(admin).setEnforcementDelay(DAY))
      .to.be.revertedWithCustomError(token, "ZonCoinEnforcementDelayUnchanged")
      .withArgs(DAY);
  });

  it("announces a recovery under the operation id the library computes, ready after the delay", async function () {
    const { token, recoveryOfficer, alice, aliceNew } = await loadFixture(delayedFixture);
    const operation = recoveryOperation(alice.address, aliceNew.address, CASE);
    const tx = token.connect(recoveryOfficer).announceRecovery(alice.address, aliceNew.address, CASE);
    await expect(tx)
      .to.emit(token, "RecoveryAnnounced")
      .withArgs(operation, CASE, alice.address, aliceNew.address, BigInt(await time.latest()) + 1n + DAY);
    expect(await token.operationReadyAt(operation)).to.equal(BigInt(await time.latest()) + DAY);
  });

  it("computes the same operation ids on chain as the library", async function () {
    const { token, alice, carol } = await loadFixture(enforcementFixture);
    expect([
      await token.recoveryOperation(alice.address, carol.address, CASE),
      await token.forcedTransferOperation(alice.address, carol.address, ONE_ZON, CASE),
    ]).to.deep.equal([
      recoveryOperation(alice.address, carol.address, CASE),
      forcedTransferOperation(alice.address, carol.address, ONE_ZON, CASE),
    ]);
  });

  it("refuses an unannounced recovery with ZonCoinOperationNotAnnounced", async function () {
    const { token, recoveryOfficer, alice, aliceNew } = await loadFixture(delayedFixture);
    await expect(token.connect(recoveryOfficer).recoverWallet(alice.address, aliceNew.address, CASE))
      .to.be.revertedWithCustomError(token, "ZonCoinOperationNotAnnounced")
      .withArgs(recoveryOperation(alice.address, aliceNew.address, CASE));
  });

  it("refuses an announced recovery before its time with ZonCoinOperationNotReady", async function () {
    const { token, recoveryOfficer, alice, aliceNew } = await loadFixture(delayedFixture);
    await token.connect(recoveryOfficer).announceRecovery(alice.address, aliceNew.address, CASE);
    const operation = recoveryOperation(alice.address, aliceNew.address, CASE);
    const readyAt = await token.operationReadyAt(operation);
    await time.setNextBlockTimestamp(readyAt - 1n);
    await expect(token.connect(recoveryOfficer).recoverWallet(alice.address, aliceNew.address, CASE))
      .to.be.revertedWithCustomError(token, "ZonCoinOperationNotReady")
      .withArgs(operation, readyAt);
  });

  it("carries out an announced recovery once its time has come, and only once", async function () {
    const { token, recoveryOfficer, alice, aliceNew } = await loadFixture(delayedFixture);
    await token.connect(recoveryOfficer).announceRecovery(alice.address, aliceNew.address, CASE);
    const operation = recoveryOperation(alice.address, aliceNew.address, CASE);
    await time.setNextBlockTimestamp(await token.operationReadyAt(operation));
    await token.connect(recoveryOfficer).recoverWallet(alice.address, aliceNew.address, CASE);
    expect([await token.balanceOf(aliceNew.address), await token.operationReadyAt(operation)]).to.deep.equal([
      1_000n * ONE_ZON,
      0n,
    ]);
    await expect(token.connect(recoveryOfficer).recoverWallet(alice.address, aliceNew.address, CASE))
      .to.be.revertedWithCustomError(token, "ZonCoinOperationNotAnnounced")
      .withArgs(operation);
  });

  it("refuses to announce the same operation twice with ZonCoinOperationAlreadyAnnounced", async function () {
    const { token, recoveryOfficer, alice, aliceNew } = await loadFixture(delayedFixture);
    await token.connect(recoveryOfficer).announceRecovery(alice.address, aliceNew.address, CASE);
    const operation = recoveryOperation(alice.address, aliceNew.address, CASE);
    await expect(token.connect(recoveryOfficer).announceRecovery(alice.address, aliceNew.address, CASE))
      .to.be.revertedWithCustomError(token, "ZonCoinOperationAlreadyAnnounced")
      .withArgs(operation, await token.operationReadyAt(operation));
  });

  it("checks an announcement's accounts and case id as the execution does", async function () {
    const { token, recoveryOfficer, alice } = await loadFixture(delayedFixture);
    await expect(token.connect(recoveryOfficer).announceRecovery(alice.address, alice.address, CASE))
      .to.be.revertedWithCustomError(token, "ZonCoinSameAccount")
      .withArgs(alice.address);
  });

  it("refuses to announce a forced transfer of nothing with ZonCoinZeroAmount", async function () {
    const { token, forcedOfficer, alice, carol } = await loadFixture(delayedFixture);
    await expect(
      token.connect(forcedOfficer).announceForcedTransfer(alice.address, carol.address, 0n, CASE),
    ).to.be.revertedWithCustomError(token, "ZonCoinZeroAmount");
  });

  it("refuses an announcement from an account without the role", async function () {
    const { token, outsider, alice, carol } = await loadFixture(delayedFixture);
    await expect(token.connect(outsider).announceForcedTransfer(alice.address, carol.address, ONE_ZON, CASE))
      .to.be.revertedWithCustomError(token, "AccessControlUnauthorizedAccount")
      .withArgs(outsider.address, ROLES.FORCED_TRANSFER);
  });

  it("refuses a recovery announcement from an account without the recovery role", async function () {
    const { token, forcedOfficer, alice, aliceNew } = await loadFixture(delayedFixture);
    await expect(token.connect(forcedOfficer).announceRecovery(alice.address, aliceNew.address, CASE))
      .to.be.revertedWithCustomError(token, "AccessControlUnauthorizedAccount")
      .withArgs(forcedOfficer.address, ROLES.RECOVERY);
  });

  it("binds a forced transfer to the announced amount", async function () {
    const { token, forcedOfficer, alice, carol } = await loadFixture(delayedFixture);
    await token.connect(forcedOfficer).announceForcedTransfer(alice.address, carol.address, ONE_ZON, CASE);
    await time.increase(DAY);
    await expect(token.connect(forcedOfficer).forceTransfer(alice.address, carol.address, 2n * ONE_ZON, CASE))
      .to.be.revertedWithCustomError(token, "ZonCoinOperationNotAnnounced")
      .withArgs(forcedTransferOperation(alice.address, carol.address, 2n * ONE_ZON, CASE));
  });

  it("announces a forced transfer with its amount and carries it out after the delay", async function () {
    const { token, forcedOfficer, alice, carol } = await loadFixture(delayedFixture);
    const operation = forcedTransferOperation(alice.address, carol.address, ONE_ZON, CASE);
    await expect(
      token.connect(forcedOfficer).announceForcedTransfer(alice.address, carol.address, ONE_ZON, CASE),
    )
      .to.emit(token, "ForcedTransferAnnounced")
      .withArgs(
        operation,
        CASE,
        alice.address,
        carol.address,
        ONE_ZON,
        BigInt(await time.latest()) + 1n + DAY,
      );
    await time.increase(DAY);
    await token.connect(forcedOfficer).forceTransfer(alice.address, carol.address, ONE_ZON, CASE);
    expect(await token.balanceOf(carol.address)).to.equal(ONE_ZON);
  });

  it("lets the officer cancel an announcement, emitting OperationCancelled with the case id", async function () {
    const { token, recoveryOfficer, alice, aliceNew } = await loadFixture(delayedFixture);
    await token.connect(recoveryOfficer).announceRecovery(alice.address, aliceNew.address, CASE);
    const operation = recoveryOperation(alice.address, aliceNew.address, CASE);
    await expect(token.connect(recoveryOfficer).cancelRecovery(alice.address, aliceNew.address, CASE))
      .to.emit(token, "OperationCancelled")
      .withArgs(operation, CASE, recoveryOfficer.address);
    expect(await token.operationReadyAt(operation)).to.equal(0n);
  });

  it("refuses a cancelled recovery after the delay with ZonCoinOperationNotAnnounced", async function () {
    const { token, recoveryOfficer, alice, aliceNew } = await loadFixture(delayedFixture);
    await token.connect(recoveryOfficer).announceRecovery(alice.address, aliceNew.address, CASE);
    await token.connect(recoveryOfficer).cancelRecovery(alice.address, aliceNew.address, CASE);
    await time.increase(DAY);
    await expect(token.connect(recoveryOfficer).recoverWallet(alice.address, aliceNew.address, CASE))
      .to.be.revertedWithCustomError(token, "ZonCoinOperationNotAnnounced")
      .withArgs(recoveryOperation(alice.address, aliceNew.address, CASE));
  });

  it("lets the admin cancel an announced forced transfer", async function () {
    const { token, admin, forcedOfficer, alice, carol } = await loadFixture(delayedFixture);
    await token.connect(forcedOfficer).announceForcedTransfer(alice.address, carol.address, ONE_ZON, CASE);
    await expect(token.connect(admin).cancelForcedTransfer(alice.address, carol.address, ONE_ZON, CASE))
      .to.emit(token, "OperationCancelled")
      .withArgs(forcedTransferOperation(alice.address, carol.address, ONE_ZON, CASE), CASE, admin.address);
  });

  it("refuses a cancellation by anyone else, naming the role", async function () {
    const { token, forcedOfficer, recoveryOfficer, alice, carol } = await loadFixture(delayedFixture);
    await token.connect(forcedOfficer).announceForcedTransfer(alice.address, carol.address, ONE_ZON, CASE);
    await expect(
      token.connect(recoveryOfficer).cancelForcedTransfer(alice.address, carol.address, ONE_ZON, CASE),
    )
      .to.be.revertedWithCustomError(token, "AccessControlUnauthorizedAccount")
      .withArgs(recoveryOfficer.address, ROLES.FORCED_TRANSFER);
  });

  it("refuses to cancel what is not announced with ZonCoinOperationNotAnnounced", async function () {
    const { token, recoveryOfficer, alice, aliceNew } = await loadFixture(delayedFixture);
    await expect(token.connect(recoveryOfficer).cancelRecovery(alice.address, aliceNew.address, CASE))
      .to.be.revertedWithCustomError(token, "ZonCoinOperationNotAnnounced")
      .withArgs(recoveryOperation(alice.address, aliceNew.address, CASE));
  });

  it("keeps an announcement's time when the delay is lifted afterwards", async function () {
    const { token, admin, recoveryOfficer, alice, aliceNew } = await loadFixture(delayedFixture);
    await token.connect(recoveryOfficer).announceRecovery(alice.address, aliceNew.address, CASE);
    await token.connect(admin).setEnforcementDelay(0n);
    const operation = recoveryOperation(alice.address, aliceNew.address, CASE);
    await expect(token.connect(recoveryOfficer).recoverWallet(alice.address, aliceNew.address, CASE))
      .to.be.revertedWithCustomError(token, "ZonCoinOperationNotReady")
      .withArgs(operation, await token.operationReadyAt(operation));
  });

  it("accepts announcements while paused, and refuses their execution until unpaused", async function () {
    const { token, pauser, recoveryOfficer, alice, aliceNew } = await loadFixture(delayedFixture);
    await token.connect(pauser).pause();
    await token.connect(recoveryOfficer).announceRecovery(alice.address, aliceNew.address, CASE);
    await time.increase(DAY);
    await expect(
      token.connect(recoveryOfficer).recoverWallet(alice.address, aliceNew.address, CASE),
    ).to.be.revertedWithCustomError(token, "EnforcedPause");
  });
});

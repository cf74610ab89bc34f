import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ZeroAddress } from "ethers";
import { ROLES } from "../../src";
import { zonCoinFixture } from "../helpers/fixtures";

describe("ZonCoin compliance controls", function () {
  describe("pause", function () {
    async function pausedFixture() {
      const f = await zonCoinFixture();
      await f.token.connect(f.pauser).pause();
      return f;
    }

    it("lets the pauser pause, emitting Paused", async function () {
      const { token, pauser } = await loadFixture(zonCoinFixture);
      await expect(token.connect(pauser).pause()).to.emit(token, "Paused").withArgs(pauser.address);
    });

    it("blocks transfers while paused with EnforcedPause", async function () {
      const { token, alice, bob } = await loadFixture(pausedFixture);
      await expect(token.connect(alice).transfer(bob.address, 1n)).to.be.revertedWithCustomError(
        token,
        "EnforcedPause",
      );
    });

    it("blocks transferFrom while paused with EnforcedPause", async function () {
      const { token, alice, bob, carol } = await loadFixture(pausedFixture);
      await token.connect(alice).approve(carol.address, 5n);
      await expect(
        token.connect(carol).transferFrom(alice.address, bob.address, 1n),
      ).to.be.revertedWithCustomError(token, "EnforcedPause");
    });

    it("blocks mints while paused with EnforcedPause", async function () {
      const { token, minter, carol } = await loadFixture(pausedFixture);
      await expect(token.connect(minter).mint(carol.address, 1n)).to.be.revertedWithCustomError(
        token,
        "EnforcedPause",
      );
    });

    it("blocks batch mints while paused with EnforcedPause", async function () {
      const { token, minter, carol } = await loadFixture(pausedFixture);
      await expect(token.connect(minter).mintBatch([carol.address], [1n])).to.be.revertedWithCustomError(
        token,
        "EnforcedPause",
      );
    });

    it("blocks burns while paused with EnforcedPause", async function () {
      const { token, alice } = await loadFixture(pausedFixture);
      await expect(token.connect(alice).burn(1n)).to.be.revertedWithCustomError(token, "EnforcedPause");
    });

    it("still allows approvals while paused", async function () {
      const { token, alice, carol } = await loadFixture(pausedFixture);
      await token.connect(alice).approve(carol.address, 5n);
      expect(await token.allowance(alice.address, carol.address)).to.equal(5n);
    });

    it("lets the pauser unpause, emitting Unpaused and restoring transfers", async function () {
      const { token, pauser, alice, bob } = await loadFixture(pausedFixture);
      await expect(token.connect(pauser).unpause()).to.emit(token, "Unpaused").withArgs(pauser.address);
      await expect(token.connect(alice).transfer(bob.address, 1n)).to.changeTokenBalance(token, bob, 1n);
    });

    it("refuses pause to an account without the pauser role", async function () {
      const { token, admin } = await loadFixture(zonCoinFixture);
      await expect(token.connect(admin).pause())
        .to.be.revertedWithCustomError(token, "AccessControlUnauthorizedAccount")
        .withArgs(admin.address, ROLES.PAUSER);
    });

    it("refuses unpause to an account without the pauser role", async function () {
      const { token, admin } = await loadFixture(pausedFixture);
      await expect(token.connect(admin).unpause())
        .to.be.revertedWithCustomError(token, "AccessControlUnauthorizedAccount")
        .withArgs(admin.address, ROLES.PAUSER);
    });

    it("rejects pausing twice with EnforcedPause", async function () {
      const { token, pauser } = await loadFixture(pausedFixture);
      await expect(token.connect(pauser).pause()).to.be.revertedWithCustomError(token, "EnforcedPause");
    });

    it("rejects unpausing a running token with ExpectedPause", async function () {
      const { token, pauser } = await loadFixture(zonCoinFixture);
      await expect(token.connect(pauser).unpause()).to.be.revertedWithCustomError(token, "ExpectedPause");
    });
  });

  describe("freeze", function () {
    async function frozenAliceFixture() {
      const f = await zonCoinFixture();
      await f.token.connect(f.compliance).setFrozen(f.alice.address, true);
      return f;
    }

    it("lets the compliance role freeze an account, emitting FrozenSet", async function () {
      const { token, compliance, alice } = await loadFixture(zonCoinFixture);
      await expect(token.connect(compliance).setFrozen(alice.address, true))
        .to.emit(token, "FrozenSet")
        .withArgs(alice.address, true);
      expect(await token.isFrozen(alice.address)).to.equal(true);
    });

    it("keeps a frozen account's balance visible", async function () {
      const { token, alice } = await loadFixture(frozenAliceFixture);
      expect(await token.balanceOf(alice.address)).to.equal(1_000n * 10n ** 18n);
    });

    it("stops a frozen account from sending with ZonCoinAccountFrozen", async function () {
      const { token, alice, bob } = await loadFixture(frozenAliceFixture);
      await expect(token.connect(alice).transfer(bob.address, 1n))
        .to.be.revertedWithCustomError(token, "ZonCoinAccountFrozen")
        .withArgs(alice.address);
    });

    it("stops a frozen account from receiving with ZonCoinAccountFrozen", async function () {
      const { token, alice, bob } = await loadFixture(frozenAliceFixture);
      await expect(token.connect(bob).transfer(alice.address, 1n))
        .to.be.revertedWithCustomError(token, "ZonCoinAccountFrozen")
        .withArgs(alice.address);
    });

    it("stops minting to a frozen account with ZonCoinAccountFrozen", async function () {
      const { token, minter, alice } = await loadFixture(frozenAliceFixture);
      await expect(token.connect(minter).mint(alice.address, 1n))
        .to.be.revertedWithCustomError(token, "ZonCoinAccountFrozen")
        .withArgs(alice.address);
    });

    it("stops batch minting to a frozen account with ZonCoinAccountFrozen", async function () {
      const { token, minter, alice, bob } = await loadFixture(frozenAliceFixture);
      await expect(token.connect(minter).mintBatch([bob.address, alice.address], [1n, 1n]))
        .to.be.revertedWithCustomError(token, "ZonCoinAccountFrozen")
        .withArgs(alice.address);
    });

    it("stops a frozen minter from minting, and lets it mint again once unfrozen", async function () {
      const { token, compliance, minter, bob } = await loadFixture(zonCoinFixture);
      await token.connect(compliance).setFrozen(minter.address, true);
      await expect(token.connect(minter).mint(bob.address, 1n))
        .to.be.revertedWithCustomError(token, "ZonCoinAccountFrozen")
        .withArgs(minter.address);
      await token.connect(compliance).setFrozen(minter.address, false);
      await expect(token.connect(minter).mint(bob.address, 1n)).to.changeTokenBalance(token, bob, 1n);
    });

    it("stops an account frozen before it was made a minter from minting", async function () {
      const { token, compliance, minterAdmin, carol, bob } = await loadFixture(zonCoinFixture);
      await token.connect(compliance).setFrozen(carol.address, true);
      await token.connect(minterAdmin).configureMinter(carol.address, 10n);
      await token.connect(minterAdmin).increaseMinterAllowance(carol.address, 10n);
      await expect(token.connect(carol).mint(bob.address, 1n))
        .to.be.revertedWithCustomError(token, "ZonCoinAccountFrozen")
        .withArgs(carol.address);
    });

    it("stops a spender from moving a frozen account's tokens with ZonCoinAccountFrozen", async function () {
      const { token, compliance, alice, bob, carol } = await loadFixture(zonCoinFixture);
      await token.connect(alice).approve(carol.address, 5n);
      await token.connect(compliance).setFrozen(alice.address, true);
      await expect(token.connect(carol).transferFrom(alice.address, bob.address, 1n))
        .to.be.revertedWithCustomError(token, "ZonCoinAccountFrozen")
        .withArgs(alice.address);
    });

    it("stops a frozen spender from moving anyone's tokens with ZonCoinAccountFrozen", async function () {
      const { token, compliance, alice, bob, carol } = await loadFixture(zonCoinFixture);
      await token.connect(bob).approve(carol.address, 5n);
      await token.connect(compliance).setFrozen(carol.address, true);
      await expect(token.connect(carol).transferFrom(bob.address, alice.address, 1n))
        .to.be.revertedWithCustomError(token, "ZonCoinAccountFrozen")
        .withArgs(carol.address);
    });

    it("stops a frozen account from burning with ZonCoinAccountFrozen", async function () {
      const { token, alice } = await loadFixture(frozenAliceFixture);
      await expect(token.connect(alice).burn(1n))
        .to.be.revertedWithCustomError(token, "ZonCoinAccountFrozen")
        .withArgs(alice.address);
    });

    it("stops burnFrom on a frozen account with ZonCoinAccountFrozen", async function () {
      const { token, compliance, alice, carol } = await loadFixture(zonCoinFixture);
      await token.connect(alice).approve(carol.address, 5n);
      await token.connect(compliance).setFrozen(alice.address, true);
      await expect(token.connect(carol).burnFrom(alice.address, 1n))
        .to.be.revertedWithCustomError(token, "ZonCoinAccountFrozen")
        .withArgs(alice.address);
    });

    it("restores transfers when the account is unfrozen", async function () {
      const { token, compliance, alice, bob } = await loadFixture(frozenAliceFixture);
      await expect(token.connect(compliance).setFrozen(alice.address, false))
        .to.emit(token, "FrozenSet")
        .withArgs(alice.address, false);
      await expect(token.connect(alice).transfer(bob.address, 1n)).to.changeTokenBalance(token, bob, 1n);
    });

    it("rejects freezing a frozen account with ZonCoinFrozenUnchanged", async function () {
      const { token, compliance, alice } = await loadFixture(frozenAliceFixture);
      await expect(token.connect(compliance).setFrozen(alice.address, true))
        .to.be.revertedWithCustomError(token, "ZonCoinFrozenUnchanged")
        .withArgs(alice.address, true);
    });

    it("refuses freezing to an account without the compliance role", async function () {
      const { token, admin, alice } = await loadFixture(zonCoinFixture);
      await expect(token.connect(admin).setFrozen(alice.address, true))
        .to.be.revertedWithCustomError(token, "AccessControlUnauthorizedAccount")
        .withArgs(admin.address, ROLES.COMPLIANCE);
    });
  });

  describe("holder allowlist mode", function () {
    async function allowlistFixture() {
      const f = await zonCoinFixture();
      await f.token.connect(f.compliance).setAllowlisted(f.bob.address, true);
      await f.token.connect(f.admin).setAllowlistMode(true);
      return f;
    }

    it("is off by default", async function () {
      const { token } = await loadFixture(zonCoinFixture);
      expect(await token.allowlistMode()).to.equal(false);
    });

    it("lets anyone receive while it is off", async function () {
      const { token, alice, carol } = await loadFixture(zonCoinFixture);
      await expect(token.connect(alice).transfer(carol.address, 1n)).to.changeTokenBalance(token, carol, 1n);
    });

    it("is switched on by the admin, emitting AllowlistModeSet", async function () {
      const { token, admin } = await loadFixture(zonCoinFixture);
      await expect(token.connect(admin).setAllowlistMode(true))
        .to.emit(token, "AllowlistModeSet")
        .withArgs(true);
      expect(await token.allowlistMode()).to.equal(true);
    });

    it("lets the compliance role allowlist an account, emitting AllowlistSet", async function () {
      const { token, compliance, carol } = await loadFixture(zonCoinFixture);
      await expect(token.connect(compliance).setAllowlisted(carol.address, true))
        .to.emit(token, "AllowlistSet")
        .withArgs(carol.address, true);
      expect(await token.isAllowlisted(carol.address)).to.equal(true);
    });

    it("lets an allowlisted account receive", async function () {
      const { token, alice, bob } = await loadFixture(allowlistFixture);
      await expect(token.connect(alice).transfer(bob.address, 1n)).to.changeTokenBalance(token, bob, 1n);
    });

    it("stops a transfer to an account off the allowlist with ZonCoinAccountNotAllowlisted", async function () {
      const { token, alice, carol } = await loadFixture(allowlistFixture);
      await expect(token.connect(alice).transfer(carol.address, 1n))
        .to.be.revertedWithCustomError(token, "ZonCoinAccountNotAllowlisted")
        .withArgs(carol.address);
    });

    it("stops minting to an account off the allowlist with ZonCoinAccountNotAllowlisted", async function () {
      const { token, minter, carol } = await loadFixture(allowlistFixture);
      await expect(token.connect(minter).mint(carol.address, 1n))
        .to.be.revertedWithCustomError(token, "ZonCoinAccountNotAllowlisted")
        .withArgs(carol.address);
    });

    it("stops batch minting to an account off the allowlist with ZonCoinAccountNotAllowlisted", async function () {
      const { token, minter, bob, carol } = await loadFixture(allowlistFixture);
      await expect(token.connect(minter).mintBatch([bob.address, carol.address], [1n, 1n]))
        .to.be.revertedWithCustomError(token, "ZonCoinAccountNotAllowlisted")
        .withArgs(carol.address);
    });

    it("lets an account off the allowlist still send and burn what it holds", async function () {
      const { token, alice, bob } = await loadFixture(allowlistFixture);
      await token.connect(alice).burn(1n);
      await expect(token.connect(alice).transfer(bob.address, 1n)).to.changeTokenBalance(token, alice, -1n);
    });

    it("stops transfers again to an account removed from the allowlist", async function () {
      const { token, compliance, alice, bob } = await loadFixture(allowlistFixture);
      await token.connect(compliance).setAllowlisted(bob.address, false);
      await expect(token.connect(alice).transfer(bob.address, 1n))
        .to.be.revertedWithCustomError(token, "ZonCoinAccountNotAllowlisted")
        .withArgs(bob.address);
    });

    it("lets everyone receive again when the mode is switched off", async function () {
      const { token, admin, alice, carol } = await loadFixture(allowlistFixture);
      await expect(token.connect(admin).setAllowlistMode(false))
        .to.emit(token, "AllowlistModeSet")
        .withArgs(false);
      await expect(token.connect(alice).transfer(carol.address, 1n)).to.changeTokenBalance(token, carol, 1n);
    });

    it("rejects setting the mode it already has with ZonCoinAllowlistModeUnchanged", async function () {
      const { token, admin } = await loadFixture(zonCoinFixture);
      await expect(token.connect(admin).setAllowlistMode(false))
        .to.be.revertedWithCustomError(token, "ZonCoinAllowlistModeUnchanged")
        .withArgs(false);
    });

    it("rejects allowlisting an allowlisted account with ZonCoinAllowlistUnchanged", async function () {
      const { token, compliance, bob } = await loadFixture(allowlistFixture);
      await expect(token.connect(compliance).setAllowlisted(bob.address, true))
        .to.be.revertedWithCustomError(token, "ZonCoinAllowlistUnchanged")
        .withArgs(bob.address, true);
    });

    it("refuses the mode switch to an account without the admin role", async function () {
      const { token, compliance } = await loadFixture(zonCoinFixture);
      await expect(token.connect(compliance).setAllowlistMode(true))
        .to.be.revertedWithCustomError(token, "AccessControlUnauthorizedAccount")
        .withArgs(compliance.address, ROLES.DEFAULT_ADMIN);
    });

    it("refuses allowlist changes to an account without the compliance role", async function () {
      const { token, admin, carol } = await loadFixture(zonCoinFixture);
      await expect(token.connect(admin).setAllowlisted(carol.address, true))
        .to.be.revertedWithCustomError(token, "AccessControlUnauthorizedAccount")
        .withArgs(admin.address, ROLES.COMPLIANCE);
    });

    it("keeps the allowlist flag of an account whose balance changes", async function () {
      const { token, alice, bob } = await loadFixture(allowlistFixture);
      await token.connect(alice).transfer(bob.address, 5n);
      await token.connect(bob).burn(await token.balanceOf(bob.address));
      expect([await token.isAllowlisted(bob.address), await token.balanceOf(bob.address)]).to.deep.equal([
        true,
        0n,
      ]);
    });
  });

  describe("canReceive", function () {
    it("says an ordinary account can receive", async function () {
      const { token, carol } = await loadFixture(zonCoinFixture);
      expect(await token.canReceive(carol.address)).to.equal(true);
    });

    it("says a frozen account cannot receive", async function () {
      const { token, compliance, alice } = await loadFixture(zonCoinFixture);
      await token.connect(compliance).setFrozen(alice.address, true);
      expect(await token.canReceive(alice.address)).to.equal(false);
    });

    it("says, in allowlist mode, that only allowlisted accounts can receive", async function () {
      const { token, compliance, admin, alice, bob } = await loadFixture(zonCoinFixture);
      await token.connect(compliance).setAllowlisted(bob.address, true);
      await token.connect(admin).setAllowlistMode(true);
      expect([await token.canReceive(alice.address), await token.canReceive(bob.address)]).to.deep.equal([
        false,
        true,
      ]);
    });

    it("says the zero address cannot receive (nothing can be minted or sent to it)", async function () {
      const { token } = await loadFixture(zonCoinFixture);
      expect(await token.canReceive(ZeroAddress)).to.equal(false);
    });

    it("says a frozen allowlisted account cannot receive", async function () {
      const { token, compliance, bob } = await loadFixture(zonCoinFixture);
      await token.connect(compliance).setAllowlisted(bob.address, true);
      await token.connect(compliance).setFrozen(bob.address, true);
      expect(await token.canReceive(bob.address)).to.equal(false);
    });
  });
});

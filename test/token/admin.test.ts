import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ZeroAddress } from "ethers";
import { ethers } from "hardhat";
import { ROLES } from "../../src";
import { ADMIN_DELAY, zonCoinFixture } from "../helpers/fixtures";

describe("ZonCoin administration", function () {
  describe("two-step admin transfer with a delay", function () {
    async function transferStartedFixture() {
      const f = await zonCoinFixture();
      await f.token.connect(f.admin).beginDefaultAdminTransfer(f.outsider.address);
      const [, schedule] = await f.token.pendingDefaultAdmin();
      return { ...f, schedule };
    }

    it("starts with the deployer-chosen admin and delay", async function () {
      const { token, admin } = await loadFixture(zonCoinFixture);
      expect([await token.defaultAdmin(), await token.defaultAdminDelay()]).to.deep.equal([
        admin.address,
        ADMIN_DELAY,
      ]);
    });

    it("schedules the new admin one delay from now", async function () {
      const { token, outsider, schedule } = await loadFixture(transferStartedFixture);
      expect(await token.pendingDefaultAdmin()).to.deep.equal([
        outsider.address,
        BigInt(await time.latest()) + ADMIN_DELAY,
      ]);
      expect(schedule).to.be.greaterThan(0n);
    });

    it("refuses acceptance before the delay with AccessControlEnforcedDefaultAdminDelay", async function () {
      const { token, outsider, schedule } = await loadFixture(transferStartedFixture);
      await expect(token.connect(outsider).acceptDefaultAdminTransfer())
        .to.be.revertedWithCustomError(token, "AccessControlEnforcedDefaultAdminDelay")
        .withArgs(schedule);
    });

    it("hands the admin role over once the delay has passed", async function () {
      const { token, admin, outsider, schedule } = await loadFixture(transferStartedFixture);
      await time.increaseTo(schedule + 1n);
      await token.connect(outsider).acceptDefaultAdminTransfer();
      expect([
        await token.defaultAdmin(),
        await token.hasRole(ROLES.DEFAULT_ADMIN, admin.address),
      ]).to.deep.equal([outsider.address, false]);
    });

    it("refuses acceptance by anyone but the pending admin with AccessControlInvalidDefaultAdmin", async function () {
      const { token, carol, schedule } = await loadFixture(transferStartedFixture);
      await time.increaseTo(schedule + 1n);
      await expect(token.connect(carol).acceptDefaultAdminTransfer())
        .to.be.revertedWithCustomError(token, "AccessControlInvalidDefaultAdmin")
        .withArgs(carol.address);
    });

    it("refuses granting the admin role directly with AccessControlEnforcedDefaultAdminRules", async function () {
      const { token, admin, outsider } = await loadFixture(zonCoinFixture);
      await expect(
        token.connect(admin).grantRole(ROLES.DEFAULT_ADMIN, outsider.address),
      ).to.be.revertedWithCustomError(token, "AccessControlEnforcedDefaultAdminRules");
    });
  });

  describe("rescue of tokens sent by mistake", function () {
    async function strayTokensFixture() {
      const f = await zonCoinFixture();
      const other = await ethers.deployContract("BaselineToken", [f.admin.address]);
      const tokenAddress = await f.token.getAddress();
      await other.mint(tokenAddress, 50n);
      await f.token.connect(f.alice).transfer(tokenAddress, 20n);
      return { ...f, other, tokenAddress };
    }

    it("returns another ERC-20 to the chosen account", async function () {
      const { token, other, admin, carol } = await loadFixture(strayTokensFixture);
      await expect(
        token.connect(admin).rescueERC20(await other.getAddress(), carol.address, 50n),
      ).to.changeTokenBalance(other, carol, 50n);
    });

    it("emits TokensRescued", async function () {
      const { token, other, admin, carol } = await loadFixture(strayTokensFixture);
      const otherAddress = await other.getAddress();
      await expect(token.connect(admin).rescueERC20(otherAddress, carol.address, 50n))
        .to.emit(token, "TokensRescued")
        .withArgs(otherAddress, carol.address, 50n);
    });

    it("returns ZON sent to the token contract itself", async function () {
      const { token, admin, alice, tokenAddress } = await loadFixture(strayTokensFixture);
      await expect(token.connect(admin).rescueERC20(tokenAddress, alice.address, 20n)).to.changeTokenBalance(
        token,
        alice,
        20n,
      );
    });

    it("rejects rescuing more ZON than the contract holds with ERC20InsufficientBalance", async function () {
      const { token, admin, alice, tokenAddress } = await loadFixture(strayTokensFixture);
      await expect(token.connect(admin).rescueERC20(tokenAddress, alice.address, 21n))
        .to.be.revertedWithCustomError(token, "ERC20InsufficientBalance")
        .withArgs(tokenAddress, 20n, 21n);
    });

    it("rejects rescuing ZON to the zero address with ERC20InvalidReceiver", async function () {
      const { token, admin, tokenAddress } = await loadFixture(strayTokensFixture);
      await expect(token.connect(admin).rescueERC20(tokenAddress, ZeroAddress, 1n))
        .to.be.revertedWithCustomError(token, "ERC20InvalidReceiver")
        .withArgs(ZeroAddress);
    });

    it("refuses rescue to an account without the admin role", async function () {
      const { token, other, compliance, carol } = await loadFixture(strayTokensFixture);
      await expect(token.connect(compliance).rescueERC20(await other.getAddress(), carol.address, 1n))
        .to.be.revertedWithCustomError(token, "AccessControlUnauthorizedAccount")
        .withArgs(compliance.address, ROLES.DEFAULT_ADMIN);
    });
  });

  describe("burn", function () {
    it("burns the caller's tokens and lowers the supply", async function () {
      const { token, alice } = await loadFixture(zonCoinFixture);
      const supply = await token.totalSupply();
      await expect(token.connect(alice).burn(7n)).to.changeTokenBalance(token, alice, -7n);
      expect(await token.totalSupply()).to.equal(supply - 7n);
    });

    it("emits Transfer to the zero address", async function () {
      const { token, alice } = await loadFixture(zonCoinFixture);
      await expect(token.connect(alice).burn(7n))
        .to.emit(token, "Transfer")
        .withArgs(alice.address, ZeroAddress, 7n);
    });

    it("burns from an account within the caller's allowance", async function () {
      const { token, alice, carol } = await loadFixture(zonCoinFixture);
      await token.connect(alice).approve(carol.address, 10n);
      await token.connect(carol).burnFrom(alice.address, 7n);
      expect(await token.allowance(alice.address, carol.address)).to.equal(3n);
    });

    it("rejects burnFrom above the allowance with ERC20InsufficientAllowance", async function () {
      const { token, alice, carol } = await loadFixture(zonCoinFixture);
      await token.connect(alice).approve(carol.address, 5n);
      await expect(token.connect(carol).burnFrom(alice.address, 6n))
        .to.be.revertedWithCustomError(token, "ERC20InsufficientAllowance")
        .withArgs(carol.address, 5n, 6n);
    });

    it("rejects burning above the balance with ERC20InsufficientBalance", async function () {
      const { token, carol } = await loadFixture(zonCoinFixture);
      await expect(token.connect(carol).burn(1n))
        .to.be.revertedWithCustomError(token, "ERC20InsufficientBalance")
        .withArgs(carol.address, 0n, 1n);
    });
  });

  describe("introspection", function () {
    it("supports the IZonCoin, IAccessControl and ERC-165 interfaces", async function () {
      const { token } = await loadFixture(zonCoinFixture);
      const iface = (await ethers.getContractAt("IZonCoin", ZeroAddress)).interface;
      let izon = 0n;
      iface.forEachFunction((f) => (izon ^= BigInt(f.selector)));
      const ids = ["0x" + izon.toString(16).padStart(8, "0"), "0x7965db0b", "0x01ffc9a7"];
      expect(await Promise.all(ids.map((i) => token.supportsInterface(i)))).to.deep.equal([true, true, true]);
    });

    it("does not claim an unknown interface", async function () {
      const { token } = await loadFixture(zonCoinFixture);
      expect(await token.supportsInterface("0xdeadbeef")).to.equal(false);
    });
  });
});

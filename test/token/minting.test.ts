import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ZeroAddress } from "ethers";
import { ethers } from "hardhat";
import { ROLES } from "../../src";
import { ADMIN_DELAY, MINTER_ALLOWANCE, ONE_ZON, zonCoinFixture } from "../helpers/fixtures";

const MINTED_IN_FIXTURE = 2_000n * ONE_ZON;
const UINT128_MAX = 2n ** 128n - 1n;
const UINT248_MAX = 2n ** 248n - 1n;

describe("ZonCoin minters", function () {
  describe("configuration", function () {
    it("lets the minter admin make an account a minter with an allowance", async function () {
      const { token, minterAdmin, carol } = await loadFixture(zonCoinFixture);
      await token.connect(minterAdmin).configureMinter(carol.address, 50n);
      expect([await token.isMinter(carol.address), await token.minterAllowance(carol.address)]).to.deep.equal(
        [true, 50n],
      );
    });

    it("emits MinterConfigured with the previous and the new allowance", async function () {
      const { token, minterAdmin, carol } = await loadFixture(zonCoinFixture);
      await expect(token.connect(minterAdmin).configureMinter(carol.address, 7n))
        .to.emit(token, "MinterConfigured")
        .withArgs(carol.address, 0n, 7n);
    });

    it("caps an allowance above 2^248 - 1 at 2^248 - 1", async function () {
      const { token, minterAdmin, carol } = await loadFixture(zonCoinFixture);
      await token.connect(minterAdmin).configureMinter(carol.address, ethers.MaxUint256);
      expect(await token.minterAllowance(carol.address)).to.equal(UINT248_MAX);
    });

    it("rejects the zero address as a minter with ZonCoinInvalidMinter", async function () {
      const { token, minterAdmin } = await loadFixture(zonCoinFixture);
      await expect(token.connect(minterAdmin).configureMinter(ZeroAddress, 1n))
        .to.be.revertedWithCustomError(token, "ZonCoinInvalidMinter")
        .withArgs(ZeroAddress);
    });

    it("refuses minter configuration to an account without the minter admin role", async function () {
      const { token, admin, carol } = await loadFixture(zonCoinFixture);
      await expect(token.connect(admin).configureMinter(carol.address, 1n))
        .to.be.revertedWithCustomError(token, "AccessControlUnauthorizedAccount")
        .withArgs(admin.address, ROLES.MINTER_ADMIN);
    });

    it("removes a minter and zeroes its allowance", async function () {
      const { token, minterAdmin, minter } = await loadFixture(zonCoinFixture);
      await token.connect(minterAdmin).removeMinter(minter.address);
      expect([
        await token.isMinter(minter.address),
        await token.minterAllowance(minter.address),
      ]).to.deep.equal([false, 0n]);
    });

    it("emits MinterRemoved with the forfeited allowance", async function () {
      const { token, minterAdmin, minter } = await loadFixture(zonCoinFixture);
      await expect(token.connect(minterAdmin).removeMinter(minter.address))
        .to.emit(token, "MinterRemoved")
        .withArgs(minter.address, MINTER_ALLOWANCE - MINTED_IN_FIXTURE);
    });

    it("rejects removing an account that is not a minter with ZonCoinNotMinter", async function () {
      const { token, minterAdmin, carol } = await loadFixture(zonCoinFixture);
      await expect(token.connect(minterAdmin).removeMinter(carol.address))
        .to.be.revertedWithCustomError(token, "ZonCoinNotMinter")
        .withArgs(carol.address);
    });

    it("refuses minter removal to an account without the minter admin role", async function () {
      const { token, minter } = await loadFixture(zonCoinFixture);
      await expect(token.connect(minter).removeMinter(minter.address))
        .to.be.revertedWithCustomError(token, "AccessControlUnauthorizedAccount")
        .withArgs(minter.address, ROLES.MINTER_ADMIN);
    });
  });

  describe("mint", function () {
    it("credits the recipient and raises the supply", async function () {
      const { token, minter, carol } = await loadFixture(zonCoinFixture);
      await token.connect(minter).mint(carol.address, 10n);
      expect([await token.balanceOf(carol.address), await token.totalSupply()]).to.deep.equal([
        10n,
        MINTED_IN_FIXTURE + 10n,
      ]);
    });

    it("emits Transfer from the zero address and MinterAllowanceSpent", async function () {
      const { token, minter, carol } = await loadFixture(zonCoinFixture);
      const tx = token.connect(minter).mint(carol.address, 10n);
      await expect(tx).to.emit(token, "Transfer").withArgs(ZeroAddress, carol.address, 10n);
      await expect(tx)
        .to.emit(token, "MinterAllowanceSpent")
        .withArgs(minter.address, 10n, MINTER_ALLOWANCE - MINTED_IN_FIXTURE - 10n);
    });

    it("decrements the minter's allowance", async function () {
      const { token, minter, carol } = await loadFixture(zonCoinFixture);
      await token.connect(minter).mint(carol.address, 10n);
      expect(await token.minterAllowance(minter.address)).to.equal(
        MINTER_ALLOWANCE - MINTED_IN_FIXTURE - 10n,
      );
    });

    it("mints exactly the remaining allowance", async function () {
      const { token, minter, carol } = await loadFixture(zonCoinFixture);
      await token.connect(minter).mint(carol.address, MINTER_ALLOWANCE - MINTED_IN_FIXTURE);
      expect(await token.minterAllowance(minter.address)).to.equal(0n);
    });

    it("rejects minting above the allowance with ZonCoinMinterAllowanceExceeded", async function () {
      const { token, minter, carol } = await loadFixture(zonCoinFixture);
      const left = MINTER_ALLOWANCE - MINTED_IN_FIXTURE;
      await expect(token.connect(minter).mint(carol.address, left + 1n))
        .to.be.revertedWithCustomError(token, "ZonCoinMinterAllowanceExceeded")
        .withArgs(minter.address, left, left + 1n);
    });

    it("rejects minting by a non-minter with ZonCoinNotMinter", async function () {
      const { token, admin, carol } = await loadFixture(zonCoinFixture);
      await expect(token.connect(admin).mint(carol.address, 1n))
        .to.be.revertedWithCustomError(token, "ZonCoinNotMinter")
        .withArgs(admin.address);
    });

    it("rejects minting by a removed minter with ZonCoinNotMinter", async function () {
      const { token, minterAdmin, minter, carol } = await loadFixture(zonCoinFixture);
      await token.connect(minterAdmin).removeMinter(minter.address);
      await expect(token.connect(minter).mint(carol.address, 1n))
        .to.be.revertedWithCustomError(token, "ZonCoinNotMinter")
        .withArgs(minter.address);
    });

    it("rejects minting to the zero address with ERC20InvalidReceiver", async function () {
      const { token, minter } = await loadFixture(zonCoinFixture);
      await expect(token.connect(minter).mint(ZeroAddress, 1n))
        .to.be.revertedWithCustomError(token, "ERC20InvalidReceiver")
        .withArgs(ZeroAddress);
    });
  });

  describe("mintBatch", function () {
    it("credits every recipient", async function () {
      const { token, minter, alice, carol } = await loadFixture(zonCoinFixture);
      await expect(
        token.connect(minter).mintBatch([alice.address, carol.address], [3n, 4n]),
      ).to.changeTokenBalances(token, [alice, carol], [3n, 4n]);
    });

    it("emits one Transfer per recipient", async function () {
      const { token, minter, alice, carol } = await loadFixture(zonCoinFixture);
      const tx = token.connect(minter).mintBatch([alice.address, carol.address], [3n, 4n]);
      await expect(tx).to.emit(token, "Transfer").withArgs(ZeroAddress, alice.address, 3n);
      await expect(tx).to.emit(token, "Transfer").withArgs(ZeroAddress, carol.address, 4n);
    });

    it("spends the allowance once for the total", async function () {
      const { token, minter, alice, carol } = await loadFixture(zonCoinFixture);
      await expect(token.connect(minter).mintBatch([alice.address, carol.address], [3n, 4n]))
        .to.emit(token, "MinterAllowanceSpent")
        .withArgs(minter.address, 7n, MINTER_ALLOWANCE - MINTED_IN_FIXTURE - 7n);
    });

    it("raises the supply by the total", async function () {
      const { token, minter, alice, carol } = await loadFixture(zonCoinFixture);
      await token.connect(minter).mintBatch([alice.address, carol.address, alice.address], [3n, 4n, 5n]);
      expect(await token.totalSupply()).to.equal(MINTED_IN_FIXTURE + 12n);
    });

    it("rejects arrays of different lengths with ZonCoinLengthMismatch", async function () {
      const { token, minter, alice } = await loadFixture(zonCoinFixture);
      await expect(token.connect(minter).mintBatch([alice.address], [1n, 2n]))
        .to.be.revertedWithCustomError(token, "ZonCoinLengthMismatch")
        .withArgs(1n, 2n);
    });

    it("rejects a zero-address recipient with ERC20InvalidReceiver", async function () {
      const { token, minter, alice } = await loadFixture(zonCoinFixture);
      await expect(token.connect(minter).mintBatch([alice.address, ZeroAddress], [1n, 2n]))
        .to.be.revertedWithCustomError(token, "ERC20InvalidReceiver")
        .withArgs(ZeroAddress);
    });

    it("rejects a total above the allowance and credits nobody", async function () {
      const { token, minter, carol } = await loadFixture(zonCoinFixture);
      const left = MINTER_ALLOWANCE - MINTED_IN_FIXTURE;
      await expect(token.connect(minter).mintBatch([carol.address, carol.address], [left, 1n]))
        .to.be.revertedWithCustomError(token, "ZonCoinMinterAllowanceExceeded")
        .withArgs(minter.address, left, left + 1n);
      expect(await token.balanceOf(carol.address)).to.equal(0n);
    });

    it("rejects a single amount above 2^128 - 1 with ZonCoinMaxSupplyExceeded", async function () {
      const { token, minter, carol } = await loadFixture(zonCoinFixture);
      await expect(token.connect(minter).mintBatch([carol.address], [UINT128_MAX + 1n]))
        .to.be.revertedWithCustomError(token, "ZonCoinMaxSupplyExceeded")
        .withArgs(UINT128_MAX + 1n, UINT128_MAX);
    });

    it("rejects a batch by a non-minter with ZonCoinNotMinter", async function () {
      const { token, alice, carol } = await loadFixture(zonCoinFixture);
      await expect(token.connect(alice).mintBatch([carol.address], [1n]))
        .to.be.revertedWithCustomError(token, "ZonCoinNotMinter")
        .withArgs(alice.address);
    });
  });

  describe("allowance changes (hardening)", function () {
    const REMAINING = MINTER_ALLOWANCE - MINTED_IN_FIXTURE;

    it("refuses to overwrite an existing minter's allowance with ZonCoinMinterAlreadyConfigured", async function () {
      const { token, minterAdmin, minter } = await loadFixture(zonCoinFixture);
      await expect(token.connect(minterAdmin).configureMinter(minter.address, 7n))
        .to.be.revertedWithCustomError(token, "ZonCoinMinterAlreadyConfigured")
        .withArgs(minter.address, REMAINING);
    });

    it("caps what a leaked minter key front-running a lowered allowance can mint at the old allowance", async function () {
      // The attack: the admin lowers the allowance to 10 ZON; the leaked key sees it coming, mints all it
      // has first, and with an overwrite could then mint 10 ZON more. A decrease never adds anything.
      const { token, minterAdmin, minter, carol } = await loadFixture(zonCoinFixture);
      await token.connect(minter).mint(carol.address, REMAINING); // front-run
      await token.connect(minterAdmin).decreaseMinterAllowance(minter.address, REMAINING - 10n * ONE_ZON);
      await expect(token.connect(minter).mint(carol.address, 1n))
        .to.be.revertedWithCustomError(token, "ZonCoinMinterAllowanceExceeded")
        .withArgs(minter.address, 0n, 1n);
      expect(await token.balanceOf(carol.address)).to.equal(REMAINING);
    });

    it("lowers an allowance by the amount given, emitting MinterConfigured", async function () {
      const { token, minterAdmin, minter } = await loadFixture(zonCoinFixture);
      await expect(token.connect(minterAdmin).decreaseMinterAllowance(minter.address, ONE_ZON))
        .to.emit(token, "MinterConfigured")
        .withArgs(minter.address, REMAINING, REMAINING - ONE_ZON);
    });

    it("raises an allowance by the amount given", async function () {
      const { token, minterAdmin, minter } = await loadFixture(zonCoinFixture);
      await token.connect(minterAdmin).increaseMinterAllowance(minter.address, ONE_ZON);
      expect(await token.minterAllowance(minter.address)).to.equal(REMAINING + ONE_ZON);
    });

    it("caps a raised allowance at 2^248 - 1", async function () {
      const { token, minterAdmin, minter } = await loadFixture(zonCoinFixture);
      await token.connect(minterAdmin).increaseMinterAllowance(minter.address, UINT248_MAX);
      expect(await token.minterAllowance(minter.address)).to.equal(UINT248_MAX);
    });

    it("refuses to change the allowance of an account that is no minter with ZonCoinNotMinter", async function () {
      const { token, minterAdmin, carol } = await loadFixture(zonCoinFixture);
      await expect(token.connect(minterAdmin).increaseMinterAllowance(carol.address, 1n))
        .to.be.revertedWithCustomError(token, "ZonCoinNotMinter")
        .withArgs(carol.address);
      await expect(token.connect(minterAdmin).decreaseMinterAllowance(carol.address, 1n))
        .to.be.revertedWithCustomError(token, "ZonCoinNotMinter")
        .withArgs(carol.address);
    });

    it("refuses allowance changes to an account without the minter admin role", async function () {
      const { token, admin, minter } = await loadFixture(zonCoinFixture);
      await expect(token.connect(admin).increaseMinterAllowance(minter.address, 1n))
        .to.be.revertedWithCustomError(token, "AccessControlUnauthorizedAccount")
        .withArgs(admin.address, ROLES.MINTER_ADMIN);
      await expect(token.connect(admin).decreaseMinterAllowance(minter.address, 1n))
        .to.be.revertedWithCustomError(token, "AccessControlUnauthorizedAccount")
        .withArgs(admin.address, ROLES.MINTER_ADMIN);
    });
  });

  describe("maximum supply", function () {
    async function cappedFixture() {
      const [admin, , , , minter, alice] = await ethers.getSigners();
      const token = await ethers.deployContract("ZonCoin", [admin.address, ADMIN_DELAY, 1_000n]);
      await token.grantRole(ROLES.MINTER_ADMIN, admin.address);
      await token.configureMinter(minter.address, ethers.MaxUint256);
      return { token, minter, alice };
    }

    it("reports the maximum supply fixed at deployment", async function () {
      const { token } = await loadFixture(cappedFixture);
      expect(await token.maxSupply()).to.equal(1_000n);
    });

    it("reports zero as the maximum supply of an uncapped token", async function () {
      const { token } = await loadFixture(zonCoinFixture);
      expect(await token.maxSupply()).to.equal(0n);
    });

    it("mints up to the cap", async function () {
      const { token, minter, alice } = await loadFixture(cappedFixture);
      await token.connect(minter).mint(alice.address, 1_000n);
      expect(await token.totalSupply()).to.equal(1_000n);
    });

    it("rejects a mint above the cap with ZonCoinMaxSupplyExceeded", async function () {
      const { token, minter, alice } = await loadFixture(cappedFixture);
      await token.connect(minter).mint(alice.address, 600n);
      await expect(token.connect(minter).mint(alice.address, 401n))
        .to.be.revertedWithCustomError(token, "ZonCoinMaxSupplyExceeded")
        .withArgs(1_001n, 1_000n);
    });

    it("rejects a batch whose total passes the cap with ZonCoinMaxSupplyExceeded", async function () {
      const { token, minter, alice } = await loadFixture(cappedFixture);
      await expect(token.connect(minter).mintBatch([alice.address, alice.address], [500n, 501n]))
        .to.be.revertedWithCustomError(token, "ZonCoinMaxSupplyExceeded")
        .withArgs(1_001n, 1_000n);
    });

    it("lets minting resume up to the cap after a burn", async function () {
      const { token, minter, alice } = await loadFixture(cappedFixture);
      await token.connect(minter).mint(alice.address, 1_000n);
      await token.connect(alice).burn(10n);
      await token.connect(minter).mint(alice.address, 10n);
      expect(await token.totalSupply()).to.equal(1_000n);
    });

    it("bounds an uncapped supply at 2^128 - 1", async function () {
      const { token, minterAdmin, minter, carol } = await loadFixture(zonCoinFixture);
      await token.connect(minterAdmin).increaseMinterAllowance(minter.address, ethers.MaxUint256);
      await expect(token.connect(minter).mint(carol.address, UINT128_MAX))
        .to.be.revertedWithCustomError(token, "ZonCoinMaxSupplyExceeded")
        .withArgs(UINT128_MAX + MINTED_IN_FIXTURE, UINT128_MAX);
    });

    it("refuses a deployment with a cap above 2^128 - 1 with ZonCoinInvalidMaxSupply", async function () {
      const [admin] = await ethers.getSigners();
      const factory = await ethers.getContractFactory("ZonCoin");
      await expect(factory.deploy(admin.address, ADMIN_DELAY, UINT128_MAX + 1n))
        .to.be.revertedWithCustomError(factory, "ZonCoinInvalidMaxSupply")
        .withArgs(UINT128_MAX + 1n);
    });
  });
});

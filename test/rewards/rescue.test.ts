import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ROLES } from "../../src";
import { rewardsFixture } from "./fixture";

describe("RewardDistributor rescue of tokens sent by mistake", function () {
  /** 3 ZON-wei sent straight to the distributor, which mints and never holds ZON. */
  async function mistakeFixture() {
    const f = await rewardsFixture();
    await f.token.configureMinter(f.admin.address, 3n);
    await f.token.mint(await f.distributor.getAddress(), 3n);
    return f;
  }

  it("lets the admin send them back, emitting TokensRescued", async function () {
    const { distributor, token, admin, alice } = await loadFixture(mistakeFixture);
    const tokenAddress = await token.getAddress();
    const tx = distributor.connect(admin).rescueERC20(tokenAddress, alice.address, 3n);
    await expect(tx).to.emit(distributor, "TokensRescued").withArgs(tokenAddress, alice.address, 3n);
    await expect(tx).to.changeTokenBalances(token, [distributor, alice], [-3n, 3n]);
  });

  it("refuses more than the distributor holds with RescueExceedsSurplus", async function () {
    const { distributor, token, admin, alice } = await loadFixture(mistakeFixture);
    const tokenAddress = await token.getAddress();
    await expect(distributor.connect(admin).rescueERC20(tokenAddress, alice.address, 4n))
      .to.be.revertedWithCustomError(distributor, "RescueExceedsSurplus")
      .withArgs(tokenAddress, 3n, 4n);
  });

  it("refuses a rescue to an account without the admin role", async function () {
    const { distributor, token, outsider } = await loadFixture(mistakeFixture);
    await expect(distributor.connect(outsider).rescueERC20(await token.getAddress(), outsider.address, 1n))
      .to.be.revertedWithCustomError(distributor, "AccessControlUnauthorizedAccount")
      .withArgs(outsider.address, ROLES.DEFAULT_ADMIN);
  });
});

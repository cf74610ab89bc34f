import { ethers } from "hardhat";
import { ADMIN_DELAY, ONE_ZON } from "../helpers/fixtures";
import { ROLES } from "../../src";
import { asERC20, shouldBehaveLikeERC20 } from "../shared/erc20.behaviour";

const INITIAL = 1_000n * ONE_ZON;

describe("BaselineToken (OpenZeppelin ERC20, the reference)", function () {
  shouldBehaveLikeERC20(async () => {
    const [owner, holder, recipient, spender] = await ethers.getSigners();
    const baseline = await ethers.deployContract("BaselineToken", [owner.address]);
    await baseline.mint(holder.address, INITIAL);
    return {
      token: await asERC20(await baseline.getAddress()),
      holder,
      recipient,
      spender,
      initialBalance: INITIAL,
    };
  });
});

describe("ZonCoin", function () {
  shouldBehaveLikeERC20(async () => {
    const [admin, holder, recipient, spender] = await ethers.getSigners();
    const zon = await ethers.deployContract("ZonCoin", [admin.address, ADMIN_DELAY, 0n]);
    await zon.grantRole(ROLES.MINTER_ADMIN, admin.address);
    await zon.configureMinter(admin.address, INITIAL);
    await zon.mint(holder.address, INITIAL);
    return {
      token: await asERC20(await zon.getAddress()),
      holder,
      recipient,
      spender,
      initialBalance: INITIAL,
    };
  });
});

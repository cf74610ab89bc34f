import { ethers } from "hardhat";
import { ROLES } from "../../src";

/** Default admin transfer delay used by the tests: three days. */
export const ADMIN_DELAY = 3n * 24n * 60n * 60n;
export const ONE_ZON = 10n ** 18n;
export const MINTER_ALLOWANCE = 1_000_000n * ONE_ZON;

/**
 * ZonCoin with every role held by a separate account, one minter with an allowance, and three
 * businesses (alice, bob, carol) of which alice and bob hold 1,000 ZON.
 */
export async function zonCoinFixture() {
  const [admin, minterAdmin, pauser, compliance, minter, alice, bob, carol, outsider] =
    await ethers.getSigners();
  const token = await ethers.deployContract("ZonCoin", [admin.address, ADMIN_DELAY, 0n]);
  await token.connect(admin).grantRole(ROLES.MINTER_ADMIN, minterAdmin.address);
  await token.connect(admin).grantRole(ROLES.PAUSER, pauser.address);
  await token.connect(admin).grantRole(ROLES.COMPLIANCE, compliance.address);
  await token.connect(minterAdmin).configureMinter(minter.address, MINTER_ALLOWANCE);
  await token.connect(minter).mint(alice.address, 1_000n * ONE_ZON);
  await token.connect(minter).mint(bob.address, 1_000n * ONE_ZON);
  return { token, admin, minterAdmin, pauser, compliance, minter, alice, bob, carol, outsider };
}

/** A second token (another ZonCoin, admin `admin`) with `amount` of it minted to `holder`: "sent by mistake". */
export async function strayTokens(admin: { address: string }, holder: string, amount: bigint) {
  const other = await ethers.deployContract("ZonCoin", [admin.address, 0n, 0n]);
  await other.grantRole(ROLES.MINTER_ADMIN, admin.address);
  await other.configureMinter(admin.address, amount);
  await other.mint(holder, amount);
  return other;
}

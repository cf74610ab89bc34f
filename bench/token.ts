import { encodeBytes32String } from "ethers";
import { ethers } from "hardhat";
import { signPermit, submitPermit } from "../src";
import { ROLES } from "../src";
import { measure, type BenchResults } from "./lib";

const UNIT = 10n ** 18n;
const FAR_FUTURE = 2n ** 40n;

/**
 * ZonCoin against a plain OpenZeppelin ERC-20 + permit, same operations, same run:
 * transfer to an existing holder, transfer to a new holder, mint to an existing holder, permit.
 * Every compliance rule is live on ZonCoin (pause flag, freeze flags, allowlist mode flag are read).
 */
export async function benchToken(results: BenchResults): Promise<void> {
  const [deployer, holder, existing, spender, officer, ...fresh] = await ethers.getSigners();
  const baseline = await ethers.deployContract("BaselineToken", [deployer.address]);
  const token = await ethers.deployContract("ZonCoin", [deployer.address, 0n, 0n]);
  await (await token.grantRole(ROLES.MINTER_ADMIN, deployer.address)).wait();
  await (await token.configureMinter(deployer.address, 10n ** 30n)).wait();

  const tokens = { baseline, token } as const;
  for (const [label, t] of Object.entries(tokens)) {
    await (await t.mint(holder.address, 1_000n * UNIT)).wait();
    await (await t.mint(existing.address, 1_000n * UNIT)).wait();
    await measure(results, `${label}.transfer`, t.connect(holder).transfer(existing.address, UNIT));
    await measure(results, `${label}.transferToNew`, t.connect(holder).transfer(fresh[0].address, UNIT));
    await measure(results, `${label}.mint`, t.mint(existing.address, UNIT));
    const permit = await signPermit(t, holder, spender.address, UNIT, FAR_FUTURE);
    await measure(results, `${label}.permit`, submitPermit(t, permit));
  }

  // The two rare powers, on holders that already hold ZON (no delay: one transaction each).
  await (await token.grantRole(ROLES.RECOVERY, officer.address)).wait();
  await (await token.grantRole(ROLES.FORCED_TRANSFER, officer.address)).wait();
  const caseId = encodeBytes32String("BENCH-1");
  await measure(
    results,
    "token.forceTransfer",
    token.connect(officer).forceTransfer(holder.address, existing.address, UNIT, caseId),
  );
  await measure(
    results,
    "token.recoverWallet",
    token.connect(officer).recoverWallet(holder.address, existing.address, caseId),
  );
}

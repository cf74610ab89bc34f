import { time } from "@nomicfoundation/hardhat-network-helpers";
import { formatUnits, parseUnits } from "ethers";
import { ethers, network } from "hardhat";
import { ROLES, signPermit } from "../src";

const zon = (value: bigint) => `${formatUnits(value, 18)} ZON`;
let step = 0;
const say = (text: string) => console.log(`\n${++step}. ${text}`);
const detail = (text: string) => console.log(`   ${text}`);

/** Expects `action` to revert; prints the custom error it reverted with. */
async function refused(action: () => Promise<unknown>): Promise<string> {
  try {
    await action();
  } catch (error) {
    const data = (error as { data?: string }).data;
    const decoded = data ? (await ethers.getContractFactory("ZonCoin")).interface.parseError(data) : null;
    return decoded ? `${decoded.name}(${decoded.args.join(", ")})` : String((error as Error).message);
  }
  throw new Error("expected the transaction to be refused, but it went through");
}

async function main(): Promise<void> {
  const [governance, minterAdmin, pauser, compliance, rewards, acme, globex] = await ethers.getSigners();
  console.log(
    `ZonCoin demo on the '${network.name}' network (chain id ${(await ethers.provider.getNetwork()).chainId})`,
  );

  say("Governance deploys ZonCoin: admin transfer delay 2 days, maximum supply 1,000,000,000 ZON.");
  const token = await ethers.deployContract("ZonCoin", [
    governance.address,
    2 * 24 * 3600,
    parseUnits("1000000000", 18),
  ]);
  await token.waitForDeployment();
  detail(`ZonCoin at ${await token.getAddress()}`);

  say("Governance hands out the operational roles.");
  for (const [role, who, label] of [
    [ROLES.MINTER_ADMIN, minterAdmin, "minter admin"],
    [ROLES.PAUSER, pauser, "pauser"],
    [ROLES.COMPLIANCE, compliance, "compliance officer"],
  ] as const) {
    await (await token.connect(governance).grantRole(role, who.address)).wait();
    detail(`${label}: ${who.address}`);
  }

  say("The minter admin allows the rewards minter to mint at most 10,000 ZON.");
  await (await token.connect(minterAdmin).configureMinter(rewards.address, parseUnits("10000", 18))).wait();
  detail(`minter allowance: ${zon(await token.minterAllowance(rewards.address))}`);

  say("The rewards minter mints cashback: 1,200 ZON to Acme and 300 ZON to Globex, in one batch.");
  await (
    await token
      .connect(rewards)
      .mintBatch([acme.address, globex.address], [parseUnits("1200", 18), parseUnits("300", 18)])
  ).wait();
  detail(
    `Acme ${zon(await token.balanceOf(acme.address))}, Globex ${zon(await token.balanceOf(globex.address))}`,
  );
  detail(
    `allowance left: ${zon(await token.minterAllowance(rewards.address))}; supply ${zon(await token.totalSupply())}`,
  );
  detail(
    `minting beyond the allowance is refused: ${await refused(() => token.connect(rewards).mint(acme.address, parseUnits("9000", 18)))}`,
  );

  say("Acme signs an ERC-2612 permit off chain; Globex submits it and pulls 200 ZON (Acme pays no gas).");
  const deadline = BigInt(await time.latest()) + 3600n;
  const permit = await signPermit(token, acme, globex.address, parseUnits("200", 18), deadline);
  await (
    await token
      .connect(globex)
      .permit(permit.owner, permit.spender, permit.value, permit.deadline, permit.v, permit.r, permit.s)
  ).wait();
  await (
    await token.connect(globex).transferFrom(acme.address, globex.address, parseUnits("200", 18))
  ).wait();
  detail(
    `Acme ${zon(await token.balanceOf(acme.address))}, Globex ${zon(await token.balanceOf(globex.address))}`,
  );

  say("Acme transfers 100 ZON to Globex.");
  await (await token.connect(acme).transfer(globex.address, parseUnits("100", 18))).wait();
  detail(
    `Acme ${zon(await token.balanceOf(acme.address))}, Globex ${zon(await token.balanceOf(globex.address))}`,
  );

  say("Compliance freezes Globex: it can neither send nor receive.");
  await (await token.connect(compliance).setFrozen(globex.address, true)).wait();
  detail(`Globex sends 1 ZON: ${await refused(() => token.connect(globex).transfer(acme.address, 1n))}`);
  detail(
    `Acme sends 1 ZON to Globex: ${await refused(() => token.connect(acme).transfer(globex.address, 1n))}`,
  );
  await (await token.connect(compliance).setFrozen(globex.address, false)).wait();
  detail("Compliance unfreezes Globex.");

  say("The pauser pauses the token: transfers, mints and burns stop; then it resumes.");
  await (await token.connect(pauser).pause()).wait();
  detail(
    `Acme sends 1 ZON while paused: ${await refused(() => token.connect(acme).transfer(globex.address, 1n))}`,
  );
  await (await token.connect(pauser).unpause()).wait();
  await (await token.connect(acme).transfer(globex.address, parseUnits("1", 18))).wait();
  detail("Unpaused: Acme sends 1 ZON to Globex again.");

  const balances = [acme, globex].map(async (s) => token.balanceOf(s.address));
  const [acmeBalance, globexBalance] = await Promise.all(balances);
  const supply = await token.totalSupply();
  console.log("\nFinal state");
  console.table([
    { account: "Acme", balance: zon(acmeBalance) },
    { account: "Globex", balance: zon(globexBalance) },
    { account: "total supply", balance: zon(supply) },
  ]);
  if (acmeBalance + globexBalance !== supply)
    throw new Error("invariant broken: total supply != sum of balances");
  console.log("Invariant holds: total supply equals the sum of balances.");
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

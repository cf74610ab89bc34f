import { formatZon } from "../src/amounts";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { parseAddress, parseZon } from "../src";
import { signerFor, suiteAddress, zonTask, ROLE } from "./context";

/*
 * The token and the suite's operations: pause and unpause each contract, freeze and unfreeze, the holder
 * allowlist, minters, and a business's balance, transfer and approve. Each role is checked on chain
 * before anything is sent.
 */

const FROM = "account to send from: index, address, or name (default: the account the role is given to)";
const TOKEN = "ZonCoin address (default: deployments/<network>.json)";

/** The token: `--token`, or the network's deployment record. */
export async function tokenAt(hre: HardhatRuntimeEnvironment, address?: string) {
  return hre.ethers.getContractAt("ZonCoin", await suiteAddress(hre, "ZonCoin", "token", address));
}

const PAUSABLE = {
  token: "ZonCoin",
  distributor: "RewardDistributor",
  gateway: "RedemptionGateway",
  escrow: "B2BEscrow",
} as const;

for (const [name, paused] of [
  ["zon:pause", true],
  ["zon:unpause", false],
] as const) {
  zonTask(name, `${paused ? "Pauses" : "Unpauses"} one of the suite's contracts (the pauser)`)
    .addParam("contract", `one of ${Object.keys(PAUSABLE).join(", ")}`)
    .addOptionalParam("address", "the contract's address (default: deployments/<network>.json)")
    .addOptionalParam("from", FROM)
    .setAction(async (args: { contract: string; address?: string; from?: string }, hre) => {
      const kind = PAUSABLE[args.contract as keyof typeof PAUSABLE];
      if (!kind)
        throw new Error(
          `contract: ${JSON.stringify(args.contract)} is not one of ${Object.keys(PAUSABLE).join(", ")}`,
        );
      const address = await suiteAddress(hre, kind, "address", args.address);
      const contract = await hre.ethers.getContractAt("ZonCoin", address); // pause, unpause, paused, hasRole
      const pauser = await signerFor(hre, args.from, { ...ROLE.pauser, contract });
      if ((await contract.paused()) === paused)
        throw new Error(`contract: the ${args.contract} is already ${paused ? "paused" : "running"}`);
      const receipt = await (
        await (paused ? contract.connect(pauser).pause() : contract.connect(pauser).unpause())
      ).wait();
      console.log(`${args.contract} ${paused ? "paused" : "unpaused"} in ${receipt?.hash}`);
    });
}

for (const [name, frozen] of [
  ["zon:freeze", true],
  ["zon:unfreeze", false],
] as const) {
  zonTask(name, `${frozen ? "Freezes" : "Unfreezes"} an account (compliance)`)
    .addParam("account", "the account")
    .addOptionalParam("token", TOKEN)
    .addOptionalParam("from", FROM)
    .setAction(async (args: { account: string; token?: string; from?: string }, hre) => {
      const token = await tokenAt(hre, args.token);
      const account = parseAddress("account", args.account);
      const officer = await signerFor(hre, args.from, { ...ROLE.compliance, contract: token });
      const receipt = await (await token.connect(officer).setFrozen(account, frozen)).wait();
      console.log(`${account} ${frozen ? "frozen" : "unfrozen"} in ${receipt?.hash}`);
    });
}

zonTask("zon:allowlist", "Adds an account to the holder allowlist, or removes it (compliance)")
  .addParam("account", "the account")
  .addFlag("remove", "remove it instead")
  .addOptionalParam("token", TOKEN)
  .addOptionalParam("from", FROM)
  .setAction(async (args: { account: string; remove: boolean; token?: string; from?: string }, hre) => {
    const token = await tokenAt(hre, args.token);
    const account = parseAddress("account", args.account);
    const officer = await signerFor(hre, args.from, { ...ROLE.compliance, contract: token });
    const receipt = await (await token.connect(officer).setAllowlisted(account, !args.remove)).wait();
    console.log(
      `${account} ${args.remove ? "removed from" : "added to"} the holder allowlist in ${receipt?.hash}`,
    );
  });

zonTask(
  "zon:minter",
  "Configures a minter (the minter admin): make one, raise or lower its allowance, or remove it",
)
  .addParam("minter", "the minter account or contract")
  .addOptionalParam("allowance", "make it a minter with this allowance, in ZON")
  .addOptionalParam("increase", "raise its allowance by this much ZON")
  .addOptionalParam("decrease", "lower its allowance by this much ZON (down to zero)")
  .addFlag("remove", "remove the minter")
  .addOptionalParam("token", TOKEN)
  .addOptionalParam("from", FROM)
  .setAction(
    async (
      args: {
        minter: string;
        allowance?: string;
        increase?: string;
        decrease?: string;
        remove: boolean;
        token?: string;
        from?: string;
      },
      hre,
    ) => {
      const chosen =
        [args.allowance, args.increase, args.decrease].filter((v) => v !== undefined).length +
        (args.remove ? 1 : 0);
      if (chosen !== 1)
        throw new Error("minter: give exactly one of --allowance, --increase, --decrease, --remove");
      const token = await tokenAt(hre, args.token);
      const minter = parseAddress("minter", args.minter);
      const admin = await signerFor(hre, args.from, { ...ROLE.minterAdmin, contract: token });
      const asAdmin = token.connect(admin);
      const tx = args.remove
        ? await asAdmin.removeMinter(minter)
        : args.allowance !== undefined
          ? await asAdmin.configureMinter(minter, parseZon("allowance", args.allowance))
          : args.increase !== undefined
            ? await asAdmin.increaseMinterAllowance(minter, parseZon("increase", args.increase))
            : await asAdmin.decreaseMinterAllowance(minter, parseZon("decrease", args.decrease!));
      const receipt = await tx.wait();
      console.log(
        `minter ${minter}: ${(await token.isMinter(minter)) ? `may mint ${formatZon(await token.minterAllowance(minter))}` : "removed"} (in ${receipt?.hash})`,
      );
    },
  );

zonTask("zon:balance", "Shows an account's ZON balance and compliance flags")
  .addParam("account", "the account")
  .addOptionalParam("token", TOKEN)
  .setAction(async (args: { account: string; token?: string }, hre) => {
    const token = await tokenAt(hre, args.token);
    const account = parseAddress("account", args.account);
    const balance = await token.balanceOf(account);
    const flags = [
      (await token.isFrozen(account)) && "frozen",
      (await token.isAllowlisted(account)) && "allowlisted",
    ].filter(Boolean);
    console.log(`${account}: ${formatZon(balance)}${flags.length ? ` (${flags.join(", ")})` : ""}`);
    return balance;
  });

zonTask("zon:transfer", "Sends ZON from a business's account")
  .addParam("to", "recipient")
  .addParam("amount", "amount in ZON")
  .addOptionalParam("token", TOKEN)
  .addOptionalParam("from", "the business's account: index, address or named key (default: account 0)")
  .setAction(async (args: { to: string; amount: string; token?: string; from?: string }, hre) => {
    const to = parseAddress("to", args.to);
    const amount = parseZon("amount", args.amount);
    if (amount === 0n) throw new Error("amount: 0 ZON moves nothing; give an amount above 0");
    const token = await tokenAt(hre, args.token);
    const sender = await signerFor(hre, args.from);
    const balance = await token.balanceOf(await sender.getAddress());
    if (balance < amount)
      throw new Error(
        `amount: ${formatZon(amount)} is more than ${await sender.getAddress()} holds (${formatZon(balance)})`,
      );
    const receipt = await (await token.connect(sender).transfer(to, amount)).wait();
    console.log(`${formatZon(amount)} from ${await sender.getAddress()} to ${to} in ${receipt?.hash}`);
  });

zonTask("zon:approve", "Lets a spender (the gateway, the escrow) spend ZON of a business's account")
  .addParam("spender", "the spender")
  .addParam("amount", "allowance in ZON (0 withdraws it)")
  .addOptionalParam("token", TOKEN)
  .addOptionalParam("from", "the business's account: index, address or named key (default: account 0)")
  .setAction(async (args: { spender: string; amount: string; token?: string; from?: string }, hre) => {
    const token = await tokenAt(hre, args.token);
    const spender = parseAddress("spender", args.spender);
    const amount = parseZon("amount", args.amount);
    const owner = await signerFor(hre, args.from);
    const receipt = await (await token.connect(owner).approve(spender, amount)).wait();
    console.log(
      `${spender} may spend ${formatZon(amount)} of ${await owner.getAddress()} (in ${receipt?.hash})`,
    );
  });

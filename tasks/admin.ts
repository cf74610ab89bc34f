import { types } from "hardhat/config";
import { deploymentOf, zonTask } from "./context";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { Contract, ZeroAddress } from "ethers";
import { DEFAULT_ADMIN_RULES_ABI, planAdminAcceptance, readAdminStates, type AdminState } from "../src";

async function suiteStates(hre: HardhatRuntimeEnvironment): Promise<AdminState[]> {
  const { contracts } = await deploymentOf(hre);
  return readAdminStates(hre.ethers.provider, contracts);
}

function show(states: AdminState[]): void {
  console.table(
    states.map((s) => ({
      contract: s.name,
      admin: s.admin,
      "offered to": s.pending === ZeroAddress ? "" : s.pending,
      "acceptable from":
        s.acceptableFrom === 0n ? "" : new Date(Number(s.acceptableFrom) * 1000).toISOString(),
      "delay (s)": s.delay.toString(),
    })),
  );
}

zonTask(
  "admin:status",
  "Shows each deployed contract's default admin and any admin transfer pending",
).setAction(async (_args, hre) => {
  const states = await suiteStates(hre);
  show(states);
  return states;
});

zonTask(
  "admin:accept",
  "Governance accepts the default admin role of every deployed contract offered to it, once the delay is over",
)
  .addOptionalParam("account", "index of the configured account that is governance", 0, types.int)
  .setAction(async (args: { account: number }, hre) => {
    const signers = await hre.ethers.getSigners();
    const signer = signers[args.account];
    if (!signer)
      throw new Error(`account: ${args.account} is not one of the ${signers.length} configured accounts`);
    const states = await suiteStates(hre);
    const now = BigInt((await hre.ethers.provider.getBlock("latest"))!.timestamp);
    const { accept, alreadyAdmin } = planAdminAcceptance(states, signer.address, now);
    for (const s of alreadyAdmin) console.log(`${s.name}: ${signer.address} is already its admin`);
    const accepted: string[] = [];
    for (const s of accept) {
      const contract = new Contract(s.address, DEFAULT_ADMIN_RULES_ABI, signer);
      await (await contract.acceptDefaultAdminTransfer()).wait();
      accepted.push(s.name);
      console.log(`${s.name}: ${signer.address} accepted the admin role`);
    }
    return accepted;
  });

import { type EventLog } from "ethers";
import { formatZon } from "../src/amounts";
import { ROLE_TITLES, queryInChunks, type Deployment } from "../src";
import { deploymentOf, zonTask } from "./context";

/*
 * zon:status — the whole deployment at a glance, read from the chain: supply, minted and budget per
 * period, open redemptions, ZON in escrow, each contract's roles and who holds them, pause flags. Event
 * queries start at the deployment's block, in chunks within the node's logs range.
 */

const zon = (wei: bigint) => `${formatZon(wei)}`;

zonTask(
  "zon:status",
  "Shows the deployment at a glance: supply, budgets, open redemptions and escrow, roles, pauses",
)
  .addOptionalParam("maxLogsRange", "most blocks per log query (Besu's --rpc-max-logs-range)", "5000")
  .setAction(async (args: { maxLogsRange: string }, hre) => {
    const record: Deployment = await deploymentOf(hre);
    const chainId = (await hre.ethers.provider.getNetwork()).chainId.toString();
    if (record.chainId !== chainId)
      throw new Error(
        `deployments/${hre.network.name}.json is for chain ${record.chainId}, the node is chain ${chainId}`,
      );
    console.log(
      `deployment of deployments/${hre.network.name}.json (chain ${chainId}, from block ${record.fromBlock})`,
    );
    const range = { fromBlock: record.fromBlock, maxRange: Number(args.maxLogsRange) };
    const c = record.contracts;
    const token = await hre.ethers.getContractAt("ZonCoin", c.ZonCoin);
    const distributor = await hre.ethers.getContractAt("RewardDistributor", c.RewardDistributor);
    const gateway = await hre.ethers.getContractAt("RedemptionGateway", c.RedemptionGateway);
    const escrow = await hre.ethers.getContractAt("B2BEscrow", c.B2BEscrow);

    const supply = {
      totalSupply: zon(await token.totalSupply()),
      maxSupply: (await token.maxSupply()) === 0n ? "none" : zon(await token.maxSupply()),
      distributorMayMint: zon(await token.minterAllowance(c.RewardDistributor)),
    };
    console.table([supply]);

    const periods = [];
    for (const log of await queryInChunks(distributor, distributor.filters.PolicyPublished(), range)) {
      const period = Number((log as EventLog).args.period);
      const [, budget, committed] = await distributor.periodPolicy(period);
      periods.push({
        period,
        budget: zon(budget),
        mintedOrReserved: zon(committed),
        left: zon(budget - committed),
      });
    }
    if (periods.length) console.table(periods);
    else console.log("no period policy published yet");

    const count = async (filter: Parameters<typeof queryInChunks>[1]) =>
      (await queryInChunks(gateway, filter, range)).length;
    const requested = await count(gateway.filters.RedemptionRequested());
    const ended =
      (await count(gateway.filters.RedemptionFulfilled())) +
      (await count(gateway.filters.RedemptionRejected())) +
      (await count(gateway.filters.RedemptionCancelled()));
    const holdings = {
      openRedemptions: requested - ended,
      lockedInGateway: zon(await gateway.openTotal()),
      agreements: Number(await escrow.nextAgreementId()),
      lockedInEscrow: zon(await escrow.lockedTotal()),
    };
    console.table([holdings]);

    const roles = [];
    const paused: Record<string, boolean> = {};
    for (const [name, contract] of [
      ["token", token],
      ["distributor", distributor],
      ["gateway", gateway],
      ["escrow", escrow],
    ] as const) {
      paused[name] = await contract.paused();
      const holders = new Map<string, Set<string>>();
      const logs = [
        ...(await queryInChunks(contract, contract.filters.RoleGranted(), range)),
        ...(await queryInChunks(contract, contract.filters.RoleRevoked(), range)),
      ].sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
      for (const log of logs as EventLog[]) {
        const set = holders.get(log.args.role) ?? new Set<string>();
        if (log.eventName === "RoleGranted") set.add(log.args.account);
        else set.delete(log.args.account);
        holders.set(log.args.role, set);
      }
      const pending = await contract.pendingDefaultAdmin();
      for (const [role, accounts] of holders)
        for (const account of accounts)
          roles.push({ contract: name, role: ROLE_TITLES[role] ?? role, account });
      if (pending.newAdmin !== "0x0000000000000000000000000000000000000000")
        roles.push({
          contract: name,
          role: "admin (offered)",
          account: `${pending.newAdmin} from ${new Date(Number(pending.schedule) * 1000).toISOString()}`,
        });
    }
    console.table(roles);
    console.table([paused]);
    return { supply, periods, holdings, roles, paused };
  });

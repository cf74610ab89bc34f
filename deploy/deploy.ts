import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { deployedAtBlock, deploymentFile, type Deployment } from "../src/deployments";
import { suiteModule } from "./modules";
import { preflightNetwork } from "./preflight";
import { isLocalNode } from "../src/network";
import { loadParameters, refuseTestAccounts, type SuiteParameters } from "./parameters";

/**
 * Deploys (or resumes, or confirms) the suite on the current network through Hardhat Ignition, then
 * writes the addresses to `deployments/<network>.json` for wallets, the library and the tasks.
 * Parameters are validated before the first transaction. Ignition journals every step under
 * `deploy/deployments/<id>`: re-running a finished deploy changes nothing; an interrupted one resumes.
 */
export async function deploySuite(hre: HardhatRuntimeEnvironment, parameters?: SuiteParameters) {
  const params = parameters ?? loadParameters(hre.network.name);
  if (hre.network.name !== "hardhat" && !(await isLocalNode(hre.ethers.provider)))
    refuseTestAccounts(params, `deploy/parameters/${hre.network.name}.json`);
  if (hre.network.name !== "hardhat") {
    const failed = (await preflightNetwork(hre)).filter((row) => !row.ok);
    if (failed.length > 0)
      throw new Error(`preflight: ${failed.map((r) => `${r.check}: ${r.detail}`).join("; ")}`);
  }
  const chainId = (await hre.ethers.provider.getNetwork()).chainId;
  const expected = hre.network.config.chainId;
  if (expected !== undefined && BigInt(expected) !== chainId) {
    throw new Error(
      `chainId: ${hre.network.name} is configured for ${expected}, but the node reports ${chainId}`,
    );
  }
  // The genesis hash tells chains with the same id apart (a local chain that was reset, say), so a
  // journal is only ever resumed on the chain it was written for.
  const genesis = (await hre.ethers.provider.getBlock(0))!.hash!;
  const deploymentId = `zoncoin-${hre.network.name}-${chainId}-${genesis.slice(2, 10)}`;
  const { token, distributor, gateway, escrow } = await hre.ignition.deploy(suiteModule(params), {
    deploymentId,
    displayUi: false,
  });
  const deployment: Deployment = {
    network: hre.network.name,
    chainId: chainId.toString(),
    fromBlock: await deployedAtBlock(hre.ethers.provider, await token.getAddress()),
    contracts: {
      ZonCoin: await token.getAddress(),
      RewardDistributor: await distributor.getAddress(),
      RedemptionGateway: await gateway.getAddress(),
      B2BEscrow: await escrow.getAddress(),
    },
  };
  for (const [name, address] of Object.entries(deployment.contracts)) {
    if ((await hre.ethers.provider.getCode(address)) === "0x") {
      throw new Error(
        `${name}: the journal deploy/deployments/${deploymentId} names ${address}, which holds no code on this chain`,
      );
    }
  }
  const file = deploymentFile(hre.network.name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(deployment, null, 2) + "\n");
  return {
    deployment,
    params,
    token: await hre.ethers.getContractAt("ZonCoin", deployment.contracts.ZonCoin),
    distributor: await hre.ethers.getContractAt("RewardDistributor", deployment.contracts.RewardDistributor),
    gateway: await hre.ethers.getContractAt("RedemptionGateway", deployment.contracts.RedemptionGateway),
    escrow: await hre.ethers.getContractAt("B2BEscrow", deployment.contracts.B2BEscrow),
  };
}

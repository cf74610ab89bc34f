import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { existsSync } from "node:fs";
import path from "node:path";
import { runPreflight, type PreflightRow } from "../src";
import { loadParameters } from "./parameters";

/** The suite's largest runtime size, and its deploy transactions with plausible constructor arguments. */
export async function suiteFootprint(hre: HardhatRuntimeEnvironment, deployer: string) {
  const constructorArgs: Record<string, unknown[]> = {
    ZonCoin: [deployer, 0, 0],
    RewardDistributor: [deployer, 1, deployer, 0],
    RedemptionGateway: [deployer, deployer, 0, 1, 1],
    B2BEscrow: [deployer, deployer, 0, deployer, 0],
  };
  let largestContractBytes = 0;
  const deploys = [];
  for (const [name, args] of Object.entries(constructorArgs)) {
    const artifact = await hre.artifacts.readArtifact(name);
    largestContractBytes = Math.max(largestContractBytes, (artifact.deployedBytecode.length - 2) / 2);
    const tx = await (await hre.ethers.getContractFactory(name)).getDeployTransaction(...args);
    deploys.push({ name, data: tx.data });
  }
  return { largestContractBytes, deploys };
}

/** The accounts the deploy parameters give a role that sends transactions (attestors sign off chain; the treasury only receives). */
function roleAccountsOf(network: string): Array<{ field: string; address: string }> {
  if (!existsSync(path.join(__dirname, "parameters", `${network}.json`))) return [];
  const p = loadParameters(network);
  return [
    { field: "governance", address: p.governance },
    { field: "pauser", address: p.pauser },
    { field: "compliance", address: p.compliance },
    { field: "rewards.policyOfficer", address: p.rewards.policyOfficer },
    { field: "redemption.fulfiller", address: p.redemption.fulfiller },
    { field: "redemption.catalogueManager", address: p.redemption.catalogueManager },
  ];
}

/** Preflight of the current network for the suite, as its first deployer account. */
export async function preflightNetwork(hre: HardhatRuntimeEnvironment): Promise<PreflightRow[]> {
  const [deployer] = await hre.ethers.getSigners();
  if (!deployer)
    throw new Error(
      `deployer: no account configured for ${hre.network.name} (npx hardhat vars set BESU_DEPLOYER_KEY)`,
    );
  const expectedChainId = BigInt(
    hre.network.config.chainId ?? (await hre.ethers.provider.getNetwork()).chainId,
  );
  const configured = hre.network.config.gasPrice;
  return runPreflight(hre.ethers.provider, {
    expectedChainId,
    deployer: deployer.address,
    deployGasPrice: typeof configured === "number" ? BigInt(configured) : undefined,
    roleAccounts: roleAccountsOf(hre.network.name),
    ...(await suiteFootprint(hre, deployer.address)),
  });
}

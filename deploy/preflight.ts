import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { runPreflight, type PreflightRow } from "../src";

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
  return runPreflight(hre.ethers.provider, {
    expectedChainId,
    deployer: deployer.address,
    ...(await suiteFootprint(hre, deployer.address)),
  });
}

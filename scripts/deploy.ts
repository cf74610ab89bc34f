import hre from "hardhat";
import { deploySuite } from "../deploy/deploy";

async function main(): Promise<void> {
  const { deployment } = await deploySuite(hre);
  console.log(`ZonCoin suite on ${deployment.network} (chain ${deployment.chainId}):`);
  console.table(deployment.contracts);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});

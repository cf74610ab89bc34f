import { readFileSync } from "node:fs";
import path from "node:path";

/** Where a deploy left the suite's addresses: `deployments/<network>.json`. */
export interface Deployment {
  network: string;
  chainId: string;
  contracts: { ZonCoin: string; RewardDistributor: string; RedemptionGateway: string; B2BEscrow: string };
}

export function deploymentFile(network: string): string {
  return path.join(__dirname, "..", "deployments", `${network}.json`);
}

/** The addresses of the suite on `network`, as the last deploy wrote them. */
export function readDeployment(network: string): Deployment {
  try {
    return JSON.parse(readFileSync(deploymentFile(network), "utf8")) as Deployment;
  } catch {
    throw new Error(
      `network: no deployment recorded for ${network} (run npm run deploy -- --network ${network})`,
    );
  }
}

import { readFileSync } from "node:fs";
import path from "node:path";

/** Where a deploy left the suite's addresses: `deployments/<network>.json`. */
export interface Deployment {
  network: string;
  chainId: string;
  /** The block the suite's first contract was deployed in: event queries start here, never at block 0. */
  fromBlock: number;
  contracts: { ZonCoin: string; RewardDistributor: string; RedemptionGateway: string; B2BEscrow: string };
}

/** The provider calls `deployedAtBlock` makes. */
export interface CodeReader {
  getCode(address: string, blockTag?: number): Promise<string>;
  getBlockNumber(): Promise<number>;
}

/** The first block at which `address` holds code (binary search over history; ~log2(head) calls). */
export async function deployedAtBlock(provider: CodeReader, address: string): Promise<number> {
  let high = await provider.getBlockNumber();
  if ((await provider.getCode(address, high)) === "0x")
    throw new Error(`${address}: no contract at the head block`);
  let low = 0;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if ((await provider.getCode(address, middle)) === "0x") low = middle + 1;
    else high = middle;
  }
  return low;
}

/** `deployments/<network>.json`, or under `ZON_DEPLOYMENTS_DIR` when set (one checkout, several chains). */
export function deploymentFile(network: string): string {
  return path.join(
    process.env.ZON_DEPLOYMENTS_DIR ?? path.join(__dirname, "..", "deployments"),
    `${network}.json`,
  );
}

/** The addresses of the suite on `network`, as the last deploy wrote them. */
export function readDeployment(network: string): Deployment {
  let record: Deployment;
  try {
    record = JSON.parse(readFileSync(deploymentFile(network), "utf8")) as Deployment;
  } catch {
    throw new Error(
      network === "hardhat"
        ? `network: no deployment on hardhat: the embedded network starts empty with every command and forgets it all at the end; run the task on the local chain (npm run chain, then npm run deploy -- --network besuLocal; tasks use it when no --network is given) or on your network with --network`
        : `network: no deployment recorded for ${network} in deployments/${network}.json (run npm run deploy -- --network ${network})`,
    );
  }
  if (!Number.isInteger(record.fromBlock))
    throw new Error(
      `deployments/${network}.json: no fromBlock (written by an older deploy; run npm run deploy -- --network ${network} again)`,
    );
  return record;
}

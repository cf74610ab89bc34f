import { Contract, getAddress } from "ethers";
import type { App } from "./app";

/** What the page knows of the Safe it acts for: its owners and how many of them must sign. */
export interface SafeInfo {
  address: string;
  owners: string[];
  threshold: number;
}

const SAFE_ABI = [
  "function getOwners() view returns (address[])",
  "function getThreshold() view returns (uint256)",
  "function VERSION() view returns (string)",
];

/**
 * Checks that `address` is a Safe on this chain (code there that answers getOwners and getThreshold)
 * before any batch file is written for it; an address with no code or another contract is refused.
 */
export async function checkSafe(app: App, address: string): Promise<SafeInfo> {
  if ((await app.provider.getCode(address)) === "0x")
    throw new Error(
      `Safe: ${address} has no contract on ${app.config.chainName}; give the address of your Safe on this network`,
    );
  const safe = new Contract(address, SAFE_ABI, app.provider);
  let owners: string[];
  let threshold: bigint;
  try {
    [owners, threshold] = await Promise.all([safe.getOwners(), safe.getThreshold()]);
  } catch {
    throw new Error(
      `Safe: ${address} is a contract but not a Safe (it does not answer getOwners and getThreshold)`,
    );
  }
  if (owners.length === 0 || threshold === 0n)
    throw new Error(`Safe: ${address} has no owners set up (a Safe singleton, not a Safe proxy?)`);
  return { address, owners: owners.map((o) => getAddress(o)), threshold: Number(threshold) };
}

import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { existsSync } from "node:fs";
import path from "node:path";
import { checkNodes, Operator, runPreflight, type PreflightRow } from "../src";
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

/**
 * The accounts of the deploy parameters that send transactions: every role holder, the enforcement
 * officers and the issuer service's relayer (attestors sign off chain; the treasury only receives).
 */
export function transactingAccountsOf(network: string): Array<{ field: string; address: string }> {
  if (!existsSync(path.join(__dirname, "parameters", `${network}.json`))) return [];
  const p = loadParameters(network);
  return [
    { field: "governance", address: p.governance },
    { field: "pauser", address: p.pauser },
    { field: "compliance", address: p.compliance },
    { field: "rewards.policyOfficer", address: p.rewards.policyOfficer },
    { field: "redemption.fulfiller", address: p.redemption.fulfiller },
    { field: "redemption.catalogueManager", address: p.redemption.catalogueManager },
    { field: "enforcement.recoveryOfficer", address: p.enforcement.recoveryOfficer },
    { field: "enforcement.forcedTransferOfficer", address: p.enforcement.forcedTransferOfficer },
    ...(p.issuerService ? [{ field: "issuerService.relayer", address: p.issuerService.relayer }] : []),
  ];
}

/**
 * Preflight of the current network for the suite, as its first deployer account; with `besuDir` (a
 * network written by besu:new), also every node of it, logged in as the operator.
 */
export async function preflightNetwork(
  hre: HardhatRuntimeEnvironment,
  besuDir?: string,
): Promise<PreflightRow[]> {
  const [deployer] = await hre.ethers.getSigners();
  if (!deployer)
    throw new Error(
      `deployer: no account configured for ${hre.network.name} (npx hardhat vars set BESU_DEPLOYER_KEY)`,
    );
  const expectedChainId = BigInt(
    hre.network.config.chainId ?? (await hre.ethers.provider.getNetwork()).chainId,
  );
  const configured = hre.network.config.gasPrice;
  const roleAccounts = transactingAccountsOf(hre.network.name);
  const rows = await runPreflight(hre.ethers.provider, {
    expectedChainId,
    deployer: deployer.address,
    deployGasPrice: typeof configured === "number" ? BigInt(configured) : undefined,
    roleAccounts,
    issuerRelayerGiven: roleAccounts.some((a) => a.field === "issuerService.relayer"),
    ...(await suiteFootprint(hre, deployer.address)),
  });
  if (besuDir === undefined) return rows;
  const senders = await sendingAccounts(hre, [
    { field: "deployer", address: deployer.address },
    ...roleAccounts,
  ]);
  for (const check of await checkNodes(await Operator.open(besuDir), expectedChainId, senders))
    rows.push({ check: `node ${check.node}`, ok: check.ok, detail: check.detail });
  return rows;
}

/** The accounts that sign transactions themselves: a contract (a Safe) sends through its owners' keys. */
async function sendingAccounts(
  hre: HardhatRuntimeEnvironment,
  accounts: Array<{ field: string; address: string }>,
): Promise<Array<{ field: string; address: string }>> {
  const codes = await Promise.all(accounts.map((a) => hre.ethers.provider.getCode(a.address)));
  return accounts.filter((_, i) => codes[i] === "0x");
}

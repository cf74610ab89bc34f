import {
  concat,
  Contract,
  ContractFactory,
  getAddress,
  Interface,
  solidityPacked,
  ZeroAddress,
  type InterfaceAbi,
  type Signer,
} from "ethers";
import { combineSafeSignatures, safeDomain, type OwnerSignature } from "./safe";

/*
 * Safe v1.4.1's own contracts, from their npm package (@safe-global/safe-contracts): deployed on a private
 * chain that has none, a Safe created from them, and a Safe transaction signed by its owners and executed —
 * what the Safe's web app does, for `safe:deploy`, `safe:create` and the tests that check the suite against
 * the real Safe rather than a stand-in.
 */

const ARTIFACTS = "@safe-global/safe-contracts/build/artifacts/contracts";
const NAMES = {
  singleton: "Safe.sol/Safe.json",
  factory: "proxies/SafeProxyFactory.sol/SafeProxyFactory.json",
  fallbackHandler: "handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler.json",
  multiSendCallOnly: "libraries/MultiSendCallOnly.sol/MultiSendCallOnly.json",
  signMessageLib: "libraries/SignMessageLib.sol/SignMessageLib.json",
} as const;
export type SafeContractName = keyof typeof NAMES;
export type SafeContracts = Record<SafeContractName, string>;

function artifact(name: SafeContractName): { abi: InterfaceAbi; bytecode: string } {
  // Read when used: the package is a development dependency, and the Hardhat config loads this module.
  return require(`${ARTIFACTS}/${NAMES[name]}`) as { abi: InterfaceAbi; bytecode: string };
}

export function safeInterface(name: SafeContractName = "singleton"): Interface {
  return new Interface(artifact(name).abi);
}

/** Deploys the five Safe contracts a business's Safe needs; returns their addresses. */
export async function deploySafeContracts(deployer: Signer, overrides: object = {}): Promise<SafeContracts> {
  const addresses = {} as SafeContracts;
  // Nonces counted here, not asked of the node before each: a node's pending count can lag a receipt.
  let nonce = await deployer.getNonce("pending");
  for (const name of Object.keys(NAMES) as SafeContractName[]) {
    const { abi, bytecode } = artifact(name);
    const contract = await new ContractFactory(abi, bytecode, deployer).deploy({
      ...overrides,
      nonce: nonce++,
    });
    await contract.waitForDeployment();
    addresses[name] = await contract.getAddress();
  }
  return addresses;
}

/** Creates a Safe proxy with `owners` and `threshold`, the compatibility handler as fallback. */
export async function createSafe(
  contracts: SafeContracts,
  creator: Signer,
  owners: string[],
  threshold: number,
  saltNonce = 0n,
  overrides: object = {},
): Promise<string> {
  if (threshold < 1 || threshold > owners.length)
    throw new Error(`threshold: ${threshold} is not between 1 and the ${owners.length} owners`);
  const setup = safeInterface().encodeFunctionData("setup", [
    owners.map((o) => getAddress(o)),
    threshold,
    ZeroAddress,
    "0x",
    contracts.fallbackHandler,
    ZeroAddress,
    0,
    ZeroAddress,
  ]);
  const factory = new Contract(contracts.factory, artifact("factory").abi, creator);
  const receipt = await (
    await factory.createProxyWithNonce(contracts.singleton, setup, saltNonce, overrides)
  ).wait();
  for (const log of receipt.logs) {
    const parsed = factory.interface.parseLog(log);
    if (parsed?.name === "ProxyCreation") return getAddress(parsed.args.proxy as string);
  }
  throw new Error("createSafe: no ProxyCreation event in the receipt");
}

/** A Safe transaction: a call (operation 0) or a delegatecall (1, for MultiSend and SignMessageLib). */
export interface SafeTx {
  to: string;
  value: bigint;
  data: string;
  operation: 0 | 1;
}

const SAFE_TX_TYPES = {
  SafeTx: [
    { name: "to", type: "address" },
    { name: "value", type: "uint256" },
    { name: "data", type: "bytes" },
    { name: "operation", type: "uint8" },
    { name: "safeTxGas", type: "uint256" },
    { name: "baseGas", type: "uint256" },
    { name: "gasPrice", type: "uint256" },
    { name: "gasToken", type: "address" },
    { name: "refundReceiver", type: "address" },
    { name: "nonce", type: "uint256" },
  ],
};

/** The batch of a Transaction Builder file as one Safe transaction: MultiSendCallOnly, by delegatecall. */
export function multiSendTx(
  contracts: SafeContracts,
  calls: Array<{ to: string; value?: string; data: string }>,
) {
  const packed = concat(
    calls.map((c) =>
      solidityPacked(
        ["uint8", "address", "uint256", "uint256", "bytes"],
        [0, c.to, BigInt(c.value ?? 0), (c.data.length - 2) / 2, c.data],
      ),
    ),
  );
  const data = safeInterface("multiSendCallOnly").encodeFunctionData("multiSend", [packed]);
  return { to: contracts.multiSendCallOnly, value: 0n, data, operation: 1 } satisfies SafeTx;
}

/** Approves a message on chain (SignMessageLib, by delegatecall): the Safe then accepts an empty signature. */
export function signMessageTx(contracts: SafeContracts, message: string): SafeTx {
  const data = safeInterface("signMessageLib").encodeFunctionData("signMessage", [message]);
  return { to: contracts.signMessageLib, value: 0n, data, operation: 1 };
}

/** Has `owners` sign `tx` at the Safe's current nonce and executes it from `sender`. */
export async function executeSafeTx(
  safe: string,
  tx: SafeTx,
  owners: Signer[],
  sender: Signer,
  overrides: object = {},
) {
  const contract = new Contract(safe, artifact("singleton").abi, sender);
  const nonce = (await contract.nonce()) as bigint;
  const { chainId } = await sender.provider!.getNetwork();
  const message = {
    ...tx,
    safeTxGas: 0n,
    baseGas: 0n,
    gasPrice: 0n,
    gasToken: ZeroAddress,
    refundReceiver: ZeroAddress,
    nonce,
  };
  const signatures: OwnerSignature[] = [];
  for (const owner of owners)
    signatures.push({
      owner: await owner.getAddress(),
      signature: await owner.signTypedData(safeDomain(chainId, safe), SAFE_TX_TYPES, message),
    });
  const sent = await contract.execTransaction(
    tx.to,
    tx.value,
    tx.data,
    tx.operation,
    0,
    0,
    0,
    ZeroAddress,
    ZeroAddress,
    combineSafeSignatures(signatures),
    overrides,
  );
  const receipt = await sent.wait();
  const failed = receipt.logs.some(
    (log: { topics: string[] }) =>
      log.topics[0] === contract.interface.getEvent("ExecutionFailure")!.topicHash,
  );
  if (failed)
    throw new Error(`safe: the Safe transaction to ${tx.to} failed inside the Safe (ExecutionFailure)`);
  return receipt;
}

import { existsSync } from "node:fs";
import path from "node:path";
import { getAddress, isAddress, Wallet, type Signer } from "ethers";
import { task, vars } from "hardhat/config";
import type { ConfigurableTaskDefinition, HardhatRuntimeEnvironment } from "hardhat/types";
import { loadParameters } from "../deploy/parameters";
import { namedKey } from "../src/keys";
import { describeError, isLocalNode, parseAddress, readDeployment, ROLES, type Deployment } from "../src";

/*
 * What every ZonCoin task shares. A task is declared with `zonTask`; `installErrorHandling` (called once
 * the tasks are declared) wraps them all, so that a failure reaches the user as one decoded sentence on
 * stderr and exit code 1 — never a bare selector, "An unexpected error occurred" or a stack trace, unless
 * asked for with `--verbose` or `DEBUG=1`. Called from tests (not from the command line), a task throws
 * an Error carrying the same sentence instead.
 */

const taskNames: string[] = [];

/** `task()` for the suite's tasks: same API, plus the shared error handling. */
export function zonTask(name: string, description: string): ConfigurableTaskDefinition {
  taskNames.push(name);
  return task(name, description);
}

/** The error a task throws when it is not run from the command line: the decoded sentence. */
export class TaskError extends Error {}

function runFromCommandLine(name: string): boolean {
  return process.argv.slice(2).includes(name);
}

export function installErrorHandling(): void {
  for (const name of taskNames) {
    task(name).setAction(async (args, hre: HardhatRuntimeEnvironment, runSuper) => {
      try {
        return await runSuper(args);
      } catch (error) {
        const sentence = describeError(error);
        if (!runFromCommandLine(name)) throw new TaskError(sentence, { cause: error });
        console.error(`${name}: ${sentence}`);
        if (hre.hardhatArguments.verbose || process.env.DEBUG) console.error(error);
        process.exit(1);
      }
    });
  }
}

// ---------------------------------------------------------------------------------------------- addresses

type SuiteContract = keyof Deployment["contracts"];

/**
 * The address of one of the suite's contracts: the flag when given, otherwise the network's deployment
 * record (`deployments/<network>.json`), checked against the node's chain id and said on the console.
 */
export async function suiteAddress(
  hre: HardhatRuntimeEnvironment,
  contract: SuiteContract,
  flag: string,
  given: string | undefined,
): Promise<string> {
  const address =
    given !== undefined ? parseAddress(flag, given) : await recordedAddress(hre, contract, flag);
  if ((await hre.ethers.provider.getCode(address)) === "0x")
    throw new Error(`${flag}: no contract at ${address} on ${hre.network.name}`);
  return address;
}

async function recordedAddress(hre: HardhatRuntimeEnvironment, contract: SuiteContract, flag: string) {
  const record = readDeployment(hre.network.name);
  const chainId = (await hre.ethers.provider.getNetwork()).chainId.toString();
  if (record.chainId !== chainId)
    throw new Error(
      `${flag}: deployments/${hre.network.name}.json is for chain ${record.chainId}, but the node is chain ${chainId}; deploy again or pass --${flag}`,
    );
  const address = record.contracts[contract];
  console.log(`${flag}: ${address} (${contract} from deployments/${hre.network.name}.json)`);
  return address;
}

/**
 * The first block to read `address`'s events from: the deployment's block when the record names this very
 * contract on this very chain; otherwise (a contract given by flag that the record does not name, a stale
 * record) block 0, read in chunks.
 */
export async function eventsFromBlock(hre: HardhatRuntimeEnvironment, address: string): Promise<number> {
  try {
    const record = readDeployment(hre.network.name);
    const chainId = (await hre.ethers.provider.getNetwork()).chainId.toString();
    const named = Object.values(record.contracts).some((a) => getAddress(a) === getAddress(address));
    if (record.chainId !== chainId || !named) return 0;
    // The record must describe this chain's contract (a reset chain can reuse addresses): the contract
    // must have code at the recorded block, and none the block before it.
    const provider = hre.ethers.provider;
    const token = record.contracts.ZonCoin;
    const codeAt = async (block: number) => (block < 0 ? "0x" : provider.getCode(token, block));
    const matches =
      (await codeAt(record.fromBlock)) !== "0x" && (await codeAt(record.fromBlock - 1)) === "0x";
    return matches ? record.fromBlock : 0;
  } catch {
    return 0;
  }
}

// ---------------------------------------------------------------------------------------------- signers

/**
 * A local development chain — the in-process network, or anvil / Hardhat node on any port — is recognised
 * by its node, not by the network's name: only there do tasks fall back on the well-known test accounts.
 */
export async function isLocalChain(hre: HardhatRuntimeEnvironment): Promise<boolean> {
  return hre.network.name === "hardhat" || isLocalNode(hre.ethers.provider);
}

/** A role a task needs, where to check it on chain, and the deploy parameter that names its holder. */
export interface RoleNeed {
  /** How a sentence calls it: "policy officer". */
  title: string;
  role: string;
  contract: { hasRole(role: string, account: string): Promise<boolean>; getAddress(): Promise<string> };
  /** The key of `deploy/parameters/<network>.json` that names the holder, e.g. "rewards.policyOfficer". */
  parameter?: string;
}

function configuredHolder(hre: HardhatRuntimeEnvironment, parameter?: string): string | undefined {
  if (
    !parameter ||
    !existsSync(path.join(__dirname, "..", "deploy", "parameters", `${hre.network.name}.json`))
  )
    return undefined;
  let value: unknown = loadParameters(hre.network.name);
  for (const key of parameter.split(".")) value = (value as Record<string, unknown>)?.[key];
  return typeof value === "string" ? value : undefined;
}

/** A configuration value: the environment first, then Hardhat's configuration variables. */
export function configValue(name: string): string | undefined {
  return process.env[name] ?? (vars.has(name) ? vars.get(name) : undefined);
}

/** `policyOfficer` → `POLICY_OFFICER`: the suffix of the configuration variables of a named signer. */
function varSuffix(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}

/** A signer named by configuration variables or the environment (`src/keys.ts`: a key or a keystore). */
export async function namedSigner(hre: HardhatRuntimeEnvironment, name: string): Promise<Signer | undefined> {
  const key = await namedKey(varSuffix(name), configValue);
  return key === undefined ? undefined : new Wallet(key, hre.ethers.provider);
}

/**
 * The signer a task sends from. `--from` takes a configured account's index, an address among the
 * configured accounts, or a name (a named signer's configuration variables, or a role of the deploy
 * parameters, e.g. `policyOfficer`). Without it, a task that needs a role takes the account the deploy
 * parameters give that role. Before anything is sent, the role is checked on chain.
 */
export async function signerFor(
  hre: HardhatRuntimeEnvironment,
  from: string | undefined,
  need?: RoleNeed,
): Promise<Signer> {
  const accounts = await hre.ethers.getSigners();
  const byAddress = (address: string, what: string) => {
    const found = accounts.find((a) => a.address === getAddress(address));
    if (!found)
      throw new Error(
        `from: ${what} ${getAddress(address)} is not one of the ${accounts.length} configured accounts of ${hre.network.name}; configure its key (npx hardhat vars set ZON_KEY_<NAME>) or pass --from`,
      );
    return found;
  };
  let signer: Signer;
  if (from === undefined) {
    const roleName = need?.parameter?.split(".").pop();
    const named = roleName ? await namedSigner(hre, roleName) : undefined;
    const holder = configuredHolder(hre, need?.parameter);
    if (named) signer = named;
    else if (holder) signer = byAddress(holder, `the ${need!.title}`);
    else if (accounts[0]) signer = accounts[0];
    else
      throw new Error(`from: no account configured for ${hre.network.name}; pass --from or configure a key`);
  } else if (/^[0-9]+$/.test(from)) {
    const account = accounts[Number(from)];
    if (!account) throw new Error(`from: ${from} is not one of the ${accounts.length} configured accounts`);
    signer = account;
  } else if (isAddress(from)) {
    signer = byAddress(from, "account");
  } else {
    const named = await namedSigner(hre, from);
    const holder = configuredHolder(hre, PARAMETER_OF[from]);
    if (named) signer = named;
    else if (holder) signer = byAddress(holder, `the ${from}`);
    else
      throw new Error(
        `from: "${from}" is no account index, address, named signer (ZON_KEY_${varSuffix(from)}) or role of deploy/parameters/${hre.network.name}.json`,
      );
  }
  if (need) {
    const address = await signer.getAddress();
    if (!(await need.contract.hasRole(need.role, address))) {
      const holder = configuredHolder(hre, need.parameter);
      const source = `deploy/parameters/${hre.network.name}.json`;
      throw new Error(
        holder && getAddress(holder) === address
          ? `account ${address}, the ${need.title} of ${source}, does not hold that role on ${await need.contract.getAddress()}; pass --from with the account that does`
          : `account ${address} is not the ${need.title}` +
              (holder ? `; the ${need.title} is ${holder} (${source})` : "") +
              "; pass --from with the right account",
      );
    }
  }
  return signer;
}

/** The roles tasks need: what a sentence calls them, their ids, and the deploy parameter naming the holder. */
export const ROLE = {
  policyOfficer: { title: "policy officer", role: ROLES.POLICY, parameter: "rewards.policyOfficer" },
  catalogueManager: {
    title: "catalogue manager",
    role: ROLES.CATALOGUE,
    parameter: "redemption.catalogueManager",
  },
  fulfiller: { title: "fulfiller", role: ROLES.FULFILLER, parameter: "redemption.fulfiller" },
  pauser: { title: "pauser", role: ROLES.PAUSER, parameter: "pauser" },
  compliance: { title: "compliance officer", role: ROLES.COMPLIANCE, parameter: "compliance" },
  minterAdmin: { title: "minter admin", role: ROLES.MINTER_ADMIN, parameter: "governance" },
  recoveryOfficer: {
    title: "recovery officer",
    role: ROLES.RECOVERY,
    parameter: "enforcement.recoveryOfficer",
  },
  forcedTransferOfficer: {
    title: "forced-transfer officer",
    role: ROLES.FORCED_TRANSFER,
    parameter: "enforcement.forcedTransferOfficer",
  },
  tokenAdmin: { title: "token's admin", role: ROLES.DEFAULT_ADMIN, parameter: "governance" },
} as const;

/** Role names `--from` accepts, and where the deploy parameters name their holder. */
const PARAMETER_OF: Record<string, string> = {
  governance: "governance",
  pauser: "pauser",
  compliance: "compliance",
  policyOfficer: "rewards.policyOfficer",
  fulfiller: "redemption.fulfiller",
  catalogueManager: "redemption.catalogueManager",
  treasury: "escrow.treasury",
  recoveryOfficer: "enforcement.recoveryOfficer",
  forcedTransferOfficer: "enforcement.forcedTransferOfficer",
};

// ---------------------------------------------------------------------------------------------- input

/** A whole number as typed; the error names the field and the value. */
export function parseWhole(field: string, value: string): bigint {
  if (!/^[0-9]+$/.test(value)) throw new Error(`${field}: ${JSON.stringify(value)} is not a whole number`);
  return BigInt(value);
}

/** A date for a human: ISO 8601, UTC. */
export function dateOf(seconds: bigint | number): string {
  return new Date(Number(seconds) * 1000).toISOString().replace(".000Z", "Z");
}

import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { Contract, getAddress, isAddress, Wallet, type Signer } from "ethers";
import { task, vars } from "hardhat/config";
import type { ConfigurableTaskDefinition, HardhatRuntimeEnvironment } from "hardhat/types";
import { loadParameters } from "../deploy/parameters";
import { customerIdSalt, emptyFocusReport, focusContext } from "../src/focus";
import { namedKey } from "../src/keys";
import type { UsageReadOptions } from "../src/usage";
import {
  decodeRevertData,
  describeError,
  isLocalNode,
  parseAddress,
  readDeployment,
  revertDataOf,
  ROLES,
  type Deployment,
} from "../src";

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

/** Whether the command line runs one of the project's tasks (they default to the local chain). */
export function projectTaskOnCommandLine(argv: string[] = process.argv.slice(2)): boolean {
  return argv.some((arg) => taskNames.includes(arg));
}

/**
 * What a task on the embedded network must be told: it starts empty with every command and forgets
 * everything when the command ends, so no deployment can be found on it later.
 */
export const EMBEDDED_NETWORK_HINT =
  "the embedded network (hardhat) starts empty with every command and forgets it all at the end; run the task on the local chain (npm run chain, then npm run deploy -- --network besuLocal; tasks use it when no --network is given) or on your network with --network";

/**
 * A JSON file a task reads (`--bundle`, `--members`…): a missing file, or a file of another kind (a CSV
 * given as a bundle), is named in one sentence with what the flag expects.
 */
export async function readJsonFile(flag: string, file: string, kind: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`${flag}: ${file} ${code === "ENOENT" ? "does not exist" : `cannot be read (${code})`}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(
      `${flag}: ${file} is not ${kind} (not JSON: it starts ${JSON.stringify(text.slice(0, 24))})`,
    );
  }
}

const HARDHAT_ERROR_LINE = /^(?:\u001b\[[0-9;]*m)*(HH\d+): (.*)$/s;

/**
 * Hardhat's own refusals (an unknown network, a bad parameter) print as one line like the project's
 * errors, without the stack Hardhat adds on CI, unless --verbose or --show-stack-traces asks for it; a
 * reader that stops early (`| head`) ends the command quietly.
 */
export function installCommandLineOutput(argv: string[] = process.argv): void {
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });
  if (argv.includes("--verbose") || argv.includes("--show-stack-traces")) return;
  const { error: printError, log: printLog } = console;
  let swallowing = false;
  console.error = (...args: unknown[]) => {
    const plain = args.map((arg) => (typeof arg === "string" ? arg.replace(/\u001b\[[0-9;]*m/g, "") : arg));
    const match =
      plain[0] === "Error" && typeof plain[1] === "string" ? HARDHAT_ERROR_LINE.exec(plain[1]) : null;
    if (match) {
      swallowing = true;
      printError(`hardhat: ${hardhatErrorSentence(match[1], match[2])}`);
      return;
    }
    if (
      swallowing &&
      (args[0] instanceof Error || (typeof plain[0] === "string" && plain[0].startsWith("For more info")))
    )
      return;
    printError(...args);
  };
  console.log = (...args: unknown[]) => {
    if (swallowing && args.length === 1 && args[0] === "") return;
    printLog(...args);
  };
}

function hardhatErrorSentence(code: string, full: string): string {
  const message = full.replace(/\.$/, "");
  if (code === "HH100") return `${message} (networks: hardhat, besuLocal, besu; see hardhat.config.ts)`;
  if (code === "HH303") return `${message}; npx hardhat help lists the tasks`;
  if (code === "HH305" || code === "HH306" || code === "HH301")
    return `${message}; npx hardhat help <task> lists its parameters`;
  return message;
}

function runFromCommandLine(name: string): boolean {
  return process.argv.slice(2).includes(name);
}

function cannotConnect(error: unknown): boolean {
  return error instanceof Error && /\bHH108\b/.test(error.message);
}

const PAUSABLE: Array<[SuiteContract, string]> = [
  ["ZonCoin", "token"],
  ["RewardDistributor", "distributor"],
  ["RedemptionGateway", "gateway"],
  ["B2BEscrow", "escrow"],
];

/**
 * A pause refusal names the contract that is paused: the revert may come from a call inside another
 * contract (a redemption refused by the paused token), so the deployment's contracts are asked.
 */
async function withPausedContracts(hre: HardhatRuntimeEnvironment, error: unknown, sentence: string) {
  const data = revertDataOf(error);
  if (data === undefined || decodeRevertData(data)?.name !== "EnforcedPause") return sentence;
  try {
    const { contracts } = readDeployment(hre.network.name);
    const paused: string[] = [];
    for (const [contract, flag] of PAUSABLE) {
      const pausable = new Contract(
        contracts[contract],
        ["function paused() view returns (bool)"],
        hre.ethers.provider,
      );
      if ((await pausable.paused()) === true) paused.push(flag);
    }
    if (paused.length === 0) return sentence;
    return `EnforcedPause: the ${paused.join(" and the ")} ${paused.length > 1 ? "are" : "is"} paused; wait until the pauser unpauses it (zon:unpause --contract ${paused[0]})`;
  } catch {
    return sentence;
  }
}

export function installErrorHandling(): void {
  for (const name of taskNames) {
    task(name).setAction(async (args, hre: HardhatRuntimeEnvironment, runSuper) => {
      try {
        return await runSuper(args);
      } catch (error) {
        const sentence = cannotConnect(error)
          ? `network: no JSON-RPC node answers at ${(hre.network.config as { url?: string }).url} (${hre.network.name})` +
            (hre.network.name === "besuLocal"
              ? "; start the local chain in another terminal: npm run chain"
              : "")
          : await withPausedContracts(hre, error, describeError(error));
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
    throw new Error(
      `${flag}: no contract at ${address} on ${hre.network.name}` +
        (hre.network.name === "hardhat" && given === undefined ? ` (${EMBEDDED_NETWORK_HINT})` : ""),
    );
  return address;
}

/**
 * The deployment record of the task's network. On the embedded network a record can only be a leftover
 * (the demo's): its contracts vanished with the command that deployed them, which the task then says.
 */
export async function deploymentOf(hre: HardhatRuntimeEnvironment): Promise<Deployment> {
  const record = readDeployment(hre.network.name);
  if (
    hre.network.name === "hardhat" &&
    (await hre.ethers.provider.getCode(record.contracts.ZonCoin)) === "0x"
  )
    throw new Error(
      `network: deployments/hardhat.json names contracts that no longer exist: ${EMBEDDED_NETWORK_HINT}`,
    );
  return record;
}

async function recordedAddress(hre: HardhatRuntimeEnvironment, contract: SuiteContract, flag: string) {
  const record = await deploymentOf(hre);
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

/**
 * FOCUS reading options from `--wallets` and `--mapping`, with the customer-id salt from configuration
 * (`CUSTOMER_ID_SALT`; a fixed local one on a development chain): what rewards:sign and zon:reconcile share.
 */
export async function focusReading(
  hre: HardhatRuntimeEnvironment,
  wallets: string,
  mapping: string | undefined,
): Promise<Pick<UsageReadOptions, "focus" | "focusReport">> {
  const salt = customerIdSalt(configValue("CUSTOMER_ID_SALT"), await isLocalChain(hre));
  return { focus: focusContext({ wallets, mapping, salt }), focusReport: emptyFocusReport() };
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

import { appendFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import path from "node:path";
import {
  computeAddress,
  HDNodeWallet,
  isError,
  JsonRpcProvider,
  Wallet,
  ZeroAddress,
  ZeroHash,
} from "ethers";
import {
  RedemptionGateway__factory,
  RewardDistributor__factory,
  ZonCoin__factory,
  type RewardDistributor,
  type ZonCoin,
} from "../../typechain-types";
import { readDeployment } from "../deployments";
import { rawLogsInChunks } from "../events";
import { describeError } from "../errors";
import { FileLedgerAdapter } from "../fulfilment/file-adapter";
import {
  FulfilmentWorker,
  persistentWorkerId,
  workerIdOf,
  workerName,
  type UnpaidDelivery,
} from "../fulfilment/worker";
import { customerIdSalt, emptyFocusReport, focusContext } from "../focus";
import { reconcile, type ReconcileSummary } from "../reconcile";
import { USAGE_FILE } from "./inbox";
import { configLookup, namedKey } from "../keys";
import { isLocalNode, TEST_MNEMONIC } from "../network";
import { rewardDomain } from "../rewards";
import { ROLES } from "../roles";
import { redactUrl } from "./files";
import { Relayer, SKIP_REASON_NAMES, type ClaimChain, type ClaimLog } from "./relayer";
import { lockHolder, takeLock, type HeldLock } from "./lock";
import { InThreadSigning, SigningPool, type AttestationSigning } from "./signing-pool";
import {
  issuerMetrics,
  jsonLogger,
  startStatusServer,
  type IssuerMetrics,
  type LoopHealth,
  type Logger,
} from "./status";
import { FastJsonRpcProvider, SERVICE_PROVIDER_OPTIONS } from "./transport";
import { TxPipeline } from "./txpipeline";

/**
 * How Node runs the service (`npm run issuer`, the `zon-issuer` command): a JavaScript heap of 384 MiB, so
 * that the collector keeps the resident memory bounded (under 512 MiB with a 200 MB usage file being
 * claimed) instead of letting garbage grow toward the machine's memory.
 */
export const SERVICE_NODE_ARGS = ["--max-old-space-size=384"];

/** The issuer service's configuration file (`deploy/issuer/<network>.json`). */
export interface IssuerConfig {
  /** The network whose deployment record (`deployments/<network>.json`) names the contracts. */
  network: string;
  /** JSON-RPC URL; the environment's `ZON_RPC_URL` wins. */
  rpcUrl: string;
  /** Holds the fulfilment ledger, and `inbox/` (with `done/` and `rejected/`) unless `inbox` is given. */
  stateDir: string;
  /** The relayer's inbox, when not `<stateDir>/inbox` (several relayers may share one). */
  inbox?: string;
  /** The loops this process runs (default both); one worker per fulfilment ledger. */
  loops?: Array<"relayer" | "worker">;
  status: {
    host: string;
    port: number;
    /** Unhealthy when a loop has seen no new block for this long (default 60 s; the chain has stopped). */
    headStaleAfterSeconds?: number;
  };
  /** Names of the signers: each key comes from `ZON_KEY_<NAME>` in the environment. */
  keys: { relayer: string; fulfiller: string; attestors: string[] };
  /** On a local development chain only: the test account index standing in for a name with no key set. */
  localAccounts?: Record<string, number>;
  relayer: {
    batchSize: number;
    maxBatchesInFlight: number;
    intervalMs: number;
    deadlineSeconds: number;
    retrySkippedAfterSeconds: number;
    rebroadcastAfterSeconds: number;
    replaceAfterSeconds: number;
    gasPriceWei: string;
    /** Threads that sign the attestations (1); 0 signs on the relayer's own thread. */
    signingThreads?: number;
    /** A usage file is taken once its size and time have not changed for this long (default 2,000 ms). */
    fileStableMs?: number;
    /** Unhealthy when rows are pending and none has settled for this long (default 300 s). */
    stallAfterSeconds?: number;
    /** Rows of one file read and signed ahead of sending (default 20,000). */
    windowRows?: number;
    /**
     * FOCUS exports in the inbox: the account registry (account,wallet,number) and the optional mapping
     * file, read again for each file taken; the salt is `CUSTOMER_ID_SALT` (environment or Hardhat vars).
     */
    focus?: { wallets: string; mapping?: string };
    /** Refuse usage columns the format does not know (by default ignored, with a log line). */
    strictColumns?: boolean;
  };
  worker: {
    /**
     * This worker's id on chain (at most 31 bytes of text): it delivers only what it accepted. Default: made
     * once and kept in `<stateDir>/worker-id`, so that each state volume is one worker.
     */
    id?: string;
    intervalMs: number;
    confirmations: number;
    batchSize: number;
    safetyMarginSeconds: number;
    deliverableSkus: number[];
    /** Seconds a worker transaction may take to be mined before its batch is checked and sent again (30). */
    receiptTimeoutSeconds?: number;
  };
  /** Milliseconds SIGTERM waits for batches in flight before abandoning them (the chain stays the truth). */
  shutdownGraceMs: number;
}

function field(config: unknown, name: string): unknown {
  let value = config;
  for (const key of name.split(".")) value = (value as Record<string, unknown> | undefined)?.[key];
  return value;
}

/** Reads and checks a configuration file; an error names the file, the field and the value. */
export function loadIssuerConfig(file: string): IssuerConfig {
  if (!existsSync(file)) throw new Error(`config: no file at ${file}`);
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`config: ${file} is not valid JSON (${(error as Error).message})`);
  }
  const fail = (name: string, what: string) => {
    throw new Error(`${file}: field "${name}" is ${JSON.stringify(field(config, name))}; ${what}`);
  };
  for (const name of ["network", "rpcUrl", "stateDir", "status.host", "keys.relayer", "keys.fulfiller"])
    if (typeof field(config, name) !== "string" || field(config, name) === "")
      fail(name, "it must be a text");
  const attestors = field(config, "keys.attestors");
  if (!Array.isArray(attestors) || attestors.length === 0 || attestors.some((a) => typeof a !== "string"))
    fail("keys.attestors", "it must be a list of signer names");
  for (const name of [
    "status.port",
    "relayer.batchSize",
    "relayer.maxBatchesInFlight",
    "relayer.intervalMs",
    "relayer.deadlineSeconds",
    "relayer.retrySkippedAfterSeconds",
    "relayer.rebroadcastAfterSeconds",
    "relayer.replaceAfterSeconds",
    "worker.intervalMs",
    "worker.confirmations",
    "worker.batchSize",
    "worker.safetyMarginSeconds",
    "shutdownGraceMs",
  ]) {
    const value = field(config, name);
    if (!Number.isInteger(value) || (value as number) < 0) fail(name, "it must be a whole number");
  }
  for (const name of ["relayer.batchSize", "relayer.maxBatchesInFlight", "worker.batchSize"])
    if ((field(config, name) as number) < 1) fail(name, "it must be at least 1");
  if (!/^[0-9]+$/.test(String(field(config, "relayer.gasPriceWei"))))
    fail("relayer.gasPriceWei", "it must be a whole number of wei, as text");
  const signingThreads = field(config, "relayer.signingThreads");
  if (signingThreads !== undefined && (!Number.isInteger(signingThreads) || (signingThreads as number) < 0))
    fail("relayer.signingThreads", "it must be a whole number of threads (0: the relayer's own)");
  for (const name of [
    "relayer.fileStableMs",
    "relayer.stallAfterSeconds",
    "relayer.windowRows",
    "status.headStaleAfterSeconds",
  ]) {
    const value = field(config, name);
    if (value !== undefined && (!Number.isInteger(value) || (value as number) < 1))
      fail(name, "it must be a whole number, at least 1");
  }
  const focus = field(config, "relayer.focus");
  if (focus !== undefined) {
    if (typeof field(config, "relayer.focus.wallets") !== "string")
      fail("relayer.focus.wallets", "it must be the path of the account registry (account,wallet,number)");
    const mapping = field(config, "relayer.focus.mapping");
    if (mapping !== undefined && typeof mapping !== "string")
      fail("relayer.focus.mapping", "it must be the path of the mapping file");
  }
  const strictColumns = field(config, "relayer.strictColumns");
  if (strictColumns !== undefined && typeof strictColumns !== "boolean")
    fail("relayer.strictColumns", "it must be true or false");
  const receiptTimeout = field(config, "worker.receiptTimeoutSeconds");
  if (receiptTimeout !== undefined && (!Number.isInteger(receiptTimeout) || (receiptTimeout as number) < 1))
    fail("worker.receiptTimeoutSeconds", "it must be a whole number of seconds, at least 1");
  const loops = field(config, "loops");
  if (
    loops !== undefined &&
    (!Array.isArray(loops) || loops.length === 0 || loops.some((l) => l !== "relayer" && l !== "worker"))
  )
    fail("loops", 'it must list "relayer", "worker" or both');
  const workerId = field(config, "worker.id");
  if (workerId !== undefined) {
    try {
      workerIdOf(String(workerId));
      if (typeof workerId !== "string") throw new Error("not a text");
    } catch {
      fail("worker.id", "it must be a text of 1 to 31 bytes");
    }
  }
  const skus = field(config, "worker.deliverableSkus");
  if (!Array.isArray(skus) || skus.some((s) => !Number.isInteger(s) || s < 0))
    fail("worker.deliverableSkus", "it must be a list of SKU numbers");
  return config as IssuerConfig;
}

/**
 * The key named `name` (`src/keys.ts`: `ZON_KEY_<NAME>` or a keystore, from the environment or Hardhat's
 * configuration variables); on a local chain, the configured test account instead.
 */
async function signerKey(
  name: string,
  config: IssuerConfig,
  local: boolean,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  const key = await namedKey(name, configLookup(env), env);
  if (key !== undefined) return key;
  const index = config.localAccounts?.[name];
  if (local && index !== undefined)
    return HDNodeWallet.fromPhrase(TEST_MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`).privateKey;
  throw new Error(
    `signer ${name}: set its private key in ZON_KEY_${name} (the environment, or npx hardhat vars set), or a keystore's path in ZON_KEYSTORE_${name}`,
  );
}

/**
 * A read the service needs before it starts, tried again on a node fault (not on an answer) for up to
 * `withinMs`: a node that is restarting, or a flaky link, delays the start by a moment, and a node that is
 * not there is said to be missing within seconds (the supervisor restarts the service).
 */
async function startupRead<T>(read: () => Promise<T>, withinMs = 1_000): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      const answered = isError(error, "CALL_EXCEPTION") || isError(error, "BAD_DATA");
      const wait = Math.min(1_000, 100 * 2 ** attempt);
      if (answered || Date.now() + wait > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

function runs(config: IssuerConfig, loop: "relayer" | "worker"): boolean {
  return config.loops === undefined || config.loops.includes(loop);
}

/** What the relayer reads before it sends claims: pauses, what may be minted, policies (`ClaimChain`). */
function claimChain(distributor: RewardDistributor, token: ZonCoin): ClaimChain {
  let weiPerCent: bigint | undefined;
  let cap: bigint | undefined;
  return {
    paused: async () => {
      const [d, t] = await Promise.all([distributor.paused(), token.paused()]);
      return { distributor: d, token: t };
    },
    mintable: async () => {
      cap ??= (await token.maxSupply()) || 2n ** 128n - 1n;
      const [allowance, supply] = await Promise.all([
        token.minterAllowance(distributor.target as string),
        token.totalSupply(),
      ]);
      return allowance < cap - supply ? allowance : cap - supply;
    },
    policy: async (period) => {
      weiPerCent ??= await distributor.weiPerCent();
      const [packedRates, budget] = await distributor.periodPolicy(period);
      if (budget === 0n) return undefined;
      const ratesBps = Array.from({ length: 8 }, (_, i) => Number((packedRates >> BigInt(16 * i)) & 0xffffn));
      return { weiPerCent, ratesBps, budget };
    },
  };
}

/** Refuses, naming it, a directory the service cannot write (a read-only volume, a wrong owner). */
async function requireWritable(field: string, dir: string): Promise<void> {
  const probe = path.join(dir, `.write-check-${process.pid}`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(probe, "");
    await rm(probe, { force: true });
  } catch (error) {
    throw new Error(
      `${field}: the service cannot write to ${dir} (${(error as NodeJS.ErrnoException).code ?? describeError(error)}); it keeps its inbox, ledger and records there, so it must be writable`,
    );
  }
}

/** `eth_getLogs` from `fromBlock` to the head, in chunks Besu accepts (`--rpc-max-logs-range`, 5,000). */
async function logsInChunks(
  provider: JsonRpcProvider,
  filter: { address: string; topics: Array<string | string[] | null> },
  fromBlock: number,
): Promise<ClaimLog[]> {
  const logs: ClaimLog[] = [];
  for await (const log of rawLogsInChunks(provider, filter, fromBlock, await provider.getBlockNumber()))
    logs.push(log);
  return logs;
}

/** The usage files a relayer settled (in its inbox's `done/`), without the result notes beside them. */
function settledUsageFiles(done: string): string[] {
  if (!existsSync(done)) return [];
  return readdirSync(done)
    .filter((name) => USAGE_FILE.test(name) && !name.endsWith(".result.json"))
    .sort()
    .map((name) => path.join(done, name));
}

/**
 * One fulfilment worker per state directory (its ledger, its worker id): two processes on one would both
 * deliver what its id accepted. The lock is the kernel's (`takeLock`), released the moment its holder dies.
 */
async function lockWorker(stateDir: string): Promise<HeldLock> {
  try {
    return await takeLock(
      path.join(stateDir, "worker.lock"),
      lockHolder("the issuer service's fulfilment worker"),
    );
  } catch (error) {
    throw new Error(
      `stateDir: ${(error as Error).message}. One fulfilment worker runs per state directory; to run a second relayer on this inbox, give it "loops": ["relayer"]`,
    );
  }
}

/**
 * Deliveries that ended unpaid, kept in `<stateDir>/unpaid.jsonl` (one line each, written once) for the
 * operator, beside the ledger they come from; `redeem:unpaid` lists the same from the ledger and the chain.
 */
function unpaidRecorder(
  stateDir: string,
  metrics: IssuerMetrics,
  log: Logger,
  records: { writeError?: string },
) {
  const file = path.join(stateDir, "unpaid.jsonl");
  const known = new Set(
    existsSync(file)
      ? readFileSync(file, "utf8")
          .split("\n")
          .filter((line) => line.trim() !== "")
          .map((line) => (JSON.parse(line) as { redemptionKey: string }).redemptionKey)
      : [],
  );
  return (unpaid: UnpaidDelivery) => {
    const fields = {
      loop: "worker",
      redemptionKey: unpaid.context.redemptionKey,
      requestId: unpaid.request.id.toString(),
      owner: unpaid.request.owner,
      amount: unpaid.request.amount.toString(),
      delivery: unpaid.delivery,
      closedBy: unpaid.closedBy,
      transactionHash: unpaid.transactionHash,
      blockNumber: unpaid.blockNumber,
    };
    log(
      "error",
      "a delivery ended unpaid: its request was closed without the burn; claw the delivery back",
      fields,
    );
    if (known.has(fields.redemptionKey)) return;
    known.add(fields.redemptionKey);
    metrics.unpaidDeliveries.inc();
    const { loop: _loop, ...line } = fields;
    try {
      appendFileSync(file, JSON.stringify(line) + "\n", { flush: true });
      records.writeError = undefined;
    } catch (error) {
      // Logged and counted already; the line is written when the worker reads the history again (a restart).
      records.writeError = `cannot write ${file}: ${describeError(error)}`;
      metrics.writeErrors.inc({ loop: "worker" });
    }
  };
}

/**
 * The issuer's backend as one process: the relayer and the fulfilment worker, each in its own loop and
 * on its own connection, a status server (`/healthz`, `/metrics`) and JSON-lines logs. `stop()` (SIGTERM)
 * lets the relayer's batches in flight finish within the grace period, lets the worker finish its round,
 * and then abandons what is left: nothing is lost, since a restart reads the same state from the chain.
 */
export class IssuerService {
  private readonly stopping = new AbortController();
  private readonly health: Partial<Record<"relayer" | "worker", LoopHealth>> = {};
  /** The newest block each loop has seen, and when it last moved. */
  private readonly heads: Record<"relayer" | "worker", { block: number; movedAt: number }> = {
    relayer: { block: -1, movedAt: Date.now() },
    worker: { block: -1, movedAt: Date.now() },
  };
  private loops: Promise<void>[] = [];
  private graceOver = false;
  private server?: Server;

  private constructor(
    readonly config: IssuerConfig,
    readonly metrics: IssuerMetrics,
    private readonly log: Logger,
    private readonly providers: JsonRpcProvider[],
    readonly relayer: Relayer,
    private readonly pipeline: TxPipeline,
    readonly worker: FulfilmentWorker | undefined,
    private readonly lock: HeldLock | undefined,
    private readonly ledger: FileLedgerAdapter | undefined,
    private readonly records: { writeError?: string },
    private readonly reconciler: (period: number) => Promise<ReconcileSummary>,
  ) {
    for (const name of ["relayer", "worker"] as const)
      if (runs(config, name))
        this.health[name] = {
          name,
          staleAfterMs: 3 * config[name].intervalMs + 30_000,
          problems: () => this.problems(name),
        };
  }

  /** What is wrong with a loop now, beyond its rounds (see `/healthz`). */
  private problems(loop: "relayer" | "worker"): string[] {
    const problems: string[] = [];
    const now = Date.now();
    const head = this.heads[loop];
    const headStaleMs = (this.config.status.headStaleAfterSeconds ?? 60) * 1000;
    if (now - head.movedAt > headStaleMs)
      problems.push(
        `the chain's head has not moved for ${Math.round((now - head.movedAt) / 1000)} s (last block seen: ${head.block})`,
      );
    if (loop === "relayer") {
      const pending = this.relayer.pendingItems();
      const quiet = now - this.relayer.lastProgress();
      if (pending > 0 && quiet > (this.config.relayer.stallAfterSeconds ?? 300) * 1000)
        problems.push(`${pending} row(s) pending and none settled for ${Math.round(quiet / 1000)} s`);
      const writing = this.relayer.writeProblem();
      if (writing) problems.push(writing);
    } else {
      for (const writing of [this.ledger?.writeError, this.records.writeError])
        if (writing) problems.push(writing);
    }
    return problems;
  }

  /** Records the head a loop has seen, for `zon_last_block_seen` and the health's stalled-chain check. */
  private sawHead(loop: "relayer" | "worker", block: number): void {
    this.metrics.lastBlock.set({ loop }, block);
    const head = this.heads[loop];
    if (block !== head.block) this.heads[loop] = { block, movedAt: Date.now() };
  }

  /** Reads the deployment, the keys and the chain, and checks the signers hold what they need. */
  static async create(
    config: IssuerConfig,
    env: NodeJS.ProcessEnv = process.env,
    log: Logger = jsonLogger(),
  ): Promise<IssuerService> {
    const deployment = readDeployment(config.network);
    const url = env.ZON_RPC_URL || config.rpcUrl;
    const metrics = issuerMetrics({
      loops: (["relayer", "worker"] as const).filter((loop) => runs(config, loop)),
      skipReasons: SKIP_REASON_NAMES.filter((reason) => reason !== "none"),
    });
    const chainId = Number(deployment.chainId);
    const provider = (loop: string) =>
      new FastJsonRpcProvider(url, chainId, SERVICE_PROVIDER_OPTIONS, {
        onError: () => metrics.rpcErrors.inc({ loop }),
      });
    const relayerProvider = provider("relayer");
    const workerProvider = provider("worker");
    const providers = [relayerProvider, workerProvider];
    let lock: HeldLock | undefined;
    let signer: AttestationSigning | undefined;
    try {
      let local: boolean;
      try {
        local = await startupRead(() => isLocalNode(relayerProvider));
        const nodeChain = BigInt(await startupRead(() => relayerProvider.send("eth_chainId", [])));
        if (nodeChain !== BigInt(chainId))
          throw new Error(
            `rpcUrl: ${redactUrl(url)} is chain ${nodeChain}, but deployments/${config.network}.json is for chain ${chainId}`,
          );
      } catch (error) {
        if (error instanceof Error && error.message.startsWith("rpcUrl:")) throw error;
        const onThisMachine = /^https?:\/\/(127\.0\.0\.1|localhost)(:|\/|$)/.test(url);
        throw new Error(
          `rpcUrl: no JSON-RPC node answers at ${redactUrl(url)} (${describeError(error)})` +
            (onThisMachine ? "; start the local chain first: npm run chain" : ""),
        );
      }
      const key = (name: string) => signerKey(name, config, local, env);
      const distributorAddress = deployment.contracts.RewardDistributor;
      const distributor = RewardDistributor__factory.connect(distributorAddress, relayerProvider);
      const domain = rewardDomain(BigInt(chainId), distributorAddress);
      const attestorKeys: string[] = [];
      for (const name of config.keys.attestors) attestorKeys.push(await key(name));
      // The signers themselves are built where they sign (the signing threads); here only their addresses.
      const attestors = attestorKeys.map((privateKey) => computeAddress(privateKey));
      for (const [i, attestor] of attestors.entries()) {
        if (!(await startupRead(() => distributor.isAttestor(attestor))))
          throw new Error(
            `keys.attestors[${i}]: ${config.keys.attestors[i]} (${attestor}) is not an attestor of ${distributorAddress}`,
          );
      }
      const threshold = await startupRead(() => distributor.threshold());
      if (BigInt(attestors.length) < threshold)
        throw new Error(
          `keys.attestors: ${attestors.length} attestor(s) configured, the distributor needs ${threshold}`,
        );
      const fulfiller = new Wallet(await key(config.keys.fulfiller), workerProvider);
      const gateway = RedemptionGateway__factory.connect(deployment.contracts.RedemptionGateway, fulfiller);
      if (!(await startupRead(() => gateway.hasRole(ROLES.FULFILLER, fulfiller.address))))
        throw new Error(
          `keys.fulfiller: ${config.keys.fulfiller} (${fulfiller.address}) is not the fulfiller of ${await gateway.getAddress()}`,
        );

      const inbox = config.inbox ?? path.join(config.stateDir, "inbox");
      const workDir = path.join(config.stateDir, "relayer");
      for (const [name, dir] of [
        ["stateDir", config.stateDir],
        ["inbox", inbox],
        ["stateDir", workDir],
      ] as const)
        await requireWritable(name, dir);
      let workerId: string | undefined;
      if (runs(config, "worker")) {
        lock = await lockWorker(config.stateDir);
        workerId =
          config.worker.id !== undefined
            ? workerIdOf(config.worker.id)
            : persistentWorkerId(path.join(config.stateDir, "worker-id"));
      }
      const pipeline = new TxPipeline({
        wallet: new Wallet(await key(config.keys.relayer), relayerProvider),
        provider: relayerProvider,
        chainId: BigInt(chainId),
        maxInFlight: config.relayer.maxBatchesInFlight,
        gasPriceWei: BigInt(config.relayer.gasPriceWei),
        rebroadcastAfterMs: config.relayer.rebroadcastAfterSeconds * 1000,
        replaceAfterMs: config.relayer.replaceAfterSeconds * 1000,
        log: (message, fields) => log("warn", message, { loop: "relayer", ...fields }),
        onBroadcastRefused: (reason) => metrics.broadcastsRefused.inc({ reason }),
        onNonceGap: () => metrics.nonceGaps.inc(),
      });
      signer =
        config.relayer.signingThreads === 0
          ? new InThreadSigning({ keys: attestorKeys, domain })
          : new SigningPool({ keys: attestorKeys, domain }, config.relayer.signingThreads ?? 1);
      // The signing threads load their code when first asked: asked once now, not by the first usage file.
      await signer.sign([
        {
          beneficiary: ZeroAddress,
          customerId: ZeroHash,
          period: 0,
          category: 0,
          usageCents: 0n,
          id: 0n,
          deadline: 0n,
        },
      ]);
      const focus = config.relayer.focus;
      const focusReading =
        focus === undefined
          ? undefined
          : () =>
              focusContext({ ...focus, salt: customerIdSalt(configLookup(env)("CUSTOMER_ID_SALT"), local) });
      focusReading?.(); // a missing registry or salt stops the start, not the first export
      const relayer = new Relayer({
        distributor: { address: distributorAddress, interface: distributor.interface },
        pipeline,
        signer,
        inbox,
        workDir,
        batchSize: config.relayer.batchSize,
        deadlineSeconds: config.relayer.deadlineSeconds,
        retrySkippedAfterMs: config.relayer.retrySkippedAfterSeconds * 1000,
        fileStableMs: config.relayer.fileStableMs,
        windowRows: config.relayer.windowRows,
        focus: focusReading,
        strictColumns: config.relayer.strictColumns,
        chain: claimChain(
          distributor,
          ZonCoin__factory.connect(deployment.contracts.ZonCoin, relayerProvider),
        ),
        claimLogs: (topics) =>
          logsInChunks(relayerProvider, { address: distributorAddress, topics }, deployment.fromBlock),
        metrics,
        log,
      });
      const ledger =
        workerId === undefined
          ? undefined
          : new FileLedgerAdapter(
              path.join(config.stateDir, "ledger.jsonl"),
              new Set(config.worker.deliverableSkus.map(BigInt)),
              (message) => log("warn", message, { loop: "worker" }),
            );
      const records: { writeError?: string } = {};
      const worker =
        workerId === undefined
          ? undefined
          : new FulfilmentWorker({
              gateway,
              adapter: ledger!,
              fromBlock: deployment.fromBlock,
              confirmations: config.worker.confirmations,
              batchSize: config.worker.batchSize,
              safetyMarginSeconds: config.worker.safetyMarginSeconds,
              receiptTimeoutMs: (config.worker.receiptTimeoutSeconds ?? 30) * 1000,
              workerId,
              onUnpaid: unpaidRecorder(config.stateDir, metrics, log, records),
              log: (message) => log("info", message, { loop: "worker" }),
            });
      log("info", "issuer service ready", {
        rpcUrl: redactUrl(url),
        chainId,
        relayer: pipeline.address(),
        attestors,
        fulfiller: fulfiller.address,
        ...(workerId ? { worker: workerName(workerId) } : {}),
        inbox,
      });
      // The issuer's books on demand (/reconcile?period=): the usage files the relayer settled, its ledger.
      const reconciler = (period: number) =>
        reconcile({
          provider: relayerProvider,
          deployment,
          period,
          exports: settledUsageFiles(path.join(inbox, "done")),
          readOptions: focusReading ? { focus: focusReading(), focusReport: emptyFocusReport() } : {},
          ledgers: ledger ? [ledger.ledgerFile] : [],
          outDir: path.join(config.stateDir, "reconcile", String(period)),
        });
      return new IssuerService(
        config,
        metrics,
        log,
        providers,
        relayer,
        pipeline,
        worker,
        lock,
        ledger,
        records,
        reconciler,
      );
    } catch (error) {
      for (const p of providers) p.destroy();
      await lock?.release();
      await signer?.close();
      throw error;
    }
  }

  /** Starts both loops and the status server. */
  async start(): Promise<void> {
    const { config, metrics } = this;
    // Without its lock another worker could start on this state directory: stop at once (unhandled, so
    // the process ends with its fatal line for the supervisor to restart it).
    void this.lock?.lost.then((reason) => {
      if (reason !== "released") throw new Error(`worker lock lost: ${reason}`);
    });
    this.server = await startStatusServer(
      config.status.port,
      config.status.host,
      metrics.registry,
      () => Object.values(this.health),
      Date.now,
      this.reconciler,
    );
    this.log("info", "status server listening", {
      url: `http://${config.status.host}:${(this.server.address() as { port: number }).port}`,
    });
    this.loops = [];
    if (runs(config, "relayer"))
      this.loops.push(
        this.loop(
          "relayer",
          config.relayer.intervalMs,
          () => this.relayerRound(),
          () => (this.stopping.signal.aborted ? this.relayer.busy() === 0 : false),
        ),
      );
    if (runs(config, "worker"))
      this.loops.push(
        this.loop(
          "worker",
          config.worker.intervalMs,
          () => this.workerRound(),
          () => this.stopping.signal.aborted,
        ),
      );
  }

  private async relayerRound(): Promise<void> {
    this.sawHead("relayer", await this.providers[0].getBlockNumber());
    await this.relayer.round();
  }

  private async workerRound(): Promise<void> {
    const { config, metrics } = this;
    const worker = this.worker!;
    const report = await worker.runOnce();
    const head = report.scannedTo + config.worker.confirmations;
    this.sawHead("worker", head);
    metrics.lag.set({ loop: "worker" }, Math.max(0, head - worker.lastScannedBlock()));
    metrics.openRedemptions.set(worker.openCount());
    for (const outcome of ["accepted", "confirmed", "rejected", "deferred"] as const)
      metrics.redemptions.inc({ outcome }, report[outcome].length);
    metrics.redemptions.inc({ outcome: "failed" }, report.failed.length);
    metrics.redemptions.inc({ outcome: "others" }, report.others.length);
  }

  /** The status server's port (useful when configured as 0). */
  statusPort(): number {
    return (this.server?.address() as { port: number }).port;
  }

  /** Graceful stop: see the class comment. Resolves once every loop has ended and every socket is closed. */
  async stop(): Promise<void> {
    this.log("info", "stopping: no new batches; waiting for the ones in flight", {
      inFlight: this.relayer.busy(),
    });
    this.relayer.stop();
    this.stopping.abort();
    const grace = new Promise<"timeout">((resolve) => {
      const timer = setTimeout(() => resolve("timeout"), this.config.shutdownGraceMs);
      timer.unref();
    });
    if ((await Promise.race([Promise.all(this.loops), grace])) === "timeout") {
      this.log("warn", "grace period over: abandoning the batches still in flight (a restart settles them)", {
        inFlight: this.relayer.busy(),
      });
      this.pipeline.abandon("the service stopped");
      this.graceOver = true;
      await Promise.all(this.loops);
    }
    await this.relayer.close();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    for (const provider of this.providers) provider.destroy();
    await this.lock?.release();
    this.log("info", "stopped");
  }

  private async loop(
    name: "relayer" | "worker",
    intervalMs: number,
    round: () => Promise<void>,
    done: () => boolean,
  ): Promise<void> {
    const { metrics, log } = this;
    while (!done() && !this.graceOver) {
      const started = performance.now();
      try {
        await round();
        this.health[name]!.lastGoodRoundAt = Date.now();
        metrics.roundSeconds.observe({ loop: name }, (performance.now() - started) / 1000);
      } catch (error) {
        metrics.roundErrors.inc({ loop: name });
        log("error", "round failed; the next round starts over from the chain", {
          loop: name,
          error: describeError(error),
        });
      }
      if (done() || this.graceOver) break;
      await new Promise<void>((resolve) => {
        // The worker's wait ends at once on stop; the relayer keeps ticking to settle its batches.
        const onStop = () => (clearTimeout(timer), resolve());
        const timer = setTimeout(() => {
          this.stopping.signal.removeEventListener("abort", onStop);
          resolve();
        }, intervalMs);
        if (name === "worker") this.stopping.signal.addEventListener("abort", onStop, { once: true });
      });
    }
  }
}

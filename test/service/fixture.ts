import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, openSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  HDNodeWallet,
  JsonRpcProvider,
  keccak256,
  toQuantity,
  toUtf8Bytes,
  ZeroHash,
  type EventLog,
} from "ethers";
import {
  bundledSignature,
  AttestationSigner,
  BESU_LOCAL,
  packRates,
  rewardDomain,
  readDeployment,
  TEST_MNEMONIC,
  type Deployment,
  type LedgerEntry,
  type UsageAttestation,
} from "../../src";
import { SERVICE_NODE_ARGS, type IssuerConfig } from "../../src/service/issuer";
import type { FileResult } from "../../src/service/relayer";
import {
  RedemptionGateway__factory,
  RewardDistributor__factory,
  ZonCoin__factory,
} from "../../typechain-types";
import { deployOn, killOnExit, removeDeployJournal, ROOT, startLocalChain } from "../helpers/chain";
import { freePort } from "../helpers/net";

export const PERIOD = 202611;
/** compute=5 %: a row of 1,000 cents earns 0.5 ZON. */
export const RATES = packRates([500, 300, 200, 100, 0, 250, 0, 1_000]);
export const CREDIT_SKU = 1;
const ONE_ZON = 10n ** 18n;
const account = (index: number) =>
  HDNodeWallet.fromPhrase(TEST_MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`);
/** Test accounts as deploy/parameters/besuLocal.json gives them roles, and two businesses. */
export const ACCOUNTS = { policyOfficer: 3, compliance: 2, fulfiller: 7, acme: 11, globex: 12 } as const;

/** The same key material `npm run issuer` uses on a local chain (deploy/issuer/besuLocal.json). */
function localConfig(): Pick<IssuerConfig, "keys" | "localAccounts"> {
  const file = JSON.parse(readFileSync(path.join(ROOT, "deploy", "issuer", "besuLocal.json"), "utf8"));
  return { keys: file.keys, localAccounts: file.localAccounts };
}

/**
 * A deployed suite on a local chain of its own (with a state file, so it can be stopped and restarted),
 * a policy for PERIOD, and what the service tests need around it: configurations, usage files dropped
 * into an inbox the way a billing export lands, service processes, and the checks of exactly-once.
 */
export async function startWorld() {
  const dir = await mkdtemp(path.join(os.tmpdir(), "zon-issuer-"));
  const chain = await startLocalChain({ stateFile: path.join(dir, "chain-state.json") });
  deployOn(chain, dir);
  const provider = new JsonRpcProvider(chain.url, BESU_LOCAL.chainId, {
    staticNetwork: true,
    cacheTimeout: -1,
    pollingInterval: 200,
  });
  process.env.ZON_DEPLOYMENTS_DIR = dir;
  const deployment: Deployment = readDeployment("besuLocal");
  delete process.env.ZON_DEPLOYMENTS_DIR;
  const wallet = (index: number) => account(index).connect(provider);
  const distributor = RewardDistributor__factory.connect(deployment.contracts.RewardDistributor, provider);
  const gateway = RedemptionGateway__factory.connect(deployment.contracts.RedemptionGateway, provider);
  const token = ZonCoin__factory.connect(deployment.contracts.ZonCoin, provider);
  await (
    await distributor.connect(wallet(ACCOUNTS.policyOfficer)).publishPolicy(PERIOD, RATES, 10_000_000n)
  ).wait();
  const processes: ChildProcess[] = [];
  const baseEnv: NodeJS.ProcessEnv = { ...process.env, ZON_DEPLOYMENTS_DIR: dir, ZON_RPC_URL: "" };
  let nextId = 0;

  const world = {
    dir,
    chain,
    provider,
    deployment,
    distributor,
    gateway,
    token,
    wallet,
    env: baseEnv,

    /** A service configuration: state under `dir/<name>`, quick rounds, the local test accounts' keys. */
    config(name: string, overrides: Partial<IssuerConfig> = {}): IssuerConfig {
      return {
        network: "besuLocal",
        rpcUrl: chain.url,
        stateDir: path.join(dir, name),
        status: { host: "127.0.0.1", port: 0 },
        ...localConfig(),
        relayer: {
          batchSize: 50,
          maxBatchesInFlight: 8,
          intervalMs: 100,
          deadlineSeconds: 30 * 86_400,
          retrySkippedAfterSeconds: 1,
          rebroadcastAfterSeconds: 2,
          replaceAfterSeconds: 60,
          gasPriceWei: "0",
        },
        worker: {
          intervalMs: 300,
          confirmations: 0,
          batchSize: 20,
          safetyMarginSeconds: 600,
          deliverableSkus: [1, 3],
          receiptTimeoutSeconds: 5,
        },
        shutdownGraceMs: 10_000,
        ...overrides,
      };
    },

    /** Writes a configuration file (for a service process) and returns its path. */
    async configFile(config: IssuerConfig): Promise<string> {
      const file = path.join(
        dir,
        `${path.basename(config.stateDir)}-${Math.random().toString(36).slice(2, 8)}.json`,
      );
      await writeFile(
        file,
        JSON.stringify({
          ...config,
          status: { ...config.status, port: config.status.port || (await freePort()) },
        }),
      );
      return file;
    },

    /** `count` usage rows with fresh ids, alternating between the two businesses, 1,000 cents of compute each. */
    usageRows(count: number, period = PERIOD): string[] {
      const owners = [account(ACCOUNTS.acme).address, account(ACCOUNTS.globex).address];
      return Array.from({ length: count }, () => {
        const id = nextId++;
        const customer = keccak256(toUtf8Bytes(`customer-${id % 97}`));
        return `${owners[id % 2]},${customer},${period},compute,1000,${id}`;
      });
    },

    /** The status server's base URL of the service a configuration file sets up. */
    statusUrl(configFile: string): string {
      const { status } = JSON.parse(readFileSync(configFile, "utf8")) as IssuerConfig;
      return `http://${status.host}:${status.port}`;
    },

    /** Lands a usage file in `inbox` whole (written under a dot name, then renamed), as billing exports must. */
    async drop(inbox: string, name: string, rows: string[]): Promise<{ name: string; ids: string[] }> {
      await mkdir(inbox, { recursive: true });
      const hidden = path.join(inbox, `.${name}.partial`);
      await writeFile(
        hidden,
        ["beneficiary,customerId,period,category,usageCents,id", ...rows].join("\n") + "\n",
      );
      await rename(hidden, path.join(inbox, name));
      return { name, ids: rows.map((row) => row.split(",")[5]) };
    },

    /** The result the relayer wrote for a file it settled, once it is in `done/`. */
    result(inbox: string, name: string): FileResult | undefined {
      const file = path.join(inbox, "done", `${name}.result.json`);
      return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as FileResult) : undefined;
    },

    /** How many times each attestation id of PERIOD was claimed on chain. */
    async claimCounts(period = PERIOD): Promise<Map<string, number>> {
      const counts = new Map<string, number>();
      const logs = await distributor.queryFilter(
        distributor.filters.AttestationClaimed(period),
        deployment.fromBlock,
      );
      for (const log of logs) {
        const id = log.args.id.toString();
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      return counts;
    },

    /** Gives a business ZON by claiming one large attestation of its own (signed by two attestors). */
    async fund(business: number, usageCents: bigint): Promise<void> {
      const domain = rewardDomain(BigInt(BESU_LOCAL.chainId), deployment.contracts.RewardDistributor);
      const { localAccounts, keys } = localConfig();
      const signers = keys.attestors.map(
        (name) => new AttestationSigner(account(localAccounts![name]).privateKey, domain),
      );
      const attestation: UsageAttestation = {
        beneficiary: account(business).address,
        customerId: keccak256(toUtf8Bytes(`funding-${business}`)),
        period: PERIOD,
        category: 0,
        usageCents,
        id: 1_000_000n + BigInt(business),
        deadline: 2n ** 40n,
      };
      await (
        await distributor.connect(wallet(business)).claim(attestation, bundledSignature(signers, attestation))
      ).wait();
    },

    /** A business redeems `quantity` cloud credits (10 ZON each) with an approval; returns the request id. */
    async redeem(business: number, quantity: number): Promise<bigint> {
      const owner = wallet(business);
      const amount = 10n * ONE_ZON * BigInt(quantity);
      await (await token.connect(owner).approve(deployment.contracts.RedemptionGateway, amount)).wait();
      const receipt = await (
        await gateway.connect(owner).redeem(CREDIT_SKU, quantity, amount, ZeroHash)
      ).wait();
      const event = receipt!.logs
        .map((l) => gateway.interface.parseLog(l))
        .find((e) => e?.name === "RedemptionRequested");
      return event!.args.id as bigint;
    },

    /** A business redeems `count` single cloud credits at once (one approval, the redemptions sent together). */
    async redeemMany(business: number, count: number): Promise<void> {
      const owner = wallet(business);
      const amount = 10n * ONE_ZON;
      await (
        await token.connect(owner).approve(deployment.contracts.RedemptionGateway, amount * BigInt(count))
      ).wait();
      let nonce = await provider.getTransactionCount(owner.address, "pending");
      const sent = [];
      for (let i = 0; i < count; i++)
        sent.push(await gateway.connect(owner).redeem(CREDIT_SKU, 1, amount, ZeroHash, { nonce: nonce++ }));
      await Promise.all(sent.map((tx) => tx.wait()));
    },

    /** The hashes of the transactions `sender` got mined as failed (status 0) since block `from`. */
    async failedTransactionsFrom(sender: string, from: number): Promise<string[]> {
      const failed: string[] = [];
      const head = await provider.getBlockNumber();
      for (let n = from; n <= head; n++) {
        const block = await provider.send("eth_getBlockByNumber", [toQuantity(n), true]);
        for (const tx of block.transactions as Array<{ hash: string; from: string }>) {
          if (tx.from.toLowerCase() !== sender.toLowerCase()) continue;
          const receipt = await provider.send("eth_getTransactionReceipt", [tx.hash]);
          if (Number(receipt.status) === 0) failed.push(tx.hash);
        }
      }
      return failed;
    },

    /** How each request ended on chain: the names of its closing events (one each, when all is well). */
    async requestEndings(): Promise<Map<bigint, string[]>> {
      const endings = new Map<bigint, string[]>();
      const from = deployment.fromBlock;
      for (const log of await gateway.queryFilter(gateway.filters.RedemptionRequested(), from))
        endings.set(log.args.id, []);
      const closings = [
        gateway.filters.RedemptionFulfilled(),
        gateway.filters.RedemptionRejected(),
        gateway.filters.RedemptionCancelled(),
      ];
      for (const filter of closings) {
        for (const log of (await gateway.queryFilter(filter, from)) as unknown as EventLog[])
          endings.get(log.args.id as bigint)!.push(log.eventName);
      }
      return endings;
    },

    /** Waits until every redemption request has ended on chain. */
    async allRequestsClosed(ms = 120_000): Promise<void> {
      await until(
        "every request is closed",
        async () => [...(await world.requestEndings()).values()].every((e) => e.length > 0),
        ms,
      );
    },

    /** The fulfilment ledger's lines under `stateDir`. */
    ledger(stateDir: string): LedgerEntry[] {
      const file = path.join(stateDir, "ledger.jsonl");
      if (!existsSync(file)) return [];
      return readFileSync(file, "utf8")
        .split("\n")
        .filter((line) => line.trim() !== "")
        .map((line) => JSON.parse(line) as LedgerEntry);
    },

    /**
     * Starts `npm run issuer`'s program as its own process (group), output to `dir/<name>.log`; `wrapper`
     * runs it under another command (`unshare --pid --fork`: as process 1 of a PID namespace).
     */
    async startProcess(
      configFile: string,
      name: string,
      env: NodeJS.ProcessEnv = baseEnv,
      wrapper: string[] = [],
    ): Promise<ChildProcess> {
      const log = path.join(dir, `${name}.log`);
      const out = openSync(log, "a");
      const command = [
        process.execPath,
        ...SERVICE_NODE_ARGS,
        path.join(ROOT, "bin", "zon-issuer.js"),
        "--config",
        configFile,
      ];
      const child = spawn([...wrapper, ...command][0], [...wrapper, ...command].slice(1), {
        cwd: ROOT,
        env,
        stdio: ["ignore", out, out],
        detached: true,
      });
      processes.push(child);
      child.once("exit", killOnExit(child.pid!));
      // A service that dies by itself fails its test only by a timeout, and the test directory (with the
      // log) is removed: say it here, with the end of its log, so that CI's output shows why.
      child.once("exit", (code, signal) => {
        if (stopped.has(child)) return;
        const tail = readFileSync(log, "utf8").split("\n").slice(-15).join("\n");
        console.error(
          `service ${name} exited by itself (code ${code}, signal ${signal}); its log ends:\n${tail}`,
        );
      });
      return child;
    },

    /** Stops every service process started so far (SIGTERM, then SIGKILL for one that does not stop). */
    async stopProcesses(): Promise<void> {
      for (const child of processes.splice(0)) {
        const timer = setTimeout(() => child.pid && process.kill(-child.pid, "SIGKILL"), 30_000);
        await stopProcess(child, "SIGTERM");
        clearTimeout(timer);
      }
    },

    async close(): Promise<void> {
      for (const child of processes) await stopProcess(child, "SIGKILL");
      provider.destroy();
      await chain.stop();
      await removeDeployJournal(chain);
      if (!process.env.ZON_KEEP_TEST_DIR) await rm(dir, { recursive: true, force: true });
    },
  };
  return world;
}

export type World = Awaited<ReturnType<typeof startWorld>>;

/** The service processes a test stopped on purpose (or expects to end by themselves). */
const stopped = new WeakSet<ChildProcess>();

/** Says that `child` is meant to end by itself: its exit is not reported as a surprise. */
export function expectExit(child: ChildProcess): void {
  stopped.add(child);
}

/** Stops a service process (its whole group) with `signal` and waits for its exit code. */
export async function stopProcess(
  child: ChildProcess,
  signal: NodeJS.Signals = "SIGTERM",
): Promise<number | null> {
  stopped.add(child);
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  process.kill(-child.pid!, signal);
  return exited;
}

/**
 * Polls `check` until it holds (the service works in real time on a real node), failing after `ms`. A check
 * that throws (a status port between connections, a node restarting) counts as "not yet".
 */
export async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  ms = 60_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting until ${what}${last ? ` (last error: ${(last as Error).message})` : ""}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The files of `inbox` still waiting (not yet moved to done/ or rejected/). */
export async function waiting(inbox: string): Promise<string[]> {
  return (await readdir(inbox, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
}

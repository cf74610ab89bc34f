import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, openSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  AbiCoder,
  HDNodeWallet,
  NonceManager,
  JsonRpcProvider,
  keccak256,
  toUtf8Bytes,
  type ContractTransactionResponse,
  type JsonRpcPayload,
  toQuantity,
} from "ethers";
import {
  bundledSignature,
  describeError,
  minedReceipt,
  AttestationSigner,
  BESU_LOCAL,
  FulfilmentWorker,
  packRates,
  readDeployment,
  rewardDomain,
  TEST_MNEMONIC,
  type Deployment,
  type FulfilmentAdapter,
  type UsageAttestation,
  workerIdOf,
} from "../src";
import { SERVICE_NODE_ARGS, type IssuerConfig } from "../src/service/issuer";
import type { FileResult } from "../src/service/relayer";
import { FastJsonRpcProvider, JsonRpcHttp, SERVICE_PROVIDER_OPTIONS } from "../src/service/transport";
import {
  deployOn,
  killOnExit,
  removeDeployJournal,
  ROOT,
  startLocalChain,
  type LocalChain,
} from "../test/helpers/chain";
import { freePort } from "../test/helpers/net";
import {
  BulkRedeemer__factory,
  RedemptionGateway__factory,
  RewardDistributor__factory,
} from "../typechain-types";
import type { BenchResults } from "./lib";

/** The worker the bench accepts for, and whose round it measures. */
const WORKER_ID = workerIdOf("load-bench");

/*
 * `npm run bench:load [-- --seconds N --rate R]`: the issuer service under a steady load on the Besu-like
 * local chain (1 s blocks, the kit's 60 M block gas limit) — a million-customer month scaled to what runs
 * here. For N seconds a usage export of R rows lands in the inbox each second, and a business makes 20
 * redemption requests each second; the service (`zon-issuer`, its own process) claims and fulfils them.
 * Measured from the chain and the service's own results: claims per second and per block, redemptions
 * per second, inbox-to-chain latency (p50, p99), gas per block. Then, on a chain that mines at once, the
 * fulfilment worker's round time with 1,000 and with 100,000 settled requests behind it. The figures go to
 * `bench/results.json` under `load.*`. Every process it starts, it stops.
 */

const PERIOD = 202611;
const RATES = packRates([500, 300, 200, 100, 0, 250, 0, 1_000]);
const CREDIT_SKU = 1;
const CREDIT_PRICE = 10n ** 19n; // 10 ZON
const REDEMPTIONS_PER_SECOND = 20;
const CUSTOMERS = 5_000;
const account = (index: number) =>
  HDNodeWallet.fromPhrase(TEST_MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`);
const POLICY_OFFICER = 3;
const ATTESTORS = [4, 5];
const FULFILLER = 7;
const FUNDER = 15;

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  if (at === -1) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name}: ${process.argv[at + 1]} is not a positive whole number`);
  return value;
}

const seconds = (ms: number) => Math.round(ms) / 1000;
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const until = async (what: string, check: () => Promise<boolean> | boolean, ms: number) => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms / 1000} s waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

/** The suite on `chain`, a policy for PERIOD, and a bulk redeemer funded with `fundZon` ZON. */
async function setUp(chain: LocalChain, dir: string, fundZon: bigint) {
  await mkdir(dir, { recursive: true });
  deployOn(chain, dir);
  process.env.ZON_DEPLOYMENTS_DIR = dir;
  const deployment: Deployment = readDeployment("besuLocal");
  delete process.env.ZON_DEPLOYMENTS_DIR;
  // The service's transport: reading a long history through ethers' own takes minutes of UTF-8 decoding.
  const provider = new FastJsonRpcProvider(chain.url, BESU_LOCAL.chainId, {
    staticNetwork: true,
    pollingInterval: 50,
    cacheTimeout: -1,
  });
  const signer = (index: number) => account(index).connect(provider);
  const distributor = RewardDistributor__factory.connect(deployment.contracts.RewardDistributor, provider);
  await (await distributor.connect(signer(POLICY_OFFICER)).publishPolicy(PERIOD, RATES, 10_000_000n)).wait();
  const bulk = await new BulkRedeemer__factory(signer(FUNDER)).deploy(
    deployment.contracts.ZonCoin,
    deployment.contracts.RedemptionGateway,
  );
  await bulk.deploymentTransaction()!.wait();
  // Category 7 earns 10 %: 10^15 wei a cent.
  const domain = rewardDomain(BigInt(BESU_LOCAL.chainId), deployment.contracts.RewardDistributor);
  const attestation: UsageAttestation = {
    beneficiary: await bulk.getAddress(),
    customerId: keccak256(toUtf8Bytes("bulk")),
    period: PERIOD,
    category: 7,
    usageCents: (fundZon * 10n ** 18n) / 10n ** 15n,
    id: 9_000_000_000n,
    deadline: 2n ** 40n,
  };
  const signers = ATTESTORS.map((i) => new AttestationSigner(account(i).privateKey, domain));
  await (
    await distributor.connect(signer(FUNDER)).claim(attestation, bundledSignature(signers, attestation))
  ).wait();
  const gateway = RedemptionGateway__factory.connect(
    deployment.contracts.RedemptionGateway,
    signer(FULFILLER),
  );
  return { deployment, provider, distributor, gateway, bulk };
}

// ----------------------------------------------------------------------------------- the service

/** The issuer service as `npm run issuer` runs it, on `chain`, with its state under `dir/issuer`. */
async function startService(chain: LocalChain, dir: string, relayer: Partial<IssuerConfig["relayer"]> = {}) {
  const local = JSON.parse(
    readFileSync(path.join(ROOT, "deploy", "issuer", "besuLocal.json"), "utf8"),
  ) as IssuerConfig;
  const stateDir = path.join(dir, "issuer");
  const config: IssuerConfig = {
    ...local,
    rpcUrl: chain.url,
    stateDir,
    status: { host: "127.0.0.1", port: await freePort() },
    relayer: {
      ...local.relayer,
      batchSize: 100,
      maxBatchesInFlight: 32,
      intervalMs: 100,
      rebroadcastAfterSeconds: 5,
      fileStableMs: 250,
      ...relayer,
    },
    worker: { ...local.worker, intervalMs: 500, batchSize: 200 },
  };
  const configFile = path.join(dir, "issuer.json");
  await writeFile(configFile, JSON.stringify(config));
  const log = path.join(dir, "issuer.log");
  const service = spawn(
    process.execPath,
    [
      ...SERVICE_NODE_ARGS,
      ...(process.env.ZON_PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.ZON_PROFILE_DIR}`] : []),
      path.join(ROOT, "bin", "zon-issuer.js"),
      "--config",
      configFile,
    ],
    {
      cwd: ROOT,
      env: { ...process.env, ZON_DEPLOYMENTS_DIR: dir, ZON_RPC_URL: "" },
      stdio: ["ignore", openSync(log, "a"), openSync(log, "a")],
      detached: true,
    },
  );
  service.once("exit", killOnExit(service.pid!));
  await until(
    "the service is up",
    () => existsSync(log) && readFileSync(log, "utf8").includes("status server listening"),
    60_000,
  );
  return {
    service,
    inbox: path.join(stateDir, "inbox"),
    log,
    status: `http://127.0.0.1:${config.status.port}`,
  };
}

/** Stops a service started by `startService` (its whole process group) and waits for it. */
async function stopService(service: ChildProcess | undefined): Promise<void> {
  if (!service?.pid || service.exitCode !== null) return;
  const exited = new Promise((resolve) => service.once("exit", resolve));
  process.kill(-service.pid, "SIGTERM");
  await exited;
}

/** CPU seconds a process has used so far, all its threads (user + system, from /proc). */
function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
  return ticks / 100; // USER_HZ is 100 on Linux
}

/** The most memory a process has held resident (VmHWM), in MiB. */
function peakRssMiBOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Math.round(Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)![1]) / 1024);
}

// ------------------------------------------------------------------------------- claims under load

async function claimsUnderLoad(
  dir: string,
  durationSeconds: number,
  rate: number,
  blockSeconds = BESU_LOCAL.blockTimeSeconds,
): Promise<Record<string, number>> {
  const chain = await startLocalChain({ blockSeconds });
  let service: ChildProcess | undefined;
  let provider: JsonRpcProvider | undefined;
  try {
    const setup = await setUp(chain, dir, BigInt(durationSeconds * REDEMPTIONS_PER_SECOND) * 10n + 100n);
    const rpc = setup.provider;
    provider = rpc;
    const { distributor, gateway } = setup;
    // A redemption a second, not waited for: its nonces are counted here, since two sent before the first
    // reaches the node's pool would take the same one (the same transaction twice: "already imported").
    const bulk = setup.bulk.connect(new NonceManager(account(FUNDER).connect(rpc)));
    const started = await startService(chain, dir);
    service = started.service;
    const { inbox } = started;

    const startBlock = await rpc.getBlockNumber();
    const cpuBefore = cpuSecondsOf(service.pid!);
    const owners = Array.from(
      { length: CUSTOMERS },
      (_, i) =>
        "0x" + keccak256(AbiCoder.defaultAbiCoder().encode(["string", "uint256"], ["customer", i])).slice(26),
    );
    const dropped = new Map<string, number>();
    const redemptions: Array<Promise<unknown>> = [];
    let id = 0;
    const began = Date.now();
    process.stdout.write(
      `bench:load: ${durationSeconds} s of ${rate} usage rows and ${REDEMPTIONS_PER_SECOND} redemptions a second, ${blockSeconds} s blocks\n`,
    );
    for (let second = 0; second < durationSeconds; second++) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, began + second * 1000 - Date.now())));
      const rows = ["beneficiary,customerId,period,category,usageCents,id"];
      for (let i = 0; i < rate; i++, id++)
        rows.push(
          `${owners[(id * 7_919) % CUSTOMERS]},${keccak256(toUtf8Bytes(`c${id % CUSTOMERS}`))},${PERIOD},compute,${1_000 + (id % 5_000)},${id}`,
        );
      const name = `usage-${String(second).padStart(5, "0")}.csv`;
      await writeFile(path.join(inbox, `.${name}`), rows.join("\n") + "\n");
      await rename(path.join(inbox, `.${name}`), path.join(inbox, name));
      dropped.set(name, Date.now());
      const redeemed = bulk
        .redeemMany(CREDIT_SKU, CREDIT_PRICE, REDEMPTIONS_PER_SECOND)
        .then((tx: ContractTransactionResponse) => minedReceipt(tx));
      redeemed.catch(() => undefined); // failed as a whole by Promise.all below, not as an unhandled rejection
      redemptions.push(redeemed);
    }
    await Promise.all(redemptions);
    const done = path.join(inbox, "done");
    const resultOf = (name: string) => path.join(done, `${name}.result.json`);
    await until(
      "every usage file is settled on chain",
      () => [...dropped.keys()].every((name) => existsSync(resultOf(name))),
      300_000,
    );
    const requests = durationSeconds * REDEMPTIONS_PER_SECOND;
    await until(
      "every redemption request is settled",
      async () => (await gateway.openTotal()) === 0n && Number(await gateway.nextRequestId()) === requests,
      300_000,
    );
    const endBlock = await rpc.getBlockNumber();
    const cpu = cpuSecondsOf(service.pid!) - cpuBefore;

    const latencies: number[] = [];
    for (const [name, at] of dropped) {
      const result = JSON.parse(await readFile(resultOf(name), "utf8")) as FileResult;
      latencies.push((Date.parse(result.settledAt) - at) / 1000);
    }
    latencies.sort((a, b) => a - b);

    const claimTopic = distributor.interface.getEvent("AttestationClaimed").topicHash;
    const fulfilledTopic = gateway.interface.getEvent("RedemptionFulfilled").topicHash;
    const requestedTopic = gateway.interface.getEvent("RedemptionRequested").topicHash;
    // Raw logs of the three events only: ethers' Log objects for 150,000 logs would take minutes.
    const logs: Array<{ topic: string; blockNumber: number }> = [];
    for (let from = startBlock; from <= endBlock; from += 100) {
      const raw = (await rpc.send("eth_getLogs", [
        {
          fromBlock: toQuantity(from),
          toBlock: toQuantity(Math.min(endBlock, from + 99)),
          topics: [[claimTopic, fulfilledTopic, requestedTopic]],
        },
      ])) as Array<{ topics: string[]; blockNumber: string }>;
      for (const l of raw) logs.push({ topic: l.topics[0], blockNumber: Number(l.blockNumber) });
    }
    const perBlock = new Map<number, number>();
    for (const l of logs)
      if (l.topic === claimTopic) perBlock.set(l.blockNumber, (perBlock.get(l.blockNumber) ?? 0) + 1);
    const claimBlocks = [...perBlock.keys()].sort((a, b) => a - b);
    const [first, last] = [claimBlocks[0], claimBlocks[claimBlocks.length - 1]];
    const blocks = await Promise.all(
      Array.from({ length: last - first + 1 }, (_, i) => rpc.getBlock(first + i)),
    );
    const claims = [...perBlock.values()].reduce((a, b) => a + b, 0);
    const span = blocks[blocks.length - 1]!.timestamp - blocks[0]!.timestamp + blockSeconds;
    const gas = blocks.reduce((sum, b) => sum + Number(b!.gasUsed), 0);
    const blockOf = (topic: string) => logs.filter((l) => l.topic === topic).map((l) => l.blockNumber);
    const requestBlocks = blockOf(requestedTopic);
    const fulfilBlocks = blockOf(fulfilledTopic);
    const timeOf = async (n: number) => (await rpc.getBlock(n))!.timestamp;
    const redemptionSpan =
      (await timeOf(Math.max(...fulfilBlocks))) - (await timeOf(Math.min(...requestBlocks))) + blockSeconds;
    if (claims !== durationSeconds * rate)
      throw new Error(`claims: ${claims} on chain, but ${durationSeconds * rate} rows were dropped`);
    return {
      "load.claimsPerSecond": Math.round(claims / span),
      "load.claimsPerBlock": Math.round(claims / blocks.length),
      "load.claimsPerBlockMax": Math.max(...perBlock.values()),
      "load.redemptionsPerSecond": Math.round((fulfilBlocks.length / redemptionSpan) * 10) / 10,
      "load.inboxToChainP50Seconds": seconds(percentile(latencies, 50) * 1000),
      "load.inboxToChainP99Seconds": seconds(percentile(latencies, 99) * 1000),
      "load.gasPerBlock": Math.round(gas / blocks.length),
      // The service's own CPU (all its threads), over the run, per claim: what a claim costs the issuer.
      "load.serviceCpuMsPerClaim": Math.round((cpu / claims) * 1_000_000) / 1000,
    };
  } finally {
    await stopService(service);
    provider?.destroy();
    await chain.stop();
    await removeDeployJournal(chain);
  }
}

// ------------------------------------------------------------------------------------ a large file

/**
 * A billing export of `megabytes` MiB (200 MiB: 1.47 M rows) dropped whole into the inbox, then a 100-row
 * file once the large one's first claim is on chain. Measured: when the first claim of the large file
 * lands, how long the small file takes from its drop to its result, the service's peak resident memory
 * (VmHWM) over the run, and how long `/healthz` said 503. The run stops once the small file is settled and
 * the large one has been claimed for 30 s more (it is not waited for: at 1,200 claims a second it would take
 * 20 minutes).
 */
async function largeFile(dir: string, megabytes: number): Promise<Record<string, number>> {
  const chain = await startLocalChain();
  let service: ChildProcess | undefined;
  let provider: JsonRpcProvider | undefined;
  try {
    provider = (await setUp(chain, dir, 100n)).provider;
    const started = await startService(chain, dir);
    service = started.service;
    const { inbox, status } = started;
    const customers = Array.from({ length: CUSTOMERS }, (_, i) => ({
      owner:
        "0x" + keccak256(AbiCoder.defaultAbiCoder().encode(["string", "uint256"], ["large", i])).slice(26),
      id: keccak256(toUtf8Bytes(`large-${i}`)),
    }));
    const hidden = path.join(inbox, ".large.csv");
    const out = createWriteStream(hidden);
    let bytes = 0;
    let rows = 0;
    const write = (text: string) =>
      new Promise<void>((resolve) => (out.write(text) ? resolve() : out.once("drain", () => resolve())));
    await write("beneficiary,customerId,period,category,usageCents,id\n");
    while (bytes < megabytes * 1024 * 1024) {
      const lines: string[] = [];
      for (let i = 0; i < 10_000; i++, rows++) {
        const c = customers[rows % CUSTOMERS];
        lines.push(`${c.owner},${c.id},${PERIOD},compute,${1_000 + (rows % 5_000)},${20_000_000 + rows}`);
      }
      const chunk = lines.join("\n") + "\n";
      bytes += Buffer.byteLength(chunk);
      await write(chunk);
    }
    await new Promise<void>((resolve) => out.end(() => resolve()));
    process.stdout.write(`bench:load: a ${Math.round(bytes / 1024 / 1024)} MiB usage file of ${rows} rows\n`);
    let unhealthy = 0;
    const watch = setInterval(() => {
      fetch(`${status}/healthz`).then(
        (answer) => void (answer.status !== 200 && unhealthy++),
        () => unhealthy++,
      );
    }, 500);
    try {
      const droppedAt = Date.now();
      await rename(hidden, path.join(inbox, "large.csv"));
      const claims = async () =>
        Number(/^zon_claims_total (\S+)$/m.exec(await (await fetch(`${status}/metrics`)).text())?.[1] ?? 0);
      await until("the large file's first claim", async () => (await claims()) > 0, 300_000);
      const firstClaim = Date.now() - droppedAt;
      const small = ["beneficiary,customerId,period,category,usageCents,id"];
      for (let i = 0; i < 100; i++)
        small.push(`${customers[i].owner},${customers[i].id},${PERIOD},compute,1000,${19_000_000 + i}`);
      await writeFile(path.join(inbox, ".small.csv"), small.join("\n") + "\n");
      const smallAt = Date.now();
      await rename(path.join(inbox, ".small.csv"), path.join(inbox, "small.csv"));
      await until(
        "the small file is settled",
        () => existsSync(path.join(inbox, "done", "small.csv.result.json")),
        300_000,
      );
      const smallSeconds = (Date.now() - smallAt) / 1000;
      const claimedThen = await claims();
      await new Promise((resolve) => setTimeout(resolve, 30_000));
      const claimedAfter = await claims();
      return {
        "load.largeFileMiB": Math.round(bytes / 1024 / 1024),
        "load.largeFileRows": rows,
        "load.largeFileFirstClaimSeconds": seconds(firstClaim),
        "load.largeFileSmallFileSeconds": Math.round(smallSeconds * 1000) / 1000,
        "load.largeFileClaimsPerSecond": Math.round((claimedAfter - claimedThen) / 30),
        "load.largeFilePeakRssMiB": peakRssMiBOf(service.pid!),
        "load.largeFileUnhealthySeconds": unhealthy / 2,
      };
    } finally {
      clearInterval(watch);
    }
  } finally {
    await stopService(service);
    provider?.destroy();
    await chain.stop();
    await removeDeployJournal(chain);
  }
}

// ------------------------------------------------------------------------- the worker against history

/** A transaction's receipt, read until it is there (ethers' `wait()` hung the history build: src/receipts.ts). */
const mined = async (sent: Promise<ContractTransactionResponse>) => minedReceipt(await sent, { pollMs: 20 });

/** Delivers at once (the round's reading cost is what is measured, not a fulfilment backend). */
const instantAdapter: FulfilmentAdapter = {
  findDelivery: async () => undefined,
  fulfil: async (request) => ({
    delivered: true,
    receiptHash: keccak256(toUtf8Bytes(`delivery ${request.id}`)),
  }),
};

/** A JSON-RPC call of a worker round, and how long the round waited for its answer. */
interface RecordedCall {
  payload: JsonRpcPayload;
  ms: number;
}

/**
 * The node's part of a round: its calls sent again, one at a time, straight to the node over a connection
 * of their own (no worker, no ethers), and timed. Reads are idempotent and are sent again. A transaction
 * cannot be sent twice: for each, a transaction of the same kind's cost to the node is measured instead —
 * a transfer of nothing from an account of the bench's, sent straight and its receipt read every
 * millisecond until the node has mined it (on an automining anvil, the block is built after the send is
 * answered, so the receipt waits for the block). By method: how many, the round's time waiting for them
 * (they overlap, up to 25 at once), and the node's time for them.
 */
async function straightAtTheNode(url: string, calls: RecordedCall[]) {
  const http = new JsonRpcHttp(url);
  const byMethod: Record<string, { calls: number; roundMs: number; nodeMs: number }> = {};
  let total = 0;
  try {
    for (const { payload, ms } of calls) {
      const started = performance.now();
      if (payload.method === "eth_sendRawTransaction") await sendAndMine(http);
      else await http.post(payload);
      const nodeMs = performance.now() - started;
      const entry = (byMethod[payload.method] ??= { calls: 0, roundMs: 0, nodeMs: 0 });
      entry.calls++;
      entry.roundMs += ms;
      entry.nodeMs += nodeMs;
      total += nodeMs;
    }
  } finally {
    http.close();
  }
  for (const entry of Object.values(byMethod)) {
    entry.roundMs = Math.round(entry.roundMs);
    entry.nodeMs = Math.round(entry.nodeMs);
  }
  return { ms: total, byMethod };
}

/** The bench's own sender for the node's cost of a transaction (a test account no other part uses). */
const PROBE = account(25);
let probeNonce: number | undefined;

/** Sends a transfer of nothing straight to the node and returns once its receipt is there. */
async function sendAndMine(http: JsonRpcHttp): Promise<void> {
  const call = async (method: string, params: unknown[]) => {
    const [answer] = await http.post({ jsonrpc: "2.0", id: 1, method, params });
    if ("error" in answer) throw new Error(`${method}: ${JSON.stringify(answer.error)}`);
    return answer.result as unknown;
  };
  probeNonce ??= Number(await call("eth_getTransactionCount", [PROBE.address, "pending"]));
  const raw = await PROBE.signTransaction({
    to: PROBE.address,
    value: 0n,
    nonce: probeNonce++,
    gasLimit: 21_000n,
    gasPrice: 0n,
    chainId: BigInt(BESU_LOCAL.chainId),
    type: 0,
  });
  const hash = (await call("eth_sendRawTransaction", [raw])) as string;
  while ((await call("eth_getTransactionReceipt", [hash])) === null)
    await new Promise((resolve) => setTimeout(resolve, 1));
}

async function workerAgainstHistory(dir: string, history: number): Promise<Record<string, number>> {
  const chain = await startLocalChain({ automine: true });
  let provider: JsonRpcProvider | undefined;
  let workerProvider: FastJsonRpcProvider | undefined;
  let workerCalls = 0;
  try {
    const setup = await setUp(chain, dir, BigInt(history) * 11n + 1_000n);
    provider = setup.provider;
    const { gateway, bulk, deployment } = setup;
    // The worker talks to the node as it does in the issuer service.
    // Every call of a measured round, with how long its answer took, to be timed again straight at the node.
    let recording: RecordedCall[] | undefined;
    workerProvider = new FastJsonRpcProvider(chain.url, BESU_LOCAL.chainId, SERVICE_PROVIDER_OPTIONS, {
      onCalls: (count) => (workerCalls += count),
      onAnswer: (payload, ms) => {
        for (const call of [payload].flat()) recording?.push({ payload: call, ms });
      },
    });
    const workerGateway = RedemptionGateway__factory.connect(
      deployment.contracts.RedemptionGateway,
      account(FULFILLER).connect(workerProvider),
    );
    const worker = new FulfilmentWorker({
      gateway: workerGateway,
      adapter: instantAdapter,
      fromBlock: deployment.fromBlock,
      confirmations: 0,
      batchSize: 500,
      blockRange: 200,
      safetyMarginSeconds: 0,
      workerId: WORKER_ID,
    });
    let made = 0;
    /** Requests up to `total`, settled by the fulfiller directly in large batches (history, not the test). */
    const historyUpTo = async (total: number) => {
      while (made < total) {
        const count = Math.min(500, total - made);
        const receipt = await mined(bulk.redeemMany(CREDIT_SKU, CREDIT_PRICE, count));
        const requests = receipt!.logs
          .map((l) => gateway.interface.parseLog(l))
          .filter((e) => e?.name === "RedemptionRequested")
          .map((e) => {
            const a = e!.args;
            return {
              id: a.id,
              owner: a.owner,
              sku: a.sku,
              quantity: a.quantity,
              amount: a.amount,
              cancelAfter: a.cancelAfter,
              flags: a.flags,
            };
          });
        await mined(gateway.accept(requests, WORKER_ID));
        await mined(
          gateway.confirmBatch(
            requests,
            requests.map(() => keccak256("0x")),
          ),
        );
        made += count;
        if (made % 10_000 < count) process.stdout.write(`bench:load: ${made} requests settled\n`);
      }
    };
    /**
     * The round of a worker that is caught up, with 20 new requests to settle: the median time of three,
     * and the JSON-RPC calls of the most costly (the same in each, unless a round saw a block more).
     */
    const steadyRound = async (label: string) => {
      await worker.runOnce(); // catch up on the history first
      const rounds: Array<{ ms: number; calls: RecordedCall[] }> = [];
      let calls = 0;
      for (let i = 0; i < 3; i++) {
        await mined(bulk.redeemMany(CREDIT_SKU, CREDIT_PRICE, 20));
        made += 20;
        const callsBefore = workerCalls;
        recording = [];
        const started = performance.now();
        const report = await worker.runOnce();
        rounds.push({ ms: performance.now() - started, calls: recording });
        recording = undefined;
        calls = Math.max(calls, workerCalls - callsBefore);
        if (report.confirmed.length !== 20)
          throw new Error(`worker round: confirmed ${report.confirmed.length}, not 20`);
      }
      const median = rounds.sort((a, b) => a.ms - b.ms)[1];
      const node = await straightAtTheNode(chain.url, median.calls);
      console.log(`bench:load: the median worker round with ${label} settled requests behind it, by method:`);
      console.table(node.byMethod);
      return { seconds: seconds(median.ms), calls, nodeSeconds: seconds(node.ms) };
    };
    process.stdout.write("bench:load: worker round with 1,000 settled requests behind it\n");
    await historyUpTo(1_000);
    const round1k = await steadyRound("1,000");
    process.stdout.write(
      `bench:load: worker round with ${history} settled requests behind it (building the history)\n`,
    );
    await historyUpTo(history);
    const roundLong = await steadyRound(String(history));
    const fresh = new FulfilmentWorker({
      gateway: workerGateway,
      adapter: instantAdapter,
      fromBlock: deployment.fromBlock,
      confirmations: 0,
      blockRange: 200,
      safetyMarginSeconds: 0,
      workerId: WORKER_ID,
    });
    const started = performance.now();
    await fresh.runOnce();
    // The keys name the history actually behind the worker (`--history` smaller than 100,000 says so).
    const label = history % 1_000 === 0 ? `${history / 1_000}k` : String(history);
    return {
      "load.workerRound1kSeconds": round1k.seconds,
      [`load.workerRound${label}Seconds`]: roundLong.seconds,
      "load.workerRound1kRpcCalls": round1k.calls,
      [`load.workerRound${label}RpcCalls`]: roundLong.calls,
      "load.workerRound1kNodeSeconds": round1k.nodeSeconds,
      [`load.workerRound${label}NodeSeconds`]: roundLong.nodeSeconds,
      [`load.workerCatchUp${label}Seconds`]: seconds(performance.now() - started),
    };
  } finally {
    provider?.destroy();
    workerProvider?.destroy();
    await chain.stop();
    await removeDeployJournal(chain);
  }
}

/** The Besu kit's default block period (besu:new --block-period): what its README's throughput figure is for. */
const KIT_BLOCK_SECONDS = 2;

/** The same claims under load on blocks of the kit's default period: what the kit's defaults carry. */
async function claimsAtKitBlockTime(dir: string, rate: number): Promise<Record<string, number>> {
  const figures = await claimsUnderLoad(dir, 30, rate, KIT_BLOCK_SECONDS);
  return Object.fromEntries(
    Object.entries(figures)
      .filter(([key]) => /claimsPer|gasPerBlock|P99/.test(key))
      .map(([key, value]) => [key.replace(/^load\./, `load.block${KIT_BLOCK_SECONDS}s.`), value]),
  );
}

/** `--only claims,large,worker,kit`: the phases to run (default all four). */
function phases(): Set<string> {
  const at = process.argv.indexOf("--only");
  const all = ["claims", "large", "worker", "kit"];
  if (at === -1) return new Set(all);
  const named = (process.argv[at + 1] ?? "").split(",");
  const unknown = named.find((p) => !all.includes(p));
  if (unknown !== undefined)
    throw new Error(`--only: ${JSON.stringify(unknown)} is not one of ${all.join(", ")}`);
  return new Set(named);
}

async function main(): Promise<void> {
  const durationSeconds = option("--seconds", 60);
  const rate = option("--rate", 1_200);
  const dir = await mkdtemp(path.join(os.tmpdir(), "zon-load-"));
  const file = path.join(__dirname, "results.json");
  const only = phases();
  try {
    const load = {
      ...(only.has("claims") ? await claimsUnderLoad(path.join(dir, "claims"), durationSeconds, rate) : {}),
      ...(only.has("large") ? await largeFile(path.join(dir, "large"), option("--large-mib", 200)) : {}),
      ...(only.has("worker")
        ? await workerAgainstHistory(path.join(dir, "history"), option("--history", 100_000))
        : {}),
      ...(only.has("kit") ? await claimsAtKitBlockTime(path.join(dir, "kit"), rate) : {}),
    };
    const results = JSON.parse(await readFile(file, "utf8")) as BenchResults;
    // A run of some phases replaces only their figures.
    results.load = { ...results.load, ...load };
    await writeFile(file, JSON.stringify(results, null, 2) + "\n");
    console.table(load);
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
  } finally {
    if (!process.env.ZON_KEEP_BENCH_DIR) await rm(dir, { recursive: true, force: true });
    else console.log(`bench:load: kept ${dir}`);
  }
}

// Stopped by a signal, or failed where nothing waited: exit, and the exit kills the chains and the
// service this run started (test/helpers/chain.ts), which live in process groups of their own.
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.on(signal, () => {
    console.error(`bench:load: ${signal}: stopped; the chains and the service it started are stopped too`);
    process.exit(130);
  });
process.on("unhandledRejection", (error) => {
  console.error(`bench:load: ${describeError(error)}`);
  process.exit(1);
});

main().catch((error) => {
  console.error(`bench:load: ${describeError(error)}`);
  process.exit(1);
});

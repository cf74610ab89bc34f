import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { ZeroHash } from "ethers";
import {
  BESU_LOCAL,
  FileLedgerAdapter,
  requestFromEvent,
  requestHash,
  workerIdOf,
  type ReconcileSummary,
} from "../../src";
import { startFlakyProxy } from "../helpers/flaky-proxy";
import { ACCOUNTS, expectExit, PERIOD, startWorld, stopProcess, until, waiting, type World } from "./fixture";

/*
 * The issuer service as its own process (`zon-issuer`) against a local chain, under faults: killed with
 * SIGKILL in the middle of its batches and started again; stopped with SIGTERM mid-run; the chain stopped
 * and restarted under it; a JSON-RPC proxy that drops, delays and duplicates calls; two relayers on one
 * inbox. After each: every attestation of the file minted once, every redemption request settled once
 * with one delivery, nothing held by the gateway, no file left in the inbox.
 */

const ROWS = 1_000;

describe("the issuer service under faults", function () {
  this.timeout(240_000);
  let world: World;

  before(async function () {
    world = await startWorld();
    await world.fund(ACCOUNTS.acme, 1_000_000n); // 500 ZON
    await world.fund(ACCOUNTS.globex, 1_000_000n);
  });

  after(async function () {
    await world?.close();
  });

  const logOf = (name: string) => {
    const file = path.join(world.dir, `${name}.log`);
    return existsSync(file) ? readFileSync(file, "utf8") : "";
  };
  const logged = (name: string, message: string) => logOf(name).includes(`"msg":"${message}"`);

  // One test's services never outlive it: two workers with two ledgers would both deliver a request.
  afterEach(async function () {
    await world.stopProcesses();
  });

  /** Every id claimed exactly once; every request closed by exactly one event, delivered exactly once if fulfilled. */
  async function expectSettledOnce(ids: string[], inbox: string) {
    // Every ledger any service of this file wrote: a request fulfilled in one test must not be delivered in another.
    const ledgers = readdirSync(world.dir).filter((name) =>
      existsSync(path.join(world.dir, name, "ledger.jsonl")),
    );
    const counts = await world.claimCounts();
    const endings = await world.requestEndings();
    const deliveries = ledgers.flatMap((name) => world.ledger(path.join(world.dir, name)));
    const fulfilled = [...endings].filter(([, e]) => e.join() === "RedemptionFulfilled").map(([id]) => id);
    const keys = new Set(deliveries.map((d) => d.redemptionKey));
    expect({
      claimedOnce: ids.every((id) => counts.get(id) === 1),
      claimedTwice: [...counts.values()].filter((n) => n > 1).length,
      endedOnce: [...endings.values()].every((e) => e.length === 1),
      deliveriesPerFulfilled: fulfilled.every(
        (id) => deliveries.filter((d) => d.redemptionKey.endsWith(`:${id}`)).length === 1,
      ),
      oneDeliveryPerKey: keys.size === deliveries.length,
      gatewayHolds: await world.token.balanceOf(await world.gateway.getAddress()),
      waiting: await waiting(inbox),
    }).to.deep.equal({
      claimedOnce: true,
      claimedTwice: 0,
      endedOnce: true,
      deliveriesPerFulfilled: true,
      oneDeliveryPerKey: true,
      gatewayHolds: 0n,
      waiting: [],
    });
  }

  it("killed with SIGKILL in the middle of its batches and started again, mints each attestation once and settles each request once", async function () {
    const config = world.config("sigkill", {
      relayer: { ...world.config("x").relayer, maxBatchesInFlight: 2, batchSize: 25 },
    });
    const inbox = path.join(config.stateDir, "inbox");
    const file = await world.drop(inbox, "usage.csv", world.usageRows(ROWS));
    for (let i = 0; i < 3; i++) await world.redeem(ACCOUNTS.acme, 1);
    const configFile = await world.configFile(config);
    const first = await world.startProcess(configFile, "sigkill-1");
    await until("a first batch is mined", () => logged("sigkill-1", "batch mined"));
    await stopProcess(first, "SIGKILL");
    const minedBeforeKill = (await world.claimCounts()).size;
    await world.startProcess(configFile, "sigkill-2");
    await until("the file is settled", () => world.result(inbox, file.name) !== undefined, 120_000);
    await world.allRequestsClosed();
    expect(minedBeforeKill - 2, "claims of the file before the kill").to.be.within(1, ROWS - 1); // 2: funding
    await expectSettledOnce(file.ids, inbox);
    // The books after the kill: every row claimed once, every request burned and delivered; the only
    // claims without a row are the fixture's two funding claims.
    const books = (await (
      await fetch(`${world.statusUrl(configFile)}/reconcile?period=${PERIOD}`)
    ).json()) as ReconcileSummary;
    expect({
      fates: books.issuance.fates,
      redemption: books.redemption.fates,
      exceptions: books.exceptions.map((e) => /^issuance: id (\d+) was minted/.exec(e)?.[1] ?? e),
    }).to.deep.equal({
      fates: { claimed: ROWS },
      redemption: { "confirmed (burned)": 3 },
      exceptions: [String(1_000_000 + ACCOUNTS.acme), String(1_000_000 + ACCOUNTS.globex)],
    });
  });

  it("stopped with SIGTERM mid-run, exits 0 after its batches in flight, and a restart finishes the file", async function () {
    const config = world.config("sigterm");
    const inbox = path.join(config.stateDir, "inbox");
    const file = await world.drop(inbox, "usage.csv", world.usageRows(ROWS));
    const configFile = await world.configFile(config);
    const first = await world.startProcess(configFile, "sigterm-1");
    await until("a first batch is mined", () => logged("sigterm-1", "batch mined"));
    const code = await stopProcess(first, "SIGTERM");
    expect([code, logged("sigterm-1", "stopped")]).to.deep.equal([0, true]);
    await world.startProcess(configFile, "sigterm-2");
    await until("the file is settled", () => world.result(inbox, file.name) !== undefined, 120_000);
    await expectSettledOnce(file.ids, inbox);
  });

  it("keeps going when the chain is stopped and restarted under it, and loses nothing", async function () {
    const config = world.config("restart", {
      relayer: { ...world.config("x").relayer, maxBatchesInFlight: 2, batchSize: 25 },
    });
    const inbox = path.join(config.stateDir, "inbox");
    const file = await world.drop(inbox, "usage.csv", world.usageRows(ROWS));
    for (let i = 0; i < 2; i++) await world.redeem(ACCOUNTS.globex, 1);
    const configFile = await world.configFile(config);
    const service = await world.startProcess(configFile, "restart");
    await until("a first batch is mined", () => logged("restart", "batch mined"));
    await world.chain.stop();
    const metrics = `${world.statusUrl(configFile)}/metrics`;
    const rpcErrors = async () => {
      const text = await (await fetch(metrics)).text();
      return [...text.matchAll(/^zon_rpc_errors_total\{loop="(relayer|worker)"\} (\d+)$/gm)].map((m) =>
        Number(m[2]),
      );
    };
    await until(
      "both loops have found the chain gone",
      async () => (await rpcErrors()).filter((n) => n > 0).length === 2,
    );
    await world.chain.restart();
    await until("the file is settled", () => world.result(inbox, file.name) !== undefined, 120_000);
    await world.allRequestsClosed();
    expect(service.exitCode).to.equal(null);
    await expectSettledOnce(file.ids, inbox);
  });

  it("gets everything through a JSON-RPC proxy that drops, delays and duplicates a share of the calls", async function () {
    const proxy = await startFlakyProxy(
      world.chain.url,
      { dropBefore: 0.05, dropAfter: 0.05, delay: 0.1, duplicate: 0.1, maxDelayMs: 800 },
      20_261_125,
    );
    try {
      const config = world.config("flaky", { rpcUrl: proxy.url });
      const inbox = path.join(config.stateDir, "inbox");
      const file = await world.drop(inbox, "usage.csv", world.usageRows(ROWS));
      for (let i = 0; i < 3; i++) await world.redeem(ACCOUNTS.acme, 1);
      const configFile = await world.configFile(config);
      await world.startProcess(configFile, "flaky", {
        ...world.env,
        ZON_RPC_URL: proxy.url,
      });
      await until("the file is settled", () => world.result(inbox, file.name) !== undefined, 180_000);
      await world.allRequestsClosed();
      const { calls, ...struck } = proxy.counts;
      expect([calls > 100, Object.values(struck).every((n) => n > 0)]).to.deep.equal([true, true]);
      // What the metrics count is what happened on chain: a confirmation whose answer was lost, found done
      // already, still counts as confirmed.
      const fulfilled = [...(await world.requestEndings()).values()].filter(
        (e) => e.join() === "RedemptionFulfilled",
      ).length;
      const ledgerKeys = new Set(world.ledger(config.stateDir).map((d) => d.redemptionKey));
      await until("the worker's round has counted them", async () => {
        const text = await (await fetch(`${world.statusUrl(configFile)}/metrics`)).text();
        const confirmed = Number(/^zon_redemptions_total\{outcome="confirmed"\} (\S+)$/m.exec(text)?.[1]);
        return confirmed === ledgerKeys.size && ledgerKeys.size <= fulfilled;
      });
      await expectSettledOnce(file.ids, inbox);
    } finally {
      await proxy.close();
    }
  });

  it("restarts at once after kill -9 inside a PID namespace, where it is process 1 again (the lock is the kernel's)", async function () {
    // The fault: the lock named process 1; the restarted service, process 1 again, took it for a live
    // holder and refused to start, for ever.
    const config = world.config("pidns");
    const inbox = path.join(config.stateDir, "inbox");
    const configFile = await world.configFile(config);
    const namespace = ["unshare", "--pid", "--fork", "--"];
    const first = await world.startProcess(configFile, "pidns-1", world.env, namespace);
    await until("it is running", () => logged("pidns-1", "status server listening"));
    const holder = readFileSync(path.join(config.stateDir, "worker.lock"), "utf8");
    await stopProcess(first, "SIGKILL");
    for (let i = 0; i < 2; i++) await world.redeem(ACCOUNTS.globex, 1);
    const second = await world.startProcess(configFile, "pidns-2", world.env, namespace);
    await world.allRequestsClosed();
    expect([
      holder.includes("process 1 on"),
      second.exitCode,
      logged("pidns-2", "status server listening"),
    ]).to.deep.equal([true, null, true]);
    await expectSettledOnce([], inbox);
  });

  it("ends with a fatal line and exit 1 when its worker lock is lost, for its supervisor to restart it", async function () {
    const config = world.config("lostlock");
    const service = await world.startProcess(await world.configFile(config), "lostlock");
    await until("it is running", () => logged("lostlock", "status server listening"));
    expectExit(service);
    const exited = new Promise<number | null>((resolve) => service.once("exit", (code) => resolve(code)));
    const lockFile = path.join(config.stateDir, "worker.lock");
    execFileSync("pkill", [
      "-KILL",
      "-f",
      `flock --exclusive --nonblock --conflict-exit-code 75 ${lockFile}`,
    ]);
    expect([
      await exited,
      logOf("lostlock").includes('"level":"fatal"'),
      logOf("lostlock").includes("worker lock lost"),
    ]).to.deep.equal([1, true, true]);
  });

  it("delivers each request once when two services with state of their own run workers on one gateway", async function () {
    // The fault: two replicas with their own volumes (so their own ledgers) delivered 5 of 30 requests twice.
    const a = world.config("replica-a");
    const b = world.config("replica-b");
    await world.startProcess(await world.configFile(a), "replica-a");
    await world.startProcess(await world.configFile(b), "replica-b");
    await until(
      "both workers are running",
      () => logged("replica-a", "status server listening") && logged("replica-b", "status server listening"),
    );
    await Promise.all([world.redeemMany(ACCOUNTS.acme, 15), world.redeemMany(ACCOUNTS.globex, 15)]);
    await world.allRequestsClosed();
    const deliveries = [...world.ledger(a.stateDir), ...world.ledger(b.stateDir)];
    expect(deliveries.length).to.be.greaterThan(0);
    await expectSettledOnce([], path.join(a.stateDir, "inbox"));
  });

  it("records a delivery whose request was cancelled while the service was down as unpaid: log, metric and file", async function () {
    // The fault: delivered, crashed before the confirmation, down past the acceptance window; the owner
    // cancelled and was refunded; the restarted worker dropped the request without a word.
    const config = world.config("unpaid");
    const configFile = await world.configFile(config);
    const first = await world.startProcess(configFile, "unpaid-1");
    await until("it is running", () => logged("unpaid-1", "status server listening"));
    await stopProcess(first, "SIGTERM");
    // What the crash left: the request accepted under this service's worker id, and its delivery in the ledger.
    const workerId = workerIdOf(readFileSync(path.join(config.stateDir, "worker-id"), "utf8").trim());
    const id = await world.redeem(ACCOUNTS.acme, 1);
    const [requested] = await world.gateway.queryFilter(world.gateway.filters.RedemptionRequested(id));
    const { request } = requestFromEvent(requested);
    await (await world.gateway.connect(world.wallet(ACCOUNTS.fulfiller)).accept([request], workerId)).wait();
    const adapter = new FileLedgerAdapter(path.join(config.stateDir, "ledger.jsonl"), new Set([1n]));
    await adapter.fulfil(request, {
      redemptionKey: `${BESU_LOCAL.chainId}:${world.deployment.contracts.RedemptionGateway.toLowerCase()}:${id}`,
      requestHash: requestHash(request),
      deliveryRef: ZeroHash,
    });
    await world.provider.send("evm_increaseTime", [4 * 86_400]);
    await (await world.gateway.connect(world.wallet(ACCOUNTS.acme)).cancel(request)).wait();
    await world.startProcess(configFile, "unpaid-2");
    const metrics = `${world.statusUrl(configFile)}/metrics`;
    await until("the unpaid delivery is counted", async () =>
      /^zon_unpaid_deliveries_total 1$/m.test(await (await fetch(metrics)).text()),
    );
    const recorded = readFileSync(path.join(config.stateDir, "unpaid.jsonl"), "utf8").trim().split("\n");
    const endings = await world.requestEndings();
    expect([
      endings.get(id),
      recorded.length,
      JSON.parse(recorded[0]).requestId,
      logOf("unpaid-2").includes('"level":"error","msg":"a delivery ended unpaid'),
    ]).to.deep.equal([["RedemptionCancelled"], 1, id.toString(), true]);
  });

  it("claims each attestation once when two relayers run on one inbox by mistake", async function () {
    const shared = path.join(world.dir, "shared-inbox");
    const a = world.config("twin-a", { inbox: shared });
    const b = world.config("twin-b", { inbox: shared, loops: ["relayer"] });
    await world.startProcess(await world.configFile(a), "twin-a");
    await world.startProcess(await world.configFile(b), "twin-b");
    await until(
      "both relayers are running",
      () => logged("twin-a", "status server listening") && logged("twin-b", "status server listening"),
    );
    const file = await world.drop(shared, "usage.csv", world.usageRows(ROWS));
    await until("the file is settled", () => world.result(shared, file.name) !== undefined, 120_000);
    expect([logged("twin-a", "usage file taken"), logged("twin-b", "usage file taken")]).to.deep.equal([
      true,
      true,
    ]);
    await expectSettledOnce(file.ids, shared);
  });
});

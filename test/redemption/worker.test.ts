import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { mkdtemp, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { BrowserProvider, ZeroHash, type Eip1193Provider } from "ethers";
import hre, { ethers } from "hardhat";
import {
  FileLedgerAdapter,
  FulfilmentWorker,
  requestHash,
  runWorkerLoop,
  WORKER_REASONS,
  type FulfilmentAdapter,
  type FulfilmentContext,
  type FulfilmentOutcome,
  type LedgerEntry,
  type RedemptionRequest,
  type WorkerOptions,
} from "../../src";
import type { RedemptionGateway } from "../../typechain-types";
import { ONE_ZON } from "../helpers/fixtures";
import { ACCEPTANCE, CREDIT, gatewayFixture, HOODIE, TIMEOUT, WORKER_ID } from "./fixture";

const CONFIRMATIONS = 2;
const MARGIN = 600n;
const CHAIN_ID = 31337n;
const noWait = async () => undefined;

/**
 * An adapter that delivers through `file`, then never answers: the worker process "dies" between the
 * delivery and the on-chain confirmation. `delivered` counts its deliveries.
 */
function dyingAdapter(file: FileLedgerAdapter): FulfilmentAdapter & { delivered: number } {
  const adapter = {
    delivered: 0,
    findDelivery: (request: RedemptionRequest, context: FulfilmentContext) =>
      file.findDelivery(request, context),
    async fulfil(request: RedemptionRequest, context: FulfilmentContext): Promise<FulfilmentOutcome> {
      await file.fulfil(request, context);
      adapter.delivered++;
      return new Promise(() => undefined);
    },
  };
  return adapter;
}

/** Starts a round of `worker`, built on the dying `adapter`, and returns once it has delivered. */
async function dieAfterFirstDelivery(
  worker: FulfilmentWorker,
  adapter: { delivered: number },
): Promise<void> {
  void worker.runOnce();
  while (adapter.delivered === 0) await new Promise<void>((resolve) => setImmediate(resolve));
}

describe("fulfilment worker", function () {
  async function workerFixture() {
    const f = await gatewayFixture();
    const fromBlock = await ethers.provider.getBlockNumber();
    await f.gateway.connect(f.alice).redeem(CREDIT, 2, 20n * ONE_ZON, ZeroHash); // 0: credit
    await f.gateway.connect(f.bob).redeem(CREDIT, 1, 10n * ONE_ZON, ZeroHash); // 1: credit
    await f.gateway.connect(f.alice).redeem(HOODIE, 1, 25n * ONE_ZON, ZeroHash); // 2: not deliverable by file
    await mine(CONFIRMATIONS);
    const worker = (
      gateway: RedemptionGateway,
      fulfilmentAdapter: FulfilmentAdapter,
      options: Partial<WorkerOptions> = {},
    ) =>
      new FulfilmentWorker({
        gateway,
        adapter: fulfilmentAdapter,
        fromBlock,
        confirmations: CONFIRMATIONS,
        backoff: noWait,
        safetyMarginSeconds: Number(MARGIN),
        workerId: WORKER_ID,
        ...options,
      });
    return { ...f, fromBlock, worker, asFulfiller: f.gateway.connect(f.fulfiller) };
  }

  /** The chain snapshot is shared between tests, but each test gets a ledger file of its own. */
  async function setup() {
    const f = await loadFixture(workerFixture);
    const ledgerFile = path.join(await mkdtemp(path.join(os.tmpdir(), "zon-ledger-")), "ledger.jsonl");
    const adapter = () => new FileLedgerAdapter(ledgerFile, new Set([BigInt(CREDIT)]));
    const ledger = async () =>
      (await readFile(ledgerFile, "utf8"))
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as LedgerEntry);
    return { ...f, adapter, ledger };
  }

  it("confirms deliverable requests and rejects the ones the adapter refuses", async function () {
    const { worker, adapter, asFulfiller } = await setup();
    const report = await worker(asFulfiller, adapter()).runOnce();
    expect([report.confirmed, report.rejected]).to.deep.equal([[0n, 1n], [2n]]);
  });

  it("burns what it confirms and returns what it rejects, leaving the gateway empty", async function () {
    const { worker, adapter, asFulfiller, token, gatewayAddress, alice } = await setup();
    const supply = await token.totalSupply();
    const before = await token.balanceOf(alice.address);
    await worker(asFulfiller, adapter()).runOnce();
    expect([
      await token.balanceOf(gatewayAddress),
      await token.totalSupply(),
      await token.balanceOf(alice.address),
    ]).to.deep.equal([0n, supply - 30n * ONE_ZON, before + 25n * ONE_ZON]);
  });

  it("writes one ledger line per delivered credit", async function () {
    const { worker, adapter, asFulfiller, ledger, alice, bob, gatewayAddress } = await setup();
    await worker(asFulfiller, adapter()).runOnce();
    expect((await ledger()).map((e) => [e.redemptionKey, e.owner, e.quantity])).to.deep.equal([
      [`${CHAIN_ID}:${gatewayAddress.toLowerCase()}:0`, alice.address, "2"],
      [`${CHAIN_ID}:${gatewayAddress.toLowerCase()}:1`, bob.address, "1"],
    ]);
  });

  it("waits for the confirmations before acting on a request", async function () {
    const { worker, adapter, asFulfiller, gateway, alice } = await setup();
    await worker(asFulfiller, adapter()).runOnce();
    await gateway.connect(alice).redeem(CREDIT, 1, 10n * ONE_ZON, ZeroHash); // 3
    expect((await worker(asFulfiller, adapter()).runOnce()).confirmed).to.deep.equal([]);
    await mine(CONFIRMATIONS);
    expect((await worker(asFulfiller, adapter()).runOnce()).confirmed).to.deep.equal([3n]);
  });

  it("does nothing on a second round: settled requests are not touched again", async function () {
    const { worker, adapter, asFulfiller, ledger } = await setup();
    await worker(asFulfiller, adapter()).runOnce();
    const again = await worker(asFulfiller, adapter()).runOnce();
    expect([again.confirmed, again.rejected, (await ledger()).length]).to.deep.equal([[], [], 2]);
  });

  it("reads only the blocks after its cursor and asks nothing about settled requests in later rounds", async function () {
    const { worker, adapter, fulfiller, gatewayAddress, alice } = await setup();
    const calls: string[] = [];
    const counting: Eip1193Provider = {
      request: async (args) => {
        calls.push(
          args.method === "eth_call"
            ? `eth_call ${String((args.params as [{ data: string }])[0].data).slice(0, 10)}`
            : args.method,
        );
        return hre.network.provider.request(args);
      },
    };
    const signer = await new BrowserProvider(counting, undefined, { cacheTimeout: -1 }).getSigner(
      fulfiller.address,
    );
    const gateway = await ethers.getContractAt("RedemptionGateway", gatewayAddress, signer);
    const w = worker(gateway, adapter());
    await w.runOnce();
    const settledTo = w.lastScannedBlock();
    await gateway.connect(alice).redeem(CREDIT, 1, 10n * ONE_ZON, ZeroHash); // 3
    await mine(CONFIRMATIONS);
    calls.length = 0;
    const report = await w.runOnce();
    const isOpen = gateway.interface.getFunction("isOpen").selector;
    const logQueries = calls.filter((c) => c === "eth_getLogs").length;
    expect([
      report.confirmed,
      calls.filter((c) => c === `eth_call ${isOpen}`).length,
      logQueries,
      w.openCount(),
    ]).to.deep.equal([[3n], 1, 1, 0]);
    expect(w.lastScannedBlock()).to.be.greaterThan(settledTo);
  });

  it("killed between the adapter's delivery and the on-chain confirmation, delivers each credit once after a restart", async function () {
    const { worker, adapter, asFulfiller, ledger, gateway } = await setup();
    // The first worker delivers, then never gets to confirm (its process "dies": the call never returns).
    const dying = dyingAdapter(adapter());
    await dieAfterFirstDelivery(worker(asFulfiller, dying), dying);
    expect(await gateway.isOpen(0)).to.equal(true);
    await mine(CONFIRMATIONS); // its acceptances are buried: a restarted worker knows them for its own
    // A new worker process: a fresh adapter reading the same ledger.
    const report = await worker(asFulfiller, adapter()).runOnce();
    expect(report.confirmed).to.deep.equal([0n, 1n]);
    expect((await ledger()).map((e) => e.redemptionKey.split(":")[2])).to.deep.equal(["0", "1"]);
  });

  it("gets through an RPC endpoint that fails a quarter of its calls", async function () {
    const { worker, adapter, fulfiller, gatewayAddress } = await setup();
    // ethers caches a request for 250 ms; without the cache the test need not wait between retries.
    // A seeded pseudo-random quarter of the calls fail (a periodic pattern could line up with the
    // worker's own call pattern and always hit the same call).
    let seed = 12_345;
    let failing = false;
    let injected = 0;
    const flaky: Eip1193Provider = {
      request: async (args) => {
        if (failing && ((seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) >>> 16) % 4 === 0) {
          injected++;
          throw new Error(`injected RPC failure on ${args.method}`);
        }
        return hre.network.provider.request(args);
      },
    };
    const signer = await new BrowserProvider(flaky, undefined, { cacheTimeout: -1 }).getSigner(
      fulfiller.address,
    );
    const gateway = await ethers.getContractAt("RedemptionGateway", gatewayAddress, signer);
    failing = true;
    const report = await worker(gateway, adapter()).runOnce();
    expect([report.confirmed, report.rejected, injected > 3]).to.deep.equal([[0n, 1n], [2n], true]);
  });

  it("defers a request whose adapter call throws, and settles it in a later round", async function () {
    const { worker, adapter, asFulfiller } = await setup();
    const file = adapter();
    let down = true;
    const flakyAdapter: FulfilmentAdapter = {
      findDelivery: (request, context) => file.findDelivery(request, context),
      fulfil: (request, context) =>
        down && request.id === 1n
          ? Promise.reject(new Error("billing API down"))
          : file.fulfil(request, context),
    };
    const first = await worker(asFulfiller, flakyAdapter).runOnce();
    down = false;
    const second = await worker(asFulfiller, flakyAdapter).runOnce();
    expect([first.deferred, first.confirmed, second.confirmed]).to.deep.equal([[1n], [0n], [1n]]);
  });

  it("skips a request its owner cancelled before the worker accepted it", async function () {
    const { worker, adapter, asFulfiller, gateway, requestOf, alice, ledger } = await setup();
    const zero = await requestOf(0);
    await time.increaseTo(zero.cancelAfter + 1n);
    await gateway.connect(alice).cancel(zero);
    const report = await worker(asFulfiller, adapter()).runOnce();
    expect([report.accepted, report.confirmed, (await ledger()).length]).to.deep.equal([[1n, 2n], [1n], 1]);
  });

  describe("attacks on the fulfilment (hardening)", function () {
    it("leaves an owner no way to cancel between the delivery and the confirmation", async function () {
      // The worker was down until a minute before request 0's timeout; it delivers, and two minutes pass
      // before its confirmation lands. Before acceptance existed, the owner cancelled in that gap and kept
      // both the credit and the ZON (the earlier worker test "skips a request its owner cancelled between
      // the worker's read and its confirmation" played exactly that).
      const { worker, adapter, asFulfiller, gateway, requestOf, alice, token } = await setup();
      const zero = await requestOf(0);
      await time.increaseTo(zero.cancelAfter - 60n);
      const file = adapter();
      let cancel: Promise<unknown> | undefined;
      const slow: FulfilmentAdapter = {
        findDelivery: (request, context) => file.findDelivery(request, context),
        async fulfil(request, context) {
          const outcome = await file.fulfil(request, context);
          if (request.id === 0n) {
            await time.increase(120);
            cancel = gateway.connect(alice).cancel(zero);
            await cancel.catch(() => undefined);
          }
          return outcome;
        },
      };
      const report = await worker(asFulfiller, slow).runOnce();
      const acceptedUntil = (await gateway.queryFilter(gateway.filters.RedemptionAccepted(0n)))[0].args
        .acceptedUntil;
      await expect(cancel)
        .to.be.revertedWithCustomError(gateway, "CancelTooEarly")
        .withArgs(0n, acceptedUntil);
      expect([report.confirmed, await token.balanceOf(await gateway.getAddress())]).to.deep.equal([
        [0n, 1n],
        0n,
      ]);
    });

    it("delivers nothing and accepts nothing while the gateway is paused", async function () {
      const { worker, adapter, asFulfiller, gateway, pauser, ledger } = await setup();
      await gateway.connect(pauser).pause();
      const report = await worker(asFulfiller, adapter()).runOnce();
      expect([report.accepted, report.confirmed, report.deferred]).to.deep.equal([[], [], [0n, 1n, 2n]]);
      await expect(ledger()).to.be.rejectedWith("ENOENT");
    });

    it("delivers nothing for an accepted request once the gateway is paused", async function () {
      const { worker, adapter, asFulfiller, gateway, pauser, requestOf, ledger } = await setup();
      await asFulfiller.accept([await requestOf(0)], WORKER_ID);
      await gateway.connect(pauser).pause();
      await mine(CONFIRMATIONS);
      const report = await worker(asFulfiller, adapter()).runOnce();
      expect([report.confirmed, report.deferred]).to.deep.equal([[], [0n, 1n, 2n]]);
      await expect(ledger()).to.be.rejectedWith("ENOENT");
    });

    it("still confirms, while paused, a delivery it made before the pause", async function () {
      const { worker, adapter, asFulfiller, gateway, pauser } = await setup();
      const dying = dyingAdapter(adapter());
      await dieAfterFirstDelivery(worker(asFulfiller, dying), dying);
      await gateway.connect(pauser).pause();
      await mine(CONFIRMATIONS);
      const report = await worker(asFulfiller, adapter()).runOnce();
      expect([report.confirmed, report.deferred]).to.deep.equal([[0n], [1n, 2n]]);
    });

    it("rejects an accepted request it can no longer deliver within the safety margin", async function () {
      const { worker, adapter, asFulfiller, requestOf, ledger, gateway } = await setup();
      await asFulfiller.accept([await requestOf(0)], WORKER_ID);
      await time.increase(ACCEPTANCE - MARGIN + 1n);
      await mine(CONFIRMATIONS);
      const report = await worker(asFulfiller, adapter()).runOnce();
      const [rejection] = await gateway.queryFilter(gateway.filters.RedemptionRejected(0n));
      expect([report.rejected, rejection.args.reasonCode, (await ledger()).length]).to.deep.equal([
        [0n, 2n],
        BigInt(WORKER_REASONS.acceptanceLapsed),
        1,
      ]);
    });

    it("keeps running when one owner cannot receive a refund: the others settle", async function () {
      const { worker, adapter, asFulfiller, token, admin, alice, gateway } = await setup();
      await token.grantRole(await token.COMPLIANCE_ROLE(), admin.address);
      await token.setFrozen(alice.address, true);
      const report = await worker(asFulfiller, adapter()).runOnce();
      expect([report.confirmed, report.rejected, report.deferred, await gateway.isOpen(2)]).to.deep.equal([
        [0n, 1n],
        [],
        [2n],
        true,
      ]);
    });

    it("isolates the one request the chain refuses and settles the rest of its batch", async function () {
      const { worker, adapter, asFulfiller } = await setup();
      // A gateway whose confirmBatch reverts whenever request 1 is in the batch.
      const refusing = new Proxy(asFulfiller, {
        get(target, key, receiver) {
          if (key !== "confirmBatch") return Reflect.get(target, key, receiver);
          return async (requests: RedemptionRequest[], receipts: string[]) => {
            if (requests.some((r) => r.id === 1n)) {
              throw Object.assign(new Error("execution reverted (unknown custom error)"), {
                code: "CALL_EXCEPTION",
                data: "0xdeadbeef",
              });
            }
            return target.confirmBatch(requests, receipts);
          };
        },
      });
      const report = await worker(refusing, adapter()).runOnce();
      expect([report.confirmed, report.failed.map((f) => [f.id, f.step])]).to.deep.equal([
        [0n],
        [[1n, "confirm"]],
      ]);
    });

    it("keeps the worker loop running after a round that fails as a whole", async function () {
      const { worker, adapter, asFulfiller } = await setup();
      const real = worker(asFulfiller, adapter());
      let calls = 0;
      const flaky = Object.assign(Object.create(real) as FulfilmentWorker, {
        runOnce: () => (++calls === 1 ? Promise.reject(new Error("node unreachable")) : real.runOnce()),
      });
      const errors: string[] = [];
      const confirmed: bigint[] = [];
      const rounds = await runWorkerLoop(flaky, {
        intervalMs: 0,
        rounds: 2,
        onError: (e) => errors.push((e as Error).message),
        onReport: (r) => confirmed.push(...r.confirmed),
      });
      expect([rounds, errors, confirmed]).to.deep.equal([2, ["node unreachable"], [0n, 1n]]);
    });

    it("gives a request of a second gateway sharing the ledger its own delivery", async function () {
      const { worker, adapter, asFulfiller, ledger, token, admin, alice, fulfiller } = await setup();
      const second = await ethers.deployContract("RedemptionGateway", [
        await token.getAddress(),
        admin.address,
        0,
        TIMEOUT,
        ACCEPTANCE,
      ]);
      await second.grantRole(await second.CATALOGUE_ROLE(), admin.address);
      await second.grantRole(await second.FULFILLER_ROLE(), fulfiller.address);
      await second.setSku(CREDIT, {
        kind: 0,
        price: ONE_ZON,
        stock: 0,
        perAccountLimit: 0,
        limitedStock: false,
        active: true,
      });
      await token.connect(alice).approve(await second.getAddress(), ONE_ZON);
      await second.connect(alice).redeem(CREDIT, 1, ONE_ZON, ZeroHash); // request 0 of the second gateway
      await mine(CONFIRMATIONS);
      await worker(asFulfiller, adapter()).runOnce();
      const report = await worker(second.connect(fulfiller), adapter()).runOnce();
      const codes = (await ledger()).map((e) => e.code);
      expect([report.confirmed, codes.length, new Set(codes).size]).to.deep.equal([[0n], 3, 3]);
    });

    it("delivers anew when the request under a ledger key is not the one delivered (reorganisation)", async function () {
      const { adapter, requestOf, gatewayAddress } = await setup();
      const warnings: string[] = [];
      const file = adapter();
      const request = await requestOf(0);
      const key = `${CHAIN_ID}:${gatewayAddress.toLowerCase()}:0`;
      const before = { ...request, owner: "0x000000000000000000000000000000000000dEaD" };
      const first = await file.fulfil(before, {
        redemptionKey: key,
        requestHash: requestHash(before),
        deliveryRef: ZeroHash,
      });
      const reread = new FileLedgerAdapter(file.ledgerFile, new Set([BigInt(CREDIT)]), (w) =>
        warnings.push(w),
      );
      const second = await reread.fulfil(request, {
        redemptionKey: key,
        requestHash: requestHash(request),
        deliveryRef: ZeroHash,
      });
      expect([
        first.delivered && second.delivered && first.receiptHash !== second.receiptHash,
        warnings.length,
      ]).to.deep.equal([true, 1]);
    });
  });

  it("refuses a batch size that is not a positive whole number", async function () {
    const { asFulfiller, adapter } = await setup();
    expect(
      () =>
        new FulfilmentWorker({
          gateway: asFulfiller,
          adapter: adapter(),
          fromBlock: 0,
          confirmations: 1,
          batchSize: 0,
          workerId: WORKER_ID,
        }),
    ).to.throw("batchSize: 0 is not a positive whole number");
  });
});

import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { mkdtemp, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { encodeBytes32String, ZeroHash } from "ethers";
import { ethers } from "hardhat";
import {
  FileLedgerAdapter,
  FulfilmentWorker,
  persistentWorkerId,
  unpaidDeliveries,
  workerIdOf,
  type FulfilmentAdapter,
  type FulfilmentContext,
  type FulfilmentOutcome,
  type LedgerEntry,
  type RedemptionRequest,
  type UnpaidDelivery,
  type WorkerOptions,
} from "../../src";
import type { RedemptionGateway } from "../../typechain-types";
import { ONE_ZON } from "../helpers/fixtures";
import { ROLES } from "../../src";
import { ACCEPTANCE, CREDIT, gatewayFixture, TIMEOUT, WORKER_ID } from "./fixture";

/*
 * No delivery without payment, no payment without delivery: the fulfilment worker against the faults a
 * second review played — a paused token, a frozen gateway, a second worker on the same gateway (replicas),
 * a crash between delivery and confirmation outlasting the acceptance, and a round slower than a request's
 * remaining acceptance. Requests 0 and 1 are cloud credits of alice and bob.
 */

const CONFIRMATIONS = 2;
const MARGIN = 600n;
const OTHER_WORKER = encodeBytes32String("another-replica");

async function paymentFixture() {
  const f = await gatewayFixture();
  const fromBlock = await ethers.provider.getBlockNumber();
  await f.token.grantRole(ROLES.PAUSER, f.pauser.address);
  await f.token.grantRole(ROLES.COMPLIANCE, f.admin.address);
  await f.gateway.connect(f.alice).redeem(CREDIT, 2, 20n * ONE_ZON, ZeroHash); // 0
  await f.gateway.connect(f.bob).redeem(CREDIT, 1, 10n * ONE_ZON, ZeroHash); // 1
  await mine(CONFIRMATIONS);
  return { ...f, fromBlock, asFulfiller: f.gateway.connect(f.fulfiller) };
}

/** The fixture's chain, with a ledger file of this test's own. */
async function setup() {
  const f = await loadFixture(paymentFixture);
  const dir = await mkdtemp(path.join(os.tmpdir(), "zon-ledger-"));
  const ledgerFile = path.join(dir, "ledger.jsonl");
  const adapter = (file = ledgerFile) => new FileLedgerAdapter(file, new Set([BigInt(CREDIT)]));
  const ledger = async (file = ledgerFile) =>
    (await readFile(file, "utf8").catch(() => ""))
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line) as LedgerEntry);
  const worker = (
    gateway: RedemptionGateway,
    fulfilmentAdapter: FulfilmentAdapter,
    options: Partial<WorkerOptions> = {},
  ) =>
    new FulfilmentWorker({
      gateway,
      adapter: fulfilmentAdapter,
      fromBlock: f.fromBlock,
      confirmations: CONFIRMATIONS,
      backoff: async () => undefined,
      safetyMarginSeconds: Number(MARGIN),
      workerId: WORKER_ID,
      ...options,
    });
  return { ...f, dir, ledgerFile, adapter, ledger, worker };
}

/** An adapter that delivers through `file` and then runs `after` (a fault in the middle of the round). */
function adapterThen(
  file: FileLedgerAdapter,
  after: (request: RedemptionRequest) => Promise<void>,
): FulfilmentAdapter & { calls: bigint[] } {
  const calls: bigint[] = [];
  return {
    calls,
    findDelivery: (request: RedemptionRequest, context: FulfilmentContext) =>
      file.findDelivery(request, context),
    async fulfil(request: RedemptionRequest, context: FulfilmentContext): Promise<FulfilmentOutcome> {
      calls.push(request.id);
      const outcome = await file.fulfil(request, context);
      await after(request);
      return outcome;
    },
  };
}

describe("fulfilment worker: no delivery without payment", function () {
  describe("while a confirmation could not land", function () {
    it("accepts nothing and delivers nothing while the token is paused (it delivered, and the burn reverted)", async function () {
      const { worker, adapter, asFulfiller, token, pauser, ledger } = await setup();
      await token.connect(pauser).pause();
      const report = await worker(asFulfiller, adapter()).runOnce();
      expect([report.accepted, report.confirmed, report.deferred, await ledger()]).to.deep.equal([
        [],
        [],
        [0n, 1n],
        [],
      ]);
    });

    it("delivers nothing for a request it accepted once the token is paused", async function () {
      const { worker, adapter, asFulfiller, token, pauser, requestOf, ledger } = await setup();
      await asFulfiller.accept([await requestOf(0)], WORKER_ID);
      await token.connect(pauser).pause();
      await mine(CONFIRMATIONS);
      const report = await worker(asFulfiller, adapter()).runOnce();
      expect([report.confirmed, report.deferred, await ledger()]).to.deep.equal([[], [0n, 1n], []]);
    });

    it("accepts nothing and delivers nothing while the gateway is frozen in the token", async function () {
      const { worker, adapter, asFulfiller, token, admin, gatewayAddress, ledger } = await setup();
      await token.connect(admin).setFrozen(gatewayAddress, true);
      const report = await worker(asFulfiller, adapter()).runOnce();
      expect([report.accepted, report.deferred, await ledger()]).to.deep.equal([[], [0n, 1n], []]);
    });

    it("holds a delivery made before the token's pause, and confirms it once the token is unpaused", async function () {
      const { worker, adapter, asFulfiller, token, pauser, gateway } = await setup();
      // The first round delivers request 0, and the token is paused before its confirmation.
      const pausing = adapterThen(adapter(), async (r) => {
        if (r.id === 0n) await token.connect(pauser).pause();
      });
      const first = await worker(asFulfiller, pausing, { batchSize: 1 }).runOnce();
      await mine(CONFIRMATIONS);
      const held = await worker(asFulfiller, adapter()).runOnce();
      await token.connect(pauser).unpause();
      const paid = await worker(asFulfiller, adapter()).runOnce();
      expect([
        first.confirmed,
        held.confirmed,
        held.deferred,
        paid.confirmed,
        await gateway.isOpen(0),
      ]).to.deep.equal([[], [], [1n, 0n], [0n, 1n], false]);
    });

    it("asks a dry run of each confirmation before delivering: a pause in mid-round stops the deliveries after it", async function () {
      const { worker, adapter, asFulfiller, token, pauser, ledger } = await setup();
      const pausing = adapterThen(adapter(), async (r) => {
        if (r.id === 0n) await token.connect(pauser).pause();
      });
      const report = await worker(asFulfiller, pausing).runOnce();
      // Request 1 is never delivered; request 0's confirmation, refused by the paused token, stays open.
      expect([
        pausing.calls,
        (await ledger()).length,
        report.deferred,
        report.failed.map((f) => f.id),
      ]).to.deep.equal([[0n], 1, [1n], [0n]]);
    });
  });

  describe("with a second worker on the same gateway (replicas)", function () {
    it("never delivers a request another worker accepted, even under the same fulfiller key", async function () {
      const { worker, adapter, asFulfiller, requestOf, ledger } = await setup();
      await asFulfiller.accept([await requestOf(0)], OTHER_WORKER);
      await mine(CONFIRMATIONS);
      const report = await worker(asFulfiller, adapter()).runOnce();
      expect([
        report.others,
        report.confirmed,
        (await ledger()).map((e) => e.redemptionKey.split(":")[2]),
      ]).to.deep.equal([[0n], [1n], ["1"]]);
    });

    it("delivers each request once when two workers with their own state take turns on the same requests", async function () {
      // The fault: two replicas with their own volumes both delivered requests one of them had accepted.
      const { worker, adapter, asFulfiller, gateway, alice, bob, ledger, dir } = await setup();
      const [ledgerA, ledgerB] = [path.join(dir, "a.jsonl"), path.join(dir, "b.jsonl")];
      const a = worker(asFulfiller, adapter(ledgerA), { workerId: workerIdOf("replica-a") });
      const b = worker(asFulfiller, adapter(ledgerB), { workerId: workerIdOf("replica-b"), batchSize: 1 });
      for (let i = 0; i < 3; i++) {
        await gateway.connect(i % 2 ? alice : bob).redeem(CREDIT, 1, 10n * ONE_ZON, ZeroHash);
        await mine(CONFIRMATIONS);
        await Promise.all([a.runOnce(), b.runOnce()]);
      }
      await mine(CONFIRMATIONS);
      await a.runOnce();
      await b.runOnce();
      const delivered = [...(await ledger(ledgerA)), ...(await ledger(ledgerB))].map((e) => e.redemptionKey);
      const fulfilled = await gateway.queryFilter(gateway.filters.RedemptionFulfilled());
      expect([delivered.length, new Set(delivered).size, fulfilled.length]).to.deep.equal([5, 5, 5]);
    });

    it("keeps its worker id across restarts in the file it was made in", async function () {
      const { dir } = await setup();
      const file = path.join(dir, "worker-id");
      const first = persistentWorkerId(file);
      expect([
        persistentWorkerId(file),
        (await readFile(file, "utf8")).trim().startsWith("worker-"),
      ]).to.deep.equal([first, true]);
    });

    it("refuses a worker id that is not a non-zero 32-byte id, naming it", async function () {
      const { adapter, asFulfiller, worker } = await setup();
      expect(() => worker(asFulfiller, adapter(), { workerId: ZeroHash })).to.throw(
        `workerId: "${ZeroHash}" is not a non-zero 32-byte id (workerIdOf)`,
      );
      expect(() => workerIdOf("x".repeat(32))).to.throw("must be 1 to 31 bytes of text");
    });
  });

  describe("a delivery that ends unpaid is never silent", function () {
    it("reports a delivery whose owner cancelled while the worker was down past the acceptance as unpaid", async function () {
      const { worker, adapter, asFulfiller, gateway, alice, requestOf, ledgerFile } = await setup();
      // Delivered, then the worker "crashed" before confirming (its adapter never answered).
      const file = adapter();
      const dying: FulfilmentAdapter = {
        findDelivery: (r, c) => file.findDelivery(r, c),
        async fulfil(r, c) {
          await file.fulfil(r, c);
          return new Promise<FulfilmentOutcome>(() => undefined);
        },
      };
      void worker(asFulfiller, dying).runOnce();
      while ((await readFile(ledgerFile, "utf8").catch(() => "")) === "")
        await new Promise((r) => setImmediate(r));
      await time.increase(TIMEOUT + ACCEPTANCE + 1n);
      await gateway.connect(alice).cancel(await requestOf(0));
      await mine(CONFIRMATIONS);
      const told: UnpaidDelivery[] = [];
      const report = await worker(asFulfiller, adapter(), { onUnpaid: (u) => told.push(u) }).runOnce();
      expect([
        report.unpaid.map((u) => [u.request.id, u.closedBy]),
        told.length,
        (await unpaidDeliveries(gateway, adapter().ledger(), { fromBlock: 0 })).map((u) => [
          u.id,
          u.closedBy,
        ]),
      ]).to.deep.equal([[[0n, "RedemptionCancelled"]], 1, [[0n, "cancelled"]]]);
    });

    it("checks the safety margin at each delivery: a slow delivery leaves the next request undelivered", async function () {
      // The fault: the margin was checked at the round's start, and the owner could cancel between a late
      // delivery and its confirmation.
      const { worker, adapter, asFulfiller, requestOf, ledger } = await setup();
      await asFulfiller.accept([await requestOf(0), await requestOf(1)], WORKER_ID);
      await time.increase(ACCEPTANCE - MARGIN - 30n);
      await mine(CONFIRMATIONS);
      let wall = 0;
      const slow = adapterThen(adapter(), async () => void (wall += 60_000)); // each delivery takes a minute
      const report = await worker(asFulfiller, slow, { clock: () => wall }).runOnce();
      expect([slow.calls, report.confirmed, report.rejected, (await ledger()).length]).to.deep.equal([
        [0n],
        [0n],
        [1n],
        1,
      ]);
    });

    it("confirms each group of deliveries before delivering the next", async function () {
      const { worker, adapter, asFulfiller, gateway } = await setup();
      const seenOpen: boolean[] = [];
      const watching = adapterThen(adapter(), async () => undefined);
      const checking: FulfilmentAdapter = {
        findDelivery: watching.findDelivery,
        async fulfil(r, c) {
          if (r.id === 1n) seenOpen.push(await gateway.isOpen(0));
          return watching.fulfil(r, c);
        },
      };
      const report = await worker(asFulfiller, checking, { batchSize: 1 }).runOnce();
      expect([report.confirmed, seenOpen]).to.deep.equal([[0n, 1n], [false]]);
    });
  });
});

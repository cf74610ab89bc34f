import { loadFixture, mine } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { mkdtemp, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { BrowserProvider, ZeroHash, type Eip1193Provider } from "ethers";
import hre, { ethers } from "hardhat";
import { FileLedgerAdapter, FulfilmentWorker, type FulfilmentAdapter, type LedgerEntry } from "../../src";
import type { RedemptionGateway } from "../../typechain-types";
import { ONE_ZON } from "../helpers/fixtures";
import { CREDIT, gatewayFixture, HOODIE } from "./fixture";

const CONFIRMATIONS = 2;
const noWait = async () => undefined;

describe("fulfilment worker", function () {
  async function workerFixture() {
    const f = await gatewayFixture();
    const fromBlock = await ethers.provider.getBlockNumber();
    await f.gateway.connect(f.alice).redeem(CREDIT, 2, 20n * ONE_ZON, ZeroHash); // 0: credit
    await f.gateway.connect(f.bob).redeem(CREDIT, 1, 10n * ONE_ZON, ZeroHash); // 1: credit
    await f.gateway.connect(f.alice).redeem(HOODIE, 1, 25n * ONE_ZON, ZeroHash); // 2: not deliverable by file
    await mine(CONFIRMATIONS);
    const worker = (gateway: RedemptionGateway, fulfilmentAdapter: FulfilmentAdapter) =>
      new FulfilmentWorker({
        gateway,
        adapter: fulfilmentAdapter,
        fromBlock,
        confirmations: CONFIRMATIONS,
        backoff: noWait,
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
    const { worker, adapter, asFulfiller, ledger, alice, bob } = await setup();
    await worker(asFulfiller, adapter()).runOnce();
    expect((await ledger()).map((e) => [e.redemptionId, e.owner, e.quantity])).to.deep.equal([
      ["0", alice.address, "2"],
      ["1", bob.address, "1"],
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

  it("killed between the adapter's delivery and the on-chain confirmation, delivers each credit once after a restart", async function () {
    const { worker, adapter, asFulfiller, ledger, gateway } = await setup();
    // The first worker delivers, then never gets to confirm (its process "dies": the call never returns).
    const file = adapter();
    let delivered = 0;
    const dying: FulfilmentAdapter = {
      async fulfil(request, context) {
        await file.fulfil(request, context);
        delivered++;
        return new Promise(() => undefined);
      },
    };
    void worker(asFulfiller, dying).runOnce();
    while (delivered === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(await gateway.isOpen(0)).to.equal(true);
    // A new worker process: a fresh adapter reading the same ledger.
    const report = await worker(asFulfiller, adapter()).runOnce();
    expect(report.confirmed).to.deep.equal([0n, 1n]);
    expect((await ledger()).map((e) => e.redemptionId)).to.deep.equal(["0", "1"]);
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

  it("skips a request its owner cancelled between the worker's read and its confirmation", async function () {
    const { worker, adapter, asFulfiller, gateway, requestOf, alice } = await setup();
    const file = adapter();
    const cancelling: FulfilmentAdapter = {
      async fulfil(request, context) {
        if (request.id === 1n) {
          const zero = await requestOf(0);
          await hre.network.provider.request({
            method: "evm_increaseTime",
            params: [Number(zero.cancelAfter)],
          });
          await gateway.connect(alice).cancel(zero);
        }
        return file.fulfil(request, context);
      },
    };
    const report = await worker(asFulfiller, cancelling).runOnce();
    expect(report.confirmed).to.deep.equal([1n]);
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
        }),
    ).to.throw("batchSize: 0 is not a positive whole number");
  });
});

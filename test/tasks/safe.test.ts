import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { mkdtemp, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseUnits } from "ethers";
import hre, { ethers } from "hardhat";
import { deploySuite } from "../../deploy/deploy";
import type { SafeBatchFile } from "../../src";
import { runTask } from "../helpers/tasks";

/*
 * A business whose ZON sit in a contract wallet (a Safe): the task writes a Transaction Builder batch,
 * and the wallet executing its calls in order does what the business asked.
 */
describe("Safe Transaction Builder batches", function () {
  async function safeFixture() {
    process.env.ZON_DEPLOYMENTS_DIR = await mkdtemp(path.join(os.tmpdir(), "zon-deployments-"));
    const suite = await deploySuite(hre);
    const [governance] = await ethers.getSigners();
    const owner = (await ethers.getSigners())[11];
    const wallet = await ethers.deployContract("TestWallet", [owner.address]);
    const safe = await wallet.getAddress();
    await suite.token.connect(governance).configureMinter(governance.address, parseUnits("100", 18));
    await suite.token.connect(governance).mint(safe, parseUnits("100", 18));
    const out = path.join(await mkdtemp(path.join(os.tmpdir(), "zon-safe-")), "batch.json");
    return { ...suite, wallet, safe, owner, out };
  }

  after(function () {
    delete process.env.ZON_DEPLOYMENTS_DIR;
  });

  /** What the Safe does with an imported batch: each call, in order, from the Safe. */
  async function execute(f: Awaited<ReturnType<typeof safeFixture>>, batch: SafeBatchFile) {
    for (const call of batch.transactions)
      await f.wallet.connect(f.owner).execute(call.to, call.value, call.data);
  }

  it("writes a redeem as approve-the-price then redeem, which the Safe executes", async function () {
    const f = await loadFixture(safeFixture);
    const batch = await runTask<SafeBatchFile>("safe:batch", {
      safe: f.safe,
      action: "redeem",
      out: f.out,
      sku: "1",
      quantity: "2",
      deliveryRef: "acme-prod",
    });
    expect(JSON.parse(await readFile(f.out, "utf8"))).to.deep.equal(batch);
    expect([
      batch.version,
      batch.chainId,
      batch.meta.createdFromSafeAddress,
      batch.transactions.length,
    ]).to.deep.equal(["1.0", "31337", f.safe, 2]);
    await execute(f, batch);
    expect([await f.gateway.nextRequestId(), await f.gateway.openTotal()]).to.deep.equal([
      1n,
      parseUnits("20", 18),
    ]);
    expect(await f.token.allowance(f.safe, await f.gateway.getAddress())).to.equal(0n);
  });

  it("writes a transfer the Safe executes", async function () {
    const f = await loadFixture(safeFixture);
    const to = (await ethers.getSigners())[12].address;
    const batch = await runTask<SafeBatchFile>("safe:batch", {
      safe: f.safe,
      action: "transfer",
      out: f.out,
      to,
      amount: "2.5",
      quantity: "1",
    });
    await execute(f, batch);
    expect(await f.token.balanceOf(to)).to.equal(parseUnits("2.5", 18));
  });

  it("refuses a redeem the Safe cannot pay, before writing anything", async function () {
    const f = await loadFixture(safeFixture);
    const out = path.join(await mkdtemp(path.join(os.tmpdir(), "zon-safe-")), "never.json");
    const args = { safe: f.safe, action: "redeem", out, sku: "1", quantity: "11", deliveryRef: "x" };
    await expect(runTask("safe:batch", args)).to.be.rejectedWith(
      `safe: ${f.safe} holds less than the 110 ZON the redemption costs`,
    );
    await expect(readFile(out)).to.be.rejectedWith("ENOENT");
  });

  it("refuses an unknown action, naming it", async function () {
    const f = await loadFixture(safeFixture);
    await expect(
      runTask("safe:batch", { safe: f.safe, action: "burn", out: f.out, quantity: "1" }),
    ).to.be.rejectedWith('action: "burn" is not redeem or transfer');
  });
});

import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { encodeBytes32String, id as keccakOfText, parseUnits, type EventLog } from "ethers";
import hre, { ethers } from "hardhat";
import { deploySuite } from "../../deploy/deploy";
import { readDeployment, reconcile, requestFromEvent, requestHash, type RedemptionRequest } from "../../src";
import { runTask } from "../helpers/tasks";

/*
 * zon:reconcile over an economy driven through the tasks and the contracts, with a known set of faults
 * planted: the report lists exactly those exceptions, and no others.
 */

const PERIOD = 202704;
const HEADER = "beneficiary,customerId,period,category,usageCents,id";
const customer = (n: number) => keccakOfText(`customer-${n}`);

describe("the issuer's books (zon:reconcile)", function () {
  async function economyFixture() {
    const dir = await mkdtemp(path.join(os.tmpdir(), "zon-reconcile-"));
    process.env.ZON_DEPLOYMENTS_DIR = dir;
    const suite = await deploySuite(hre);
    const signers = await ethers.getSigners();
    const [acme, globex] = [signers[11], signers[12]];
    const row = (who: string, n: number, cents: number, id: number) =>
      `${who},${customer(n)},${PERIOD},compute,${cents},${id}`;
    const file = async (name: string, rows: string[]) => {
      const target = path.join(dir, name);
      await writeFile(target, [HEADER, ...rows].join("\n") + "\n");
      return target;
    };
    const deadline = String((await time.latest()) + 30 * 86_400);
    // The period's export: ids 0-5. Ids 0, 1 and 5 are claimed as written; 2 is revoked; 3 never reaches
    // the chain; 4 reaches it with other content (a wrong beneficiary).
    const exportA = await file("export-a.csv", [
      row(acme.address, 1, 100_000, 0),
      row(globex.address, 2, 50_000, 1),
      row(acme.address, 3, 10_000, 2),
      row(globex.address, 4, 20_000, 3),
      row(acme.address, 5, 30_000, 4),
      row(globex.address, 6, 40_000, 5),
    ]);
    // A second export that gives id 5 other content, and signed files the exports do not hold.
    const exportB = await file("export-b.csv", [row(globex.address, 6, 99_999, 5)]);
    const sent = await file("sent.csv", [
      row(acme.address, 1, 100_000, 0),
      row(globex.address, 2, 50_000, 1),
      row(globex.address, 5, 30_000, 4),
      row(globex.address, 6, 40_000, 5),
      row(acme.address, 7, 70_000, 6),
    ]);
    await runTask("rewards:policy", { period: String(PERIOD), rates: "compute=500", budget: "1000000" });
    await runTask("rewards:revoke", { period: String(PERIOD), ids: "2", asAdmin: true });
    const bundle = path.join(dir, "bundle.json");
    await runTask("rewards:sign", { usage: sent, out: bundle, deadline, strict: false });
    await runTask("rewards:submit", { bundle, batchSize: 100 });
    // A Merkle epoch of the period (5 and 10 ZON), of which acme claims its leaf.
    const epochUsage = await file("epoch.csv", [
      row(acme.address, 8, 10_000, 0),
      row(globex.address, 9, 20_000, 1),
    ]);
    const epochDir = path.join(dir, "epoch");
    await runTask("epoch:build", {
      usage: epochUsage,
      period: String(PERIOD),
      epoch: "0",
      deadline,
      out: epochDir,
      force: false,
    });
    await runTask("epoch:publish", { dir: epochDir });
    await runTask("epoch:claim", { dir: epochDir, beneficiary: acme.address });

    // Redemptions: 0 delivered and burned; 1 delivered, then cancelled by its owner; 2 burned with no
    // delivery in the ledger; 3 rejected; and a ledger line for a request that does not exist.
    const { gateway, token } = suite;
    const fulfiller = signers.find((s) => s.address === suite.params.redemption.fulfiller)!;
    for (const who of [acme, acme, globex, globex]) {
      await (await token.connect(who).approve(await gateway.getAddress(), parseUnits("10", 18))).wait();
      await (await gateway.connect(who).redeem(1, 1, parseUnits("10", 18), keccakOfText("ref"))).wait();
    }
    const requests: RedemptionRequest[] = (
      await gateway.queryFilter(gateway.filters.RedemptionRequested())
    ).map((log) => requestFromEvent(log as unknown as EventLog).request);
    const worker = encodeBytes32String("worker-1");
    await (await gateway.connect(fulfiller).accept([requests[0], requests[2], requests[3]], worker)).wait();
    await (await gateway.connect(fulfiller).confirm(requests[0], keccakOfText("code-0"))).wait();
    await (await gateway.connect(fulfiller).confirm(requests[2], keccakOfText("code-2"))).wait();
    await (await gateway.connect(fulfiller).reject(requests[3], 1)).wait();
    await time.increaseTo(requests[1].cancelAfter + 1n);
    await (await gateway.connect(acme).cancel(requests[1])).wait();
    const chainId = (await ethers.provider.getNetwork()).chainId;
    const gatewayAddress = (await gateway.getAddress()).toLowerCase();
    const key = (id: bigint) => `${chainId}:${gatewayAddress}:${id}`;
    const entry = (request: RedemptionRequest, code: string) =>
      JSON.stringify({
        redemptionKey: key(request.id),
        requestHash: requestHash(request),
        owner: request.owner,
        sku: "1",
        quantity: "1",
        code,
        deliveryRef: "ref",
      });
    const ledger = path.join(dir, "ledger.jsonl");
    const ghost = { ...requests[0], id: 99n };
    await writeFile(
      ledger,
      [entry(requests[0], "CODE-0"), entry(requests[1], "CODE-1"), entry(ghost, "CODE-99")].join("\n") + "\n",
    );
    // A business sends ZON to the gateway by mistake: its balance is above what its books owe.
    await (await token.connect(globex).transfer(await gateway.getAddress(), parseUnits("1", 18))).wait();
    return { dir, exportA, exportB, ledger, acme, globex };
  }

  after(function () {
    delete process.env.ZON_DEPLOYMENTS_DIR;
  });

  async function reconciled() {
    const f = await loadFixture(economyFixture);
    const summary = await reconcile({
      provider: ethers.provider as never,
      deployment: readDeployment("hardhat"),
      period: PERIOD,
      exports: [f.exportA, f.exportB],
      ledgers: [f.ledger],
      outDir: path.join(f.dir, "out"),
    });
    return { ...f, summary };
  }

  it("lists exactly the faults planted in the economy, and no others", async function () {
    const { summary, acme } = await reconciled();
    expect(summary.exceptions).to.deep.equal([
      "issuance: export-a.csv row 5: id 3 was never claimed, skipped or revoked on chain",
      `issuance: export-a.csv row 6: id 4 was claimed on chain with other content (to ${(await ethers.getSigners())[12].address})`,
      "issuance: export-b.csv row 2: id 5 is also export-a.csv row 7, with other content",
      `issuance: id 6 was minted (35 ZON to ${acme.address}) but no row of the exports has its id`,
      "redemption: ledger.jsonl line 3 delivered request 99 (CODE-99), which no request on chain has",
      "redemption: request 1: delivered (CODE-1) but cancelled: no ZON was burned for it",
      "redemption: request 2: burned, but no ledger holds its delivery",
      "supply: the gateway holds 1 ZON, its books owe 0 ZON (openTotal)",
    ]);
  });

  it("gives every row of the period its fate", async function () {
    const { summary } = await reconciled();
    expect(summary.issuance).to.deep.include({
      rows: 7,
      fates: { claimed: 3, revoked: 1, missing: 1, conflicting: 2 },
      mintedWithoutRow: 1,
    });
  });

  it("traces every redemption to its end and its delivery", async function () {
    const { summary } = await reconciled();
    expect(summary.redemption).to.deep.equal({
      requests: 4,
      fates: { "confirmed (burned)": 2, cancelled: 1, rejected: 1 },
      deliveries: 3,
      deliveredNotBurned: 1,
      burnedNotDelivered: 1,
      deliveriesWithoutRequest: 1,
    });
  });

  it("splits the supply by minter: minted less burned is the total supply", async function () {
    const { summary } = await reconciled();
    expect(summary.supply).to.deep.include({ minted: "150 ZON", burned: "20 ZON", totalSupply: "130 ZON" });
    expect(Object.values(summary.supply.byMinter)).to.deep.equal(["150 ZON"]);
  });

  it("totals the period's epochs and the budget they and the attestations used", async function () {
    const { summary } = await reconciled();
    expect([summary.epochs, summary.budget]).to.deep.equal([
      { count: 1, reserved: "15 ZON", claimed: "5 ZON", released: "0 ZON", unclaimed: "10 ZON" },
      { budget: "1,000,000 ZON", committed: "160 ZON", attestations: "145 ZON", epochsNet: "15 ZON" },
    ]);
  });

  it("writes a CSV per section and the summary", async function () {
    const { summary, dir } = await reconciled();
    expect(summary.files.map((file) => path.relative(path.join(dir, "out"), file))).to.deep.equal([
      "issuance.csv",
      "epochs.csv",
      "redemptions.csv",
      "supply.csv",
      "enforcement.csv",
      "summary.json",
    ]);
    const issuance = readFileSync(path.join(dir, "out", "issuance.csv"), "utf8")
      .trim()
      .split("\n");
    expect(issuance).to.have.length(1 + 7 + 1);
    expect(issuance[1]).to.match(
      /^export-a\.csv,2,202704,0,0x[0-9a-f]{40},compute,100000,claimed,,0x[0-9a-f]{64},\d+,50$/,
    );
  });

  it("exits 1 from the task, naming the count and where the files are", async function () {
    const f = await loadFixture(economyFixture);
    await expect(
      runTask("zon:reconcile", {
        period: String(PERIOD),
        exports: `${f.exportA},${f.exportB}`,
        ledgers: f.ledger,
        out: path.join(f.dir, "task-out"),
      }),
    ).to.be.rejectedWith(`8 exception(s) in period ${PERIOD}; see ${path.join(f.dir, "task-out")}`);
  });
});

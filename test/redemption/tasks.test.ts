import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ZeroHash } from "ethers";
import { ethers } from "hardhat";
import { FileLedgerAdapter, requestHash, ROLES, type RoundReport, type UnpaidLedgerEntry } from "../../src";
import { ONE_ZON } from "../helpers/fixtures";
import { runTask } from "../helpers/tasks";
import { ACCEPTANCE, CREDIT, gatewayFixture, HOODIE, TIMEOUT, WORKER_ID } from "./fixture";

describe("redemption tasks", function () {
  // The tasks act as the first configured account (--from 0): make it catalogue manager, fulfiller, a buyer.
  async function taskFixture() {
    const f = await gatewayFixture();
    const [first] = await ethers.getSigners();
    await f.gateway.grantRole(ROLES.CATALOGUE, first.address);
    await f.gateway.grantRole(ROLES.FULFILLER, first.address);
    await f.token.mint(first.address, 500n * ONE_ZON);
    const ledger = path.join(await mkdtemp(path.join(os.tmpdir(), "zon-redeem-")), "ledger.jsonl");
    return { ...f, first, ledger };
  }

  it("lists a SKU and shows it in the catalogue", async function () {
    const { gatewayAddress } = await loadFixture(taskFixture);
    await runTask("catalogue:set", {
      gateway: gatewayAddress,
      from: "0",
      sku: "7",
      kind: "subscription",
      price: "2.5",
      stock: "10",
      limit: "1",
      inactive: false,
    });
    const rows = await runTask<Array<{ sku: number; price: string; stock: number }>>("catalogue:list", {
      gateway: gatewayAddress,
    });
    expect(rows.find((r) => r.sku === 7)).to.deep.include({ price: "2.5 ZON", stock: 10 });
  });

  it("refuses an unknown SKU kind, naming it", async function () {
    const { gatewayAddress } = await loadFixture(taskFixture);
    await expect(
      runTask("catalogue:set", {
        gateway: gatewayAddress,
        from: "0",
        sku: "7",
        kind: "gift",
        price: "1",
        limit: "0",
        inactive: false,
      }),
    ).to.be.rejectedWith('kind: "gift" is not one of cloudCredit, catalogueItem, subscription');
  });

  it("refuses a price that is not an amount of ZON", async function () {
    const { gatewayAddress } = await loadFixture(taskFixture);
    await expect(
      runTask("catalogue:set", {
        gateway: gatewayAddress,
        from: "0",
        sku: "7",
        kind: "subscription",
        price: "-1",
        limit: "0",
        inactive: false,
      }),
    ).to.be.rejectedWith('price: "-1" is not an amount of ZON');
  });

  it("redeems with a permit, runs the worker once and shows the request fulfilled", async function () {
    const { gatewayAddress, ledger } = await loadFixture(taskFixture);
    const id = await runTask<bigint>("redeem:request", {
      gateway: gatewayAddress,
      sku: String(CREDIT),
      quantity: "2",
      maxPrice: "20",
      deliveryRef: "acme-prod",
      approve: false,
    });
    await mine(1);
    const report = await runTask<RoundReport>("redeem:worker", {
      gateway: gatewayAddress,
      from: "0",
      ledger,
      skus: String(CREDIT),
      fromBlock: 0,
      confirmations: 1,
      batchSize: 20,
      interval: 1,
      once: true,
    });
    const shown = await runTask<{ status: string }>("redeem:show", {
      gateway: gatewayAddress,
      id: String(id),
    });
    expect([report.confirmed, shown.status.startsWith("fulfilled")]).to.deep.equal([[id], true]);
    expect((await readFile(ledger, "utf8")).trim().split("\n")).to.have.length(1);
  });

  it("rejects through the worker what the file adapter cannot deliver", async function () {
    const { gatewayAddress, ledger } = await loadFixture(taskFixture);
    const id = await runTask<bigint>("redeem:request", {
      gateway: gatewayAddress,
      sku: String(HOODIE),
      quantity: "1",
      maxPrice: "25",
      deliveryRef: "hq",
      approve: true,
    });
    await mine(1);
    await runTask("redeem:worker", {
      gateway: gatewayAddress,
      from: "0",
      ledger,
      skus: String(CREDIT),
      fromBlock: 0,
      confirmations: 1,
      batchSize: 20,
      interval: 1,
      once: true,
    });
    const shown = await runTask<{ status: string }>("redeem:show", {
      gateway: gatewayAddress,
      id: String(id),
    });
    expect(shown.status).to.equal(
      "rejected, reason 1: this SKU cannot be delivered by the fulfilment service; your ZON came back",
    );
  });

  it("lists a delivery whose request its owner cancelled as unpaid, from the ledger and the chain", async function () {
    const { gateway, gatewayAddress, alice, fulfiller, requestOf } = await loadFixture(taskFixture);
    const ledger = path.join(await mkdtemp(path.join(os.tmpdir(), "zon-unpaid-")), "ledger.jsonl");
    await gateway.connect(alice).redeem(CREDIT, 1, 10n * ONE_ZON, ZeroHash);
    const request = await requestOf(0);
    await gateway.connect(fulfiller).accept([request], WORKER_ID);
    // Delivered into the ledger; the worker never got to confirm; the owner took the ZON back.
    const { chainId } = await ethers.provider.getNetwork();
    await new FileLedgerAdapter(ledger, new Set([BigInt(CREDIT)])).fulfil(request, {
      redemptionKey: `${chainId}:${gatewayAddress.toLowerCase()}:0`,
      requestHash: requestHash(request),
      deliveryRef: ZeroHash,
    });
    await time.increase(TIMEOUT + ACCEPTANCE + 1n);
    await gateway.connect(alice).cancel(request);
    const unpaid = await runTask<UnpaidLedgerEntry[]>("redeem:unpaid", { gateway: gatewayAddress, ledger });
    expect(unpaid.map((u) => [u.id, u.closedBy, u.entry.owner])).to.deep.equal([
      [0n, "cancelled", alice.address],
    ]);
  });

  it("says every delivery was paid when none ended without its burn", async function () {
    const { gatewayAddress, ledger } = await loadFixture(taskFixture);
    await writeFile(ledger, "");
    expect(await runTask("redeem:unpaid", { gateway: gatewayAddress, ledger })).to.deep.equal([]);
  });

  it("refuses to show a request that does not exist", async function () {
    const { gatewayAddress } = await loadFixture(taskFixture);
    await expect(runTask("redeem:show", { gateway: gatewayAddress, id: "99" })).to.be.rejectedWith(
      "id: no redemption request 99",
    );
  });

  it("refuses to change the catalogue from an account that is not the catalogue manager, naming it", async function () {
    const { gatewayAddress, outsider } = await loadFixture(taskFixture);
    await expect(
      runTask("catalogue:set", {
        gateway: gatewayAddress,
        from: outsider.address,
        sku: "7",
        kind: "subscription",
        price: "1",
      }),
    ).to.be.rejectedWith(
      `account ${outsider.address} is not the catalogue manager; the catalogue manager is 0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f (deploy/parameters/hardhat.json)`,
    );
  });

  it("refuses a redemption the business cannot pay before signing anything", async function () {
    const { gatewayAddress, outsider } = await loadFixture(taskFixture);
    await expect(
      runTask("redeem:request", {
        gateway: gatewayAddress,
        from: outsider.address,
        sku: String(CREDIT),
        quantity: "1",
        maxPrice: "10",
        deliveryRef: "acme",
        approve: true,
      }),
    ).to.be.rejectedWith(`from: ${outsider.address} holds 0 ZON, the redemption costs 10 ZON`);
  });

  it("approves only the price with --approve", async function () {
    const { gatewayAddress, token, first } = await loadFixture(taskFixture);
    await runTask("redeem:request", {
      gateway: gatewayAddress,
      from: "0",
      sku: String(CREDIT),
      quantity: "2",
      maxPrice: "100",
      deliveryRef: "acme",
      approve: true,
    });
    expect(await token.allowance(first.address, gatewayAddress)).to.equal(0n);
  });
});

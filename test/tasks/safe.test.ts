import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { existsSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseUnits } from "ethers";
import hre, { ethers } from "hardhat";
import { deploySuite } from "../../deploy/deploy";
import {
  batchChecksum,
  createSafe,
  deploySafeContracts,
  executeSafeTx,
  multiSendTx,
  safeInterface,
  type SafeBatchFile,
} from "../../src";
import { runTask } from "../helpers/tasks";

/*
 * A business whose ZON sit in a Safe (v1.4.1's own contracts, 2 of 3 owners): the task writes a Transaction
 * Builder batch, and the Safe executing it as one MultiSendCallOnly transaction does what the business asked.
 */
describe("Safe Transaction Builder batches", function () {
  async function safeFixture() {
    process.env.ZON_DEPLOYMENTS_DIR = await mkdtemp(path.join(os.tmpdir(), "zon-deployments-"));
    const suite = await deploySuite(hre);
    const signers = await ethers.getSigners();
    const [governance] = signers;
    const owners = [signers[11], signers[12], signers[13]];
    const contracts = await deploySafeContracts(governance);
    const safe = await createSafe(
      contracts,
      governance,
      owners.map((o) => o.address),
      2,
    );
    await suite.token.connect(governance).configureMinter(governance.address, parseUnits("100", 18));
    await suite.token.connect(governance).mint(safe, parseUnits("100", 18));
    const out = path.join(await mkdtemp(path.join(os.tmpdir(), "zon-safe-")), "batch.json");
    return { ...suite, contracts, safe, owners, owner: owners[0], out };
  }

  after(function () {
    delete process.env.ZON_DEPLOYMENTS_DIR;
  });

  /** What the Safe's app does with an imported batch: one MultiSendCallOnly transaction, 2 of 3 owners sign. */
  async function execute(f: Awaited<ReturnType<typeof safeFixture>>, batch: SafeBatchFile) {
    await executeSafeTx(f.safe, multiSendTx(f.contracts, batch.transactions), f.owners.slice(0, 2), f.owner);
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

  it("computes the batch checksum exactly as the Transaction Builder's own test vector does", function () {
    // safe-react-apps, apps/tx-builder/src/lib/checksum.test.js: the file (with its empty checksum) and
    // the checksum its addChecksum gives.
    const owner = "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6";
    const vector = {
      version: "1.0",
      chainId: "4",
      createdAt: 1646321521061,
      meta: {
        name: "test batch file",
        txBuilderVersion: "1.4.0",
        checksum: "",
        createdFromSafeAddress: "0xDF8a1Ce35c9a6ACE153B4e0767942f1E2291a1Aa",
        createdFromOwnerAddress: owner,
      },
      transactions: [
        {
          to: owner,
          value: "0",
          contractMethod: {
            inputs: [{ internalType: "address", name: "paramAddress", type: "address" }],
            name: "testAddress",
            payable: false,
          },
          contractInputsValues: { paramAddress: owner },
        },
        {
          to: owner,
          value: "0",
          contractMethod: {
            inputs: [{ internalType: "bool", name: "paramBool", type: "bool" }],
            name: "testBool",
            payable: false,
          },
          contractInputsValues: { paramAddress: "", paramBool: "false" },
        },
        {
          to: owner,
          value: "2000000000000000000",
          data: "0x42f4579000000000000000000000000049d4450977e2c95362c13d3a31a09311e0ea26a6",
        },
      ],
    };
    expect(batchChecksum(vector)).to.equal(
      "0x4ecbfd364aa6759983915644e73f8bd411e85a2dc306f252a387c2728c4db64c",
    );
  });

  it("writes a checksum the Transaction Builder's import recomputes to the same value", async function () {
    const f = await loadFixture(safeFixture);
    const batch = await runTask<SafeBatchFile>("safe:batch", {
      safe: f.safe,
      action: "transfer",
      out: f.out,
      to: f.owner.address,
      amount: "1",
    });
    // The importer takes the checksum out of meta, recomputes over the rest, and compares.
    const { checksum, ...meta } = batch.meta;
    expect(checksum).to.equal(batchChecksum({ ...batch, meta }));
    expect(batchChecksum({ ...batch, meta: { ...meta, description: "changed" } })).not.to.equal(checksum);
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

  describe("a Safe on a chain that has none: safe:deploy, safe:create and safe:permit", function () {
    async function permitFixture() {
      const f = await loadFixture(safeFixture);
      await runTask("safe:deploy", { from: "0" });
      const owners = f.owners.map((o) => o.address).join(",");
      const safe = await runTask<string>("safe:create", { owners, threshold: "2", salt: "7", from: "0" });
      const spender = await f.gateway.getAddress();
      return { ...f, newSafe: safe, spender };
    }

    /**
     * The fixture, a permit file no earlier test wrote (the chain is reverted between tests, the disk is
     * not), and the first owner's flags for a permit of 5 ZON to the gateway.
     */
    async function newPermit() {
      const fixture = await loadFixture(permitFixture);
      const file = path.join(await mkdtemp(path.join(os.tmpdir(), "zon-permit-")), "permit.json");
      const f = { ...fixture, file };
      const first = { file, safe: f.newSafe, spender: f.spender, amount: "5", hours: "24", submit: false };
      return { f, first };
    }

    it("creates a 2-of-3 Safe from the contracts it deployed", async function () {
      const f = await loadFixture(permitFixture);
      const safe = new ethers.Contract(f.newSafe, safeInterface(), ethers.provider);
      expect([await safe.getOwners(), await safe.getThreshold()]).to.deep.equal([
        f.owners.map((o) => o.address),
        2n,
      ]);
    });

    it("submits a permit once two owners signed it, one run each, and the Safe accepts it", async function () {
      const { f, first } = await newPermit();
      await runTask("safe:permit", { ...first, from: "13" });
      await runTask("safe:permit", { file: f.file, hours: "24", submit: false, from: "11" });
      await runTask("safe:permit", { file: f.file, hours: "24", submit: true, from: "0" });
      expect(await f.token.allowance(f.newSafe, f.spender)).to.equal(parseUnits("5", 18));
    });

    it("refuses to submit with fewer signatures than the Safe's threshold, saying how many", async function () {
      const { f, first } = await newPermit();
      await runTask("safe:permit", { ...first, from: "12" });
      await expect(
        runTask("safe:permit", { file: f.file, hours: "24", submit: true, from: "0" }),
      ).to.be.rejectedWith(`file: 1 of the 2 owner signatures the Safe needs`);
      expect(await f.token.allowance(f.newSafe, f.spender)).to.equal(0n);
    });

    it("refuses a signer who is not an owner, writing nothing", async function () {
      const { f, first } = await newPermit();
      const [, outsider] = await ethers.getSigners();
      await expect(runTask("safe:permit", { ...first, from: "1" })).to.be.rejectedWith(
        `from: ${outsider.address} is not an owner of Safe ${f.newSafe}`,
      );
      expect(existsSync(f.file)).to.equal(false);
    });
  });
});

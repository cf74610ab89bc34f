import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { keccak256, toUtf8Bytes } from "ethers";
import { createAgreement, readAgreement, type AgreementState } from "../../src";
import { ONE_ZON } from "../helpers/fixtures";
import { runTask } from "../helpers/tasks";
import { AMOUNTS, escrowFixture, REVIEW } from "./fixture";

describe("escrow library and tasks", function () {
  async function taskFixture() {
    const f = await escrowFixture();
    const termsFile = path.join(await mkdtemp(path.join(os.tmpdir(), "zon-escrow-")), "sow.txt");
    await writeFile(termsFile, "Statement of work #42: migrate the billing database.\n");
    /** Arguments of escrow:create: the buyer, already approved, one 1-ZON milestone, no arbiter. */
    const createArgs = (overrides: Record<string, unknown> = {}) => ({
      escrow: f.escrowAddress,
      seller: f.seller.address,
      milestones: "1",
      terms: termsFile,
      deliveryDays: "30",
      reviewDays: "7",
      acceptDays: "7",
      arbitrationDays: "14",
      fallbackBuyerBps: "5000",
      approved: true,
      from: f.buyer.address,
      ...overrides,
    });
    return { ...f, termsFile, createArgs };
  }

  it("creates with a permit and reads the agreement back with status names", async function () {
    const { escrow, token, escrowAddress, buyer, seller, terms } = await loadFixture(taskFixture);
    await token.connect(buyer).approve(escrowAddress, 0n);
    const id = await createAgreement(escrow, token, buyer, terms(), AMOUNTS, {
      permitDeadline: BigInt(await time.latest()) + 600n,
    });
    await escrow.connect(seller).accept(id);
    await escrow.connect(seller).deliver(id, 1);
    const state = await readAgreement(escrow, id);
    expect(state.milestones.map((m) => m.status)).to.deep.equal(["funded", "delivered", "funded"]);
    expect(state.milestones[1].reviewEndsAt).to.equal(BigInt(await time.latest()) + REVIEW);
  });

  it("refuses to read an agreement that does not exist", async function () {
    const { escrow } = await loadFixture(taskFixture);
    await expect(readAgreement(escrow, 5n)).to.be.rejectedWith("id: no agreement 5");
  });

  it("runs an agreement through the tasks: create, accept, deliver, dispute, resolve, show", async function () {
    const { escrowAddress, buyer, seller, arbiter, createArgs } = await loadFixture(taskFixture);
    const common = { escrow: escrowAddress };
    const id = await runTask<bigint>(
      "escrow:create",
      createArgs({ arbiter: arbiter.address, milestones: "100,200.5", approved: false }),
    );
    await runTask("escrow:accept", { ...common, id: String(id), from: seller.address });
    await runTask("escrow:deliver", {
      ...common,
      id: String(id),
      index: "0",
      from: seller.address,
    });
    await runTask("escrow:dispute", { ...common, id: String(id), index: "0", from: buyer.address });
    await runTask("escrow:resolve", {
      ...common,
      id: String(id),
      index: "0",
      buyerShare: "40",
      from: arbiter.address,
    });
    await runTask("escrow:release", { ...common, id: String(id), index: "1", from: buyer.address });
    const state = await runTask<AgreementState>("escrow:show", { ...common, id: String(id) });
    expect(state.milestones.map((m) => [m.amount, m.status])).to.deep.equal([
      [100n * ONE_ZON, "resolved"],
      [(2005n * ONE_ZON) / 10n, "released"],
    ]);
  });

  it("sends the accrued fees to the treasury through the task, and says when there are none", async function () {
    const { escrow, token, escrowAddress, buyer, seller, treasury, createArgs } =
      await loadFixture(taskFixture);
    const id = await runTask<bigint>("escrow:create", createArgs({ milestones: "100" }));
    await escrow.connect(seller).accept(id);
    await escrow.connect(buyer).release(id, 0);
    const sent = await runTask<bigint>("escrow:withdrawFees", {
      escrow: escrowAddress,
      from: seller.address,
    });
    const again = await runTask<bigint>("escrow:withdrawFees", { escrow: escrowAddress });
    expect([sent, again, await token.balanceOf(treasury.address)]).to.deep.equal([ONE_ZON, 0n, ONE_ZON]);
  });

  it("records the keccak256 of the terms file", async function () {
    const { escrow, createArgs } = await loadFixture(taskFixture);
    const id = await runTask<bigint>("escrow:create", createArgs());
    const [event] = await escrow.queryFilter(escrow.filters.AgreementCreated(id));
    expect(event.args.terms.termsHash).to.equal(
      keccak256(toUtf8Bytes("Statement of work #42: migrate the billing database.\n")),
    );
  });

  it("cancels through the tasks when both parties ask", async function () {
    const { escrow, escrowAddress, buyer, seller, createArgs } = await loadFixture(taskFixture);
    const id = await runTask<bigint>("escrow:create", createArgs({ milestones: "5,5" }));
    await runTask("escrow:cancel", { escrow: escrowAddress, id: String(id), from: buyer.address });
    await runTask("escrow:cancel", { escrow: escrowAddress, id: String(id), from: seller.address });
    expect((await readAgreement(escrow, id)).milestones.map((m) => m.status)).to.deep.equal([
      "refunded",
      "refunded",
    ]);
  });

  it("lets the buyer take back an agreement the seller never accepted", async function () {
    const { escrow, escrowAddress, buyer, createArgs } = await loadFixture(taskFixture);
    const id = await runTask<bigint>("escrow:create", createArgs({ milestones: "5,5" }));
    await runTask("escrow:withdrawUnaccepted", {
      escrow: escrowAddress,
      id: String(id),
      from: buyer.address,
    });
    expect((await readAgreement(escrow, id)).milestones.map((m) => m.status)).to.deep.equal([
      "refunded",
      "refunded",
    ]);
  });

  it("replaces the arbiter through the tasks once both parties propose the same one", async function () {
    const { escrow, escrowAddress, buyer, seller, outsider, createArgs } = await loadFixture(taskFixture);
    const id = await runTask<bigint>("escrow:create", createArgs());
    for (const party of [buyer, seller]) {
      await runTask("escrow:proposeArbiter", {
        escrow: escrowAddress,
        id: String(id),
        arbiter: outsider.address,
        from: party.address,
      });
    }
    expect((await readAgreement(escrow, id)).arbiter).to.equal(outsider.address);
  });

  it("refuses a fallback split above 10000 bps, naming it", async function () {
    const { createArgs } = await loadFixture(taskFixture);
    await expect(runTask("escrow:create", createArgs({ fallbackBuyerBps: "10001" }))).to.be.rejectedWith(
      "fallback-buyer-bps: 10001 is above 10000 (all to the buyer)",
    );
  });

  it("refuses a milestone amount that is not ZON, naming it", async function () {
    const { createArgs } = await loadFixture(taskFixture);
    await expect(
      runTask("escrow:create", createArgs({ milestones: "10,ten", from: "0" })),
    ).to.be.rejectedWith('milestones[1]: "ten" is not an amount of ZON');
  });

  it("refuses a seller that is not an address, naming it", async function () {
    const { createArgs } = await loadFixture(taskFixture);
    await expect(runTask("escrow:create", createArgs({ seller: "acme", from: "0" }))).to.be.rejectedWith(
      'seller: "acme" is not an address',
    );
  });

  it("refuses an account index that is not configured", async function () {
    const { escrowAddress } = await loadFixture(taskFixture);
    await expect(runTask("escrow:show", { escrow: escrowAddress, id: "0", from: "0" })).to.be.rejectedWith(
      "id: no agreement 0",
    );
    await expect(
      runTask("escrow:cancel", { escrow: escrowAddress, id: "0", from: "999" }),
    ).to.be.rejectedWith("from: 999 is not one of the 20 configured accounts");
  });
});

import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { encodeBytes32String, id as keccakOfText, parseUnits, ZeroAddress } from "ethers";
import hre, { ethers } from "hardhat";
import { deploySuite } from "../../deploy/deploy";
import { loadParameters } from "../../deploy/parameters";
import { caseReference, describeCaseId, parseCaseId, type AnnouncedOperation } from "../../src";
import { runTask } from "../helpers/tasks";

/*
 * The recovery and forced-transfer tasks against the suite as the deploy leaves it: the recovery officer
 * and the forced-transfer officer of deploy/parameters/hardhat.json, no enforcement delay until a test
 * sets one. acme (account 11) holds ZON, has a redemption open and is the buyer of an escrow agreement.
 */

const CASE = "COURT-2026-0042";
const DAY = 86_400n;

describe("recovery and forced-transfer tasks on a deployed suite", function () {
  async function deployedFixture() {
    process.env.ZON_DEPLOYMENTS_DIR = await mkdtemp(path.join(os.tmpdir(), "zon-deployments-"));
    const suite = await deploySuite(hre);
    const signers = await ethers.getSigners();
    const [governance, acme, globex, acmeNew] = [signers[0], signers[11], signers[12], signers[13]];
    const { token, gateway, escrow } = suite;
    await token.connect(governance).configureMinter(governance.address, parseUnits("100", 18));
    await token.connect(governance).mint(acme.address, parseUnits("100", 18));
    await token.connect(acme).approve(await gateway.getAddress(), parseUnits("10", 18));
    await gateway.connect(acme).redeem(1, 1, parseUnits("10", 18), keccakOfText("acme"));
    await token.connect(acme).approve(await escrow.getAddress(), parseUnits("30", 18));
    const now = BigInt(await time.latest());
    await escrow.connect(acme).createAndFund(
      {
        seller: globex.address,
        arbiter: ZeroAddress,
        termsHash: keccakOfText("terms"),
        deliveryDeadline: now + 30n * DAY,
        reviewWindow: 7n * DAY,
        acceptDeadline: now + 7n * DAY,
        arbitrationWindow: 14n * DAY,
        fallbackBuyerBps: 5_000n,
      },
      [parseUnits("10", 18), parseUnits("20", 18)],
    );
    return { ...suite, governance, acme, globex, acmeNew };
  }

  after(function () {
    delete process.env.ZON_DEPLOYMENTS_DIR;
  });

  it("recovers a lost wallet at once when no delay is in force", async function () {
    const { token, acme, acmeNew } = await loadFixture(deployedFixture);
    await runTask("recovery:execute", { lost: acme.address, replacement: acmeNew.address, case: CASE });
    expect([
      await token.balanceOf(acme.address),
      await token.balanceOf(acmeNew.address),
      await token.isFrozen(acme.address),
    ]).to.deep.equal([0n, parseUnits("60", 18), true]);
  });

  it("records the case as readable text on chain", async function () {
    const { token, acme, acmeNew } = await loadFixture(deployedFixture);
    await runTask("recovery:execute", { lost: acme.address, replacement: acmeNew.address, case: CASE });
    const [event] = await token.queryFilter(token.filters.WalletRecovered(acme.address));
    expect(event.args.caseId).to.equal(encodeBytes32String(CASE));
  });

  it("lists the lost wallet's open redemption and escrow agreement", async function () {
    const { acme, globex } = await loadFixture(deployedFixture);
    const lines = await runTask<string[]>("recovery:positions", { account: acme.address });
    expect(lines).to.deep.equal([
      `${acme.address} has 1 open redemption request(s). Confirming one burns its ZON as usual; a refund (reject, cancel) goes to its owner, so a recovered owner's requests move to the new wallet (recovery:settle):`,
      "  request 0: sku 1 x 1, 10 ZON, not accepted by the fulfiller yet",
      `${acme.address} is a party to 1 escrow agreement(s) with ZON still held. What the escrow pays this wallet (a seller's payout, a buyer's refund) goes to its new wallet once its role moves there (recovery:settle):`,
      `  agreement 0 as buyer (seller ${globex.address}): milestone 0 funded 10 ZON, milestone 1 funded 20 ZON`,
    ]);
  });

  it("moves the recovered wallet's open request and escrow role to the new wallet as it recovers it", async function () {
    const { gateway, escrow, acme, acmeNew } = await loadFixture(deployedFixture);
    await runTask("recovery:execute", { lost: acme.address, replacement: acmeNew.address, case: CASE });
    const [moved] = await gateway.queryFilter(gateway.filters.RequestOwnerReplaced(0n));
    expect([moved.args.replacement, (await escrow.agreement(0)).buyer]).to.deep.equal([
      acmeNew.address,
      acmeNew.address,
    ]);
  });

  it("lists the moved positions under the new wallet, and none under the lost one", async function () {
    const { acme, acmeNew, globex } = await loadFixture(deployedFixture);
    await runTask("recovery:execute", { lost: acme.address, replacement: acmeNew.address, case: CASE });
    const [lost, replacement] = [
      await runTask<string[]>("recovery:positions", { account: acme.address }),
      await runTask<string[]>("recovery:positions", { account: acmeNew.address }),
    ];
    expect([lost, replacement[1], replacement[3]]).to.deep.equal([
      [`${acme.address} has no open redemption and no unsettled escrow milestone.`],
      "  request 0: sku 1 x 1, 10 ZON, not accepted by the fulfiller yet",
      `  agreement 0 as buyer (seller ${globex.address}): milestone 0 funded 10 ZON, milestone 1 funded 20 ZON`,
    ]);
  });

  it("settles a wallet recovered before with recovery:settle, from any account", async function () {
    const { token, gateway, acme, acmeNew, governance } = await loadFixture(deployedFixture);
    const officer = (await ethers.getSigners()).find(
      (s) => s.address === loadParameters("hardhat").enforcement.recoveryOfficer,
    )!;
    await token.connect(officer).recoverWallet(acme.address, acmeNew.address, encodeBytes32String(CASE));
    const settled = await runTask<{ requests?: { ids: bigint[] }; agreements: Array<{ id: bigint }> }>(
      "recovery:settle",
      { lost: acme.address, from: governance.address },
    );
    expect([
      settled.requests?.ids,
      settled.agreements.map((a) => a.id),
      await gateway.redeemedBy(1, acme.address),
    ]).to.deep.equal([[0n], [0n], 0n]);
  });

  it("refuses to settle a wallet that was never recovered, naming it", async function () {
    const { globex } = await loadFixture(deployedFixture);
    await expect(runTask("recovery:settle", { lost: globex.address })).to.be.rejectedWith(
      `lost: ${globex.address} was never recovered; recover it first (recovery:execute)`,
    );
  });

  it("lists the escrow agreement for its seller too", async function () {
    const { acme, globex } = await loadFixture(deployedFixture);
    const lines = await runTask<string[]>("recovery:positions", { account: globex.address });
    expect(lines[1]).to.equal(
      `  agreement 0 as seller (buyer ${acme.address}): milestone 0 funded 10 ZON, milestone 1 funded 20 ZON`,
    );
  });

  it("says when a wallet has nothing open", async function () {
    const { acmeNew } = await loadFixture(deployedFixture);
    expect(await runTask("recovery:positions", { account: acmeNew.address })).to.deep.equal([
      `${acmeNew.address} has no open redemption and no unsettled escrow milestone.`,
    ]);
  });

  it("refuses a recovery from an account that is not the recovery officer, naming the one configured", async function () {
    const { acme, acmeNew } = await loadFixture(deployedFixture);
    await expect(
      runTask("recovery:execute", {
        lost: acme.address,
        replacement: acmeNew.address,
        case: CASE,
        from: "11",
      }),
    ).to.be.rejectedWith(
      `account ${acme.address} is not the recovery officer; the recovery officer is ${loadParameters("hardhat").enforcement.recoveryOfficer}`,
    );
  });

  it("refuses a case reference longer than 31 bytes, naming the field", async function () {
    const { acme, acmeNew } = await loadFixture(deployedFixture);
    const long = "C".repeat(32);
    await expect(
      runTask("recovery:execute", { lost: acme.address, replacement: acmeNew.address, case: long }),
    ).to.be.rejectedWith(`case: "${long}" is longer than 31 bytes`);
  });

  it("takes a 32-byte hash of the evidence as the case id", function () {
    const hash = keccakOfText("the court order, as filed");
    expect(parseCaseId("case", hash)).to.equal(hash);
  });

  it("reads a case id back as its reference, quoted within a sentence, and a hash as its hex", function () {
    const hash = keccakOfText("the court order, as filed");
    const reference = parseCaseId("case", CASE);
    expect([
      caseReference(reference),
      describeCaseId(reference),
      caseReference(hash),
      describeCaseId(hash),
    ]).to.deep.equal([CASE, `"${CASE}"`, hash, hash]);
  });

  it("sets the enforcement delay as governance and shows it", async function () {
    await loadFixture(deployedFixture);
    await runTask("enforcement:delay", { seconds: "3600" });
    expect(await runTask("enforcement:delay", {})).to.equal(3_600n);
  });

  it("with a delay, refuses an unannounced recovery and says to announce it first", async function () {
    const { acme, acmeNew } = await loadFixture(deployedFixture);
    await runTask("enforcement:delay", { seconds: "3600" });
    await expect(
      runTask("recovery:execute", { lost: acme.address, replacement: acmeNew.address, case: CASE }),
    ).to.be.rejectedWith(
      `the recovery of ${acme.address} to ${acmeNew.address} (case "${CASE}") is not announced, and the enforcement delay is 3600 s: run recovery:announce first`,
    );
  });

  it("with a delay, refuses an announced recovery before its time, then carries it out", async function () {
    const { token, acme, acmeNew } = await loadFixture(deployedFixture);
    await runTask("enforcement:delay", { seconds: "3600" });
    const flags = { lost: acme.address, replacement: acmeNew.address, case: CASE };
    await runTask("recovery:announce", flags);
    await expect(runTask("recovery:execute", flags)).to.be.rejectedWith(
      /was announced and can be carried out from/,
    );
    await time.increase(3_600);
    await runTask("recovery:execute", flags);
    expect(await token.balanceOf(acmeNew.address)).to.equal(parseUnits("60", 18));
  });

  it("lists what is announced, and lets governance cancel it", async function () {
    const { acme, globex } = await loadFixture(deployedFixture);
    await runTask("enforcement:delay", { seconds: "3600" });
    const flags = { holder: acme.address, to: globex.address, amount: "5", case: CASE };
    await runTask("forced:announce", flags);
    const pending = await runTask<AnnouncedOperation[]>("enforcement:pending", {});
    expect(pending.map((p) => [p.kind, p.from, p.to, p.amount, p.caseId])).to.deep.equal([
      ["forced transfer", acme.address, globex.address, parseUnits("5", 18), encodeBytes32String(CASE)],
    ]);
    await runTask("forced:cancel", { ...flags, from: "governance" });
    expect(await runTask("enforcement:pending", {})).to.deep.equal([]);
  });

  it("refuses a cancel from an account that is neither the officer nor the admin", async function () {
    const { acme, globex } = await loadFixture(deployedFixture);
    await runTask("enforcement:delay", { seconds: "3600" });
    const flags = { holder: acme.address, to: globex.address, amount: "5", case: CASE };
    await runTask("forced:announce", flags);
    await expect(runTask("forced:cancel", { ...flags, from: "11" })).to.be.rejectedWith(
      `from: ${acme.address} is neither the forced-transfer officer nor the token's admin; only they may cancel`,
    );
  });

  it("carries out a forced transfer from a frozen holder", async function () {
    const { token, acme, globex } = await loadFixture(deployedFixture);
    await runTask("zon:freeze", { account: acme.address });
    await runTask("forced:execute", { holder: acme.address, to: globex.address, amount: "5", case: CASE });
    expect(await token.balanceOf(globex.address)).to.equal(parseUnits("5", 18));
  });

  it("decodes the token's refusal of a forced transfer above the balance into a sentence", async function () {
    const { acme, globex } = await loadFixture(deployedFixture);
    await expect(
      runTask("forced:execute", { holder: acme.address, to: globex.address, amount: "61", case: CASE }),
    ).to.be.rejectedWith(`${acme.address} holds 60 ZON, 61 ZON are needed`);
  });
});

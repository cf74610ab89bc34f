import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import {
  createAgreementCalls,
  findReference,
  MAX_REFERENCE_BYTES,
  referenceHash,
  withReference,
} from "../../src";
import { AMOUNTS, escrowFixture } from "./fixture";

/*
 * An agreement's reference travels after the creating call's data: the contract ignores it, a reader
 * finds it and trusts it only when it hashes to the agreement's termsHash.
 */
describe("agreement references carried on chain", function () {
  const REFERENCE = "PO-2026-118 cloud migration — phase 1";

  async function createdWithReference() {
    const f = await escrowFixture();
    const terms = f.terms({ termsHash: referenceHash("reference", REFERENCE) });
    const [, create] = createAgreementCalls(f.token, f.escrow, terms, AMOUNTS, REFERENCE);
    const tx = await f.buyer.sendTransaction(create);
    await tx.wait();
    return { ...f, tx, terms };
  }

  it("creates the agreement from calldata with the reference appended, as without it", async function () {
    const { escrow, buyer, terms } = await loadFixture(createdWithReference);
    const agreement = await escrow.agreement(0);
    expect([agreement.buyer, await escrow.lockedTotal()]).to.deep.equal([
      buyer.address,
      AMOUNTS.reduce((a, b) => a + b, 0n),
    ]);
    const [created] = await escrow.queryFilter(escrow.filters.AgreementCreated());
    expect(created.args.terms.termsHash).to.equal(terms.termsHash);
  });

  it("reads the reference back from the creating transaction's input", async function () {
    const { tx, terms } = await loadFixture(createdWithReference);
    const sent = await ethers.provider.getTransaction(tx.hash);
    expect(findReference(sent!.data, terms.termsHash)).to.equal(REFERENCE);
  });

  it("finds a reference nested inside other calldata, such as a Safe's transaction", function () {
    const inner = withReference("reference", "0x12345678", REFERENCE);
    const outer = ethers.AbiCoder.defaultAbiCoder().encode(
      ["address", "bytes", "uint256"],
      [ethers.ZeroAddress, inner, 7],
    );
    expect(findReference(outer, referenceHash("reference", REFERENCE))).to.equal(REFERENCE);
  });

  it("trusts no text that does not hash to the committed value", function () {
    const data = withReference("reference", "0x12345678", "PO-FORGED");
    expect(findReference(data, referenceHash("reference", REFERENCE))).to.equal(undefined);
  });

  it("refuses an empty reference and one longer than the limit, naming the field", function () {
    expect(() => withReference("contract reference", "0x", "  ")).to.throw('contract reference: "" is empty');
    expect(() => withReference("contract reference", "0x", "x".repeat(MAX_REFERENCE_BYTES + 1))).to.throw(
      `contract reference: "${"x".repeat(40)}"… is longer than ${MAX_REFERENCE_BYTES} bytes`,
    );
  });
});

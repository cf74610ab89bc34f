import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { makeError } from "ethers";
import { ethers } from "hardhat";
import {
  decodeRevertData,
  describeError,
  explainError,
  hasHint,
  PERMIT_TYPES,
  PERMIT_VRS,
  readDomain,
  suiteErrors,
} from "../../src";
import { ONE_ZON, zonCoinFixture } from "../helpers/fixtures";

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("the call was expected to revert");
}

describe("error decoder", function () {
  it("has a sentence of what to do for every custom error of the four contracts", function () {
    const missing = suiteErrors()
      .map((e) => e.name)
      .filter((name) => !hasHint(name));
    expect(missing).to.deep.equal([]);
  });

  it("decodes a token revert from the chain with amounts in ZON", async function () {
    const { token, alice, carol } = await loadFixture(zonCoinFixture);
    const error = await refusal(token.connect(carol).transfer(alice.address, ONE_ZON));
    expect(describeError(error)).to.equal(
      `ERC20InsufficientBalance (sender=${carol.address}, balance=0 ZON, needed=1 ZON): ` +
        `${carol.address} holds 0 ZON, 1 ZON are needed; top the account up or send less`,
    );
  });

  it("splits a revert for a page: what to do in words, the error's name and arguments as detail", async function () {
    const { token, alice, carol } = await loadFixture(zonCoinFixture);
    const error = await refusal(token.connect(carol).transfer(alice.address, ONE_ZON));
    expect(explainError(error)).to.deep.equal({
      summary: `${carol.address} holds 0 ZON, 1 ZON are needed; top the account up or send less.`,
      detail: `ERC20InsufficientBalance (sender=${carol.address}, balance=0 ZON, needed=1 ZON)`,
    });
  });

  it("tells whoever signs a (v, r, s) permit for a Safe that a Safe approves and calls in one batch instead", async function () {
    const { token, alice, bob } = await loadFixture(zonCoinFixture);
    const deadline = BigInt(await time.latest()) + 3600n;
    const wrong = await bob.signTypedData(await readDomain(token), PERMIT_TYPES, {
      owner: alice.address,
      spender: bob.address,
      value: 1n,
      nonce: 0n,
      deadline,
    });
    const { v, r, s } = ethers.Signature.from(wrong);
    const error = await refusal(
      token.getFunction(PERMIT_VRS)(alice.address, bob.address, 1n, deadline, v, r, s),
    );
    expect(explainError(error).summary).to.contain(
      "A Safe has no key: redeemWithPermit and createAndFundWithPermit take a key's (v, r, s) signature only, so a Safe approves and calls in one batch (safe:batch, or the portal's Safe mode), or its owners sign a permit with safe:permit",
    );
  });

  it("names the role an account lacks instead of its hash", async function () {
    const { token, outsider } = await loadFixture(zonCoinFixture);
    const error = await refusal(token.connect(outsider).pause());
    expect(describeError(error)).to.contain(
      `account ${outsider.address} does not hold the pauser role; send from the account that does`,
    );
  });

  it("shows times as dates", async function () {
    const { token, alice, bob } = await loadFixture(zonCoinFixture);
    const deadline = BigInt(await time.latest()) - 1n;
    const error = await refusal(
      token.getFunction(PERMIT_VRS)(
        alice.address,
        bob.address,
        1n,
        deadline,
        27,
        ethers.ZeroHash,
        ethers.ZeroHash,
      ),
    );
    expect(describeError(error)).to.contain(
      `the permit expired at ${new Date(Number(deadline) * 1000).toISOString().replace(".000Z", "Z")}`,
    );
  });

  it("decodes a panic", function () {
    const data = ethers.concat([ethers.id("Panic(uint256)").slice(0, 10), ethers.toBeHex(0x11, 32)]);
    expect(decodeRevertData(data)?.sentence).to.equal(
      "the contract stopped: an arithmetic operation overflowed or underflowed",
    );
  });

  it("decodes a reason string", function () {
    const data = ethers.AbiCoder.defaultAbiCoder().encode(["string"], ["no way"]);
    const withSelector = ethers.concat([ethers.id("Error(string)").slice(0, 10), data]);
    expect(decodeRevertData(withSelector)?.sentence).to.equal("reverted: no way");
  });

  it("says so, with the selector, for an error none of the contracts has", function () {
    expect(describeError({ data: "0xdeadbeef" })).to.equal(
      "the transaction was refused with an error this suite does not know (selector 0xdeadbeef); is the address the right contract?",
    );
  });

  it("passes the first line of any other error through", function () {
    expect(describeError(new Error("usage.csv: no such file\n    at stack"))).to.equal(
      "usage.csv: no such file",
    );
  });

  it("says what a node refused without the signed transaction ethers quotes", async function () {
    const raw = "0x02" + "ab".repeat(45_000);
    const error = makeError("could not broadcast the transaction", "UNKNOWN_ERROR", {
      error: { code: -32000, message: "insufficient funds for gas * price + value" },
      payload: { method: "eth_sendRawTransaction", params: [raw] },
    });
    const sentence = describeError(error);
    expect(sentence).to.equal(
      "could not broadcast the transaction: insufficient funds for gas * price + value",
    );
    expect(error.message.length).to.be.above(90_000);
  });

  it("cuts any other error that would be a very long line", function () {
    const sentence = describeError(new Error("x".repeat(5_000)));
    expect(sentence).to.equal(`${"x".repeat(400)}… (cut at 400 characters)`);
  });
});

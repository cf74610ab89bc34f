import { loadFixture, mine } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { isError } from "ethers";
import { ethers, network } from "hardhat";
import { minedReceipt } from "../../src";
import { zonCoinFixture } from "../helpers/fixtures";

describe("waiting for a receipt by reading it", function () {
  afterEach(async function () {
    await network.provider.send("evm_setAutomine", [true]);
  });

  it("gives the receipt once a block holds the transaction", async function () {
    const { token, alice, bob } = await loadFixture(zonCoinFixture);
    await network.provider.send("evm_setAutomine", [false]);
    const tx = await token.connect(alice).transfer(bob.address, 1n);
    const waiting = minedReceipt(tx, { pollMs: 10 });
    await mine();
    expect((await waiting).hash).to.equal(tx.hash);
  });

  it("fails with ethers' TIMEOUT when nothing mines the transaction in time", async function () {
    const { token, alice, bob } = await loadFixture(zonCoinFixture);
    await network.provider.send("evm_setAutomine", [false]);
    const tx = await token.connect(alice).transfer(bob.address, 1n);
    const error = await minedReceipt(tx, { pollMs: 10, timeoutMs: 50 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isError(error, "TIMEOUT")).to.equal(true);
    expect((await ethers.provider.getTransaction(tx.hash))?.blockNumber).to.equal(null);
    await network.provider.send("hardhat_dropTransaction", [tx.hash]);
  });
});

import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers, network } from "hardhat";
import { calldataGas, gasBreakdown, type GasBreakdown } from "../../bench/trace";
import { signPermit } from "../../src";

const UNIT = 10n ** 18n;

/** The parts of a breakdown added up the way its documentation says they add up. */
function total(b: GasBreakdown): number {
  const parts = [b.sloadCold, b.sloadWarm, b.sstore, b.coldAccounts, b.precompiles, b.logs, b.keccak];
  return b.intrinsic + b.calldata + b.execution + parts.reduce((sum, p) => sum + p.gas, 0) - b.refund;
}

async function tokensFixture() {
  const [owner, alice, bob, spender] = await ethers.getSigners();
  const baseline = await ethers.deployContract("BaselineToken", [owner.address]);
  const zon = await ethers.deployContract("ZonCoin", [owner.address, 0n, 0n]);
  await baseline.mint(alice.address, 10n * UNIT);
  await baseline.mint(bob.address, 10n * UNIT);
  await baseline.mint(await zon.getAddress(), UNIT);
  return { baseline, zon, owner, alice, bob, spender };
}

async function breakdownOf(tx: Promise<{ wait(): Promise<{ hash: string } | null> }>) {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("not mined");
  return gasBreakdown(network.provider, receipt.hash);
}

describe("bench gas breakdown", function () {
  it("sorts a plain transfer into two cold balance reads, two writes and one Transfer log", async function () {
    const { baseline, alice, bob } = await loadFixture(tokensFixture);
    const b = await breakdownOf(baseline.connect(alice).transfer(bob.address, UNIT));
    expect([b.intrinsic, b.sloadCold, b.sstore, b.logs, b.coldAccounts.count, b.refund]).to.deep.equal([
      21_000,
      { count: 2, gas: 4_200 },
      { count: 2, gas: 5_800 },
      { count: 1, gas: 1_756 },
      0,
      0,
    ]);
  });

  it("has parts that add up to the gas the receipt reports", async function () {
    const { baseline, alice, bob } = await loadFixture(tokensFixture);
    const b = await breakdownOf(baseline.connect(alice).transfer(bob.address, UNIT));
    expect(total(b)).to.equal(b.gasUsed);
  });

  it("charges calldata at 4 gas per zero byte and 16 per other byte", async function () {
    expect(calldataGas("0x00ff0001")).to.equal(4 + 16 + 4 + 16);
  });

  it("reports the refund of a balance cleared to zero", async function () {
    const { baseline, alice, bob } = await loadFixture(tokensFixture);
    const b = await breakdownOf(baseline.connect(alice).transfer(bob.address, 10n * UNIT));
    expect([b.refund, total(b)]).to.deep.equal([4_800, b.gasUsed]);
  });

  it("counts ecrecover under precompiles", async function () {
    const { baseline, alice, spender } = await loadFixture(tokensFixture);
    const permit = await signPermit(baseline, alice, spender.address, UNIT, 2n ** 40n);
    const b = await breakdownOf(
      baseline.permit(
        permit.owner,
        permit.spender,
        permit.value,
        permit.deadline,
        permit.v,
        permit.r,
        permit.s,
      ),
    );
    expect(b.precompiles).to.deep.equal({ count: 1, gas: 3_100 });
  });

  it("counts the first call into another contract as one cold account, and the parts still add up", async function () {
    const { baseline, zon, owner } = await loadFixture(tokensFixture);
    const b = await breakdownOf(zon.rescueERC20(await baseline.getAddress(), owner.address, UNIT));
    expect([b.coldAccounts, total(b)]).to.deep.equal([{ count: 1, gas: 2_600 }, b.gasUsed]);
  });

  it("refuses a transaction that is not a call to a contract, naming the hash", async function () {
    const { baseline } = await loadFixture(tokensFixture);
    const hash = baseline.deploymentTransaction()!.hash;
    await expect(gasBreakdown(network.provider, hash)).to.be.rejectedWith(
      `hash: ${hash} is not a mined call to a contract`,
    );
  });
});

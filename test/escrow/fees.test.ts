import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ROLES } from "../../src";
import { ONE_ZON } from "../helpers/fixtures";
import { AMOUNTS, deliveredFixture, FEE_BPS } from "./fixture";

const TOTAL = AMOUNTS.reduce((a, b) => a + b, 0n);
const fee = (amount: bigint) => (amount * FEE_BPS) / 10_000n;

/** Milestone 0 of agreement 0 released: its fee waits in the escrow for the treasury. */
async function releasedFixture() {
  const f = await deliveredFixture();
  await f.escrow.connect(f.buyer).release(0, 0);
  return f;
}

describe("B2BEscrow platform fees", function () {
  it("keeps releasing when the treasury cannot receive: a frozen treasury no longer blocks the seller's payment", async function () {
    // The fault: the fee went out with every settlement, so a frozen treasury reverted every release.
    const { escrow, token, admin, buyer, seller, treasury } = await loadFixture(deliveredFixture);
    await token.grantRole(ROLES.COMPLIANCE, admin.address);
    await token.setFrozen(treasury.address, true);
    await expect(escrow.connect(buyer).release(0, 0)).to.changeTokenBalance(
      token,
      seller,
      AMOUNTS[0] - fee(AMOUNTS[0]),
    );
  });

  it("sends the accrued fees to the treasury whoever asks, emitting FeesWithdrawn", async function () {
    const { escrow, token, outsider, treasury } = await loadFixture(releasedFixture);
    const tx = escrow.connect(outsider).withdrawFees();
    await expect(tx).to.changeTokenBalances(token, [treasury, escrow], [fee(AMOUNTS[0]), -fee(AMOUNTS[0])]);
    await expect(tx).to.emit(escrow, "FeesWithdrawn").withArgs(treasury.address, fee(AMOUNTS[0]));
    expect(await escrow.feesAccrued()).to.equal(0n);
  });

  it("refuses a withdrawal with no fees accrued with NoFeesAccrued", async function () {
    const { escrow, outsider } = await loadFixture(deliveredFixture);
    await expect(escrow.connect(outsider).withdrawFees()).to.be.revertedWithCustomError(
      escrow,
      "NoFeesAccrued",
    );
  });

  it("keeps a frozen treasury's fees in the escrow until it can receive them", async function () {
    const { escrow, token, admin, treasury } = await loadFixture(releasedFixture);
    await token.grantRole(ROLES.COMPLIANCE, admin.address);
    await token.setFrozen(treasury.address, true);
    await expect(escrow.withdrawFees())
      .to.be.revertedWithCustomError(token, "ZonCoinAccountFrozen")
      .withArgs(treasury.address);
    expect(await escrow.feesAccrued()).to.equal(fee(AMOUNTS[0]));
  });

  it("holds exactly the locked total plus the accrued fees", async function () {
    const { escrow, token, escrowAddress } = await loadFixture(releasedFixture);
    expect([
      await token.balanceOf(escrowAddress),
      await escrow.lockedTotal(),
      await escrow.feesAccrued(),
    ]).to.deep.equal([2n * TOTAL - AMOUNTS[0] + fee(AMOUNTS[0]), 2n * TOTAL - AMOUNTS[0], fee(AMOUNTS[0])]);
  });

  it("rescues only what lies above the locked total and the accrued fees (RescueExceedsSurplus)", async function () {
    const { escrow, token, admin, buyer, outsider, escrowAddress } = await loadFixture(releasedFixture);
    const tokenAddress = await token.getAddress();
    await token.connect(buyer).transfer(escrowAddress, 5n * ONE_ZON); // the mistake
    await expect(escrow.connect(admin).rescueERC20(tokenAddress, outsider.address, 5n * ONE_ZON + 1n))
      .to.be.revertedWithCustomError(escrow, "RescueExceedsSurplus")
      .withArgs(tokenAddress, 5n * ONE_ZON, 5n * ONE_ZON + 1n);
    await expect(
      escrow.connect(admin).rescueERC20(tokenAddress, outsider.address, 5n * ONE_ZON),
    ).to.changeTokenBalance(token, outsider, 5n * ONE_ZON);
  });
});

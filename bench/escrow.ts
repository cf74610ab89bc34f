import { time } from "@nomicfoundation/hardhat-network-helpers";
import { id as keccakOfText, MaxUint256 } from "ethers";
import { ethers } from "hardhat";
import { ROLES, signPermit } from "../src";
import { measure, type BenchResults } from "./lib";

const UNIT = 10n ** 18n;
const THREE = [100n * UNIT, 200n * UNIT, 300n * UNIT];

/**
 * Gas of escrow steps: create and fund three milestones (allowance in place, escrow already holding ZON),
 * the same with a permit, the seller's acceptance, deliver, release (seller already a holder, 1 % fee to the treasury), and an
 * arbiter's split.
 */
export async function benchEscrow(results: BenchResults): Promise<void> {
  const [admin, buyer, seller, arbiter, treasury] = await ethers.getSigners();
  const token = await ethers.deployContract("ZonCoin", [admin.address, 0n, 0n]);
  const escrow = await ethers.deployContract("B2BEscrow", [
    await token.getAddress(),
    admin.address,
    0n,
    treasury.address,
    100n,
  ]);
  const escrowAddress = await escrow.getAddress();
  await (await token.grantRole(ROLES.MINTER_ADMIN, admin.address)).wait();
  await (await token.configureMinter(admin.address, 10n ** 30n)).wait();
  for (const holder of [buyer, seller, treasury])
    await (await token.mint(holder.address, 10_000n * UNIT)).wait();
  await (await token.connect(buyer).approve(escrowAddress, MaxUint256)).wait();
  const terms = async () => ({
    seller: seller.address,
    arbiter: arbiter.address,
    termsHash: keccakOfText("master services agreement v3"),
    deliveryDeadline: BigInt(await time.latest()) + 30n * 86_400n,
    reviewWindow: 7 * 86_400,
    acceptDeadline: BigInt(await time.latest()) + 7n * 86_400n,
    arbitrationWindow: 14 * 86_400,
    fallbackBuyerBps: 5_000,
  });
  await (await escrow.connect(buyer).createAndFund(await terms(), THREE)).wait(); // agreement 0: warms the escrow's balance
  await measure(results, "escrow.createAndFund3", escrow.connect(buyer).createAndFund(await terms(), THREE)); // 1

  await (await token.connect(buyer).approve(escrowAddress, 0n)).wait();
  const deadline = BigInt(await time.latest()) + 3_600n;
  const permit = await signPermit(token, buyer, escrowAddress, 600n * UNIT, deadline);
  await measure(
    results,
    "escrow.createAndFundPermit3",
    escrow
      .connect(buyer)
      .createAndFundWithPermit(await terms(), THREE, deadline, permit.v, permit.r, permit.s),
  ); // 2

  await measure(results, "escrow.accept", escrow.connect(seller).accept(1));
  await measure(results, "escrow.deliver", escrow.connect(seller).deliver(1, 0));
  await measure(results, "escrow.release", escrow.connect(buyer).release(1, 0));
  await (await escrow.connect(seller).deliver(1, 1)).wait();
  await (await escrow.connect(buyer).dispute(1, 1)).wait();
  await measure(results, "escrow.resolve", escrow.connect(arbiter).resolve(1, 1, 50n * UNIT));
}

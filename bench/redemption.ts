import { time } from "@nomicfoundation/hardhat-network-helpers";
import { MaxUint256, ZeroHash } from "ethers";
import { ethers } from "hardhat";
import { requestFromEvent, ROLES, signPermit, workerIdOf } from "../src";
import { gasUsed, measure, type BenchResults } from "./lib";

const UNIT = 10n ** 18n;
const SKU = 1;
const WORKER_ID = workerIdOf("bench");

/**
 * Gas of redemptions: a request (limited-stock SKU, allowance in place, gateway already holding ZON),
 * the same with a permit, the fulfiller's acceptance (one, and a batch of 20 per item), a confirmation, a
 * batch of 20 confirmations (per item) and a rejection.
 */
export async function benchRedemption(results: BenchResults): Promise<void> {
  const [admin, buyer] = await ethers.getSigners();
  const token = await ethers.deployContract("ZonCoin", [admin.address, 0n, 0n]);
  const gateway = await ethers.deployContract("RedemptionGateway", [
    await token.getAddress(),
    admin.address,
    0n,
    86_400n,
    3_600n,
  ]);
  const gatewayAddress = await gateway.getAddress();
  await (await token.grantRole(ROLES.MINTER_ADMIN, admin.address)).wait();
  await (await token.configureMinter(admin.address, 10n ** 30n)).wait();
  await (await token.mint(buyer.address, 100_000n * UNIT)).wait();
  for (const role of [ROLES.CATALOGUE, ROLES.FULFILLER])
    await (await gateway.grantRole(role, admin.address)).wait();
  const sku = {
    price: 10n * UNIT,
    stock: 1_000_000,
    perAccountLimit: 0,
    kind: 0,
    limitedStock: true,
    active: true,
  };
  await (await gateway.setSku(SKU, sku)).wait();
  await (await token.connect(buyer).approve(gatewayAddress, MaxUint256)).wait();

  const redeem = () => gateway.connect(buyer).redeem(SKU, 1, 10n * UNIT, ZeroHash);
  await (await redeem()).wait(); // the gateway's balance word and the SKU exist from here on
  await measure(results, "redeem.request", redeem());

  await (await token.connect(buyer).approve(gatewayAddress, 0n)).wait();
  const deadline = BigInt(await time.latest()) + 3_600n;
  const permit = await signPermit(token, buyer, gatewayAddress, 10n * UNIT, deadline);
  await measure(
    results,
    "redeem.requestWithPermit",
    gateway
      .connect(buyer)
      .redeemWithPermit(SKU, 1, 10n * UNIT, ZeroHash, deadline, permit.v, permit.r, permit.s),
  );
  await (await token.connect(buyer).approve(gatewayAddress, MaxUint256)).wait();
  for (let i = 0; i < 22; i++) await (await redeem()).wait();
  const requested = await gateway.queryFilter(gateway.filters.RedemptionRequested());
  const requests = requested.map((log) => requestFromEvent(log).request);

  await measure(results, "redeem.accept", gateway.accept([requests[0]], WORKER_ID));
  await measure(results, "redeem.confirm", gateway.confirm(requests[0], ZeroHash));
  await measure(results, "redeem.reject", gateway.reject(requests[1], 1));
  const batch = requests.slice(2, 22);
  results.gas["redeem.acceptBatch20.perItem"] = Math.round(
    (await gasUsed(gateway.accept(batch, WORKER_ID))) / 20,
  );
  const receipts = batch.map((_, i) => ethers.zeroPadValue(ethers.toBeHex(i + 1), 32));
  results.gas["redeem.confirmBatch20.perItem"] = Math.round(
    (await gasUsed(gateway.confirmBatch(batch, receipts))) / 20,
  );
}

import { ethers } from "hardhat";
import { encodeBytes32String, MaxUint256 } from "ethers";
import { requestFromEvent, ROLES, type RedemptionRequest } from "../../src";
import { ADMIN_DELAY, ONE_ZON } from "../helpers/fixtures";

export const TIMEOUT = 3n * 86_400n;
export const ACCEPTANCE = 86_400n; // an accepted request stays uncancellable for a day
export const CREDIT = 1; // cloud credit, 10 ZON, unlimited
export const HOODIE = 2; // catalogue item, 25 ZON, 3 in stock, 2 per account
export const RETIRED = 3; // inactive
export const KIND = { CloudCredit: 0, CatalogueItem: 1, Subscription: 2 } as const;
/** The worker the tests accept requests for (acceptances name the worker that delivers). */
export const WORKER_ID = encodeBytes32String("test-worker");

export async function gatewayFixture() {
  const [admin, catalogue, fulfiller, pauser, alice, bob, outsider] = await ethers.getSigners();
  const token = await ethers.deployContract("ZonCoin", [admin.address, ADMIN_DELAY, 0n]);
  const gateway = await ethers.deployContract("RedemptionGateway", [
    await token.getAddress(),
    admin.address,
    ADMIN_DELAY,
    TIMEOUT,
    ACCEPTANCE,
  ]);
  const gatewayAddress = await gateway.getAddress();
  await token.grantRole(ROLES.MINTER_ADMIN, admin.address);
  await token.configureMinter(admin.address, 10n ** 30n);
  await gateway.grantRole(ROLES.CATALOGUE, catalogue.address);
  await gateway.grantRole(ROLES.FULFILLER, fulfiller.address);
  await gateway.grantRole(ROLES.PAUSER, pauser.address);
  const sku = (
    kind: number,
    price: bigint,
    limitedStock: boolean,
    stock: number,
    perAccountLimit: number,
    active: boolean,
  ) => ({
    kind,
    price,
    limitedStock,
    stock,
    perAccountLimit,
    active,
  });
  await gateway.connect(catalogue).setSku(CREDIT, sku(KIND.CloudCredit, 10n * ONE_ZON, false, 0, 0, true));
  await gateway.connect(catalogue).setSku(HOODIE, sku(KIND.CatalogueItem, 25n * ONE_ZON, true, 3, 2, true));
  await gateway.connect(catalogue).setSku(RETIRED, sku(KIND.Subscription, 1n, false, 0, 0, false));
  for (const buyer of [alice, bob]) {
    await token.mint(buyer.address, 1_000n * ONE_ZON);
    await token.connect(buyer).approve(gatewayAddress, MaxUint256);
  }
  /** The request `id` exactly as its event published it. */
  const requestOf = async (id: bigint | number): Promise<RedemptionRequest> => {
    const [log] = await gateway.queryFilter(gateway.filters.RedemptionRequested(id));
    return requestFromEvent(log).request;
  };
  return {
    token,
    gateway,
    gatewayAddress,
    admin,
    catalogue,
    fulfiller,
    pauser,
    alice,
    bob,
    outsider,
    sku,
    requestOf,
  };
}

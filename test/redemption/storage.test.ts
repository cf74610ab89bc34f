import { expect } from "chai";
import { slotsOf } from "../helpers/storage";

describe("RedemptionGateway storage layout (the gas design depends on it)", function () {
  it("keeps the gateway's pause flag, request counter, timeouts and open total in one word", async function () {
    const slots = await slotsOf("contracts/redemption/RedemptionGateway.sol", "RedemptionGateway", [
      "_paused",
      "_nextRequestId",
      "_fulfilmentTimeout",
      "_acceptanceWindow",
      "_openTotal",
    ]);
    expect(slots).to.deep.equal(Array(5).fill(slots[0]));
  });
});

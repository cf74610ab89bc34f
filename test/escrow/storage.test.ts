import { expect } from "chai";
import { slotsOf } from "../helpers/storage";

describe("B2BEscrow storage layout (the gas design depends on it)", function () {
  it("keeps the escrow's treasury and locked total in one word, apart from the pause word", async function () {
    const [paused, fee, nextId, treasury, locked] = await slotsOf(
      "contracts/escrow/B2BEscrow.sol",
      "B2BEscrow",
      ["_paused", "_feeBps", "_nextId", "_treasury", "_locked"],
    );
    expect([fee, nextId, locked]).to.deep.equal([paused, paused, treasury]);
    expect(treasury).to.not.equal(paused);
  });
});

import { expect } from "chai";
import { slotsOf } from "../helpers/storage";

describe("B2BEscrow storage layout (the gas design depends on it)", function () {
  it("keeps the locked total and the accrued fees in one word, apart from the pause word and the treasury", async function () {
    const [paused, fee, nextId, books, treasury] = await slotsOf(
      "contracts/escrow/B2BEscrow.sol",
      "B2BEscrow",
      ["_paused", "_feeBps", "_nextId", "_books", "_treasury"],
    );
    expect([fee, nextId]).to.deep.equal([paused, paused]);
    expect(new Set([paused, books, treasury]).size).to.equal(3);
  });
});

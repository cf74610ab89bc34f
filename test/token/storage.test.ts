import { expect } from "chai";
import { artifacts } from "hardhat";
import { layoutOf } from "../helpers/storage";

describe("ZonCoin storage layout (the gas design depends on it)", function () {
  it("packs the pause flag, the allowlist-mode flag and the total supply into one slot", async function () {
    const layout = await layoutOf("contracts/token/ZonCoin.sol", "ZonCoin");
    const slotOf = (label: string) => layout.find((e) => e.label === label)?.slot;
    expect([slotOf("_paused"), slotOf("_allowlistMode"), slotOf("_supply")]).to.deep.equal(
      Array(3).fill(slotOf("_paused")),
    );
  });

  it("keeps an account's balance and flags in one slot", async function () {
    const buildInfo = await artifacts.getBuildInfo("contracts/token/ZonCoin.sol:ZonCoin");
    const contract = buildInfo!.output.contracts["contracts/token/ZonCoin.sol"].ZonCoin as unknown as {
      storageLayout: { types: Record<string, { label: string; numberOfBytes: string }> };
    };
    const account = Object.values(contract.storageLayout.types).find(
      (t) => t.label === "struct ZonCoin.Account",
    );
    expect(account?.numberOfBytes).to.equal("32");
  });
});

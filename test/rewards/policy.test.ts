import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { computeReward, packRates, ROLES } from "../../src";
import { BUDGET_ZON, PERIOD, POLICY, RATES, rewardsFixture } from "./fixture";

const NEXT = PERIOD + 1;

describe("RewardDistributor cashback policy", function () {
  it("publishes a period's rates and budget, emitting PolicyPublished", async function () {
    const { distributor, policy } = await loadFixture(rewardsFixture);
    const packed = packRates([100, 200]);
    await expect(distributor.connect(policy).publishPolicy(NEXT, packed, 5_000n))
      .to.emit(distributor, "PolicyPublished")
      .withArgs(NEXT, packed, 5_000n);
    expect(await distributor.periodPolicy(NEXT)).to.deep.equal([packed, 5_000n * 10n ** 18n, 0n]);
  });

  it("computes every category's reward exactly as the library does", async function () {
    const { distributor } = await loadFixture(rewardsFixture);
    const onChain = await Promise.all(RATES.map((_, c) => distributor.rewardFor(PERIOD, c, 123_457n)));
    expect(onChain).to.deep.equal(RATES.map((_, c) => computeReward(POLICY, c, 123_457n)));
  });

  it("never changes a published period's rates: a second publication reverts with PolicyAlreadyPublished", async function () {
    const { distributor, policy } = await loadFixture(rewardsFixture);
    await expect(distributor.connect(policy).publishPolicy(PERIOD, packRates([9_999]), BUDGET_ZON))
      .to.be.revertedWithCustomError(distributor, "PolicyAlreadyPublished")
      .withArgs(PERIOD);
  });

  it("rejects a zero budget with InvalidBudget", async function () {
    const { distributor, policy } = await loadFixture(rewardsFixture);
    await expect(distributor.connect(policy).publishPolicy(NEXT, 0n, 0n))
      .to.be.revertedWithCustomError(distributor, "InvalidBudget")
      .withArgs(NEXT, 0n);
  });

  it("rejects a budget above 2^32 - 1 ZON with InvalidBudget", async function () {
    const { distributor, policy } = await loadFixture(rewardsFixture);
    await expect(distributor.connect(policy).publishPolicy(NEXT, 0n, 2n ** 32n))
      .to.be.revertedWithCustomError(distributor, "InvalidBudget")
      .withArgs(NEXT, 2n ** 32n);
  });

  it("rejects a rate above 10,000 basis points with InvalidRates", async function () {
    const { distributor, policy } = await loadFixture(rewardsFixture);
    const packed = 10_001n << 32n;
    await expect(distributor.connect(policy).publishPolicy(NEXT, packed, 1n))
      .to.be.revertedWithCustomError(distributor, "InvalidRates")
      .withArgs(packed);
  });

  it("rejects bits beyond the eight rate slots with InvalidRates", async function () {
    const { distributor, policy } = await loadFixture(rewardsFixture);
    const packed = 1n << 128n;
    await expect(distributor.connect(policy).publishPolicy(NEXT, packed, 1n))
      .to.be.revertedWithCustomError(distributor, "InvalidRates")
      .withArgs(packed);
  });

  it("refuses publication to an account without the policy role", async function () {
    const { distributor, admin } = await loadFixture(rewardsFixture);
    await expect(distributor.connect(admin).publishPolicy(NEXT, 0n, 1n))
      .to.be.revertedWithCustomError(distributor, "AccessControlUnauthorizedAccount")
      .withArgs(admin.address, ROLES.POLICY);
  });

  it("raises a budget, emitting BudgetRaised and keeping the rates", async function () {
    const { distributor, policy } = await loadFixture(rewardsFixture);
    await expect(distributor.connect(policy).raiseBudget(PERIOD, BUDGET_ZON + 1n))
      .to.emit(distributor, "BudgetRaised")
      .withArgs(PERIOD, BUDGET_ZON, BUDGET_ZON + 1n);
    expect(await distributor.periodPolicy(PERIOD)).to.deep.equal([
      packRates(RATES),
      (BUDGET_ZON + 1n) * 10n ** 18n,
      0n,
    ]);
  });

  it("refuses to lower a budget with BudgetNotRaised", async function () {
    const { distributor, policy } = await loadFixture(rewardsFixture);
    await expect(distributor.connect(policy).raiseBudget(PERIOD, BUDGET_ZON))
      .to.be.revertedWithCustomError(distributor, "BudgetNotRaised")
      .withArgs(PERIOD, BUDGET_ZON, BUDGET_ZON);
  });

  it("refuses a raised budget above 2^32 - 1 ZON with InvalidBudget", async function () {
    const { distributor, policy } = await loadFixture(rewardsFixture);
    await expect(distributor.connect(policy).raiseBudget(PERIOD, 2n ** 32n))
      .to.be.revertedWithCustomError(distributor, "InvalidBudget")
      .withArgs(PERIOD, 2n ** 32n);
  });

  it("refuses to raise the budget of an unpublished period with PolicyNotPublished", async function () {
    const { distributor, policy } = await loadFixture(rewardsFixture);
    await expect(distributor.connect(policy).raiseBudget(NEXT, 5n))
      .to.be.revertedWithCustomError(distributor, "PolicyNotPublished")
      .withArgs(NEXT);
  });

  it("refuses a budget raise to an account without the policy role", async function () {
    const { distributor, outsider } = await loadFixture(rewardsFixture);
    await expect(distributor.connect(outsider).raiseBudget(PERIOD, BUDGET_ZON + 1n))
      .to.be.revertedWithCustomError(distributor, "AccessControlUnauthorizedAccount")
      .withArgs(outsider.address, ROLES.POLICY);
  });

  it("refuses a reward quote for an unpublished period with PolicyNotPublished", async function () {
    const { distributor } = await loadFixture(rewardsFixture);
    await expect(distributor.rewardFor(NEXT, 0, 1n))
      .to.be.revertedWithCustomError(distributor, "PolicyNotPublished")
      .withArgs(NEXT);
  });

  it("refuses a reward quote for a category beyond the eight with UnknownCategory", async function () {
    const { distributor } = await loadFixture(rewardsFixture);
    await expect(distributor.rewardFor(PERIOD, 8, 1n))
      .to.be.revertedWithCustomError(distributor, "UnknownCategory")
      .withArgs(8);
  });

  it("refuses a reward quote for usage above 2^64 - 1 cents with UsageOutOfRange", async function () {
    const { distributor } = await loadFixture(rewardsFixture);
    await expect(distributor.rewardFor(PERIOD, 0, 2n ** 64n))
      .to.be.revertedWithCustomError(distributor, "UsageOutOfRange")
      .withArgs(2n ** 64n);
  });
});

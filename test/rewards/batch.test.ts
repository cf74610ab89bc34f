import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ZeroAddress } from "ethers";
import { computeReward, ROLES, type UsageAttestation } from "../../src";
import { PERIOD, POLICY, rewardsFixture, signBundle } from "./fixture";

const SKIP = { AlreadyClaimed: 1, Revoked: 2, Expired: 3, OverBudget: 4, CannotReceive: 5 } as const;

describe("RewardDistributor batch claims", function () {
  async function batchFixture() {
    const f = await rewardsFixture();
    const sign = (a: UsageAttestation) => signBundle(f.domain, a, f.attestors.slice(0, 1));
    const items = [
      f.attestation({ beneficiary: f.alice.address, usageCents: 1_000n }),
      f.attestation({ beneficiary: f.bob.address, category: 1, usageCents: 2_000n }),
      f.attestation({ beneficiary: f.carol.address, category: 7, usageCents: 3_000n }),
    ];
    const sigs = await Promise.all(items.map(sign));
    return { ...f, sign, items, sigs };
  }

  it("mints every attestation of the batch to its beneficiary", async function () {
    const { distributor, token, alice, bob, carol, items, sigs } = await loadFixture(batchFixture);
    await expect(distributor.claimBatch(items, sigs)).to.changeTokenBalances(
      token,
      [alice, bob, carol],
      items.map((a) => computeReward(POLICY, a.category, a.usageCents)),
    );
  });

  it("returns the total minted", async function () {
    const { distributor, items, sigs } = await loadFixture(batchFixture);
    const total = items.reduce((sum, a) => sum + computeReward(POLICY, a.category, a.usageCents), 0n);
    expect(await distributor.claimBatch.staticCall(items, sigs)).to.equal(total);
  });

  it("emits AttestationClaimed for each item", async function () {
    const { distributor, items, sigs } = await loadFixture(batchFixture);
    const tx = distributor.claimBatch(items, sigs);
    for (const a of items) {
      const reward = computeReward(POLICY, a.category, a.usageCents);
      await expect(tx)
        .to.emit(distributor, "AttestationClaimed")
        .withArgs(PERIOD, a.id, a.beneficiary, a.customerId, a.category, a.usageCents, reward);
    }
  });

  it("skips an already claimed item with AttestationSkipped and mints the rest", async function () {
    const { distributor, token, alice, bob, items, sigs } = await loadFixture(batchFixture);
    await distributor.claim(items[0], sigs[0]);
    const tx = distributor.claimBatch(items, sigs);
    await expect(tx)
      .to.emit(distributor, "AttestationSkipped")
      .withArgs(PERIOD, items[0].id, SKIP.AlreadyClaimed);
    await expect(tx).to.changeTokenBalances(token, [alice, bob], [0n, computeReward(POLICY, 1, 2_000n)]);
  });

  it("skips a revoked item with AttestationSkipped", async function () {
    const { distributor, admin, items, sigs } = await loadFixture(batchFixture);
    await distributor.connect(admin).revoke(PERIOD, items[1].id);
    await expect(distributor.claimBatch(items, sigs))
      .to.emit(distributor, "AttestationSkipped")
      .withArgs(PERIOD, items[1].id, SKIP.Revoked);
  });

  it("skips an expired item with AttestationSkipped", async function () {
    const { distributor, sign, attestation, items, sigs } = await loadFixture(batchFixture);
    const soon = BigInt(await time.latest()) + 10n;
    const expiring = attestation({ deadline: soon });
    const expiringSig = await sign(expiring);
    await time.increaseTo(soon + 1n);
    await expect(distributor.claimBatch([...items, expiring], [...sigs, expiringSig]))
      .to.emit(distributor, "AttestationSkipped")
      .withArgs(PERIOD, expiring.id, SKIP.Expired);
  });

  it("skips an item over the period budget and mints the items within it", async function () {
    const { distributor, token, policy, sign, attestation, alice, bob } = await loadFixture(batchFixture);
    await distributor.connect(policy).publishPolicy(PERIOD + 1, 10_000n, 2n); // 100 % on compute, 2 ZON
    const fits = attestation({ period: PERIOD + 1, usageCents: 150n, beneficiary: alice.address });
    const over = attestation({ period: PERIOD + 1, usageCents: 100n, beneficiary: bob.address });
    const tx = distributor.claimBatch([fits, over], [await sign(fits), await sign(over)]);
    await expect(tx)
      .to.emit(distributor, "AttestationSkipped")
      .withArgs(PERIOD + 1, over.id, SKIP.OverBudget);
    await expect(tx).to.changeTokenBalances(token, [alice, bob], [15n * 10n ** 17n, 0n]);
  });

  it("lets an over-budget item land on a retry once the budget is raised", async function () {
    const { distributor, token, policy, sign, attestation, bob } = await loadFixture(batchFixture);
    await distributor.connect(policy).publishPolicy(PERIOD + 1, 10_000n, 1n);
    const over = attestation({ period: PERIOD + 1, usageCents: 200n, beneficiary: bob.address });
    const sig = await sign(over);
    await distributor.claimBatch([over], [sig]);
    await distributor.connect(policy).raiseBudget(PERIOD + 1, 2n);
    await expect(distributor.claimBatch([over], [sig])).to.changeTokenBalance(token, bob, 2n * 10n ** 18n);
  });

  it("mints nothing and skips everything on a full retry of a landed batch", async function () {
    const { distributor, token, alice, bob, carol, items, sigs } = await loadFixture(batchFixture);
    await distributor.claimBatch(items, sigs);
    const retry = distributor.claimBatch(items, sigs);
    await expect(retry).to.changeTokenBalances(token, [alice, bob, carol], [0n, 0n, 0n]);
    await expect(retry)
      .to.emit(distributor, "AttestationSkipped")
      .withArgs(PERIOD, items[2].id, SKIP.AlreadyClaimed);
  });

  it("completes a half-landed batch on retry, minting each attestation exactly once", async function () {
    const { distributor, token, alice, bob, carol, items, sigs } = await loadFixture(batchFixture);
    await distributor.claimBatch(items.slice(0, 2), sigs.slice(0, 2)); // the relayer died after this
    await distributor.claimBatch(items, sigs);
    expect(await Promise.all([alice, bob, carol].map((s) => token.balanceOf(s.address)))).to.deep.equal(
      items.map((a) => computeReward(POLICY, a.category, a.usageCents)),
    );
  });

  it("reverts the whole batch on an invalid signature", async function () {
    const { distributor, token, outsider, attestation, domain, items, sigs, alice } =
      await loadFixture(batchFixture);
    const forged = attestation();
    const forgedSig = await signBundle(domain, forged, [outsider]);
    await expect(distributor.claimBatch([...items, forged], [...sigs, forgedSig]))
      .to.be.revertedWithCustomError(distributor, "NotAttestor")
      .withArgs(0, outsider.address);
    expect(await token.balanceOf(alice.address)).to.equal(0n);
  });

  it("rejects arrays of different lengths with LengthMismatch", async function () {
    const { distributor, items, sigs } = await loadFixture(batchFixture);
    await expect(distributor.claimBatch(items, sigs.slice(0, 2)))
      .to.be.revertedWithCustomError(distributor, "LengthMismatch")
      .withArgs(3n, 2n);
  });

  it("accepts an empty batch and mints nothing", async function () {
    const { distributor } = await loadFixture(batchFixture);
    expect(await distributor.claimBatch.staticCall([], [])).to.equal(0n);
  });

  it("stops at the distributor's minter allowance on the token", async function () {
    const { distributor, token, admin, items, sigs } = await loadFixture(batchFixture);
    const distributorAddress = await distributor.getAddress();
    await token.connect(admin).decreaseMinterAllowance(distributorAddress, 10n ** 27n - 1n); // 1 wei left
    const total = items.reduce((sum, a) => sum + computeReward(POLICY, a.category, a.usageCents), 0n);
    await expect(distributor.claimBatch(items, sigs))
      .to.be.revertedWithCustomError(token, "ZonCoinMinterAllowanceExceeded")
      .withArgs(distributorAddress, 1n, total);
  });

  it("blocks batches while paused with EnforcedPause", async function () {
    const { distributor, pauser, items, sigs } = await loadFixture(batchFixture);
    await distributor.connect(pauser).pause();
    await expect(distributor.claimBatch(items, sigs)).to.be.revertedWithCustomError(
      distributor,
      "EnforcedPause",
    );
  });

  it("handles ids on both sides of a bitmap word boundary in one batch", async function () {
    const { distributor, sign, attestation, alice } = await loadFixture(batchFixture);
    const far = [255n, 256n].map((id) => attestation({ id, beneficiary: alice.address }));
    await distributor.claimBatch(far, await Promise.all(far.map(sign)));
    const status = await Promise.all(
      [254n, 255n, 256n].map((id) => distributor.attestationStatus(PERIOD, id)),
    );
    expect(status.map(([claimed]) => claimed)).to.deep.equal([false, true, true]);
  });

  describe("a beneficiary who cannot receive (hardening)", function () {
    async function complianceFixture() {
      const f = await batchFixture();
      await f.token.grantRole(ROLES.COMPLIANCE, f.admin.address);
      return f;
    }

    it("skips a frozen beneficiary with CannotReceive and mints the others (it reverted the whole batch)", async function () {
      const { distributor, token, bob, alice, carol, items, sigs } = await loadFixture(complianceFixture);
      await token.setFrozen(bob.address, true);
      const tx = distributor.claimBatch(items, sigs);
      await expect(tx)
        .to.emit(distributor, "AttestationSkipped")
        .withArgs(PERIOD, items[1].id, SKIP.CannotReceive);
      await expect(tx).to.changeTokenBalances(
        token,
        [alice, bob, carol],
        [computeReward(POLICY, 0, 1_000n), 0n, computeReward(POLICY, 7, 3_000n)],
      );
    });

    it("skips a zero-address beneficiary with CannotReceive and mints the others (it reverted every batch it joined)", async function () {
      const { distributor, token, alice, carol, attestation, sign, items } =
        await loadFixture(complianceFixture);
      const poisoned = [items[0], attestation({ id: 99n, beneficiary: ZeroAddress }), items[2]];
      const tx = distributor.claimBatch(poisoned, await Promise.all(poisoned.map(sign)));
      await expect(tx).to.emit(distributor, "AttestationSkipped").withArgs(PERIOD, 99n, SKIP.CannotReceive);
      await expect(tx).to.changeTokenBalances(
        token,
        [alice, carol],
        [computeReward(POLICY, 0, 1_000n), computeReward(POLICY, 7, 3_000n)],
      );
    });

    it("leaves the skipped item claimable once its beneficiary is unfrozen", async function () {
      const { distributor, token, bob, items, sigs } = await loadFixture(complianceFixture);
      await token.setFrozen(bob.address, true);
      await distributor.claimBatch(items, sigs);
      await token.setFrozen(bob.address, false);
      await expect(distributor.claim(items[1], sigs[1])).to.changeTokenBalance(
        token,
        bob,
        computeReward(POLICY, 1, 2_000n),
      );
    });

    it("skips a beneficiary off the allowlist in allowlist mode with CannotReceive", async function () {
      const { distributor, token, alice, carol, items, sigs } = await loadFixture(complianceFixture);
      await token.setAllowlisted(alice.address, true);
      await token.setAllowlisted(carol.address, true);
      await token.setAllowlistMode(true);
      await expect(distributor.claimBatch(items, sigs))
        .to.emit(distributor, "AttestationSkipped")
        .withArgs(PERIOD, items[1].id, SKIP.CannotReceive);
    });

    it("commits nothing of the period budget for a skipped item", async function () {
      const { distributor, token, bob, items, sigs } = await loadFixture(complianceFixture);
      await token.setFrozen(bob.address, true);
      await distributor.claimBatch(items, sigs);
      const [, , committed] = await distributor.periodPolicy(PERIOD);
      expect(committed).to.equal(computeReward(POLICY, 0, 1_000n) + computeReward(POLICY, 7, 3_000n));
    });
  });
});

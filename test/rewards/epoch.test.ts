import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import { ZeroHash } from "ethers";
import { computeReward, EPOCH_LEAF_ENCODING, type EpochLeaf, type EpochRoot } from "../../src";
import { customerId, ONE_DAY, PERIOD, POLICY, rewardsFixture, signEpochBundle } from "./fixture";

describe("RewardDistributor Merkle epochs", function () {
  async function epochFixture() {
    const f = await rewardsFixture();
    const holders = [f.alice, f.bob, f.carol];
    const leaves: EpochLeaf[] = Array.from({ length: 6 }, (_, i) => {
      const who = holders[i % 3].address;
      return [BigInt(i), who, customerId(who), i % 4, BigInt(1_000 * (i + 1))];
    });
    const tree = StandardMerkleTree.of(leaves, [...EPOCH_LEAF_ENCODING]);
    const total = leaves.reduce((sum, [, , , c, u]) => sum + computeReward(POLICY, c, u), 0n);
    const claimDeadline = BigInt(await time.latest()) + 7n * ONE_DAY;
    const epochRoot: EpochRoot = {
      period: PERIOD,
      epoch: 0,
      root: tree.root,
      total,
      leafCount: 6n,
      claimDeadline,
    };
    const sigs = await signEpochBundle(f.domain, epochRoot, f.attestors.slice(0, 1));
    const proofOf = (i: number) => tree.getProof(i);
    return { ...f, leaves, tree, total, epochRoot, sigs, claimDeadline, proofOf };
  }

  async function publishedFixture() {
    const f = await epochFixture();
    await f.distributor.publishEpoch(f.epochRoot, f.sigs);
    return f;
  }

  describe("publication", function () {
    it("publishes a signed root, emitting EpochPublished", async function () {
      const { distributor, epochRoot, sigs, total, claimDeadline } = await loadFixture(epochFixture);
      await expect(distributor.publishEpoch(epochRoot, sigs))
        .to.emit(distributor, "EpochPublished")
        .withArgs(epochRoot.root, PERIOD, 0, total, 6n, claimDeadline);
      expect(await distributor.epochRootOf(PERIOD, 0)).to.equal(epochRoot.root);
    });

    it("reserves the epoch's total from the period budget", async function () {
      const { distributor, total } = await loadFixture(publishedFixture);
      expect((await distributor.periodPolicy(PERIOD))[2]).to.equal(total);
    });

    it("rejects a root above the remaining budget with PeriodBudgetExceeded", async function () {
      const { distributor, epochRoot, attestors, domain } = await loadFixture(epochFixture);
      const huge = { ...epochRoot, total: 1_000_001n * 10n ** 18n };
      await expect(distributor.publishEpoch(huge, await signEpochBundle(domain, huge, attestors.slice(0, 1))))
        .to.be.revertedWithCustomError(distributor, "PeriodBudgetExceeded")
        .withArgs(PERIOD, 1_000_000n * 10n ** 18n, 0n, huge.total);
    });

    it("rejects a total above 2^96 - 1 with EpochTotalTooLarge", async function () {
      const { distributor, epochRoot, attestors, domain } = await loadFixture(epochFixture);
      const huge = { ...epochRoot, total: 2n ** 96n };
      await expect(distributor.publishEpoch(huge, await signEpochBundle(domain, huge, attestors.slice(0, 1))))
        .to.be.revertedWithCustomError(distributor, "EpochTotalTooLarge")
        .withArgs(2n ** 96n);
    });

    it("rejects a root for a period without a policy with PolicyNotPublished", async function () {
      const { distributor, epochRoot, attestors, domain } = await loadFixture(epochFixture);
      const other = { ...epochRoot, period: PERIOD + 1 };
      await expect(
        distributor.publishEpoch(other, await signEpochBundle(domain, other, attestors.slice(0, 1))),
      )
        .to.be.revertedWithCustomError(distributor, "PolicyNotPublished")
        .withArgs(PERIOD + 1);
    });

    it("rejects a root published twice with EpochAlreadyPublished", async function () {
      const { distributor, epochRoot, sigs } = await loadFixture(publishedFixture);
      await expect(distributor.publishEpoch(epochRoot, sigs))
        .to.be.revertedWithCustomError(distributor, "EpochAlreadyPublished")
        .withArgs(PERIOD, 0, epochRoot.root);
    });

    it("rejects a second root for the same period and epoch number with EpochAlreadyPublished", async function () {
      const { distributor, epochRoot, attestors, domain } = await loadFixture(publishedFixture);
      const again = { ...epochRoot, root: "0x" + "ab".repeat(32) };
      await expect(
        distributor.publishEpoch(again, await signEpochBundle(domain, again, attestors.slice(0, 1))),
      )
        .to.be.revertedWithCustomError(distributor, "EpochAlreadyPublished")
        .withArgs(PERIOD, 0, again.root);
    });

    it("rejects a zero root with InvalidEpochRoot", async function () {
      const { distributor, epochRoot, attestors, domain } = await loadFixture(epochFixture);
      const zero = { ...epochRoot, root: ZeroHash };
      await expect(
        distributor.publishEpoch(zero, await signEpochBundle(domain, zero, attestors.slice(0, 1))),
      ).to.be.revertedWithCustomError(distributor, "InvalidEpochRoot");
    });

    it("rejects a claim deadline in the past with InvalidClaimDeadline", async function () {
      const { distributor, epochRoot, attestors, domain } = await loadFixture(epochFixture);
      const past = { ...epochRoot, claimDeadline: BigInt(await time.latest()) };
      await expect(distributor.publishEpoch(past, await signEpochBundle(domain, past, attestors.slice(0, 1))))
        .to.be.revertedWithCustomError(distributor, "InvalidClaimDeadline")
        .withArgs(past.claimDeadline);
    });

    it("rejects a claim deadline beyond 40 bits with InvalidClaimDeadline", async function () {
      const { distributor, epochRoot, attestors, domain } = await loadFixture(epochFixture);
      const far = { ...epochRoot, claimDeadline: 2n ** 40n };
      await expect(distributor.publishEpoch(far, await signEpochBundle(domain, far, attestors.slice(0, 1))))
        .to.be.revertedWithCustomError(distributor, "InvalidClaimDeadline")
        .withArgs(2n ** 40n);
    });

    it("needs the attestors' threshold: one signature of two reverts with BelowThreshold", async function () {
      const { distributor, epochRoot, sigs } = await loadFixture(epochFixture);
      await distributor.setThreshold(2n);
      await expect(distributor.publishEpoch(epochRoot, sigs))
        .to.be.revertedWithCustomError(distributor, "BelowThreshold")
        .withArgs(1n, 2n);
    });

    it("rejects a root whose total was tampered with after signing", async function () {
      const { distributor, epochRoot, sigs } = await loadFixture(epochFixture);
      await expect(
        distributor.publishEpoch({ ...epochRoot, total: epochRoot.total + 1n }, sigs),
      ).to.be.revertedWithCustomError(distributor, "NotAttestor");
    });

    it("blocks publication while paused with EnforcedPause", async function () {
      const { distributor, pauser, epochRoot, sigs } = await loadFixture(epochFixture);
      await distributor.connect(pauser).pause();
      await expect(distributor.publishEpoch(epochRoot, sigs)).to.be.revertedWithCustomError(
        distributor,
        "EnforcedPause",
      );
    });
  });

  describe("claims", function () {
    it("mints a leaf's reward to its beneficiary, whoever submits the proof", async function () {
      const { distributor, token, relayer, leaves, proofOf, tree, bob } = await loadFixture(publishedFixture);
      const [i, who, cid, c, u] = leaves[1];
      await expect(
        distributor.connect(relayer).claimEpoch(tree.root, i, who, cid, c, u, proofOf(1)),
      ).to.changeTokenBalance(token, bob, computeReward(POLICY, c, u));
    });

    it("emits EpochClaimed", async function () {
      const { distributor, leaves, proofOf, tree } = await loadFixture(publishedFixture);
      const [i, who, cid, c, u] = leaves[2];
      await expect(distributor.claimEpoch(tree.root, i, who, cid, c, u, proofOf(2)))
        .to.emit(distributor, "EpochClaimed")
        .withArgs(tree.root, i, who, computeReward(POLICY, c, u));
    });

    it("marks the leaf claimed and lowers what the epoch still reserves", async function () {
      const { distributor, leaves, proofOf, tree, total } = await loadFixture(publishedFixture);
      const [i, who, cid, c, u] = leaves[0];
      await distributor.claimEpoch(tree.root, i, who, cid, c, u, proofOf(0));
      expect(await distributor.isEpochLeafClaimed(tree.root, i)).to.equal(true);
      expect((await distributor.epochOf(tree.root))[0]).to.equal(total - computeReward(POLICY, c, u));
    });

    it("rejects a second claim of the same leaf with EpochLeafAlreadyClaimed", async function () {
      const { distributor, leaves, proofOf, tree } = await loadFixture(publishedFixture);
      const [i, who, cid, c, u] = leaves[0];
      await distributor.claimEpoch(tree.root, i, who, cid, c, u, proofOf(0));
      await expect(distributor.claimEpoch(tree.root, i, who, cid, c, u, proofOf(0)))
        .to.be.revertedWithCustomError(distributor, "EpochLeafAlreadyClaimed")
        .withArgs(tree.root, i);
    });

    it("rejects another leaf's proof with InvalidProof", async function () {
      const { distributor, leaves, proofOf, tree } = await loadFixture(publishedFixture);
      const [i, who, cid, c, u] = leaves[0];
      await expect(distributor.claimEpoch(tree.root, i, who, cid, c, u, proofOf(3)))
        .to.be.revertedWithCustomError(distributor, "InvalidProof")
        .withArgs(tree.root, i);
    });

    it("rejects a leaf whose usage was inflated with InvalidProof", async function () {
      const { distributor, leaves, proofOf, tree } = await loadFixture(publishedFixture);
      const [i, who, cid, c, u] = leaves[0];
      await expect(distributor.claimEpoch(tree.root, i, who, cid, c, u * 2n, proofOf(0)))
        .to.be.revertedWithCustomError(distributor, "InvalidProof")
        .withArgs(tree.root, i);
    });

    it("rejects a leaf redirected to another beneficiary with InvalidProof", async function () {
      const { distributor, leaves, proofOf, tree, outsider } = await loadFixture(publishedFixture);
      const [i, , cid, c, u] = leaves[0];
      await expect(distributor.claimEpoch(tree.root, i, outsider.address, cid, c, u, proofOf(0)))
        .to.be.revertedWithCustomError(distributor, "InvalidProof")
        .withArgs(tree.root, i);
    });

    it("rejects a claim on an unknown root with UnknownEpoch", async function () {
      const { distributor, leaves, proofOf } = await loadFixture(publishedFixture);
      const [i, who, cid, c, u] = leaves[0];
      const unknown = "0x" + "cd".repeat(32);
      await expect(distributor.claimEpoch(unknown, i, who, cid, c, u, proofOf(0)))
        .to.be.revertedWithCustomError(distributor, "UnknownEpoch")
        .withArgs(unknown);
    });

    it("rejects a claim after the deadline with EpochClaimWindowClosed", async function () {
      const { distributor, leaves, proofOf, tree, claimDeadline } = await loadFixture(publishedFixture);
      await time.increaseTo(claimDeadline + 1n);
      const [i, who, cid, c, u] = leaves[0];
      await expect(distributor.claimEpoch(tree.root, i, who, cid, c, u, proofOf(0)))
        .to.be.revertedWithCustomError(distributor, "EpochClaimWindowClosed")
        .withArgs(tree.root, claimDeadline);
    });

    it("never pays more than the epoch reserved: EpochOverdrawn when leaves sum above the signed total", async function () {
      const { distributor, attestors, domain, leaves, tree } = await loadFixture(epochFixture);
      const [i, who, cid, c, u] = leaves[5];
      const short: EpochRoot = {
        period: PERIOD,
        epoch: 1,
        root: tree.root,
        total: 1n,
        leafCount: 6n,
        claimDeadline: BigInt(await time.latest()) + ONE_DAY,
      };
      await distributor.publishEpoch(short, await signEpochBundle(domain, short, attestors.slice(0, 1)));
      await expect(distributor.claimEpoch(tree.root, i, who, cid, c, u, tree.getProof(5)))
        .to.be.revertedWithCustomError(distributor, "EpochOverdrawn")
        .withArgs(tree.root, 1n, computeReward(POLICY, c, u));
    });

    it("blocks claims while paused with EnforcedPause", async function () {
      const { distributor, pauser, leaves, proofOf, tree } = await loadFixture(publishedFixture);
      await distributor.connect(pauser).pause();
      const [i, who, cid, c, u] = leaves[0];
      await expect(
        distributor.claimEpoch(tree.root, i, who, cid, c, u, proofOf(0)),
      ).to.be.revertedWithCustomError(distributor, "EnforcedPause");
    });
  });

  describe("release", function () {
    it("returns the unclaimed remainder to the period budget after the deadline, minting nothing", async function () {
      const { distributor, token, leaves, proofOf, tree, claimDeadline, total } =
        await loadFixture(publishedFixture);
      const [i, who, cid, c, u] = leaves[0];
      await distributor.claimEpoch(tree.root, i, who, cid, c, u, proofOf(0));
      const paid = computeReward(POLICY, c, u);
      const supply = await token.totalSupply();
      await time.increaseTo(claimDeadline + 1n);
      await expect(distributor.releaseEpoch(tree.root))
        .to.emit(distributor, "EpochReleased")
        .withArgs(tree.root, PERIOD, total - paid);
      expect([(await distributor.periodPolicy(PERIOD))[2], await token.totalSupply()]).to.deep.equal([
        paid,
        supply,
      ]);
    });

    it("refuses release before the deadline with EpochClaimWindowOpen", async function () {
      const { distributor, tree, claimDeadline } = await loadFixture(publishedFixture);
      await expect(distributor.releaseEpoch(tree.root))
        .to.be.revertedWithCustomError(distributor, "EpochClaimWindowOpen")
        .withArgs(tree.root, claimDeadline);
    });

    it("refuses a second release with EpochAlreadyReleased", async function () {
      const { distributor, tree, claimDeadline } = await loadFixture(publishedFixture);
      await time.increaseTo(claimDeadline + 1n);
      await distributor.releaseEpoch(tree.root);
      await expect(distributor.releaseEpoch(tree.root))
        .to.be.revertedWithCustomError(distributor, "EpochAlreadyReleased")
        .withArgs(tree.root);
    });

    it("refuses release of an unknown root with UnknownEpoch", async function () {
      const { distributor } = await loadFixture(publishedFixture);
      await expect(distributor.releaseEpoch(ZeroHash))
        .to.be.revertedWithCustomError(distributor, "UnknownEpoch")
        .withArgs(ZeroHash);
    });

    it("reports a released epoch with nothing left", async function () {
      const { distributor, tree, claimDeadline } = await loadFixture(publishedFixture);
      await time.increaseTo(claimDeadline + 1n);
      await distributor.releaseEpoch(tree.root);
      expect(await distributor.epochOf(tree.root)).to.deep.equal([0n, PERIOD, claimDeadline, true]);
    });
  });
});

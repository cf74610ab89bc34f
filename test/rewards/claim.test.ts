import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { expect } from "chai";
import { concat, dataSlice, ZeroAddress } from "ethers";
import { ethers } from "hardhat";
import {
  attestationDigest,
  computeReward,
  recoverAttestationSigner,
  ROLES,
  signAttestation,
} from "../../src";
import { ADMIN_DELAY } from "../helpers/fixtures";
import { PERIOD, POLICY, WEI_PER_CENT, rewardsFixture, signBundle } from "./fixture";

describe("RewardDistributor single claims", function () {
  it("mints the policy's reward to the beneficiary", async function () {
    const { distributor, token, alice, attestors, domain, attestation } = await loadFixture(rewardsFixture);
    const a = attestation({ category: 1, usageCents: 12_345n });
    await expect(
      distributor.claim(a, await signBundle(domain, a, attestors.slice(0, 1))),
    ).to.changeTokenBalance(token, alice, computeReward(POLICY, 1, 12_345n));
  });

  it("emits AttestationClaimed with everything an auditor needs to recompute the reward", async function () {
    const { distributor, alice, attestors, domain, attestation } = await loadFixture(rewardsFixture);
    const a = attestation();
    await expect(distributor.claim(a, await signBundle(domain, a, attestors.slice(0, 1))))
      .to.emit(distributor, "AttestationClaimed")
      .withArgs(PERIOD, a.id, alice.address, a.customerId, 0, 10_000n, computeReward(POLICY, 0, 10_000n));
  });

  it("can be submitted by anyone, a relayer included", async function () {
    const { distributor, token, relayer, alice, attestors, domain, attestation } =
      await loadFixture(rewardsFixture);
    const a = attestation();
    const sigs = await signBundle(domain, a, attestors.slice(0, 1));
    await expect(distributor.connect(relayer).claim(a, sigs)).to.changeTokenBalance(
      token,
      alice,
      5n * 10n ** 18n,
    );
  });

  it("records the claim in the attestation status and the period's committed amount", async function () {
    const { distributor, attestors, domain, attestation } = await loadFixture(rewardsFixture);
    const a = attestation();
    await distributor.claim(a, await signBundle(domain, a, attestors.slice(0, 1)));
    expect(await distributor.attestationStatus(PERIOD, a.id)).to.deep.equal([true, false]);
    expect((await distributor.periodPolicy(PERIOD))[2]).to.equal(5n * 10n ** 18n);
  });

  it("mints nothing but still consumes an attestation of a zero-rate category", async function () {
    const { distributor, token, alice, attestors, domain, attestation } = await loadFixture(rewardsFixture);
    const a = attestation({ category: 4 });
    await expect(
      distributor.claim(a, await signBundle(domain, a, attestors.slice(0, 1))),
    ).to.changeTokenBalance(token, alice, 0n);
    expect((await distributor.attestationStatus(PERIOD, a.id))[0]).to.equal(true);
  });

  it("verifies the library's digest: the contract accepts what recovers to an attestor off chain", async function () {
    const { distributor, attestors, domain, attestation } = await loadFixture(rewardsFixture);
    const a = attestation();
    const { signature } = await signAttestation(attestors[0], domain, a);
    expect(ethers.recoverAddress(attestationDigest(domain, a), signature)).to.equal(
      recoverAttestationSigner(domain, a, signature),
    );
    await expect(distributor.claim(a, signature)).to.emit(distributor, "AttestationClaimed");
  });

  describe("replay protection", function () {
    it("rejects a second claim of the same attestation with AttestationAlreadyClaimed", async function () {
      const { distributor, attestors, domain, attestation } = await loadFixture(rewardsFixture);
      const a = attestation();
      const sigs = await signBundle(domain, a, attestors.slice(0, 1));
      await distributor.claim(a, sigs);
      await expect(distributor.claim(a, sigs))
        .to.be.revertedWithCustomError(distributor, "AttestationAlreadyClaimed")
        .withArgs(PERIOD, a.id);
    });

    it("rejects the same id for the same period even with other contents", async function () {
      const { distributor, attestors, domain, attestation, bob } = await loadFixture(rewardsFixture);
      const a = attestation();
      await distributor.claim(a, await signBundle(domain, a, attestors.slice(0, 1)));
      const b = { ...a, beneficiary: bob.address, usageCents: 1n };
      await expect(distributor.claim(b, await signBundle(domain, b, attestors.slice(0, 1))))
        .to.be.revertedWithCustomError(distributor, "AttestationAlreadyClaimed")
        .withArgs(PERIOD, a.id);
    });

    it("rejects a signature made for another chain id", async function () {
      const { distributor, attestors, domain, attestation } = await loadFixture(rewardsFixture);
      const a = attestation();
      const sigs = await signBundle({ ...domain, chainId: 1n }, a, attestors.slice(0, 1));
      await expect(distributor.claim(a, sigs))
        .to.be.revertedWithCustomError(distributor, "NotAttestor")
        .withArgs(0, anyValue);
    });

    it("rejects a signature made for another distributor contract", async function () {
      const { distributor, token, admin, attestors, domain, attestation } = await loadFixture(rewardsFixture);
      const other = await ethers.deployContract("RewardDistributor", [
        await token.getAddress(),
        WEI_PER_CENT,
        admin.address,
        ADMIN_DELAY,
      ]);
      const a = attestation();
      const sigs = await signBundle(
        { ...domain, verifyingContract: await other.getAddress() },
        a,
        attestors.slice(0, 1),
      );
      await expect(distributor.claim(a, sigs))
        .to.be.revertedWithCustomError(distributor, "NotAttestor")
        .withArgs(0, anyValue);
    });

    it("rejects an attestation whose amount was tampered with after signing", async function () {
      const { distributor, attestors, domain, attestation } = await loadFixture(rewardsFixture);
      const a = attestation();
      const sigs = await signBundle(domain, a, attestors.slice(0, 1));
      await expect(distributor.claim({ ...a, usageCents: a.usageCents * 10n }, sigs))
        .to.be.revertedWithCustomError(distributor, "NotAttestor")
        .withArgs(0, anyValue);
    });

    it("rejects an attestation whose beneficiary was swapped after signing", async function () {
      const { distributor, attestors, domain, attestation, outsider } = await loadFixture(rewardsFixture);
      const a = attestation();
      const sigs = await signBundle(domain, a, attestors.slice(0, 1));
      await expect(distributor.claim({ ...a, beneficiary: outsider.address }, sigs))
        .to.be.revertedWithCustomError(distributor, "NotAttestor")
        .withArgs(0, anyValue);
    });
  });

  describe("signatures", function () {
    it("accepts k-of-n signatures when the threshold is raised", async function () {
      const { distributor, attestors, domain, attestation } = await loadFixture(rewardsFixture);
      await distributor.setThreshold(2n);
      const a = attestation();
      await expect(distributor.claim(a, await signBundle(domain, a, attestors.slice(1, 3)))).to.emit(
        distributor,
        "AttestationClaimed",
      );
    });

    it("rejects fewer signatures than the threshold with BelowThreshold", async function () {
      const { distributor, attestors, domain, attestation } = await loadFixture(rewardsFixture);
      await distributor.setThreshold(2n);
      const a = attestation();
      await expect(distributor.claim(a, await signBundle(domain, a, attestors.slice(0, 1))))
        .to.be.revertedWithCustomError(distributor, "BelowThreshold")
        .withArgs(1n, 2n);
    });

    it("rejects the same signer twice with SignersNotAscending", async function () {
      const { distributor, attestors, domain, attestation } = await loadFixture(rewardsFixture);
      await distributor.setThreshold(2n);
      const a = attestation();
      const one = await signBundle(domain, a, attestors.slice(0, 1));
      await expect(distributor.claim(a, concat([one, one])))
        .to.be.revertedWithCustomError(distributor, "SignersNotAscending")
        .withArgs(1, attestors[0].address);
    });

    it("rejects signers in descending order with SignersNotAscending", async function () {
      const { distributor, attestors, domain, attestation } = await loadFixture(rewardsFixture);
      const a = attestation();
      const low = await signBundle(domain, a, [attestors[0]]);
      const high = await signBundle(domain, a, [attestors[1]]);
      await expect(distributor.claim(a, concat([high, low])))
        .to.be.revertedWithCustomError(distributor, "SignersNotAscending")
        .withArgs(1, attestors[0].address);
    });

    it("rejects a signer outside the attestor set with NotAttestor", async function () {
      const { distributor, outsider, domain, attestation } = await loadFixture(rewardsFixture);
      const a = attestation();
      await expect(distributor.claim(a, await signBundle(domain, a, [outsider])))
        .to.be.revertedWithCustomError(distributor, "NotAttestor")
        .withArgs(0, outsider.address);
    });

    it("stops counting a removed attestor's signatures", async function () {
      const { distributor, attestors, domain, attestation } = await loadFixture(rewardsFixture);
      const a = attestation();
      const sigs = await signBundle(domain, a, [attestors[2]]);
      await distributor.removeAttestor(attestors[2].address);
      await expect(distributor.claim(a, sigs))
        .to.be.revertedWithCustomError(distributor, "NotAttestor")
        .withArgs(0, attestors[2].address);
    });

    it("rejects a bundle whose length is not a multiple of 65 bytes with InvalidSignatureLength", async function () {
      const { distributor, attestors, domain, attestation } = await loadFixture(rewardsFixture);
      const a = attestation();
      const sigs = dataSlice(await signBundle(domain, a, attestors.slice(0, 1)), 0, 64);
      await expect(distributor.claim(a, sigs))
        .to.be.revertedWithCustomError(distributor, "InvalidSignatureLength")
        .withArgs(64n);
    });

    it("rejects an empty bundle with InvalidSignatureLength", async function () {
      const { distributor, attestation } = await loadFixture(rewardsFixture);
      await expect(distributor.claim(attestation(), "0x"))
        .to.be.revertedWithCustomError(distributor, "InvalidSignatureLength")
        .withArgs(0n);
    });

    it("rejects a signature that recovers to no address with InvalidSignature", async function () {
      const { distributor, attestation } = await loadFixture(rewardsFixture);
      const garbage = concat([ZeroAddress.padEnd(66, "0"), "0x" + "11".repeat(32), "0x1b"]);
      await expect(distributor.claim(attestation(), garbage))
        .to.be.revertedWithCustomError(distributor, "InvalidSignature")
        .withArgs(0n);
    });
  });

  describe("limits", function () {
    it("rejects an expired attestation with AttestationExpired", async function () {
      const { distributor, attestors, domain, attestation, deadline } = await loadFixture(rewardsFixture);
      const a = attestation();
      const sigs = await signBundle(domain, a, attestors.slice(0, 1));
      await time.increaseTo(deadline + 1n);
      await expect(distributor.claim(a, sigs))
        .to.be.revertedWithCustomError(distributor, "AttestationExpired")
        .withArgs(PERIOD, a.id, deadline);
    });

    it("accepts an attestation in the second of its deadline", async function () {
      const { distributor, attestors, domain, attestation, deadline } = await loadFixture(rewardsFixture);
      const a = attestation();
      const sigs = await signBundle(domain, a, attestors.slice(0, 1));
      await time.setNextBlockTimestamp(deadline);
      await expect(distributor.claim(a, sigs)).to.emit(distributor, "AttestationClaimed");
    });

    it("rejects an attestation for a period without a policy with PolicyNotPublished", async function () {
      const { distributor, attestors, domain, attestation } = await loadFixture(rewardsFixture);
      const a = attestation({ period: PERIOD + 1 });
      await expect(distributor.claim(a, await signBundle(domain, a, attestors.slice(0, 1))))
        .to.be.revertedWithCustomError(distributor, "PolicyNotPublished")
        .withArgs(PERIOD + 1);
    });

    it("rejects an unknown category with UnknownCategory", async function () {
      const { distributor, attestors, domain, attestation } = await loadFixture(rewardsFixture);
      const a = attestation({ category: 9 });
      await expect(distributor.claim(a, await signBundle(domain, a, attestors.slice(0, 1))))
        .to.be.revertedWithCustomError(distributor, "UnknownCategory")
        .withArgs(9);
    });

    it("rejects a claim above the period budget with PeriodBudgetExceeded, whatever the signers signed", async function () {
      const { distributor, policy, attestors, domain, attestation } = await loadFixture(rewardsFixture);
      await distributor.connect(policy).publishPolicy(PERIOD + 1, 10_000n, 1n); // 100 % on compute, 1 ZON
      const a = attestation({ period: PERIOD + 1, usageCents: 101n }); // $1.01 → 1.01 ZON
      await expect(distributor.claim(a, await signBundle(domain, a, attestors.slice(0, 1))))
        .to.be.revertedWithCustomError(distributor, "PeriodBudgetExceeded")
        .withArgs(PERIOD + 1, 10n ** 18n, 0n, 101n * WEI_PER_CENT);
    });

    it("mints up to exactly the period budget", async function () {
      const { distributor, policy, attestors, domain, attestation } = await loadFixture(rewardsFixture);
      await distributor.connect(policy).publishPolicy(PERIOD + 1, 10_000n, 1n);
      const a = attestation({ period: PERIOD + 1, usageCents: 100n });
      await distributor.claim(a, await signBundle(domain, a, attestors.slice(0, 1)));
      expect((await distributor.periodPolicy(PERIOD + 1))[2]).to.equal(10n ** 18n);
    });

    it("stops at the distributor's minter allowance on the token", async function () {
      const { distributor, token, admin, attestors, domain, attestation } = await loadFixture(rewardsFixture);
      const distributorAddress = await distributor.getAddress();
      await token.connect(admin).decreaseMinterAllowance(distributorAddress, 10n ** 27n - 10n ** 18n); // 1 ZON left
      const a = attestation(); // 5 ZON
      await expect(distributor.claim(a, await signBundle(domain, a, attestors.slice(0, 1))))
        .to.be.revertedWithCustomError(token, "ZonCoinMinterAllowanceExceeded")
        .withArgs(distributorAddress, 10n ** 18n, 5n * 10n ** 18n);
    });
  });

  describe("pause", function () {
    it("blocks claims while paused with EnforcedPause", async function () {
      const { distributor, pauser, attestors, domain, attestation } = await loadFixture(rewardsFixture);
      await distributor.connect(pauser).pause();
      const a = attestation();
      await expect(
        distributor.claim(a, await signBundle(domain, a, attestors.slice(0, 1))),
      ).to.be.revertedWithCustomError(distributor, "EnforcedPause");
    });

    it("resumes claims after unpause", async function () {
      const { distributor, pauser, attestors, domain, attestation } = await loadFixture(rewardsFixture);
      await distributor.connect(pauser).pause();
      await distributor.connect(pauser).unpause();
      const a = attestation();
      await expect(distributor.claim(a, await signBundle(domain, a, attestors.slice(0, 1)))).to.emit(
        distributor,
        "AttestationClaimed",
      );
    });

    it("refuses pause to an account without the pauser role", async function () {
      const { distributor, admin } = await loadFixture(rewardsFixture);
      await expect(distributor.connect(admin).pause())
        .to.be.revertedWithCustomError(distributor, "AccessControlUnauthorizedAccount")
        .withArgs(admin.address, ROLES.PAUSER);
    });

    it("refuses unpause to an account without the pauser role", async function () {
      const { distributor, pauser, admin } = await loadFixture(rewardsFixture);
      await distributor.connect(pauser).pause();
      await expect(distributor.connect(admin).unpause())
        .to.be.revertedWithCustomError(distributor, "AccessControlUnauthorizedAccount")
        .withArgs(admin.address, ROLES.PAUSER);
    });
  });
});

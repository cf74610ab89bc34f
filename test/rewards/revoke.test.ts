import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import type { Signer, TypedDataDomain } from "ethers";
import { bundleSignatures, recoverRevocationSigner, ROLES, signRevocation, type Revocation } from "../../src";
import { PERIOD, rewardsFixture, signBundle } from "./fixture";

async function revocationBundle(domain: TypedDataDomain, revocation: Revocation, signers: Signer[]) {
  const signatures = await Promise.all(signers.map((s) => signRevocation(s, domain, revocation)));
  return bundleSignatures(signatures, (sig) => recoverRevocationSigner(domain, revocation, sig));
}

/** The rewards fixture with a 2-of-3 attestor threshold. */
async function twoOfThreeFixture() {
  const f = await rewardsFixture();
  await f.distributor.connect(f.admin).setThreshold(2);
  return f;
}

describe("RewardDistributor revocation", function () {
  it("lets the admin revoke an unclaimed attestation, emitting AttestationRevoked", async function () {
    const { distributor, admin } = await loadFixture(rewardsFixture);
    await expect(distributor.connect(admin).revoke(PERIOD, 7n))
      .to.emit(distributor, "AttestationRevoked")
      .withArgs(PERIOD, 7n, admin.address);
    expect(await distributor.attestationStatus(PERIOD, 7n)).to.deep.equal([false, true]);
  });

  it("refuses revocation by a single attestor's key with AccessControlUnauthorizedAccount", async function () {
    // The attack: with k = 2, one attestor key blocked attestations that two keys had signed.
    const { distributor, attestors } = await loadFixture(twoOfThreeFixture);
    await expect(distributor.connect(attestors[0]).revoke(PERIOD, 42n))
      .to.be.revertedWithCustomError(distributor, "AccessControlUnauthorizedAccount")
      .withArgs(attestors[0].address, ROLES.DEFAULT_ADMIN);
  });

  it("refuses a revocation signed by one attestor when k is 2 with BelowThreshold", async function () {
    const { distributor, attestors, domain, relayer } = await loadFixture(twoOfThreeFixture);
    const r = { period: PERIOD, id: 42n };
    await expect(
      distributor
        .connect(relayer)
        .revokeWithSignatures(r, await revocationBundle(domain, r, attestors.slice(0, 1))),
    )
      .to.be.revertedWithCustomError(distributor, "BelowThreshold")
      .withArgs(1n, 2n);
  });

  it("revokes on k attestors' signatures, whoever submits them", async function () {
    const { distributor, attestors, domain, relayer } = await loadFixture(twoOfThreeFixture);
    const r = { period: PERIOD, id: 42n };
    await expect(
      distributor
        .connect(relayer)
        .revokeWithSignatures(r, await revocationBundle(domain, r, attestors.slice(0, 2))),
    )
      .to.emit(distributor, "AttestationRevoked")
      .withArgs(PERIOD, 42n, relayer.address);
    expect(await distributor.attestationStatus(PERIOD, 42n)).to.deep.equal([false, true]);
  });

  it("refuses signatures over another id with NotAttestor", async function () {
    const { distributor, attestors, domain, relayer } = await loadFixture(twoOfThreeFixture);
    const signed = { period: PERIOD, id: 42n };
    const bundle = await revocationBundle(domain, signed, attestors.slice(0, 2));
    await expect(
      distributor.connect(relayer).revokeWithSignatures({ period: PERIOD, id: 43n }, bundle),
    ).to.be.revertedWithCustomError(distributor, "NotAttestor");
  });

  it("refuses an attestation's signatures offered as a revocation with NotAttestor", async function () {
    const { distributor, attestors, domain, relayer, attestation } = await loadFixture(twoOfThreeFixture);
    const a = attestation();
    const bundle = await signBundle(domain, a, attestors.slice(0, 2));
    await expect(
      distributor.connect(relayer).revokeWithSignatures({ period: a.period, id: a.id }, bundle),
    ).to.be.revertedWithCustomError(distributor, "NotAttestor");
  });

  it("refuses to revoke an id of a period without a policy with PolicyNotPublished", async function () {
    const { distributor, attestors, domain, relayer } = await loadFixture(twoOfThreeFixture);
    const r = { period: PERIOD + 1, id: 0n };
    await expect(
      distributor
        .connect(relayer)
        .revokeWithSignatures(r, await revocationBundle(domain, r, attestors.slice(0, 2))),
    )
      .to.be.revertedWithCustomError(distributor, "PolicyNotPublished")
      .withArgs(PERIOD + 1);
  });

  it("refuses the admin's revocation in a period without a policy with PolicyNotPublished", async function () {
    const { distributor, admin } = await loadFixture(rewardsFixture);
    await expect(distributor.connect(admin).revoke(PERIOD + 1, 0n))
      .to.be.revertedWithCustomError(distributor, "PolicyNotPublished")
      .withArgs(PERIOD + 1);
  });

  it("makes a revoked attestation unclaimable with AttestationIsRevoked", async function () {
    const { distributor, admin, attestors, domain, attestation } = await loadFixture(rewardsFixture);
    const a = attestation();
    const sigs = await signBundle(domain, a, attestors.slice(0, 1));
    await distributor.connect(admin).revoke(PERIOD, a.id);
    await expect(distributor.claim(a, sigs))
      .to.be.revertedWithCustomError(distributor, "AttestationIsRevoked")
      .withArgs(PERIOD, a.id);
  });

  it("refuses to revoke a claimed attestation with AttestationAlreadyClaimed", async function () {
    const { distributor, admin, attestors, domain, attestation } = await loadFixture(rewardsFixture);
    const a = attestation();
    await distributor.claim(a, await signBundle(domain, a, attestors.slice(0, 1)));
    await expect(distributor.connect(admin).revoke(PERIOD, a.id))
      .to.be.revertedWithCustomError(distributor, "AttestationAlreadyClaimed")
      .withArgs(PERIOD, a.id);
  });

  it("refuses to revoke twice with AttestationIsRevoked", async function () {
    const { distributor, admin } = await loadFixture(rewardsFixture);
    await distributor.connect(admin).revoke(PERIOD, 3n);
    await expect(distributor.connect(admin).revoke(PERIOD, 3n))
      .to.be.revertedWithCustomError(distributor, "AttestationIsRevoked")
      .withArgs(PERIOD, 3n);
  });
});

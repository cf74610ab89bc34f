import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { PERIOD, rewardsFixture, signBundle } from "./fixture";

describe("RewardDistributor revocation", function () {
  it("lets an attestor revoke an unclaimed attestation, emitting AttestationRevoked", async function () {
    const { distributor, attestors } = await loadFixture(rewardsFixture);
    await expect(distributor.connect(attestors[1]).revoke(PERIOD, 42n))
      .to.emit(distributor, "AttestationRevoked")
      .withArgs(PERIOD, 42n, attestors[1].address);
    expect(await distributor.attestationStatus(PERIOD, 42n)).to.deep.equal([false, true]);
  });

  it("lets the admin revoke an unclaimed attestation", async function () {
    const { distributor, admin } = await loadFixture(rewardsFixture);
    await expect(distributor.connect(admin).revoke(PERIOD, 7n))
      .to.emit(distributor, "AttestationRevoked")
      .withArgs(PERIOD, 7n, admin.address);
  });

  it("makes a revoked attestation unclaimable with AttestationIsRevoked", async function () {
    const { distributor, attestors, domain, attestation } = await loadFixture(rewardsFixture);
    const a = attestation();
    const sigs = await signBundle(domain, a, attestors.slice(0, 1));
    await distributor.connect(attestors[0]).revoke(PERIOD, a.id);
    await expect(distributor.claim(a, sigs))
      .to.be.revertedWithCustomError(distributor, "AttestationIsRevoked")
      .withArgs(PERIOD, a.id);
  });

  it("refuses to revoke a claimed attestation with AttestationAlreadyClaimed", async function () {
    const { distributor, attestors, domain, attestation } = await loadFixture(rewardsFixture);
    const a = attestation();
    await distributor.claim(a, await signBundle(domain, a, attestors.slice(0, 1)));
    await expect(distributor.connect(attestors[0]).revoke(PERIOD, a.id))
      .to.be.revertedWithCustomError(distributor, "AttestationAlreadyClaimed")
      .withArgs(PERIOD, a.id);
  });

  it("refuses to revoke twice with AttestationIsRevoked", async function () {
    const { distributor, attestors } = await loadFixture(rewardsFixture);
    await distributor.connect(attestors[0]).revoke(PERIOD, 3n);
    await expect(distributor.connect(attestors[0]).revoke(PERIOD, 3n))
      .to.be.revertedWithCustomError(distributor, "AttestationIsRevoked")
      .withArgs(PERIOD, 3n);
  });

  it("refuses revocation to an account that is neither attestor nor admin with NotRevoker", async function () {
    const { distributor, policy } = await loadFixture(rewardsFixture);
    await expect(distributor.connect(policy).revoke(PERIOD, 1n))
      .to.be.revertedWithCustomError(distributor, "NotRevoker")
      .withArgs(policy.address);
  });
});

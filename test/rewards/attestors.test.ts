import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ZeroAddress } from "ethers";
import { ROLES } from "../../src";
import { rewardsFixture } from "./fixture";

describe("RewardDistributor attestor set", function () {
  it("starts with a threshold of one", async function () {
    const { distributor } = await loadFixture(rewardsFixture);
    expect([await distributor.threshold(), await distributor.attestorCount()]).to.deep.equal([1n, 3n]);
  });

  it("adds an attestor, emitting AttestorAdded", async function () {
    const { distributor, outsider } = await loadFixture(rewardsFixture);
    await expect(distributor.addAttestor(outsider.address))
      .to.emit(distributor, "AttestorAdded")
      .withArgs(outsider.address);
    expect([await distributor.isAttestor(outsider.address), await distributor.attestorCount()]).to.deep.equal(
      [true, 4n],
    );
  });

  it("rejects adding an attestor twice with AlreadyAttestor", async function () {
    const { distributor, attestors } = await loadFixture(rewardsFixture);
    await expect(distributor.addAttestor(attestors[0].address))
      .to.be.revertedWithCustomError(distributor, "AlreadyAttestor")
      .withArgs(attestors[0].address);
  });

  it("rejects the zero address as an attestor with InvalidAttestor", async function () {
    const { distributor } = await loadFixture(rewardsFixture);
    await expect(distributor.addAttestor(ZeroAddress))
      .to.be.revertedWithCustomError(distributor, "InvalidAttestor")
      .withArgs(ZeroAddress);
  });

  it("removes an attestor, emitting AttestorRemoved", async function () {
    const { distributor, attestors } = await loadFixture(rewardsFixture);
    await expect(distributor.removeAttestor(attestors[1].address))
      .to.emit(distributor, "AttestorRemoved")
      .withArgs(attestors[1].address);
    expect([
      await distributor.isAttestor(attestors[1].address),
      await distributor.attestorCount(),
    ]).to.deep.equal([false, 2n]);
  });

  it("rejects removing an account that is not an attestor with UnknownAttestor", async function () {
    const { distributor, outsider } = await loadFixture(rewardsFixture);
    await expect(distributor.removeAttestor(outsider.address))
      .to.be.revertedWithCustomError(distributor, "UnknownAttestor")
      .withArgs(outsider.address);
  });

  it("refuses a removal that would leave fewer attestors than the threshold with InvalidThreshold", async function () {
    const { distributor, attestors } = await loadFixture(rewardsFixture);
    await distributor.setThreshold(3n);
    await expect(distributor.removeAttestor(attestors[0].address))
      .to.be.revertedWithCustomError(distributor, "InvalidThreshold")
      .withArgs(3n, 2n);
  });

  it("changes the threshold, emitting ThresholdChanged", async function () {
    const { distributor } = await loadFixture(rewardsFixture);
    await expect(distributor.setThreshold(2n)).to.emit(distributor, "ThresholdChanged").withArgs(1n, 2n);
    expect(await distributor.threshold()).to.equal(2n);
  });

  it("rejects a threshold of zero with InvalidThreshold", async function () {
    const { distributor } = await loadFixture(rewardsFixture);
    await expect(distributor.setThreshold(0n))
      .to.be.revertedWithCustomError(distributor, "InvalidThreshold")
      .withArgs(0n, 3n);
  });

  it("rejects a threshold above the number of attestors with InvalidThreshold", async function () {
    const { distributor } = await loadFixture(rewardsFixture);
    await expect(distributor.setThreshold(4n))
      .to.be.revertedWithCustomError(distributor, "InvalidThreshold")
      .withArgs(4n, 3n);
  });

  it("refuses attestor changes to an account without the admin role", async function () {
    const { distributor, policy, outsider } = await loadFixture(rewardsFixture);
    await expect(distributor.connect(policy).addAttestor(outsider.address))
      .to.be.revertedWithCustomError(distributor, "AccessControlUnauthorizedAccount")
      .withArgs(policy.address, ROLES.DEFAULT_ADMIN);
  });

  it("refuses attestor removal to an account without the admin role", async function () {
    const { distributor, policy, attestors } = await loadFixture(rewardsFixture);
    await expect(distributor.connect(policy).removeAttestor(attestors[0].address))
      .to.be.revertedWithCustomError(distributor, "AccessControlUnauthorizedAccount")
      .withArgs(policy.address, ROLES.DEFAULT_ADMIN);
  });

  it("refuses threshold changes to an account without the admin role", async function () {
    const { distributor, policy } = await loadFixture(rewardsFixture);
    await expect(distributor.connect(policy).setThreshold(2n))
      .to.be.revertedWithCustomError(distributor, "AccessControlUnauthorizedAccount")
      .withArgs(policy.address, ROLES.DEFAULT_ADMIN);
  });
});

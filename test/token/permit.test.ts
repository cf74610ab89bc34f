import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { Signature } from "ethers";
import { ethers } from "hardhat";
import { PERMIT_TYPES, readDomain, signPermit, PERMIT_VRS, submitPermit } from "../../src";
import { ADMIN_DELAY, ONE_ZON, zonCoinFixture } from "../helpers/fixtures";

describe("ZonCoin permit (ERC-2612) and EIP-712 domain", function () {
  async function fixture() {
    const f = await zonCoinFixture();
    const deadline = BigInt(await time.latest()) + 3600n;
    return { ...f, deadline };
  }

  it("has the name ZonCoin, the symbol ZON and 18 decimals", async function () {
    const { token } = await loadFixture(fixture);
    expect([await token.name(), await token.symbol(), await token.decimals()]).to.deep.equal([
      "ZonCoin",
      "ZON",
      18n,
    ]);
  });

  it("publishes its EIP-712 domain through ERC-5267", async function () {
    const { token } = await loadFixture(fixture);
    const domain = await readDomain(token);
    expect(domain).to.deep.equal({
      name: "ZonCoin",
      version: "1",
      chainId: (await ethers.provider.getNetwork()).chainId,
      verifyingContract: await token.getAddress(),
    });
  });

  it("sets the allowance from a valid permit", async function () {
    const { token, alice, bob, outsider, deadline } = await loadFixture(fixture);
    const p = await signPermit(token, alice, bob.address, 5n * ONE_ZON, deadline);
    await submitPermit(token.connect(outsider), p);
    expect(await token.allowance(alice.address, bob.address)).to.equal(5n * ONE_ZON);
  });

  it("emits Approval and increments the nonce on a valid permit", async function () {
    const { token, alice, bob, deadline } = await loadFixture(fixture);
    const p = await signPermit(token, alice, bob.address, 5n, deadline);
    await expect(submitPermit(token, p)).to.emit(token, "Approval").withArgs(alice.address, bob.address, 5n);
    expect(await token.nonces(alice.address)).to.equal(1n);
  });

  it("rejects an expired permit with ERC2612ExpiredSignature", async function () {
    const { token, alice, bob, deadline } = await loadFixture(fixture);
    const p = await signPermit(token, alice, bob.address, 5n, deadline);
    await time.increaseTo(deadline + 1n);
    await expect(submitPermit(token, p))
      .to.be.revertedWithCustomError(token, "ERC2612ExpiredSignature")
      .withArgs(deadline);
  });

  it("rejects a permit signed by someone other than the owner with ERC2612InvalidSigner", async function () {
    const { token, alice, bob, carol, deadline } = await loadFixture(fixture);
    const message = { owner: alice.address, spender: bob.address, value: 5n, nonce: 0n, deadline };
    const { v, r, s } = Signature.from(
      await carol.signTypedData(await readDomain(token), PERMIT_TYPES, message),
    );
    await expect(token.getFunction(PERMIT_VRS)(alice.address, bob.address, 5n, deadline, v, r, s))
      .to.be.revertedWithCustomError(token, "ERC2612InvalidSigner")
      .withArgs(carol.address, alice.address);
  });

  it("rejects a replayed permit because the nonce moved on", async function () {
    const { token, alice, bob, deadline } = await loadFixture(fixture);
    const p = await signPermit(token, alice, bob.address, 5n, deadline);
    await submitPermit(token, p);
    await expect(submitPermit(token, p)).to.be.revertedWithCustomError(token, "ERC2612InvalidSigner");
  });

  it("rejects a permit signed for another chain id", async function () {
    const { token, alice, bob, deadline } = await loadFixture(fixture);
    const domain = { ...(await readDomain(token)), chainId: 1n };
    const p = await signPermit(token, alice, bob.address, 5n, deadline, { domain });
    await expect(submitPermit(token, p)).to.be.revertedWithCustomError(token, "ERC2612InvalidSigner");
  });

  it("rejects a permit signed for another ZonCoin deployment", async function () {
    const { token, admin, alice, bob, deadline } = await loadFixture(fixture);
    const other = await ethers.deployContract("ZonCoin", [admin.address, ADMIN_DELAY, 0n]);
    const p = await signPermit(other, alice, bob.address, 5n, deadline);
    await expect(submitPermit(token, p)).to.be.revertedWithCustomError(token, "ERC2612InvalidSigner");
  });
});

import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import { PERMIT_BYTES, signBytesPermit } from "../../src";
import { ONE_ZON, zonCoinFixture } from "../helpers/fixtures";

/*
 * ERC-2612 permits from contract wallets (a Safe), checked with ERC-1271 through OpenZeppelin's
 * SignatureChecker, and from EOAs through the same bytes overload.
 */
describe("ZonCoin permit with a bytes signature (contract wallets)", function () {
  async function walletFixture() {
    const f = await zonCoinFixture();
    const wallet = await ethers.deployContract("TestWallet", [f.carol.address]); // carol's key controls it
    const walletAddress = await wallet.getAddress();
    await f.token.connect(f.minter).mint(walletAddress, 100n * ONE_ZON);
    const deadline = BigInt(await time.latest()) + 3_600n;
    return { ...f, wallet, walletAddress, deadline };
  }

  it("sets a contract wallet's allowance from its owner's signature, checked through ERC-1271", async function () {
    const { token, walletAddress, carol, bob, outsider, deadline } = await loadFixture(walletFixture);
    const p = await signBytesPermit(token, walletAddress, carol, bob.address, 5n * ONE_ZON, deadline);
    await token.connect(outsider).getFunction(PERMIT_BYTES)(
      p.owner,
      p.spender,
      p.value,
      p.deadline,
      p.signature,
    );
    expect(await token.allowance(walletAddress, bob.address)).to.equal(5n * ONE_ZON);
  });

  it("lets the spender then move the wallet's ZON", async function () {
    const { token, walletAddress, carol, bob, deadline } = await loadFixture(walletFixture);
    const p = await signBytesPermit(token, walletAddress, carol, bob.address, 5n * ONE_ZON, deadline);
    await token.getFunction(PERMIT_BYTES)(p.owner, p.spender, p.value, p.deadline, p.signature);
    await expect(
      token.connect(bob).transferFrom(walletAddress, bob.address, 5n * ONE_ZON),
    ).to.changeTokenBalance(token, bob, 5n * ONE_ZON);
  });

  it("refuses a signature the wallet does not accept with ZonCoinInvalidPermitSignature", async function () {
    const { token, walletAddress, outsider, bob, deadline } = await loadFixture(walletFixture);
    const p = await signBytesPermit(token, walletAddress, outsider, bob.address, 5n * ONE_ZON, deadline);
    await expect(token.getFunction(PERMIT_BYTES)(p.owner, p.spender, p.value, p.deadline, p.signature))
      .to.be.revertedWithCustomError(token, "ZonCoinInvalidPermitSignature")
      .withArgs(walletAddress);
  });

  it("accepts an EOA's signature given as bytes", async function () {
    const { token, alice, bob, deadline } = await loadFixture(walletFixture);
    const p = await signBytesPermit(token, alice.address, alice, bob.address, 7n, deadline);
    await token.getFunction(PERMIT_BYTES)(p.owner, p.spender, p.value, p.deadline, p.signature);
    expect(await token.allowance(alice.address, bob.address)).to.equal(7n);
  });

  it("uses the permit nonces: a signature works once", async function () {
    const { token, walletAddress, carol, bob, deadline } = await loadFixture(walletFixture);
    const p = await signBytesPermit(token, walletAddress, carol, bob.address, 5n, deadline);
    await token.getFunction(PERMIT_BYTES)(p.owner, p.spender, p.value, p.deadline, p.signature);
    await expect(token.getFunction(PERMIT_BYTES)(p.owner, p.spender, p.value, p.deadline, p.signature))
      .to.be.revertedWithCustomError(token, "ZonCoinInvalidPermitSignature")
      .withArgs(walletAddress);
    expect(await token.nonces(walletAddress)).to.equal(1n);
  });

  it("refuses an expired permit with ERC2612ExpiredSignature", async function () {
    const { token, walletAddress, carol, bob } = await loadFixture(walletFixture);
    const past = BigInt(await time.latest()) - 1n;
    const p = await signBytesPermit(token, walletAddress, carol, bob.address, 5n, past);
    await expect(token.getFunction(PERMIT_BYTES)(p.owner, p.spender, p.value, p.deadline, p.signature))
      .to.be.revertedWithCustomError(token, "ERC2612ExpiredSignature")
      .withArgs(past);
  });

  it("lets only the wallet's owner execute through it", async function () {
    const { wallet, outsider, token } = await loadFixture(walletFixture);
    await expect(wallet.connect(outsider).execute(await token.getAddress(), 0, "0x"))
      .to.be.revertedWithCustomError(wallet, "NotOwner")
      .withArgs(outsider.address);
  });
});

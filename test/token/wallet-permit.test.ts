import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import {
  createSafe,
  deploySafeContracts,
  executeSafeTx,
  PERMIT_BYTES,
  PERMIT_TYPES,
  permitDigest,
  readDomain,
  safeMessageHash,
  signBytesPermit,
  signMessageTx,
} from "../../src";
import { ONE_ZON, zonCoinFixture } from "../helpers/fixtures";

/*
 * ERC-2612 permits from a Safe, checked with ERC-1271 through OpenZeppelin's SignatureChecker, against Safe
 * v1.4.1's own contracts from npm (a 2-of-3 Safe with the CompatibilityFallbackHandler), and from EOAs
 * through the same bytes overload.
 */
describe("ZonCoin permit with a bytes signature (a real Safe, and EOAs)", function () {
  async function safeFixture() {
    const f = await zonCoinFixture();
    const signers = await ethers.getSigners();
    const owners = [signers[9], signers[10], signers[11]];
    const contracts = await deploySafeContracts(f.admin);
    const safe = await createSafe(
      contracts,
      f.admin,
      owners.map((o) => o.address),
      2,
    );
    await f.token.connect(f.minter).mint(safe, 100n * ONE_ZON);
    const deadline = BigInt(await time.latest()) + 3_600n;
    return { ...f, owners, contracts, safe, deadline };
  }

  const submit = (
    token: Awaited<ReturnType<typeof safeFixture>>["token"],
    p: { owner: string; spender: string; value: bigint; deadline: bigint; signature: string },
  ) => token.getFunction(PERMIT_BYTES)(p.owner, p.spender, p.value, p.deadline, p.signature);

  it("sets a Safe's allowance from two of its three owners' signatures over its SafeMessage", async function () {
    const { token, safe, owners, bob, deadline } = await loadFixture(safeFixture);
    const p = await signBytesPermit(token, safe, [owners[2], owners[0]], bob.address, 5n * ONE_ZON, deadline);
    await submit(token, p);
    expect(await token.allowance(safe, bob.address)).to.equal(5n * ONE_ZON);
  });

  it("lets the spender then move the Safe's ZON", async function () {
    const { token, safe, owners, bob, deadline } = await loadFixture(safeFixture);
    await submit(
      token,
      await signBytesPermit(token, safe, owners.slice(0, 2), bob.address, 5n * ONE_ZON, deadline),
    );
    await expect(token.connect(bob).transferFrom(safe, bob.address, 5n * ONE_ZON)).to.changeTokenBalance(
      token,
      bob,
      5n * ONE_ZON,
    );
  });

  it("refuses an owner's signature of the bare permit digest, which a real Safe does not accept", async function () {
    const { token, safe, owners, bob, deadline } = await loadFixture(safeFixture);
    // What the helper used to make: the owner signs the Permit itself, not the Safe's wrapping of it.
    const signature = await owners[0].signTypedData(await readDomain(token), PERMIT_TYPES, {
      owner: safe,
      spender: bob.address,
      value: 5n,
      nonce: 0n,
      deadline,
    });
    await expect(submit(token, { owner: safe, spender: bob.address, value: 5n, deadline, signature }))
      .to.be.revertedWithCustomError(token, "ZonCoinInvalidPermitSignature")
      .withArgs(safe);
  });

  it("refuses fewer owners than the Safe's threshold with ZonCoinInvalidPermitSignature", async function () {
    const { token, safe, owners, bob, deadline } = await loadFixture(safeFixture);
    const p = await signBytesPermit(token, safe, [owners[1]], bob.address, 5n, deadline);
    await expect(submit(token, p))
      .to.be.revertedWithCustomError(token, "ZonCoinInvalidPermitSignature")
      .withArgs(safe);
  });

  it("refuses a signature by someone who is not an owner", async function () {
    const { token, safe, owners, outsider, bob, deadline } = await loadFixture(safeFixture);
    const p = await signBytesPermit(token, safe, [owners[0], outsider], bob.address, 5n, deadline);
    await expect(submit(token, p))
      .to.be.revertedWithCustomError(token, "ZonCoinInvalidPermitSignature")
      .withArgs(safe);
  });

  it("accepts an empty signature once the owners approved the permit on chain through SignMessageLib", async function () {
    const { token, safe, owners, contracts, bob, deadline, outsider } = await loadFixture(safeFixture);
    const { digest } = await permitDigest(token, safe, bob.address, 9n, deadline);
    await executeSafeTx(safe, signMessageTx(contracts, digest), owners.slice(1), outsider);
    const lib = new ethers.Contract(
      safe,
      ["function signedMessages(bytes32) view returns (uint256)"],
      outsider,
    );
    const { chainId } = await ethers.provider.getNetwork();
    expect(await lib.signedMessages(safeMessageHash(chainId, safe, digest))).to.equal(1n);
    await submit(token, { owner: safe, spender: bob.address, value: 9n, deadline, signature: "0x" });
    expect(await token.allowance(safe, bob.address)).to.equal(9n);
  });

  it("accepts an EOA's signature given as bytes", async function () {
    const { token, alice, bob, deadline } = await loadFixture(safeFixture);
    await submit(token, await signBytesPermit(token, alice.address, alice, bob.address, 7n, deadline));
    expect(await token.allowance(alice.address, bob.address)).to.equal(7n);
  });

  it("uses the permit nonces: a Safe's signature works once", async function () {
    const { token, safe, owners, bob, deadline } = await loadFixture(safeFixture);
    const p = await signBytesPermit(token, safe, owners.slice(0, 2), bob.address, 5n, deadline);
    await submit(token, p);
    await expect(submit(token, p))
      .to.be.revertedWithCustomError(token, "ZonCoinInvalidPermitSignature")
      .withArgs(safe);
    expect(await token.nonces(safe)).to.equal(1n);
  });

  it("refuses an expired permit with ERC2612ExpiredSignature", async function () {
    const { token, safe, owners, bob } = await loadFixture(safeFixture);
    const past = BigInt(await time.latest()) - 1n;
    const p = await signBytesPermit(token, safe, owners.slice(0, 2), bob.address, 5n, past);
    await expect(submit(token, p))
      .to.be.revertedWithCustomError(token, "ERC2612ExpiredSignature")
      .withArgs(past);
  });
});

import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import fc from "fast-check";
import { Wallet, zeroPadValue, toBeHex } from "ethers";
import {
  AttestationSigner,
  bundledSignature,
  rewardDomain,
  signAttestation,
  type UsageAttestation,
} from "../../src";
import { PERIOD, rewardsFixture } from "./fixture";

// Hardhat's well-known test key #8: the fixture's attestors are test accounts 8, 9 and 10.
const KEY = "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97";

describe("fast attestation signing", function () {
  const domain = rewardDomain(31337n, "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707");
  const attestation = fc.record({
    beneficiary: fc.integer({ min: 1, max: 2 ** 31 }).map((n) => zeroPadValue(toBeHex(n), 20)),
    customerId: fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }).map((n) => zeroPadValue(toBeHex(n), 32)),
    period: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    category: fc.integer({ min: 0, max: 7 }),
    usageCents: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    id: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    deadline: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  });

  it("gives exactly the signature ethers' signTypedData gives, for any attestation", async function () {
    const fast = new AttestationSigner(KEY, domain);
    const wallet = new Wallet(KEY);
    await fc.assert(
      fc.asyncProperty(attestation, async (a: UsageAttestation) => {
        expect(fast.sign(a)).to.equal((await signAttestation(wallet, domain, a)).signature);
      }),
      { numRuns: 50, seed: 77 },
    );
  });

  it("signs attestations the distributor accepts", async function () {
    const { distributor, attestors, attestation: make, token, alice } = await loadFixture(rewardsFixture);
    const chainDomain = rewardDomain(31337n, await distributor.getAddress());
    const signer = new AttestationSigner(KEY, chainDomain);
    expect(attestors.map((s) => s.address)).to.include(signer.address);
    const a = make({ period: PERIOD });
    await distributor.claim(a, signer.sign(a));
    expect(await token.balanceOf(alice.address)).to.be.greaterThan(0n);
  });

  it("bundles the attestors' signatures ascending by address, whatever order they come in", async function () {
    const { distributor, attestors, attestation: make, token, alice } = await loadFixture(rewardsFixture);
    const chainDomain = rewardDomain(31337n, await distributor.getAddress());
    // Test accounts 10 and 9 (of the fixture's 8, 9, 10), deliberately out of address order.
    const keys = [
      "0xf214f2b2cd398c806f84e317254e0f0b801d0643303237d97a22a48e01628897",
      "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
    ];
    const signers = keys.map((k) => new AttestationSigner(k, chainDomain));
    expect(attestors.map((s) => s.address)).to.include.members(signers.map((s) => s.address));
    const a = make({ period: PERIOD });
    await distributor.claim(a, bundledSignature(signers, a));
    expect(await token.balanceOf(alice.address)).to.be.greaterThan(0n);
  });
});

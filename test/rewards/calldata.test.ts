import { expect } from "chai";
import fc from "fast-check";
import { hexlify } from "ethers";
import { RewardDistributor__factory } from "../../typechain-types";
import { encodeClaimBatch, type UsageAttestation } from "../../src";

/* claimBatch's calldata written straight into a buffer (src/calldata.ts) is the ABI's, byte for byte. */

const distributor = RewardDistributor__factory.createInterface();
const selector = distributor.getFunction("claimBatch").selector;
const hex = (length: number) =>
  fc.uint8Array({ minLength: length, maxLength: length }).map((b) => hexlify(b));
const uint = (bits: number) => fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n });
const attestation: fc.Arbitrary<UsageAttestation> = fc.record({
  beneficiary: hex(20),
  customerId: hex(32),
  period: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  category: fc.integer({ min: 0, max: 255 }),
  usageCents: uint(64),
  id: uint(64),
  deadline: uint(64),
});
const signature = fc.uint8Array({ maxLength: 200 }).map((b) => hexlify(b));

describe("claimBatch calldata, encoded directly", function () {
  it("is exactly ethers' encodeFunctionData for any batch and any signature lengths", function () {
    fc.assert(
      fc.property(
        fc.array(attestation, { maxLength: 12 }),
        fc.array(signature, { maxLength: 12 }),
        (as, ss) => {
          expect(encodeClaimBatch(selector, as, ss)).to.equal(
            distributor.encodeFunctionData("claimBatch", [as, ss]),
          );
        },
      ),
      { numRuns: 300, seed: 20261201 },
    );
  });

  it("refuses a value that does not fit its field, naming the item and the field", function () {
    const a = { ...fc.sample(attestation, { numRuns: 1, seed: 1 })[0], usageCents: 1n << 64n };
    expect(() => encodeClaimBatch(selector, [a], ["0x"])).to.throw(
      `attestations[0].usageCents: ${1n << 64n} does not fit in uint64`,
    );
  });

  it("refuses a beneficiary that is not 20 bytes, naming the item", function () {
    const a = { ...fc.sample(attestation, { numRuns: 1, seed: 2 })[0], beneficiary: "0x1234" };
    expect(() => encodeClaimBatch(selector, [a], ["0x"])).to.throw(
      'attestations[0].beneficiary: "0x1234" is not 20 bytes of hex',
    );
  });
});

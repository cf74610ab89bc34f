import { expect } from "chai";
import { HDNodeWallet } from "ethers";
import {
  AttestationSigner,
  AttestorBundle,
  rewardDomain,
  TEST_MNEMONIC,
  type UsageAttestation,
} from "../../src";
import { InThreadSigning, SigningPool } from "../../src/service/signing-pool";

/* Attestation signing on threads of its own (src/service/signing-pool.ts): the same bundles, in order. */

const keys = [4, 5].map(
  (i) => HDNodeWallet.fromPhrase(TEST_MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`).privateKey,
);
const domain = rewardDomain(202611n, "0xa513E6E4b8f2a923D98304ec87F64353C4D5C853");
const attestation = (id: number): UsageAttestation => ({
  beneficiary: "0x71bE63f3384f5fb98995898A86B02Fb2426c5788",
  customerId: `0x${"11".repeat(32)}`,
  period: 202701,
  category: id % 8,
  usageCents: BigInt(1_000 + id),
  id: BigInt(id),
  deadline: 1_900_000_000n,
});

describe("signing attestations on threads of their own", function () {
  const bundle = new AttestorBundle(keys.map((key) => new AttestationSigner(key, domain)));
  const many = Array.from({ length: 1_203 }, (_, i) => attestation(i));

  it("gives each attestation the bundle the relayer's own thread gives, in order, across chunks and threads", async function () {
    const pool = new SigningPool({ keys, domain }, 2);
    try {
      expect(await pool.sign(many)).to.deep.equal(many.map((a) => bundle.sign(a)));
    } finally {
      await pool.close();
    }
  });

  it("signs on the caller's thread alike when told to use none", async function () {
    expect(await new InThreadSigning({ keys, domain }).sign(many.slice(0, 3))).to.deep.equal(
      many.slice(0, 3).map((a) => bundle.sign(a)),
    );
  });

  it("fails the chunk a thread cannot sign with the thread's sentence, and goes on signing", async function () {
    const pool = new SigningPool({ keys, domain }, 1);
    try {
      const refusal = await pool
        .sign([{ ...attestation(0), beneficiary: "0x1234" }])
        .catch((error: Error) => error.message);
      expect([refusal, await pool.sign([attestation(7)])]).to.deep.equal([
        'signing thread: beneficiary: "0x1234" is not 20 bytes of hex',
        [bundle.sign(attestation(7))],
      ]);
    } finally {
      await pool.close();
    }
  });

  it("refuses to sign once closed", async function () {
    const pool = new SigningPool({ keys, domain }, 1);
    await pool.close();
    expect(await pool.sign([attestation(0)]).catch((error: Error) => error.message)).to.equal(
      "the signing threads are stopped",
    );
  });

  it("refuses a number of threads that is not a positive whole number, naming it", function () {
    expect(() => new SigningPool({ keys, domain }, 0)).to.throw(
      "signingThreads: 0 is not a positive whole number",
    );
  });
});

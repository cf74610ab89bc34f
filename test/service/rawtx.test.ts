import { expect } from "chai";
import fc from "fast-check";
import { hexlify, Transaction, Wallet } from "ethers";
import { signLegacyTransaction } from "../../src/service/rawtx";

describe("the relayer's transaction signer", function () {
  it("signs the very transaction ethers signs, for any nonce, price, gas, target and calldata", async function () {
    const wallet = Wallet.createRandom();
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          chainId: fc.constantFrom(1n, 202_611n, 31_337n),
          nonce: fc.nat(1_000_000),
          gasPrice: fc.bigInt({ min: 0n, max: 10n ** 12n }),
          gasLimit: fc.bigInt({ min: 21_000n, max: 60_000_000n }),
          to: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => hexlify(b)),
          data: fc.uint8Array({ maxLength: 300 }).map((b) => hexlify(b)),
        }),
        async (tx) => {
          const ours = signLegacyTransaction(wallet.privateKey, tx);
          const theirs = await wallet.signTransaction({ ...tx, type: 0 });
          expect([ours.raw, ours.hash]).to.deep.equal([theirs, Transaction.from(theirs).hash]);
        },
      ),
      { numRuns: 200, seed: 42 },
    );
  });
});

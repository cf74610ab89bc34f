import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import fc from "fast-check";
import { computeReward } from "../../src";
import { PERIOD, POLICY, rewardsFixture, signBundle } from "./fixture";

/**
 * Random sequences of claims, batches (with repeated ids), revocations and budget raises against a small
 * budget. After every step: no id mints twice, the period never commits above its budget, what was
 * minted equals the sum of claimed rewards, and the token's supply equals the sum of balances.
 */
type Step =
  | { kind: "claim"; id: number; who: number; usage: bigint }
  | { kind: "batch"; ids: number[]; who: number; usage: bigint }
  | { kind: "revoke"; id: number }
  | { kind: "raise" };

const id = fc.integer({ min: 0, max: 7 });
const who = fc.integer({ min: 0, max: 2 });
const usage = fc.bigInt({ min: 1n, max: 20_000n });
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("claim" as const), id, who, usage }),
  fc.record({
    kind: fc.constant("batch" as const),
    ids: fc.array(id, { minLength: 1, maxLength: 4 }),
    who,
    usage,
  }),
  fc.record({ kind: fc.constant("revoke" as const), id }),
  fc.record({ kind: fc.constant("raise" as const) }),
);

describe("RewardDistributor invariants under random steps", function () {
  it("mints each id at most once, within the budget, and keeps supply equal to the sum of balances", async function () {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        const f = await loadFixture(rewardsFixture);
        const holders = [f.alice, f.bob, f.carol];
        const period = PERIOD + 1;
        let budgetZon = 3n;
        await f.distributor.connect(f.policy).publishPolicy(period, 10_000n, budgetZon); // 100 % on compute
        // The attestation of an id is fixed once made: what a billing backend signs does not change.
        const made = new Map<number, Awaited<ReturnType<typeof f.attestation>>>();
        const make = (i: number, w: number, u: bigint) => {
          if (!made.has(i))
            made.set(
              i,
              f.attestation({ id: BigInt(i), period, beneficiary: holders[w].address, usageCents: u }),
            );
          return made.get(i)!;
        };
        const sign = (a: ReturnType<typeof make>) => signBundle(f.domain, a, f.attestors.slice(0, 1));
        const claimed = new Set<number>();
        for (const s of steps) {
          try {
            if (s.kind === "claim")
              await f.distributor.claim(make(s.id, s.who, s.usage), await sign(make(s.id, s.who, s.usage)));
            if (s.kind === "batch") {
              const items = s.ids.map((i) => make(i, s.who, s.usage));
              await f.distributor.claimBatch(items, await Promise.all(items.map(sign)));
            }
            if (s.kind === "revoke") await f.distributor.connect(f.admin).revoke(period, s.id);
            if (s.kind === "raise") await f.distributor.connect(f.policy).raiseBudget(period, ++budgetZon);
          } catch {
            // A refused step must leave everything as it was: checked by the invariants below.
          }
          let expectedMinted = 0n;
          for (const [i, a] of made) {
            const [isClaimed] = await f.distributor.attestationStatus(period, i);
            if (isClaimed) {
              claimed.add(i);
              expectedMinted += computeReward({ ...POLICY, ratesBps: [10_000] }, 0, a.usageCents);
            } else {
              expect(claimed.has(i), `id ${i} was claimed, then forgotten`).to.equal(false);
            }
          }
          const [, budget, committed] = await f.distributor.periodPolicy(period);
          const balances = await Promise.all(holders.map((h) => f.token.balanceOf(h.address)));
          const supply = await f.token.totalSupply();
          expect(committed).to.equal(expectedMinted);
          expect(committed <= budget).to.equal(true);
          expect(supply).to.equal(balances.reduce((x, y) => x + y, 0n));
          expect(supply).to.equal(expectedMinted);
        }
      }),
      { numRuns: 25, seed: 4242 },
    );
  });
});

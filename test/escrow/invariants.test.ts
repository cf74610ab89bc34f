import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import fc from "fast-check";
import { ONE_ZON } from "../helpers/fixtures";
import { DAY, fundedFixture } from "./fixture";

type Step =
  | {
      kind:
        | "deliver"
        | "release"
        | "claim"
        | "dispute"
        | "resolve"
        | "resolveByFallback"
        | "refundUndelivered"
        | "sellerRefund";
      agreement: number;
      index: number;
      share: bigint;
    }
  | {
      kind: "cancelBuyer" | "cancelSeller" | "withdrawCancelBuyer" | "withdrawCancelSeller";
      agreement: number;
    }
  | { kind: "wait"; days: number };

const milestoneStep = fc.record({
  kind: fc.constantFrom(
    "deliver" as const,
    "release" as const,
    "claim" as const,
    "dispute" as const,
    "resolve" as const,
    "resolveByFallback" as const,
    "refundUndelivered" as const,
    "sellerRefund" as const,
  ),
  agreement: fc.integer({ min: 0, max: 1 }),
  index: fc.integer({ min: 0, max: 2 }),
  share: fc.bigInt({ min: 0n, max: 300n * ONE_ZON }),
});
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: milestoneStep },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constantFrom(
        "cancelBuyer" as const,
        "cancelSeller" as const,
        "withdrawCancelBuyer" as const,
        "withdrawCancelSeller" as const,
      ),
      agreement: fc.integer({ min: 0, max: 1 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("wait" as const), days: fc.integer({ min: 1, max: 20 }) }),
  },
);

const SETTLED = new Set([4n, 5n, 6n]);

describe("B2BEscrow invariants under random steps", function () {
  it("holds exactly the unsettled milestones, settles each once, and pays out exactly each amount", async function () {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 20 }), async (steps) => {
        const f = await loadFixture(fundedFixture);
        const parties = [f.buyer, f.seller, f.treasury].map((s) => s.address);
        const start = await Promise.all(parties.map((p) => f.token.balanceOf(p)));
        const settledOnce = new Map<string, bigint>();
        for (const s of steps) {
          try {
            if (s.kind === "wait") await time.increase(BigInt(s.days) * DAY);
            else if (s.kind === "cancelBuyer") await f.escrow.connect(f.buyer).requestCancel(s.agreement);
            else if (s.kind === "cancelSeller") await f.escrow.connect(f.seller).requestCancel(s.agreement);
            else if (s.kind === "withdrawCancelBuyer")
              await f.escrow.connect(f.buyer).withdrawCancelRequest(s.agreement);
            else if (s.kind === "withdrawCancelSeller")
              await f.escrow.connect(f.seller).withdrawCancelRequest(s.agreement);
            else if ("index" in s) {
              const { agreement: a, index: i } = s;
              if (s.kind === "deliver") await f.escrow.connect(f.seller).deliver(a, i);
              if (s.kind === "release") await f.escrow.connect(f.buyer).release(a, i);
              if (s.kind === "claim") await f.escrow.connect(f.seller).claim(a, i);
              if (s.kind === "dispute") await f.escrow.connect(f.buyer).dispute(a, i);
              if (s.kind === "resolve") await f.escrow.connect(f.arbiter).resolve(a, i, s.share);
              if (s.kind === "resolveByFallback") await f.escrow.connect(f.seller).resolveByFallback(a, i);
              if (s.kind === "refundUndelivered") await f.escrow.connect(f.buyer).refundUndelivered(a, i);
              if (s.kind === "sellerRefund") await f.escrow.connect(f.seller).sellerRefund(a, i);
            }
          } catch {
            // refused steps change nothing: the invariants below are checked after every step
          }
          let unsettled = 0n;
          let settledTotal = 0n;
          for (const a of [0, 1]) {
            for (const i of [0, 1, 2]) {
              const m = await f.escrow.milestone(a, i);
              const key = `${a}/${i}`;
              if (SETTLED.has(m.status)) {
                if (settledOnce.has(key))
                  expect(m.status, `milestone ${key} settled twice`).to.equal(settledOnce.get(key));
                settledOnce.set(key, m.status);
                settledTotal += m.amount;
              } else {
                expect(settledOnce.has(key), `milestone ${key} left its final state`).to.equal(false);
                unsettled += m.amount;
              }
            }
          }
          const fees = await f.escrow.feesAccrued();
          expect([await f.token.balanceOf(f.escrowAddress), await f.escrow.lockedTotal()]).to.deep.equal([
            unsettled + fees,
            unsettled,
          ]);
          // What left the escrow went to buyer, seller and treasury, to the wei; the rest is the fees it keeps.
          const now = await Promise.all(parties.map((p) => f.token.balanceOf(p)));
          const paidOut = now.reduce((sum, b, k) => sum + b - start[k], 0n);
          expect(paidOut + fees).to.equal(settledTotal);
        }
      }),
      { numRuns: 25, seed: 66 },
    );
  });
});

import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import fc from "fast-check";
import { ZeroHash } from "ethers";
import { ONE_ZON } from "../helpers/fixtures";
import { CREDIT, gatewayFixture, HOODIE, TIMEOUT, WORKER_ID } from "./fixture";

type Step =
  | { kind: "redeem"; who: number; sku: number; quantity: number }
  | { kind: "accept" | "confirm" | "reject" | "cancel"; pick: number }
  | { kind: "wait" };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant("redeem" as const),
    who: fc.integer({ min: 0, max: 1 }),
    sku: fc.constantFrom(CREDIT, HOODIE),
    quantity: fc.integer({ min: 1, max: 2 }),
  }),
  fc.record({
    kind: fc.constantFrom("accept" as const, "confirm" as const, "reject" as const, "cancel" as const),
    pick: fc.nat(),
  }),
  fc.record({ kind: fc.constant("wait" as const) }),
);

describe("RedemptionGateway invariants under random steps", function () {
  it("holds exactly the sum of open requests (and says so in openTotal), and ends each request exactly once", async function () {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 15 }), async (steps) => {
        const f = await loadFixture(gatewayFixture);
        const buyers = [f.alice, f.bob];
        const ended = new Map<bigint, string>();
        for (const s of steps) {
          const made = await f.gateway.nextRequestId();
          const ids = Array.from({ length: Number(made) }, (_, i) => BigInt(i));
          const target =
            s.kind === "redeem" || s.kind === "wait" ? undefined : ids[s.pick % Math.max(ids.length, 1)];
          try {
            if (s.kind === "redeem")
              await f.gateway.connect(buyers[s.who]).redeem(s.sku, s.quantity, 100n * ONE_ZON, ZeroHash);
            if (s.kind === "wait") await time.increase(TIMEOUT);
            if (target !== undefined && s.kind === "accept")
              await f.gateway.connect(f.fulfiller).accept([await f.requestOf(target)], WORKER_ID);
            else if (target !== undefined) {
              const request = await f.requestOf(target);
              if (s.kind === "confirm") await f.gateway.connect(f.fulfiller).confirm(request, ZeroHash);
              if (s.kind === "reject") await f.gateway.connect(f.fulfiller).reject(request, 1);
              if (s.kind === "cancel")
                await f.gateway.connect(buyers.find((b) => b.address === request.owner)!).cancel(request);
              expect(ended.has(target), `request ${target} ended twice`).to.equal(false);
              ended.set(target, s.kind);
            }
          } catch (error) {
            if ((error as Error).message.includes("ended twice")) throw error;
          } finally {
            await checkInvariants();
          }
        }

        async function checkInvariants() {
          let open = 0n;
          const all = Array.from({ length: Number(await f.gateway.nextRequestId()) }, (_, i) => BigInt(i));
          for (const id of all) if (await f.gateway.isOpen(id)) open += (await f.requestOf(id)).amount;
          expect([await f.token.balanceOf(f.gatewayAddress), await f.gateway.openTotal()]).to.deep.equal([
            open,
            open,
          ]);
          for (const id of ended.keys()) expect(await f.gateway.isOpen(id)).to.equal(false);
        }
      }),
      { numRuns: 20, seed: 55 },
    );
  });
});

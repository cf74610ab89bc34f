import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import fc from "fast-check";
import type { Signer } from "ethers";
import { zonCoinFixture } from "../helpers/fixtures";

type Fixture = Awaited<ReturnType<typeof zonCoinFixture>>;

/** One user action or admin action; any of them may revert, and a revert must change nothing. */
type Action =
  | { kind: "transfer"; from: number; to: number; amount: bigint }
  | { kind: "mint"; to: number; amount: bigint }
  | { kind: "burn"; from: number; amount: bigint }
  | { kind: "freeze"; who: number; frozen: boolean }
  | { kind: "pause"; paused: boolean };

const HOLDERS = 3;
const amount = fc.bigInt({ min: 0n, max: 1_500n * 10n ** 18n });
const who = fc.integer({ min: 0, max: HOLDERS - 1 });
const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant("transfer" as const), from: who, to: who, amount }),
  fc.record({ kind: fc.constant("mint" as const), to: who, amount }),
  fc.record({ kind: fc.constant("burn" as const), from: who, amount }),
  fc.record({ kind: fc.constant("freeze" as const), who, frozen: fc.boolean() }),
  fc.record({ kind: fc.constant("pause" as const), paused: fc.boolean() }),
);

async function apply(f: Fixture, holders: Signer[], a: Action): Promise<void> {
  const addr = (i: number) => holders[i].getAddress();
  switch (a.kind) {
    case "transfer":
      return void (await f.token.connect(holders[a.from]).transfer(await addr(a.to), a.amount));
    case "mint":
      return void (await f.token.connect(f.minter).mint(await addr(a.to), a.amount));
    case "burn":
      return void (await f.token.connect(holders[a.from]).burn(a.amount));
    case "freeze":
      return void (await f.token.connect(f.compliance).setFrozen(await addr(a.who), a.frozen));
    case "pause":
      return void (await (a.paused
        ? f.token.connect(f.pauser).pause()
        : f.token.connect(f.pauser).unpause()));
  }
}

describe("ZonCoin invariants under random action sequences", function () {
  it("keeps totalSupply equal to the sum of balances and minting within the minter allowance", async function () {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 25 }), async (actions) => {
        const f = await loadFixture(zonCoinFixture);
        const holders = [f.alice, f.bob, f.carol];
        const startAllowance = await f.token.minterAllowance(f.minter.address);
        const startSupply = await f.token.totalSupply();
        let burned = 0n;
        for (const a of actions) {
          const before = await f.token.totalSupply();
          try {
            await apply(f, holders, a);
          } catch {
            expect(await f.token.totalSupply()).to.equal(before);
            continue;
          }
          if (a.kind === "burn") burned += a.amount;
        }
        const balances = await Promise.all(holders.map(async (h) => f.token.balanceOf(await h.getAddress())));
        const supply = await f.token.totalSupply();
        const minted = startAllowance - (await f.token.minterAllowance(f.minter.address));
        expect(supply).to.equal(balances.reduce((x, y) => x + y, 0n));
        expect(supply).to.equal(startSupply + minted - burned);
      }),
      { numRuns: 40, seed: 20261124 },
    );
  });
});

import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { encodeBytes32String } from "ethers";
import fc from "fast-check";
import { ethers } from "hardhat";
import { ROLES } from "../../src";
import { ONE_ZON, zonCoinFixture } from "../helpers/fixtures";

/*
 * Any sequence of recoveries and forced transfers, mixed with the freezes, allowlist changes and pauses
 * that decide whether they may run: the model predicts which succeed, and after every step the supply is
 * unchanged and equal to the sum of balances, and no account but the two parties changed in any way.
 */

const HOLDERS = 5;
const who = fc.integer({ min: 0, max: HOLDERS - 1 });

type Step =
  | { kind: "recover"; lost: number; replacement: number }
  | { kind: "force"; from: number; to: number; amount: bigint }
  | { kind: "freeze"; who: number; frozen: boolean }
  | { kind: "allowlist"; who: number; allowed: boolean }
  | { kind: "allowlistMode"; enabled: boolean }
  | { kind: "pause"; paused: boolean };

const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant("recover" as const), lost: who, replacement: who }), weight: 3 },
  {
    arbitrary: fc.record({
      kind: fc.constant("force" as const),
      from: who,
      to: who,
      amount: fc.bigInt({ min: 0n, max: 1_200n * ONE_ZON }),
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ kind: fc.constant("freeze" as const), who, frozen: fc.boolean() }), weight: 2 },
  {
    arbitrary: fc.record({ kind: fc.constant("allowlist" as const), who, allowed: fc.boolean() }),
    weight: 1,
  },
  { arbitrary: fc.record({ kind: fc.constant("allowlistMode" as const), enabled: fc.boolean() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("pause" as const), paused: fc.boolean() }), weight: 1 },
);

interface Holder {
  balance: bigint;
  frozen: boolean;
  allowlisted: boolean;
}

async function fixture() {
  const f = await zonCoinFixture();
  const signers = await ethers.getSigners();
  const [recoveryOfficer, forcedOfficer] = [signers[9], signers[10]];
  await f.token.connect(f.admin).grantRole(ROLES.RECOVERY, recoveryOfficer.address);
  await f.token.connect(f.admin).grantRole(ROLES.FORCED_TRANSFER, forcedOfficer.address);
  // alice and bob hold 1,000 ZON each; carol, signers[11] and signers[12] start empty.
  const holders = [f.alice, f.bob, f.carol, signers[11], signers[12]].map((s) => s.address);
  return { ...f, recoveryOfficer, forcedOfficer, holders };
}

describe("ZonCoin recoveries and forced transfers under random sequences", function () {
  it("keep supply = Σ balances and never touch a third party", async function () {
    let caseNumber = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 15 }), async (steps) => {
        const f = await loadFixture(fixture);
        const { token, holders } = f;
        const read = async (): Promise<Holder[]> =>
          Promise.all(
            holders.map(async (h) => ({
              balance: await token.balanceOf(h),
              frozen: await token.isFrozen(h),
              allowlisted: await token.isAllowlisted(h),
            })),
          );
        const supply = await token.totalSupply();
        let model = await read();
        let paused = false;
        let allowlistMode = false;

        for (const s of steps) {
          const expected = model.map((h) => ({ ...h }));
          let parties: number[] = [];
          let succeeds: boolean;
          let send: () => Promise<unknown>;
          const caseId = encodeBytes32String(`CASE-${++caseNumber}`);
          switch (s.kind) {
            case "recover": {
              const [l, r] = [expected[s.lost], expected[s.replacement]];
              parties = [s.lost, s.replacement];
              succeeds =
                !paused &&
                s.lost !== s.replacement &&
                !r.frozen &&
                (!allowlistMode || l.allowlisted || r.allowlisted);
              if (succeeds) {
                r.balance += l.balance;
                l.balance = 0n;
                l.frozen = true;
                r.allowlisted ||= l.allowlisted;
                l.allowlisted = false;
              }
              send = () =>
                token
                  .connect(f.recoveryOfficer)
                  .recoverWallet(holders[s.lost], holders[s.replacement], caseId);
              break;
            }
            case "force": {
              const [from, to] = [expected[s.from], expected[s.to]];
              parties = [s.from, s.to];
              succeeds =
                !paused &&
                s.from !== s.to &&
                s.amount > 0n &&
                s.amount <= from.balance &&
                (!allowlistMode || to.allowlisted);
              if (succeeds) {
                from.balance -= s.amount;
                to.balance += s.amount;
              }
              send = () =>
                token
                  .connect(f.forcedOfficer)
                  .forceTransfer(holders[s.from], holders[s.to], s.amount, caseId);
              break;
            }
            case "freeze":
              parties = [s.who];
              succeeds = expected[s.who].frozen !== s.frozen;
              if (succeeds) expected[s.who].frozen = s.frozen;
              send = () => token.connect(f.compliance).setFrozen(holders[s.who], s.frozen);
              break;
            case "allowlist":
              parties = [s.who];
              succeeds = expected[s.who].allowlisted !== s.allowed;
              if (succeeds) expected[s.who].allowlisted = s.allowed;
              send = () => token.connect(f.compliance).setAllowlisted(holders[s.who], s.allowed);
              break;
            case "allowlistMode":
              succeeds = allowlistMode !== s.enabled;
              send = () => token.connect(f.admin).setAllowlistMode(s.enabled);
              break;
            case "pause":
              succeeds = paused !== s.paused;
              send = () => (s.paused ? token.connect(f.pauser).pause() : token.connect(f.pauser).unpause());
              break;
          }

          let succeeded = true;
          try {
            await send();
          } catch {
            succeeded = false;
          }
          expect(
            succeeded,
            `${JSON.stringify(s, (_, v) => (typeof v === "bigint" ? `${v}` : v))} succeeds`,
          ).to.equal(succeeds);
          if (succeeded && s.kind === "pause") paused = s.paused;
          if (succeeded && s.kind === "allowlistMode") allowlistMode = s.enabled;

          const actual = await read();
          // The parties moved as the model says; everyone else, not at all (a failed step: nobody).
          for (let i = 0; i < HOLDERS; i++)
            expect(
              actual[i],
              `holder ${i}${parties.includes(i) ? " (a party)" : " (a third party)"}`,
            ).to.deep.equal(succeeded ? expected[i] : model[i]);
          model = actual;
          expect(await token.totalSupply()).to.equal(supply);
          expect(actual.reduce((sum, h) => sum + h.balance, 0n)).to.equal(supply);
        }
      }),
      { numRuns: 40, seed: 20261125 },
    );
  });
});

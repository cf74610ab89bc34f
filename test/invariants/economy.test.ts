import { expect } from "chai";
import { outcomes, runEconomy } from "./economy";
import { ECONOMY_REGRESSIONS } from "./regressions";

/*
 * `npm test` runs a short seeded budget of the model-based test; `npm run fuzz -- --runs N --seed S` runs
 * long campaigns through the same test (the environment carries the budget).
 */
describe("the whole economy under random use (model-based)", function () {
  this.timeout(0);

  it("agrees with the model after every step of random sequences, and every invariant holds", async function () {
    await runEconomy({
      numRuns: Number(process.env.ZON_FUZZ_RUNS ?? 40),
      seed: Number(process.env.ZON_FUZZ_SEED ?? 20_261_125),
      path: process.env.ZON_FUZZ_PATH || undefined,
      replayPath: process.env.ZON_FUZZ_REPLAY_PATH || undefined,
    });
    if (process.env.ZON_FUZZ_STATS)
      console.table(
        [...outcomes].sort(([a], [b]) => a.localeCompare(b)).map(([step, count]) => ({ step, count })),
      );
  });
});

describe("sequences of the model-based test kept as regressions", function () {
  this.timeout(0);

  for (const regression of ECONOMY_REGRESSIONS) {
    it(`still runs as kept and agrees with the model: ${regression.why}`, async function () {
      const { lastSteps } = await runEconomy({ numRuns: 1, ...regression });
      expect(lastSteps).to.equal(regression.steps);
    });
  }
});

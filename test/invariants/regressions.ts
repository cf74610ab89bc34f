import type { EconomyRegression } from "./economy";

/*
 * Sequences of the model-based test kept for good: each replays exactly (fast-check's seed and path, and
 * the commands' replay path for a shrunk one) and must still run the very steps written here, so that a
 * change to the steps cannot quietly turn a kept sequence into another. A failure of `npm run fuzz` (or
 * of `npm test`) prints its entry ready to paste here; fill in `why`. The first entry is no failure: a
 * varied sequence, pinned so that the replay itself is proven.
 */
export const ECONOMY_REGRESSIONS: EconomyRegression[] = [
  {
    why: "recoveries and forced transfers among frozen wallets and pauses, enforcement refused against custodians (the token, the distributor), fee withdrawals, beside escrow, epochs and redemptions",
    seed: 20261201,
    path: "3",
    steps:
      "enforce(force to token, initech, 193 ZON),revoke(attestation #31),revoke(attestation #42),transferFrom(acme moves 181 ZON of initech to initech),createAgreement(initech buys from acme: 354 + 230 + 148 ZON),recoverWallet(globex \u2192 acme),withdrawFees(),freeze(globex),transfer(initech \u2192 initech, 6 ZON),redeem(initech, 3 credits),publishEpoch(initech 160185),permit(globex lets globex spend 314 ZON),enforce(recover from distributor, initech, 389 ZON),recoverWallet(initech \u2192 globex),recoverWallet(acme \u2192 acme),claim(fresh, globex, 779538 cents),forceTransfer(globex \u2192 globex, 148 ZON),freeze(acme),redeem(initech, 1 credits),wait(192 h),approve(initech lets globex spend 376 ZON),recoverWallet(initech \u2192 initech),claim(fresh, globex, 267447 cents),redeem(acme, 2 credits),transferFrom(globex moves 333 ZON of acme to initech),createAgreement(globex buys from acme: 22 + 305 + 49 ZON),unpause(distributor),claim(fresh, initech, 1617398 cents),createAgreement(globex buys from initech: 229 ZON),unfreeze(acme),wait(360 h),redeem(initech, 3 credits),wait(24 h),forceTransfer(globex \u2192 initech, 1 ZON),reject(request 15),claimBatch(replay acme 906421; fresh acme 1389879; fresh globex 958998; replay initech 777111)",
  },
];

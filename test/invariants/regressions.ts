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
    why: "recoveries and forced transfers among frozen wallets and pauses, beside escrow, epochs and redemptions",
    seed: 20261201,
    path: "3",
    steps:
      "freeze(globex),unpause(token),createAgreement(initech buys from globex: 155 ZON),createAgreement(acme buys from globex: 183 + 90 ZON),permit(globex lets acme spend 362 ZON),claim(fresh, globex, 1422238 cents),claim(fresh, acme, 828524 cents),unfreeze(initech),unpause(gateway),publishEpoch(acme 214218; initech 336355; initech 368546),releaseEpoch(epoch 5),createAgreement(acme buys from initech: 159 ZON),approve(acme lets initech spend 371 ZON),unpause(token),redeem(acme, 2 credits),claim(fresh, acme, 1710666 cents),forceTransfer(globex \u2192 globex, 270 ZON),releaseEpoch(epoch 4),transferFrom(acme moves 299 ZON of acme to globex),unpause(token),approve(globex lets acme spend 274 ZON),transferFrom(initech moves 305 ZON of globex to acme),accept(request 0),approve(acme lets initech spend 306 ZON),claim(expired, globex, 1013844 cents),redeem(globex, 2 credits),createAgreement(globex buys from initech: 229 ZON),escrow next(agreement 2, milestone 2, pick 9341),unpause(token),approve(acme lets initech spend 165 ZON),claimEpoch(epoch 2, leaf 6),escrow next(agreement 7, milestone 1, pick 8137),accept(request 15),forceTransfer(globex \u2192 initech, 1 ZON),recoverWallet(initech \u2192 acme),cancel(request 11),accept(request 9),forceTransfer(acme \u2192 globex, 145 ZON),escrow next(agreement 3, milestone 0, pick 6238),createAgreement(globex buys from initech: 346 + 378 ZON),recoverWallet(initech \u2192 globex),approve(initech lets acme spend 281 ZON),escrow resolveByFallback(agreement 7, milestone 2),publishEpoch(initech 28218),publishEpoch(initech 250216; initech 1598; globex 315920; acme 140755),claim(fresh, initech, 926620 cents),reject(request 8)",
  },
];

import { readFile } from "node:fs/promises";
import { signerFor, suiteAddress, zonTask } from "./context";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { keccak256, parseUnits, ZeroAddress } from "ethers";
import { formatZon } from "../src/amounts";
import { createAgreement, parseAddress, readAgreement } from "../src";

const ESCROW = "B2BEscrow address (default: deployments/<network>.json)";

/**
 * The escrow (`--escrow`, or the network's deployment record), connected to the account `--from` names
 * (the business or arbiter running the task), as every task takes it.
 */
async function escrowAs(
  hre: HardhatRuntimeEnvironment,
  address: string | undefined,
  from: string | undefined,
) {
  const escrowAddress = await suiteAddress(hre, "B2BEscrow", "escrow", address);
  const signer = await signerFor(hre, from);
  return { escrow: await hre.ethers.getContractAt("B2BEscrow", escrowAddress, signer), signer };
}

function whole(field: string, value: string): bigint {
  if (!/^[0-9]+$/.test(value)) throw new Error(`${field}: ${JSON.stringify(value)} is not a whole number`);
  return BigInt(value);
}

function zonAmounts(value: string): bigint[] {
  return value.split(",").map((part, i) => {
    if (!/^[0-9]+(\.[0-9]{1,18})?$/.test(part.trim()))
      throw new Error(`milestones[${i}]: ${JSON.stringify(part)} is not an amount of ZON`);
    return parseUnits(part.trim(), 18);
  });
}

const DAY = 86_400n;

zonTask("escrow:create", "Creates and funds an agreement as the buyer (with a permit unless --approved)")
  .addOptionalParam("escrow", ESCROW)
  .addParam("seller", "seller address")
  .addOptionalParam("arbiter", "arbiter address (omit: no disputes)")
  .addParam("milestones", "milestone amounts in ZON, e.g. 100,200,300")
  .addParam("terms", "file of the off-chain terms (its keccak256 is recorded)")
  .addParam("deliveryDays", "days until the delivery deadline", "30")
  .addParam("reviewDays", "days the buyer has to review a delivery", "7")
  .addParam("acceptDays", "days the seller has to accept; unaccepted, the buyer may take all back", "7")
  .addParam("arbitrationDays", "days the arbiter has to split a disputed milestone", "14")
  .addParam("fallbackBuyerBps", "buyer's share (bps) of a dispute the arbiter leaves undecided", "5000")
  .addFlag("approved", "the buyer already approved the escrow: no permit")
  .addOptionalParam("from", "account that acts: index, address, or name (default: account 0)")
  .setAction(
    async (
      args: {
        escrow?: string;
        seller: string;
        arbiter?: string;
        milestones: string;
        terms: string;
        deliveryDays: string;
        reviewDays: string;
        acceptDays: string;
        arbitrationDays: string;
        fallbackBuyerBps: string;
        approved: boolean;
        from?: string;
      },
      hre,
    ) => {
      const { escrow, signer } = await escrowAs(hre, args.escrow, args.from);
      const token = await hre.ethers.getContractAt("ZonCoin", await escrow.token());
      const amounts = zonAmounts(args.milestones);
      const now = BigInt((await hre.ethers.provider.getBlock("latest"))!.timestamp);
      const terms = {
        seller: parseAddress("seller", args.seller),
        arbiter: args.arbiter === undefined ? ZeroAddress : parseAddress("arbiter", args.arbiter),
        termsHash: keccak256(await readFile(args.terms)),
        deliveryDeadline: now + whole("delivery-days", args.deliveryDays) * DAY,
        reviewWindow: whole("review-days", args.reviewDays) * DAY,
        acceptDeadline: now + whole("accept-days", args.acceptDays) * DAY,
        arbitrationWindow: whole("arbitration-days", args.arbitrationDays) * DAY,
        fallbackBuyerBps: whole("fallback-buyer-bps", args.fallbackBuyerBps),
      };
      if (terms.fallbackBuyerBps > 10_000n)
        throw new Error(`fallback-buyer-bps: ${terms.fallbackBuyerBps} is above 10000 (all to the buyer)`);
      const id = await createAgreement(
        escrow,
        token,
        signer,
        terms,
        amounts,
        args.approved ? {} : { permitDeadline: now + 3_600n },
      );
      console.log(
        `agreement ${id}: ${amounts.length} milestones, ${formatZon(amounts.reduce((a, b) => a + b, 0n))} in escrow, terms ${terms.termsHash}`,
      );
      return id;
    },
  );

const STEPS = {
  deliver: "The seller marks a milestone delivered",
  release: "The buyer releases a milestone to the seller",
  claim: "The seller claims a delivered milestone after the review window",
  dispute: "The buyer or the seller disputes a delivered milestone",
  refundUndelivered: "The buyer takes back a milestone not delivered by the deadline",
  sellerRefund: "The seller refunds an unsettled milestone",
  resolveByFallback:
    "Buyer or seller applies the fallback split to a dispute the arbiter left past its window",
} as const;

const AGREEMENT_STEPS = {
  accept: "The seller accepts an agreement: from then on it binds both parties",
  withdrawUnaccepted: "The buyer takes back every milestone of an agreement the seller has not accepted",
  withdrawCancelRequest: "The buyer or the seller withdraws its cancel request",
} as const;

for (const [step, description] of Object.entries(AGREEMENT_STEPS) as Array<
  [keyof typeof AGREEMENT_STEPS, string]
>) {
  zonTask(`escrow:${step}`, description)
    .addOptionalParam("escrow", ESCROW)
    .addParam("id", "agreement id")
    .addOptionalParam("from", "account that acts: index, address, or name (default: account 0)")
    .setAction(async (args: { escrow?: string; id: string; from?: string }, hre) => {
      const { escrow } = await escrowAs(hre, args.escrow, args.from);
      const receipt = await (await escrow[step](whole("id", args.id))).wait();
      console.log(`${step}: agreement ${args.id}, in ${receipt?.hash}`);
    });
}

zonTask("escrow:proposeArbiter", "Buyer or seller proposes a new arbiter; it takes over when both propose it")
  .addOptionalParam("escrow", ESCROW)
  .addParam("id", "agreement id")
  .addParam("arbiter", "the proposed arbiter's address")
  .addOptionalParam("from", "account that acts: index, address, or name (default: account 0)")
  .setAction(async (args: { escrow?: string; id: string; arbiter: string; from?: string }, hre) => {
    const { escrow } = await escrowAs(hre, args.escrow, args.from);
    const id = whole("id", args.id);
    const receipt = await (await escrow.proposeArbiter(id, parseAddress("arbiter", args.arbiter))).wait();
    const current = (await escrow.agreement(id)).arbiter;
    console.log(
      `arbiter ${args.arbiter} proposed for agreement ${args.id}; the arbiter is now ${current}, in ${receipt?.hash}`,
    );
  });

for (const [step, description] of Object.entries(STEPS) as Array<[keyof typeof STEPS, string]>) {
  zonTask(`escrow:${step}`, description)
    .addOptionalParam("escrow", ESCROW)
    .addParam("id", "agreement id")
    .addParam("index", "milestone index")
    .addOptionalParam("from", "account that acts: index, address, or name (default: account 0)")
    .setAction(async (args: { escrow?: string; id: string; index: string; from?: string }, hre) => {
      const { escrow } = await escrowAs(hre, args.escrow, args.from);
      const receipt = await (await escrow[step](whole("id", args.id), whole("index", args.index))).wait();
      console.log(`${step}: agreement ${args.id}, milestone ${args.index}, in ${receipt?.hash}`);
    });
}

zonTask("escrow:resolve", "The arbiter splits a disputed milestone")
  .addOptionalParam("escrow", ESCROW)
  .addParam("id", "agreement id")
  .addParam("index", "milestone index")
  .addParam("buyerShare", "ZON back to the buyer; the rest goes to the seller")
  .addOptionalParam("from", "account that acts: index, address, or name (default: account 0)")
  .setAction(
    async (args: { escrow?: string; id: string; index: string; buyerShare: string; from?: string }, hre) => {
      const { escrow } = await escrowAs(hre, args.escrow, args.from);
      if (!/^[0-9]+(\.[0-9]{1,18})?$/.test(args.buyerShare))
        throw new Error(`buyer-share: ${JSON.stringify(args.buyerShare)} is not an amount of ZON`);
      const receipt = await (
        await escrow.resolve(
          whole("id", args.id),
          whole("index", args.index),
          parseUnits(args.buyerShare, 18),
        )
      ).wait();
      console.log(
        `resolved: agreement ${args.id}, milestone ${args.index}, ${args.buyerShare} ZON to the buyer, in ${receipt?.hash}`,
      );
    },
  );

zonTask("escrow:cancel", "Asks to cancel an agreement; it cancels when buyer and seller have both asked")
  .addOptionalParam("escrow", ESCROW)
  .addParam("id", "agreement id")
  .addOptionalParam("from", "account that acts: index, address, or name (default: account 0)")
  .setAction(async (args: { escrow?: string; id: string; from?: string }, hre) => {
    const { escrow } = await escrowAs(hre, args.escrow, args.from);
    const receipt = await (await escrow.requestCancel(whole("id", args.id))).wait();
    console.log(`cancel requested for agreement ${args.id} in ${receipt?.hash}`);
  });

zonTask("escrow:show", "Shows an agreement and its milestones")
  .addOptionalParam("escrow", ESCROW)
  .addParam("id", "agreement id")
  .setAction(async (args: { escrow?: string; id: string }, hre) => {
    const { escrow } = await escrowAs(hre, args.escrow, undefined);
    const state = await readAgreement(escrow, whole("id", args.id));
    console.log(
      `agreement ${state.id}: buyer ${state.buyer}, seller ${state.seller}, arbiter ${state.arbiter === ZeroAddress ? "none" : state.arbiter}, fee ${state.feeBps} bps, ` +
        (state.accepted
          ? "accepted by the seller"
          : `not accepted yet (the seller may accept until ${new Date(Number(state.acceptDeadline) * 1000).toISOString()})`) +
        `; disputes: ${state.arbitrationWindow / DAY} days for the arbiter, then ${state.fallbackBuyerBps} bps to the buyer` +
        (state.cancelRequested.buyer || state.cancelRequested.seller
          ? `; cancel requested by ${[state.cancelRequested.buyer && "the buyer", state.cancelRequested.seller && "the seller"].filter(Boolean).join(" and ")}`
          : ""),
    );
    console.table(
      state.milestones.map((m) => ({
        milestone: m.index,
        amount: `${formatZon(m.amount)}`,
        status: m.status,
      })),
    );
    return state;
  });

zonTask("escrow:withdrawFees", "Sends the platform fees accrued in the escrow to its treasury (anyone may)")
  .addOptionalParam("escrow", ESCROW)
  .addOptionalParam("from", "account that sends it: index, address, or name (default: account 0)")
  .setAction(async (args: { escrow?: string; from?: string }, hre) => {
    const { escrow } = await escrowAs(hre, args.escrow, args.from);
    const [fees, treasury] = [await escrow.feesAccrued(), await escrow.treasury()];
    if (fees === 0n) {
      console.log("no platform fees have accrued since the last withdrawal; nothing sent");
      return 0n;
    }
    const receipt = await (await escrow.withdrawFees()).wait();
    console.log(`${formatZon(fees)} of fees sent to the treasury ${treasury} in ${receipt?.hash}`);
    return fees;
  });

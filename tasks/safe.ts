import { writeFile } from "node:fs/promises";
import { formatZon } from "../src/amounts";
import {
  deliveryRefHash,
  parseAddress,
  parseZon,
  redeemCalls,
  safeBatchFile,
  transferCalls,
  type Call,
} from "../src";
import { parseWhole, suiteAddress, zonTask } from "./context";

/*
 * safe:batch — what a business holding its ZON in a Safe multisig does instead of sending from a key: a
 * Safe Transaction Builder file of the calls, for its owners to import, sign and execute.
 */

zonTask(
  "safe:batch",
  "Writes a Safe Transaction Builder batch file for a business's Safe (redeem or transfer)",
)
  .addParam("safe", "the Safe's address (the business's wallet)")
  .addParam("action", "redeem (approve the price, then redeem) or transfer")
  .addParam("out", "batch file to write (JSON)")
  .addOptionalParam("sku", "redeem: SKU number")
  .addOptionalParam("quantity", "redeem: units", "1")
  .addOptionalParam("deliveryRef", "redeem: where to deliver (hashed)")
  .addOptionalParam("to", "transfer: recipient")
  .addOptionalParam("amount", "transfer: amount in ZON")
  .setAction(
    async (
      args: {
        safe: string;
        action: string;
        out: string;
        sku?: string;
        quantity: string;
        deliveryRef?: string;
        to?: string;
        amount?: string;
      },
      hre,
    ) => {
      const safe = parseAddress("safe", args.safe);
      const chainId = (await hre.ethers.provider.getNetwork()).chainId;
      const token = await hre.ethers.getContractAt(
        "ZonCoin",
        await suiteAddress(hre, "ZonCoin", "token", undefined),
      );
      let calls: Call[];
      let description: string;
      if (args.action === "redeem") {
        if (args.sku === undefined || args.deliveryRef === undefined)
          throw new Error("redeem: give --sku and --delivery-ref");
        const gateway = await hre.ethers.getContractAt(
          "RedemptionGateway",
          await suiteAddress(hre, "RedemptionGateway", "gateway", undefined),
        );
        const sku = parseWhole("sku", args.sku);
        const quantity = parseWhole("quantity", args.quantity);
        const { price, active } = await gateway.skuOf(sku);
        if (!active) throw new Error(`sku: SKU ${sku} is not listed or not active`);
        const total = price * quantity;
        if ((await token.balanceOf(safe)) < total)
          throw new Error(`safe: ${safe} holds less than the ${formatZon(total)} the redemption costs`);
        calls = redeemCalls(token, gateway, sku, quantity, total, deliveryRefHash(args.deliveryRef));
        description = `Redeem ${quantity} × SKU ${sku} for ${formatZon(total)} (approve exactly the price, then redeem)`;
      } else if (args.action === "transfer") {
        if (args.to === undefined || args.amount === undefined)
          throw new Error("transfer: give --to and --amount");
        const to = parseAddress("to", args.to);
        const amount = parseZon("amount", args.amount);
        calls = transferCalls(token, to, amount);
        description = `Send ${args.amount} ZON to ${to}`;
      } else {
        throw new Error(`action: ${JSON.stringify(args.action)} is not redeem or transfer`);
      }
      const batch = safeBatchFile({ chainId, safe, name: `ZonCoin: ${args.action}`, description, calls });
      await writeFile(args.out, JSON.stringify(batch, null, 2) + "\n");
      console.log(
        `${description}: ${calls.length} call(s) for Safe ${safe} written to ${args.out} (Transaction Builder → import)`,
      );
      return batch;
    },
  );

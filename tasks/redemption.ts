import { task, types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { formatUnits, id as keccakOfText, MaxUint256, parseUnits } from "ethers";
import {
  FileLedgerAdapter,
  FulfilmentWorker,
  parseAddress,
  redeemWithPermit,
  requestFromEvent,
  runWorkerLoop,
  SKU_KINDS,
  type RoundReport,
} from "../src";

async function gatewayAt(hre: HardhatRuntimeEnvironment, address: string) {
  const gateway = await hre.ethers.getContractAt("RedemptionGateway", parseAddress("gateway", address));
  if ((await hre.ethers.provider.getCode(address)) === "0x")
    throw new Error(`gateway: no contract at ${address} on ${hre.network.name}`);
  return gateway;
}

function whole(field: string, value: string): bigint {
  if (!/^[0-9]+$/.test(value)) throw new Error(`${field}: ${JSON.stringify(value)} is not a whole number`);
  return BigInt(value);
}

function zon(field: string, value: string): bigint {
  if (!/^[0-9]+(\.[0-9]{1,18})?$/.test(value))
    throw new Error(`${field}: ${JSON.stringify(value)} is not an amount of ZON`);
  return parseUnits(value, 18);
}

function skuList(field: string, value: string): bigint[] {
  return value.split(",").map((s) => whole(field, s.trim()));
}

task("catalogue:set", "Lists or changes a SKU of the redemption catalogue")
  .addParam("gateway", "RedemptionGateway address")
  .addParam("sku", "SKU number")
  .addParam("kind", `one of ${SKU_KINDS.join(", ")}`)
  .addParam("price", "price in ZON, e.g. 10 or 2.5")
  .addOptionalParam("stock", "units in stock (omit for unlimited)")
  .addOptionalParam("limit", "most units per account (omit for no limit)", "0")
  .addFlag("inactive", "list it delisted")
  .setAction(
    async (
      args: {
        gateway: string;
        sku: string;
        kind: string;
        price: string;
        stock?: string;
        limit: string;
        inactive: boolean;
      },
      hre,
    ) => {
      const gateway = await gatewayAt(hre, args.gateway);
      const kind = SKU_KINDS.indexOf(args.kind as (typeof SKU_KINDS)[number]);
      if (kind < 0)
        throw new Error(`kind: ${JSON.stringify(args.kind)} is not one of ${SKU_KINDS.join(", ")}`);
      const config = {
        kind,
        price: zon("price", args.price),
        limitedStock: args.stock !== undefined,
        stock: args.stock === undefined ? 0n : whole("stock", args.stock),
        perAccountLimit: whole("limit", args.limit),
        active: !args.inactive,
      };
      await (await gateway.setSku(whole("sku", args.sku), config)).wait();
      console.log(
        `SKU ${args.sku} (${args.kind}) at ${args.price} ZON${config.limitedStock ? `, ${config.stock} in stock` : ""}${config.active ? "" : ", inactive"}`,
      );
    },
  );

task("catalogue:list", "Lists the catalogue (from the SkuUpdated events)")
  .addParam("gateway", "RedemptionGateway address")
  .setAction(async (args: { gateway: string }, hre) => {
    const gateway = await gatewayAt(hre, args.gateway);
    const skus = new Set(
      (await gateway.queryFilter(gateway.filters.SkuUpdated())).map((log) => log.args.sku),
    );
    const rows = [];
    for (const sku of [...skus].sort((a, b) => Number(a - b))) {
      const s = await gateway.skuOf(sku);
      rows.push({
        sku: Number(sku),
        kind: SKU_KINDS[Number(s.kind)],
        price: `${formatUnits(s.price, 18)} ZON`,
        stock: s.limitedStock ? Number(s.stock) : "unlimited",
        perAccount: Number(s.perAccountLimit) || "no limit",
        active: s.active,
      });
    }
    console.table(rows);
    return rows;
  });

task("redeem:request", "Redeems a SKU from the first configured account (with a permit unless --approve)")
  .addParam("gateway", "RedemptionGateway address")
  .addParam("sku", "SKU number")
  .addParam("quantity", "units", "1")
  .addParam("maxPrice", "most to pay in ZON")
  .addParam("deliveryRef", "where to deliver (hashed), e.g. the cloud account to credit")
  .addFlag("approve", "approve the gateway first instead of signing a permit")
  .setAction(
    async (
      args: {
        gateway: string;
        sku: string;
        quantity: string;
        maxPrice: string;
        deliveryRef: string;
        approve: boolean;
      },
      hre,
    ) => {
      const gateway = await gatewayAt(hre, args.gateway);
      const [buyer] = await hre.ethers.getSigners();
      const token = await hre.ethers.getContractAt("ZonCoin", await gateway.token());
      const maxPrice = zon("max-price", args.maxPrice);
      const ref = keccakOfText(args.deliveryRef);
      const sku = Number(whole("sku", args.sku));
      const quantity = Number(whole("quantity", args.quantity));
      let tx;
      if (args.approve) {
        await (await token.connect(buyer).approve(await gateway.getAddress(), MaxUint256)).wait();
        tx = await gateway.connect(buyer).redeem(sku, quantity, maxPrice, ref);
      } else {
        const deadline = BigInt((await hre.ethers.provider.getBlock("latest"))!.timestamp) + 3_600n;
        tx = await redeemWithPermit(gateway, token, buyer, sku, quantity, maxPrice, ref, deadline);
      }
      const receipt = await tx.wait();
      const [log] = await gateway.queryFilter(
        gateway.filters.RedemptionRequested(undefined, buyer.address),
        receipt!.blockNumber,
        receipt!.blockNumber,
      );
      const { request } = requestFromEvent(log);
      console.log(
        `request ${request.id}: ${quantity} × SKU ${sku} for ${formatUnits(request.amount, 18)} ZON, cancellable after ${new Date(Number(request.cancelAfter) * 1000).toISOString()}`,
      );
      return request.id;
    },
  );

task("redeem:worker", "Runs the fulfilment worker with the file adapter (JSON-lines ledger of credit codes)")
  .addParam("gateway", "RedemptionGateway address")
  .addParam("ledger", "ledger file (JSON lines)")
  .addParam("skus", "deliverable SKUs, comma-separated (others are rejected)")
  .addParam("fromBlock", "first block to scan", 0, types.int)
  .addParam("confirmations", "blocks before acting on a request", 1, types.int)
  .addParam("batchSize", "requests per transaction", 20, types.int)
  .addParam("interval", "seconds between rounds", 5, types.int)
  .addParam("safetyMargin", "seconds of acceptance a delivery must leave", 600, types.int)
  .addFlag("once", "one round, then exit")
  .setAction(
    async (
      args: {
        gateway: string;
        ledger: string;
        skus: string;
        fromBlock: number;
        confirmations: number;
        batchSize: number;
        interval: number;
        safetyMargin: number;
        once: boolean;
      },
      hre,
    ) => {
      const gateway = await gatewayAt(hre, args.gateway);
      const [fulfiller] = await hre.ethers.getSigners();
      const log = (message: string) => console.log(`  ${message}`);
      const worker = new FulfilmentWorker({
        gateway: gateway.connect(fulfiller),
        adapter: new FileLedgerAdapter(args.ledger, new Set(skuList("skus", args.skus)), log),
        fromBlock: args.fromBlock,
        confirmations: args.confirmations,
        batchSize: args.batchSize,
        safetyMarginSeconds: args.safetyMargin,
        log,
      });
      let last: RoundReport | undefined;
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      try {
        await runWorkerLoop(worker, {
          intervalMs: args.interval * 1000,
          rounds: args.once ? 1 : undefined,
          signal: stop.signal,
          onReport: (report) => {
            last = report;
            const failed = report.failed.map((f) => `${f.id} (${f.step}: ${f.error})`);
            console.log(
              `round to block ${report.scannedTo}: accepted [${report.accepted.join(", ")}], confirmed [${report.confirmed.join(", ")}], rejected [${report.rejected.join(", ")}], deferred [${report.deferred.join(", ")}]${failed.length ? `, failed [${failed.join("; ")}]` : ""}`,
            );
          },
          onError: (error) =>
            console.log(`  round failed: ${(error as Error).message.split("\n")[0]}; next round starts over`),
        });
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
      if (args.once && last === undefined) throw new Error("the round failed; see above");
      return last;
    },
  );

task("redeem:show", "Shows a redemption request and how it ended")
  .addParam("gateway", "RedemptionGateway address")
  .addParam("id", "request id")
  .setAction(async (args: { gateway: string; id: string }, hre) => {
    const gateway = await gatewayAt(hre, args.gateway);
    const id = whole("id", args.id);
    const [log] = await gateway.queryFilter(gateway.filters.RedemptionRequested(id));
    if (!log) throw new Error(`id: no redemption request ${id}`);
    const { request } = requestFromEvent(log);
    const ends = [
      ...(await gateway.queryFilter(gateway.filters.RedemptionFulfilled(id))).map(
        (e) => `fulfilled (receipt ${e.args.receiptHash})`,
      ),
      ...(await gateway.queryFilter(gateway.filters.RedemptionRejected(id))).map(
        (e) => `rejected (reason ${e.args.reasonCode})`,
      ),
      ...(await gateway.queryFilter(gateway.filters.RedemptionCancelled(id))).map(
        () => "cancelled by its owner",
      ),
    ];
    const acceptedUntil = await gateway.acceptedUntil(id);
    const status = (await gateway.isOpen(id))
      ? acceptedUntil === 0n
        ? "open, not yet accepted by the fulfiller"
        : `open, accepted by the fulfiller until ${new Date(Number(acceptedUntil) * 1000).toISOString()}`
      : ends.join("; ");
    const shown = {
      id: id.toString(),
      owner: request.owner,
      sku: Number(request.sku),
      quantity: Number(request.quantity),
      amount: `${formatUnits(request.amount, 18)} ZON`,
      status,
    };
    console.table([shown]);
    return shown;
  });

import { types } from "hardhat/config";
import { dateOf, eventsFromBlock, signerFor, suiteAddress, zonTask, ROLE } from "./context";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { existsSync } from "node:fs";
import { parseUnits, type EventLog } from "ethers";
import { formatZon } from "../src/amounts";
import {
  deliveryRefHash,
  describeError,
  describeReasonCode,
  FileLedgerAdapter,
  FulfilmentWorker,
  persistentWorkerId,
  redeemWithPermit,
  unpaidDeliveries,
  withCurrentOwners,
  workerIdOf,
  queryInChunks,
  requestFromEvent,
  runWorkerLoop,
  SKU_KINDS,
  type RoundReport,
} from "../src";

/** The gateway: `--gateway`, or the network's deployment record. */
async function gatewayAt(hre: HardhatRuntimeEnvironment, address: string | undefined) {
  return hre.ethers.getContractAt(
    "RedemptionGateway",
    await suiteAddress(hre, "RedemptionGateway", "gateway", address),
  );
}

const GATEWAY = "RedemptionGateway address (default: deployments/<network>.json)";
const FROM = "account to send from: index, address, or name (e.g. fulfiller, a named key)";

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

zonTask("catalogue:set", "Lists or changes a SKU of the redemption catalogue")
  .addOptionalParam("gateway", GATEWAY)
  .addParam("sku", "SKU number")
  .addParam("kind", `one of ${SKU_KINDS.join(", ")}`)
  .addParam("price", "price in ZON, e.g. 10 or 2.5")
  .addOptionalParam("stock", "units in stock (omit for unlimited)")
  .addOptionalParam("limit", "most units per account (omit for no limit)", "0")
  .addFlag("inactive", "list it delisted")
  .addOptionalParam("from", FROM)
  .setAction(
    async (
      args: {
        gateway?: string;
        sku: string;
        kind: string;
        price: string;
        stock?: string;
        limit: string;
        inactive: boolean;
        from?: string;
      },
      hre,
    ) => {
      const gateway = await gatewayAt(hre, args.gateway);
      const manager = await signerFor(hre, args.from, { ...ROLE.catalogueManager, contract: gateway });
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
      await (await gateway.connect(manager).setSku(whole("sku", args.sku), config)).wait();
      console.log(
        `SKU ${args.sku} (${args.kind}) at ${args.price} ZON${config.limitedStock ? `, ${config.stock} in stock` : ""}${config.active ? "" : ", inactive"}`,
      );
    },
  );

zonTask("catalogue:list", "Lists the catalogue (from the SkuUpdated events)")
  .addOptionalParam("gateway", GATEWAY)
  .setAction(async (args: { gateway?: string }, hre) => {
    const gateway = await gatewayAt(hre, args.gateway);
    const skus = new Set(
      (
        await queryInChunks(gateway, gateway.filters.SkuUpdated(), {
          fromBlock: await eventsFromBlock(hre, await gateway.getAddress()),
        })
      ).map((log) => (log as EventLog).args.sku as bigint),
    );
    const rows = [];
    for (const sku of [...skus].sort((a, b) => Number(a - b))) {
      const s = await gateway.skuOf(sku);
      rows.push({
        sku: Number(sku),
        kind: SKU_KINDS[Number(s.kind)],
        price: `${formatZon(s.price)}`,
        stock: s.limitedStock ? Number(s.stock) : "unlimited",
        perAccount: Number(s.perAccountLimit) || "no limit",
        active: s.active,
      });
    }
    console.table(rows);
    return rows;
  });

zonTask("redeem:request", "Redeems a SKU as a business (with a permit unless --approve)")
  .addOptionalParam("gateway", GATEWAY)
  .addParam("sku", "SKU number")
  .addParam("quantity", "units", "1")
  .addParam("maxPrice", "most to pay in ZON")
  .addParam("deliveryRef", "where to deliver (hashed), e.g. the cloud account to credit")
  .addFlag("approve", "approve the gateway for this price first instead of signing a permit")
  .addOptionalParam("from", "the business's account: index, address or named key (default: account 0)")
  .setAction(
    async (
      args: {
        gateway?: string;
        sku: string;
        quantity: string;
        maxPrice: string;
        deliveryRef: string;
        approve: boolean;
        from?: string;
      },
      hre,
    ) => {
      const gateway = await gatewayAt(hre, args.gateway);
      const buyer = await signerFor(hre, args.from);
      const buyerAddress = await buyer.getAddress();
      const token = await hre.ethers.getContractAt("ZonCoin", await gateway.token());
      const maxPrice = zon("max-price", args.maxPrice);
      const ref = deliveryRefHash(args.deliveryRef);
      const sku = Number(whole("sku", args.sku));
      const quantity = Number(whole("quantity", args.quantity));
      // Checked before anything is signed or approved: the price, and that the business can pay it.
      const price = (await gateway.skuOf(sku)).price * BigInt(quantity);
      if (price > maxPrice)
        throw new Error(
          `max-price: ${args.maxPrice} ZON is below the price of ${quantity} × SKU ${sku}, ${formatZon(price)}`,
        );
      const balance = await token.balanceOf(buyerAddress);
      if (balance < price)
        throw new Error(
          `from: ${buyerAddress} holds ${formatZon(balance)}, the redemption costs ${formatZon(price)}`,
        );
      let tx;
      if (args.approve) {
        // The price only, never an unlimited allowance.
        await (await token.connect(buyer).approve(await gateway.getAddress(), price)).wait();
        tx = await gateway.connect(buyer).redeem(sku, quantity, price, ref);
      } else {
        const deadline = BigInt((await hre.ethers.provider.getBlock("latest"))!.timestamp) + 3_600n;
        tx = await redeemWithPermit(gateway, token, buyer, sku, quantity, maxPrice, ref, deadline);
      }
      const receipt = await tx.wait();
      const [log] = await gateway.queryFilter(
        gateway.filters.RedemptionRequested(undefined, buyerAddress),
        receipt!.blockNumber,
        receipt!.blockNumber,
      );
      const { request } = requestFromEvent(log);
      console.log(
        `request ${request.id}: ${quantity} × SKU ${sku} for ${formatZon(request.amount)}, cancellable after ${new Date(Number(request.cancelAfter) * 1000).toISOString()}`,
      );
      return request.id;
    },
  );

zonTask(
  "redeem:worker",
  "Runs the fulfilment worker with the file adapter (JSON-lines ledger of credit codes)",
)
  .addOptionalParam("gateway", GATEWAY)
  .addParam("ledger", "ledger file (JSON lines)")
  .addParam("skus", "deliverable SKUs, comma-separated (others are rejected)")
  .addOptionalParam(
    "fromBlock",
    "first block to scan (default: the deployment's block)",
    undefined,
    types.int,
  )
  .addParam("confirmations", "blocks before acting on a request", 1, types.int)
  .addParam("batchSize", "requests per transaction", 20, types.int)
  .addParam("interval", "seconds between rounds", 5, types.int)
  .addParam("safetyMargin", "seconds of acceptance a delivery must leave", 600, types.int)
  .addParam("maxLogsRange", "most blocks per log query (Besu's --rpc-max-logs-range)", 5_000, types.int)
  .addOptionalParam(
    "workerId",
    "this worker's id (at most 31 bytes of text); it delivers only what it accepted (default: made once and kept in <ledger>.worker-id)",
  )
  .addOptionalParam("from", FROM)
  .addFlag("once", "one round, then exit")
  .setAction(
    async (
      args: {
        gateway?: string;
        ledger: string;
        skus: string;
        fromBlock?: number;
        confirmations: number;
        batchSize: number;
        interval: number;
        safetyMargin: number;
        maxLogsRange: number;
        workerId?: string;
        once: boolean;
        from?: string;
      },
      hre,
    ) => {
      const gateway = await gatewayAt(hre, args.gateway);
      const fulfiller = await signerFor(hre, args.from, { ...ROLE.fulfiller, contract: gateway });
      const log = (message: string) => console.log(`  ${message}`);
      const worker = new FulfilmentWorker({
        gateway: gateway.connect(fulfiller),
        adapter: new FileLedgerAdapter(args.ledger, new Set(skuList("skus", args.skus)), log),
        fromBlock: args.fromBlock ?? (await eventsFromBlock(hre, await gateway.getAddress())),
        confirmations: args.confirmations,
        batchSize: args.batchSize,
        safetyMarginSeconds: args.safetyMargin,
        blockRange: args.maxLogsRange,
        workerId:
          args.workerId !== undefined
            ? workerIdOf(args.workerId)
            : persistentWorkerId(`${args.ledger}.worker-id`),
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
              `round to block ${report.scannedTo}: accepted [${report.accepted.join(", ")}], confirmed [${report.confirmed.join(", ")}], rejected [${report.rejected.join(", ")}], deferred [${report.deferred.join(", ")}]${report.others.length ? `, left to other workers [${report.others.join(", ")}]` : ""}${failed.length ? `, failed [${failed.join("; ")}]` : ""}`,
            );
            for (const u of report.unpaid)
              console.log(
                `  UNPAID: request ${u.request.id} was delivered (${u.delivery}) and ${u.closedBy === "RedemptionCancelled" ? "cancelled by its owner" : "rejected"} in ${u.transactionHash}; see redeem:unpaid`,
              );
          },
          onError: (error) => console.log(`  round failed: ${describeError(error)}; next round starts over`),
        });
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
      if (args.once && last === undefined) throw new Error("the round failed; see above");
      return last;
    },
  );

zonTask("redeem:show", "Shows a redemption request: where it stands, how it ended, and its delivery")
  .addOptionalParam("gateway", GATEWAY)
  .addParam("id", "request id")
  .addOptionalParam("ledger", "the fulfilment ledger (JSON lines), to show the delivered code")
  .setAction(async (args: { gateway?: string; id: string; ledger?: string }, hre) => {
    const gateway = await gatewayAt(hre, args.gateway);
    const id = whole("id", args.id);
    const range = { fromBlock: await eventsFromBlock(hre, await gateway.getAddress()) };
    const [log] = await queryInChunks(gateway, gateway.filters.RedemptionRequested(id), range);
    if (!log) throw new Error(`id: no redemption request ${id}`);
    const [request] = await withCurrentOwners(gateway, [requestFromEvent(log).request], range);
    const ends = [
      ...(await queryInChunks(gateway, gateway.filters.RedemptionFulfilled(id), range)).map(
        (e) => `fulfilled (receipt ${(e as EventLog).args.receiptHash})`,
      ),
      ...(await queryInChunks(gateway, gateway.filters.RedemptionRejected(id), range)).map((e) => {
        const code = Number((e as EventLog).args.reasonCode);
        return `rejected, reason ${code}: ${describeReasonCode(code)}`;
      }),
      ...(await queryInChunks(gateway, gateway.filters.RedemptionCancelled(id), range)).map(
        () => "cancelled by its owner",
      ),
    ];
    const acceptedUntil = await gateway.acceptedUntil(id);
    const status = (await gateway.isOpen(id))
      ? acceptedUntil === 0n
        ? `open, not yet accepted by the fulfiller (the owner may cancel after ${dateOf(request.cancelAfter)})`
        : `open, accepted by the fulfiller until ${dateOf(acceptedUntil)}`
      : ends.join("; ");
    const shown: Record<string, string | number> = {
      id: id.toString(),
      owner: request.owner,
      sku: Number(request.sku),
      quantity: Number(request.quantity),
      amount: `${formatZon(request.amount)}`,
      status,
    };
    if (args.ledger !== undefined) {
      if (!existsSync(args.ledger)) throw new Error(`ledger: no file at ${args.ledger}`);
      const key = `${(await hre.ethers.provider.getNetwork()).chainId}:${(await gateway.getAddress()).toLowerCase()}:${id}`;
      const entry = new FileLedgerAdapter(args.ledger, new Set())
        .ledger()
        .find((e) => e.redemptionKey === key);
      shown.delivery = entry ? `code ${entry.code}` : "none in this ledger";
    }
    console.table([shown]);
    return shown;
  });

zonTask(
  "redeem:cancel",
  "The owner takes back the ZON of a request left open past its timeout (and acceptance)",
)
  .addOptionalParam("gateway", GATEWAY)
  .addParam("id", "request id")
  .addOptionalParam("from", "the owner's account: index, address or named key (default: account 0)")
  .setAction(async (args: { gateway?: string; id: string; from?: string }, hre) => {
    const gateway = await gatewayAt(hre, args.gateway);
    const id = whole("id", args.id);
    const range = { fromBlock: await eventsFromBlock(hre, await gateway.getAddress()) };
    const [log] = await queryInChunks(gateway, gateway.filters.RedemptionRequested(id), range);
    if (!log) throw new Error(`id: no redemption request ${id}`);
    const [request] = await withCurrentOwners(gateway, [requestFromEvent(log).request], range);
    const owner = await signerFor(hre, args.from);
    if ((await owner.getAddress()) !== request.owner)
      throw new Error(
        `from: ${await owner.getAddress()} is not the owner of request ${id}; the owner is ${request.owner}`,
      );
    const receipt = await (await gateway.connect(owner).cancel(request)).wait();
    console.log(
      `request ${id} cancelled: ${formatZon(request.amount)} back to ${request.owner}, in ${receipt?.hash}`,
    );
  });

zonTask(
  "redeem:unpaid",
  "Lists the deliveries of a fulfilment ledger whose requests ended without their burn (cancelled or rejected after delivery): what to claw back",
)
  .addOptionalParam("gateway", GATEWAY)
  .addParam("ledger", "the fulfilment ledger (JSON lines)")
  .setAction(async (args: { gateway?: string; ledger: string }, hre) => {
    if (!existsSync(args.ledger)) throw new Error(`ledger: no file at ${args.ledger}`);
    const gateway = await gatewayAt(hre, args.gateway);
    const unpaid = await unpaidDeliveries(gateway, new FileLedgerAdapter(args.ledger, new Set()).ledger(), {
      fromBlock: await eventsFromBlock(hre, await gateway.getAddress()),
    });
    if (unpaid.length === 0)
      console.log(`every delivery of ${args.ledger} whose request ended was paid (burned)`);
    else
      console.table(
        unpaid.map((u) => ({
          request: u.id.toString(),
          owner: u.entry.owner,
          code: u.entry.code,
          ended: u.closedBy,
          transaction: u.transactionHash,
        })),
      );
    return unpaid;
  });

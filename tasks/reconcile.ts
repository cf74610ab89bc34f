import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { types } from "hardhat/config";
import { describeReconciliation, parseBillingPeriod, reconcile } from "../src";
import { deploymentOf, focusReading, zonTask } from "./context";
import { DEFAULT_MAX_LOGS_RANGE } from "../src/events";
import { RECONCILE_DIR } from "./web";

/** A comma-separated list of files ("" or none: no file). */
function fileList(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((file) => file.trim())
    .filter((file) => file !== "");
}

zonTask(
  "zon:reconcile",
  "The issuer's books for a period: every usage row to its fate on chain, every redemption to its delivery, the supply by minter; exit 1 on any exception",
)
  .addParam("period", "billing period, e.g. 202611")
  .addOptionalParam(
    "exports",
    "usage exports of the period, comma-separated (the project's CSV or JSON lines, FOCUS)",
  )
  .addOptionalParam("wallets", "for FOCUS exports: the account registry (account,wallet,number)")
  .addOptionalParam("mapping", "for FOCUS exports: the mapping file")
  .addOptionalParam("ledgers", "fulfilment ledgers (JSON lines), comma-separated")
  .addOptionalParam(
    "out",
    "directory for the CSV files and summary.json (default: reconcile/<network>-<period>)",
  )
  .addFlag(
    "publish",
    "also write the summary where the portal's issuer view reads it (web/reconcile/latest.json)",
  )
  .addOptionalParam("publishDir", "where --publish writes latest.json", RECONCILE_DIR)
  .addOptionalParam(
    "maxLogsRange",
    "most blocks per log query (Besu's --rpc-max-logs-range)",
    DEFAULT_MAX_LOGS_RANGE,
    types.int,
  )
  .setAction(
    async (
      args: {
        period: string;
        exports?: string;
        wallets?: string;
        mapping?: string;
        ledgers?: string;
        out?: string;
        publish: boolean;
        publishDir: string;
        maxLogsRange: number;
      },
      hre,
    ) => {
      const period = parseBillingPeriod("period", args.period);
      const exports = fileList(args.exports);
      const focus = args.wallets === undefined ? {} : await focusReading(hre, args.wallets, args.mapping);
      const deployment = await deploymentOf(hre);
      const outDir = args.out ?? path.join("reconcile", `${hre.network.name}-${period}`);
      const started = Date.now();
      const summary = await reconcile({
        provider: hre.ethers.provider as unknown as import("ethers").JsonRpcProvider,
        deployment,
        period,
        exports,
        readOptions: {
          ...focus,
          onNotice: (message) => console.warn(`notice: ${message}`),
        },
        ledgers: fileList(args.ledgers),
        outDir,
        maxLogsRange: args.maxLogsRange,
      });
      for (const line of describeReconciliation(summary)) console.log(line);
      if (args.publish) {
        await mkdir(args.publishDir, { recursive: true });
        await writeFile(path.join(args.publishDir, "latest.json"), JSON.stringify(summary, null, 2) + "\n");
        console.log(`published for the portal's issuer view: ${path.join(args.publishDir, "latest.json")}`);
      }
      console.log(`written to ${outDir} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      if (summary.exceptions.length > 0)
        throw new Error(`${summary.exceptions.length} exception(s) in period ${period}; see ${outDir}`);
      return summary;
    },
  );

import { spawnSync } from "node:child_process";
import { createReadStream, existsSync } from "node:fs";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { types } from "hardhat/config";
import type { HttpNetworkConfig } from "hardhat/types";
import {
  addToCashbackFiles,
  cashbackFileName,
  decodeBundle,
  decodeCashbackFile,
  DEFAULT_MAX_LOGS_RANGE,
  encodeCashbackFile,
  readDeployment,
  readEpochFile,
  readProofLines,
  type CashbackFile,
} from "../src";
import { readJsonFile, zonTask } from "./context";

/*
 * web — builds the business portal (web/) against this network's deployment and serves it; the build
 * (web/dist) is plain static files an issuer can host anywhere. web:cashback publishes, next to it, each
 * business's cashback file from a signed bundle or a built epoch.
 */

const WEB = path.join(__dirname, "..", "web");
const DIST = path.join(WEB, "dist");
/** Where web:cashback writes by default; `web` copies it into the build and serves it live. */
export const CASHBACK_DIR = path.join(WEB, "cashback");

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
};

/** Where zon:reconcile --publish writes the latest summary for the portal's issuer view. */
export const RECONCILE_DIR = path.join(WEB, "reconcile");

/**
 * Serves `dist`, with `/cashback/*` read live from `cashbackDir` and `/reconcile/*` from the `reconcile`
 * folder beside it (files published after the build).
 */
export function servePortal(dist: string, cashbackDir: string, port: number): Promise<http.Server> {
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    const relative = decodeURIComponent(url.pathname).replace(/^\/+/, "") || "index.html";
    const published = relative.startsWith("cashback/") || relative.startsWith("reconcile/");
    const base = published ? path.dirname(cashbackDir) : dist;
    const file = path.resolve(
      base,
      relative.startsWith("cashback/") ? path.join(path.basename(cashbackDir), relative.slice(9)) : relative,
    );
    if (!file.startsWith(path.resolve(base) + path.sep)) {
      response.writeHead(403).end();
      return;
    }
    stat(file).then(
      (s) => {
        if (!s.isFile()) throw new Error("not a file");
        response.writeHead(200, {
          "content-type": TYPES[path.extname(file)] ?? "application/octet-stream",
          "cache-control": "no-store",
        });
        createReadStream(file).pipe(response);
      },
      () => response.writeHead(404, { "content-type": "text/plain" }).end("not found"),
    );
  });
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "EADDRINUSE" ? new Error(`port: ${port} is in use; give another with --port`) : error,
      ),
    );
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

interface WebArgs {
  port: number;
  rpcUrl?: string;
  out: string;
  buildOnly: boolean;
  contact?: string;
  explorerUrl?: string;
  catalogue?: string;
}

/** The catalogue's words, checked: `{ "skus": { "<sku>": { "name": "…", "description": "…" } } }`. */
async function catalogueFile(file: string) {
  const json = await readJsonFile("catalogue", file, 'a catalogue: {"skus": {"1": {"name": "…"}}}');
  const skus = (json as { skus?: unknown }).skus;
  if (typeof skus !== "object" || skus === null || Array.isArray(skus))
    throw new Error(`catalogue: ${file} has no "skus" object`);
  for (const [sku, entry] of Object.entries(skus)) {
    if (!/^[0-9]+$/.test(sku)) throw new Error(`catalogue: SKU ${JSON.stringify(sku)} is not a number`);
    const { name, description } = (entry ?? {}) as { name?: unknown; description?: unknown };
    if (typeof name !== "string" || name.trim() === "") throw new Error(`catalogue: SKU ${sku} has no name`);
    if (description !== undefined && typeof description !== "string")
      throw new Error(`catalogue: SKU ${sku}'s description is not text`);
  }
  return { skus };
}

function explorerUrl(value: string): string {
  if (!/^https?:\/\/[^\s]+$/.test(value))
    throw new Error(`explorer-url: ${JSON.stringify(value)} is not an http(s) URL`);
  return value.replace(/\/+$/, "");
}

zonTask("web", "Builds the business portal against this network's deployment and serves it (web/dist)")
  .addOptionalParam("port", "port to serve the page on (127.0.0.1)", 5173, types.int)
  .addOptionalParam("rpcUrl", "the JSON-RPC URL browsers reach (default: the network's URL)")
  .addOptionalParam("out", "directory to build into", DIST)
  .addFlag("buildOnly", "build and stop (to host the files elsewhere)")
  .addOptionalParam("contact", "whom a business asks about a paused contract or a frozen account")
  .addOptionalParam("explorerUrl", "the network's block explorer (links are <url>/tx/<hash>)")
  .addOptionalParam(
    "catalogue",
    "JSON of each SKU's name and description the page shows (docs/examples/catalogue.json)",
  )
  .setAction(async (args: WebArgs, hre) => {
    if (hre.network.name === "hardhat")
      throw new Error(
        "network: the page needs a chain a browser can reach; use --network besuLocal (after npm run chain) or your Besu network",
      );
    const deployment = readDeployment(hre.network.name);
    const network = hre.network.config as HttpNetworkConfig;
    const rpcUrl = args.rpcUrl ?? network.url;
    const catalogue = args.catalogue === undefined ? undefined : await catalogueFile(args.catalogue);
    if (args.explorerUrl !== undefined) explorerUrl(args.explorerUrl);
    const build = spawnSync(
      path.join(__dirname, "..", "node_modules", ".bin", "vite"),
      [
        "build",
        "--config",
        path.join(WEB, "vite.config.ts"),
        "--outDir",
        path.resolve(args.out),
        "--emptyOutDir",
      ],
      {
        encoding: "utf8",
        env: { ...process.env, VITE_CONFIG_NATIVE_IGNORE_WARNING: "true" },
      },
    );
    if (build.status !== 0)
      throw new Error(`web: the build failed: ${(build.stderr || build.stdout).trim().split("\n")[0]}`);
    const config = {
      network: deployment.network,
      chainId: deployment.chainId,
      chainName: `ZonCoin (${deployment.network})`,
      rpcUrl,
      gasPrice: String(network.gasPrice === "auto" ? "auto" : network.gasPrice),
      fromBlock: deployment.fromBlock,
      maxLogsRange: DEFAULT_MAX_LOGS_RANGE,
      ...(args.contact ? { contact: args.contact } : {}),
      ...(args.explorerUrl ? { explorerUrl: explorerUrl(args.explorerUrl) } : {}),
      contracts: deployment.contracts,
    };
    await writeFile(path.join(args.out, "config.json"), JSON.stringify(config, null, 2) + "\n");
    if (catalogue !== undefined)
      await writeFile(path.join(args.out, "catalogue.json"), JSON.stringify(catalogue, null, 2) + "\n");
    if (existsSync(CASHBACK_DIR)) {
      await mkdir(path.join(args.out, "cashback"), { recursive: true });
      for (const name of await readdir(CASHBACK_DIR))
        await writeFile(path.join(args.out, "cashback", name), await readFile(path.join(CASHBACK_DIR, name)));
    }
    console.log(
      `${path.relative(process.cwd(), path.resolve(args.out)) || "."} built for ${deployment.network} (chain ${deployment.chainId}, RPC ${rpcUrl})`,
    );
    if (args.buildOnly) return;
    const server = await servePortal(args.out, CASHBACK_DIR, args.port);
    console.log(`ZonCoin portal on http://127.0.0.1:${args.port}/ (Ctrl-C stops it)`);
    await new Promise<void>((resolve) => {
      const stop = () => server.close(() => resolve());
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
  });

zonTask(
  "web:cashback",
  "Publishes each business's cashback file for the portal, from a signed bundle and/or an epoch",
)
  .addOptionalParam("bundle", "a bundle written by rewards:sign")
  .addOptionalParam("epoch", "a directory written by epoch:build")
  .addOptionalParam("out", "directory the portal serves as cashback/", CASHBACK_DIR)
  .setAction(async (args: { bundle?: string; epoch?: string; out: string }) => {
    if (args.bundle === undefined && args.epoch === undefined)
      throw new Error("web:cashback: give --bundle, --epoch or both");
    await mkdir(args.out, { recursive: true });
    // One beneficiary at a time, merged into its existing file: an epoch of a million businesses streams.
    const written = new Set<string>();
    let created = 0;
    const merge = async (beneficiary: string, add: (files: Map<string, CashbackFile>) => void) => {
      const file = path.join(args.out, cashbackFileName(beneficiary));
      const files = new Map<string, CashbackFile>();
      if (existsSync(file)) {
        const known = decodeCashbackFile(JSON.parse(await readFile(file, "utf8")));
        files.set(known.beneficiary, known);
      } else created++;
      add(files);
      await writeFile(file, JSON.stringify(encodeCashbackFile([...files.values()][0]), null, 2) + "\n");
      written.add(beneficiary);
    };
    if (args.bundle !== undefined) {
      const bundle = decodeBundle(
        await readJsonFile("bundle", args.bundle, "a bundle (what rewards:sign writes)"),
      );
      const byBeneficiary = new Map<string, typeof bundle.items>();
      for (const item of bundle.items)
        byBeneficiary.set(item.attestation.beneficiary, [
          ...(byBeneficiary.get(item.attestation.beneficiary) ?? []),
          item,
        ]);
      for (const [beneficiary, items] of byBeneficiary)
        await merge(beneficiary, (files) => addToCashbackFiles(files, bundle, items));
    }
    if (args.epoch !== undefined) {
      const file = await readEpochFile(args.epoch);
      const source = { chainId: BigInt(file.chainId), distributor: file.distributor };
      for await (const line of readProofLines(args.epoch))
        await merge(line.beneficiary, (files) =>
          addToCashbackFiles(files, source, [], { file, lines: [line] }),
        );
    }
    console.log(`${written.size} cashback file(s) written in ${args.out} (${created} new)`);
    return written.size;
  });

import { createServer, type Server } from "node:http";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { describeError } from "../errors";
import type { ReconcileSummary } from "../reconcile";
import { parseBillingPeriod } from "../rewards";

/** A structured log line writer: one JSON object per line, with time, level, loop and message. */
export type Logger = (
  level: "info" | "warn" | "error",
  message: string,
  fields?: Record<string, unknown>,
) => void;

export function jsonLogger(write: (line: string) => void = (line) => process.stdout.write(line)): Logger {
  return (level, message, fields = {}) =>
    write(
      JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields }, (_key, value) =>
        typeof value === "bigint" ? value.toString() : value,
      ) + "\n",
    );
}

/** The label values a series is shown for from the start, at zero (for rates and alerts before a first event). */
export interface MetricLabels {
  /** The loops this process runs. */
  loops: readonly string[];
  /** The distributor's skip reasons. */
  skipReasons: readonly string[];
}

/** The service's Prometheus metrics, in a registry of their own. */
export function issuerMetrics(labels: MetricLabels = { loops: [], skipReasons: [] }) {
  const registry = new Registry();
  const registers = [registry];
  const metrics = {
    registry,
    claims: new Counter({
      name: "zon_claims_total",
      help: "Attestations this relayer claimed on chain",
      registers,
    }),
    minted: new Counter({
      name: "zon_minted_zon_total",
      help: "ZON minted by this relayer's claims",
      registers,
    }),
    skips: new Counter({
      name: "zon_claim_skips_total",
      help: "Attestations the chain skipped, by reason",
      labelNames: ["reason"],
      registers,
    }),
    conflicts: new Counter({
      name: "zon_claim_conflicts_total",
      help: "Rows whose id was claimed before for another content (nothing minted for them)",
      registers,
    }),
    inboxIgnored: new Counter({
      name: "zon_inbox_ignored_total",
      help: "Inbox entries left alone (not a regular .csv, .jsonl or .json file), by why",
      labelNames: ["why"],
      registers,
    }),
    writeErrors: new Counter({
      name: "zon_write_errors_total",
      help: "Writes of results, progress, ledger or records that failed (tried again), by loop",
      labelNames: ["loop"],
      registers,
    }),
    broadcastsRefused: new Counter({
      name: "zon_broadcasts_refused_total",
      help: "Transactions a node refused to take, by reason (known, nonce, funds, price, other)",
      labelNames: ["reason"],
      registers,
    }),
    nonceGaps: new Counter({
      name: "zon_nonce_gaps_total",
      help: "Nonce gaps closed by sending the payloads in flight again from the mined nonce",
      registers,
    }),
    claimFailures: new Counter({
      name: "zon_claim_failures_total",
      help: "Attestations the chain refused on their own (left pending and retried)",
      registers,
    }),
    files: new Counter({
      name: "zon_inbox_files_total",
      help: "Usage files finished, by outcome (done: every item settled; rejected: unreadable)",
      labelNames: ["outcome"],
      registers,
    }),
    pendingItems: new Gauge({
      name: "zon_relayer_pending_items",
      help: "Attestations of inbox files not yet settled on chain",
      registers,
    }),
    batchesInFlight: new Gauge({
      name: "zon_batches_in_flight",
      help: "claimBatch transactions sent and not yet mined",
      registers,
    }),
    inboxToChain: new Histogram({
      name: "zon_inbox_to_chain_seconds",
      help: "From a usage file landing in the inbox to every item of it settled on chain",
      buckets: [0.5, 1, 2, 3, 5, 8, 13, 21, 34, 60, 120, 300],
      registers,
    }),
    redemptions: new Counter({
      name: "zon_redemptions_total",
      help: "Redemption requests handled by the fulfilment worker, by outcome",
      labelNames: ["outcome"],
      registers,
    }),
    unpaidDeliveries: new Counter({
      name: "zon_unpaid_deliveries_total",
      help: "Deliveries whose request ended without its burn (cancelled or rejected after delivery): to claw back",
      registers,
    }),
    openRedemptions: new Gauge({
      name: "zon_open_redemptions",
      help: "Redemption requests open as far as the worker knows",
      registers,
    }),
    rpcErrors: new Counter({
      name: "zon_rpc_errors_total",
      help: "JSON-RPC calls that failed (transport errors, node errors), by loop",
      labelNames: ["loop"],
      registers,
    }),
    roundErrors: new Counter({
      name: "zon_round_errors_total",
      help: "Rounds that failed as a whole, by loop (the next round starts over from the chain)",
      labelNames: ["loop"],
      registers,
    }),
    lastBlock: new Gauge({
      name: "zon_last_block_seen",
      help: "The newest block number each loop has seen",
      labelNames: ["loop"],
      registers,
    }),
    lag: new Gauge({
      name: "zon_lag_blocks",
      help: "Blocks between the chain's head and what a loop has read",
      labelNames: ["loop"],
      registers,
    }),
    roundSeconds: new Histogram({
      name: "zon_round_seconds",
      help: "Duration of a loop's round",
      labelNames: ["loop"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
  };
  for (const reason of labels.skipReasons) metrics.skips.inc({ reason }, 0);
  for (const outcome of ["done", "rejected", "changed"]) metrics.files.inc({ outcome }, 0);
  if (labels.loops.includes("relayer")) {
    for (const reason of ["known", "nonce", "funds", "price", "other"])
      metrics.broadcastsRefused.inc({ reason }, 0);
    for (const why of ["extension", "symlink", "directory", "other"]) metrics.inboxIgnored.inc({ why }, 0);
    metrics.nonceGaps.inc(0);
    metrics.conflicts.inc(0);
  }
  if (labels.loops.includes("worker")) {
    for (const outcome of ["accepted", "confirmed", "rejected", "deferred", "failed", "others"])
      metrics.redemptions.inc({ outcome }, 0);
    metrics.unpaidDeliveries.inc(0);
  }
  for (const loop of labels.loops) {
    metrics.rpcErrors.inc({ loop }, 0);
    metrics.roundErrors.inc({ loop }, 0);
    metrics.writeErrors.inc({ loop }, 0);
  }
  return metrics;
}

export type IssuerMetrics = ReturnType<typeof issuerMetrics>;

/** A loop's health: healthy while its last good round is recent and nothing else is wrong with it. */
export interface LoopHealth {
  name: string;
  lastGoodRoundAt?: number;
  /** Longest quiet time, in milliseconds, before the loop counts as stuck. */
  staleAfterMs: number;
  /** What else is wrong now, each in a sentence (no progress, a chain that stopped, a write failing). */
  problems?: () => string[];
}

/**
 * `/healthz` (200 while every loop had a good round recently and reports no problem, 503 otherwise, with a
 * JSON body saying which loop and why) and `/metrics` (Prometheus text format) on a loopback port.
 */
export async function startStatusServer(
  port: number,
  host: string,
  registry: Registry,
  loops: () => LoopHealth[],
  now: () => number = Date.now,
  reconcile?: (period: number) => Promise<ReconcileSummary>,
): Promise<Server> {
  let reconciling = false;
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://status");
    if (url.pathname === "/reconcile" && reconcile !== undefined) {
      // The issuer's books on demand (zon:reconcile's report over the inbox's settled files and the ledger).
      const json = (status: number, body: unknown) =>
        response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body) + "\n");
      let period: number;
      try {
        period = parseBillingPeriod("period", url.searchParams.get("period") ?? "");
      } catch (error) {
        json(400, { error: (error as Error).message });
        return;
      }
      if (reconciling) {
        json(429, { error: "a reconciliation is running; ask again when it has finished" });
        return;
      }
      reconciling = true;
      reconcile(period)
        .then(
          (summary) => json(200, summary),
          (error: unknown) => json(500, { error: describeError(error) }),
        )
        .finally(() => (reconciling = false));
    } else if (request.url === "/metrics") {
      registry.metrics().then(
        (text) => response.writeHead(200, { "content-type": registry.contentType }).end(text),
        (error: Error) => response.writeHead(500).end(error.message),
      );
    } else if (request.url === "/healthz") {
      const states = loops().map((loop) => {
        const age = loop.lastGoodRoundAt === undefined ? undefined : now() - loop.lastGoodRoundAt;
        const problems = [
          ...(age === undefined
            ? ["no round has succeeded yet"]
            : age > loop.staleAfterMs
              ? [`no round has succeeded for ${Math.round(age / 1000)} s`]
              : []),
          ...(loop.problems?.() ?? []),
        ];
        return {
          loop: loop.name,
          healthy: problems.length === 0,
          lastGoodRoundSecondsAgo: age === undefined ? null : age / 1000,
          ...(problems.length > 0 ? { problems } : {}),
        };
      });
      const healthy = states.every((s) => s.healthy);
      response
        .writeHead(healthy ? 200 : 503, { "content-type": "application/json" })
        .end(JSON.stringify({ status: healthy ? "ok" : "unhealthy", loops: states }) + "\n");
    } else {
      response
        .writeHead(404, { "content-type": "text/plain" })
        .end(`not found: try /healthz, /metrics${reconcile ? " or /reconcile?period=YYYYMM" : ""}\n`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

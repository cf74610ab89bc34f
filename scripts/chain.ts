import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { BESU_LOCAL } from "../src/network";

/*
 * `npm run chain`: a Besu-like chain on 127.0.0.1:8545 — anvil from the npm registry with the private
 * network's chain id, zero gas price and base fee, Cancun, and a fixed block time; `-- --port N` for another
 * port. Its state is kept in var/chain/<port>/state.json (written every few seconds and when it stops), so a
 * restart goes on where it stopped; `-- --fresh` starts over. Ctrl-C or SIGTERM stops it, anvil included.
 */
const STATE_SAVE_SECONDS = 5;
const anvil = path.join(__dirname, "..", "node_modules", ".bin", "anvil");
const args = process.argv.slice(2);
const portFlag = args.indexOf("--port");
const port = portFlag < 0 ? 8545 : Number(args[portFlag + 1]);
if (!Number.isInteger(port) || port < 1 || port > 65_535) {
  console.error(`port: ${JSON.stringify(args[portFlag + 1])} is not a TCP port`);
  process.exit(1);
}
const unknown = args.filter((arg, i) => arg !== "--fresh" && arg !== "--port" && i !== portFlag + 1);
if (unknown.length > 0) {
  console.error(`chain: ${JSON.stringify(unknown[0])} is not a flag of npm run chain (--port N, --fresh)`);
  process.exit(1);
}
// ZON_CHAIN_STATE_DIR moves the states elsewhere (tests keep theirs out of the checkout).
const stateDir = path.join(
  process.env.ZON_CHAIN_STATE_DIR ?? path.join(__dirname, "..", "var", "chain"),
  String(port),
);
const stateFile = path.join(stateDir, "state.json");
const fresh = args.includes("--fresh");
if (fresh) rmSync(stateDir, { recursive: true, force: true });
const resumed = existsSync(stateFile);
mkdirSync(stateDir, { recursive: true });
const shownState = path.relative(process.cwd(), stateFile);
console.log(
  resumed
    ? `chain: going on from ${shownState} (saved every ${STATE_SAVE_SECONDS} s and when stopped; npm run chain -- --fresh starts over)`
    : `chain: a new chain, kept in ${shownState} (saved every ${STATE_SAVE_SECONDS} s and when stopped; npm run chain -- --fresh starts over)`,
);
if (fresh || !resumed)
  console.log(
    "chain: a deployment recorded for an earlier chain (deployments/besuLocal.json) is stale: npm run deploy -- --network besuLocal",
  );
if (port !== 8545)
  console.log(`tasks reach this chain with BESU_LOCAL_URL=http://127.0.0.1:${port} --network besuLocal`);
// Anvil moves old states to disk after some thousands of blocks and leaves them there when stopped (by
// default under ~/.foundry): they go to a directory of this run's, removed when the chain stops.
const stateCache = mkdtempSync(path.join(os.tmpdir(), "zon-chain-"));
const child = spawn(
  anvil,
  [
    ...BESU_LOCAL.anvilArgs(port),
    ...["--cache-path", stateCache, "--state", stateFile, "--state-interval", String(STATE_SAVE_SECONDS)],
  ],
  { stdio: "inherit" },
);

const stop = (signal: NodeJS.Signals) => () => {
  if (child.exitCode === null) child.kill(signal);
};
process.on("SIGINT", stop("SIGINT"));
process.on("SIGTERM", stop("SIGTERM"));
process.on("SIGHUP", stop("SIGTERM"));
// npm does not pass a SIGTERM on to the script it runs: when `npm run chain` is stopped this process is
// orphaned, so it notices its parent is gone and stops anvil itself.
const parent = process.ppid;
const orphaned = setInterval(() => {
  if (process.ppid !== parent) stop("SIGTERM")();
}, 250);
child.on("exit", (code, signal) => {
  clearInterval(orphaned);
  rmSync(stateCache, { recursive: true, force: true });
  process.exitCode = signal === "SIGINT" || signal === "SIGTERM" ? 0 : (code ?? 1);
});

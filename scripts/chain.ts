import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { BESU_LOCAL } from "../src/network";

/*
 * `npm run chain`: a Besu-like chain on 127.0.0.1:8545 — anvil from the npm registry with the private
 * network's chain id, zero gas price and base fee, Cancun, and a fixed block time; `-- --port N` for another
 * port. Ctrl-C or SIGTERM stops it, anvil included.
 */
const anvil = path.join(__dirname, "..", "node_modules", ".bin", "anvil");
const portFlag = process.argv.indexOf("--port");
const port = portFlag < 0 ? 8545 : Number(process.argv[portFlag + 1]);
if (!Number.isInteger(port) || port < 1 || port > 65_535) {
  console.error(`port: ${JSON.stringify(process.argv[portFlag + 1])} is not a TCP port`);
  process.exit(1);
}
if (port !== 8545)
  console.log(`tasks reach this chain with BESU_LOCAL_URL=http://127.0.0.1:${port} --network besuLocal`);
// Anvil moves old states to disk after some thousands of blocks and leaves them there when stopped (by
// default under ~/.foundry): they go to a directory of this run's, removed when the chain stops.
const stateCache = mkdtempSync(path.join(os.tmpdir(), "zon-chain-"));
const child = spawn(anvil, [...BESU_LOCAL.anvilArgs(port), "--cache-path", stateCache], { stdio: "inherit" });

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

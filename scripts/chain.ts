import { spawn } from "node:child_process";
import path from "node:path";
import { BESU_LOCAL } from "../src/network";

/*
 * `npm run chain`: a Besu-like chain on 127.0.0.1:8545 — anvil from the npm registry with the private
 * network's chain id, zero gas price and base fee, Cancun, and a fixed block time. Ctrl-C stops it.
 */
const anvil = path.join(__dirname, "..", "node_modules", ".bin", "anvil");
const child = spawn(anvil, BESU_LOCAL.anvilArgs(), { stdio: "inherit" });

const stop = (signal: NodeJS.Signals) => () => {
  if (child.exitCode === null) child.kill(signal);
};
process.on("SIGINT", stop("SIGINT"));
process.on("SIGTERM", stop("SIGTERM"));
child.on("exit", (code, signal) => {
  process.exitCode = signal === "SIGINT" || signal === "SIGTERM" ? 0 : (code ?? 1);
});

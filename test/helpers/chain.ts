import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { JsonRpcProvider } from "ethers";
import { BESU_LOCAL } from "../../src";
import { freePort } from "./net";

export const ROOT = path.join(__dirname, "..", "..");
export const HARDHAT = path.join(ROOT, "node_modules", ".bin", "hardhat");
const ANVIL = path.join(ROOT, "node_modules", ".bin", "anvil");

/**
 * Process groups this process started and has not stopped yet: killed when it exits, however it exits
 * (a crash skips the `finally` that would stop them, and a group of its own outlives its parent).
 */
const liveGroups = new Set<number>();
/** Directories of anvil's persisted states, removed with their chain (anvil leaves them when stopped). */
const stateCaches = new Set<string>();
process.on("exit", () => {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  for (const dir of stateCaches) rmSync(dir, { recursive: true, force: true });
});

/** Kills process group `pgid` when this process exits, until the returned function is called. */
export function killOnExit(pgid: number): () => void {
  liveGroups.add(pgid);
  return () => void liveGroups.delete(pgid);
}

/** A Besu-like local chain (anvil) on a port of its own, in its own process group. */
export interface LocalChain {
  port: number;
  url: string;
  genesis: string;
  /** Stops the node (its whole process group) and waits until it has exited. */
  stop(): Promise<void>;
  /** Stops and starts it again on the same port; with a state file, the chain goes on where it was. */
  restart(): Promise<void>;
}

/**
 * Starts anvil with the private network's settings (`BESU_LOCAL.anvilArgs`) and waits for its genesis.
 * `stateFile` keeps the chain across a restart (anvil writes it when stopped and loads it when started);
 * `automine` mines each transaction at once instead of a block a second; `blockSeconds`, another block time.
 */
export async function startLocalChain(
  options: { stateFile?: string; automine?: boolean; blockSeconds?: number } = {},
): Promise<LocalChain> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // Past some thousands of blocks anvil moves old states to disk (by default under ~/.foundry, 470 MB
  // after a load bench) and does not remove them when it stops: they go to a directory of this chain's.
  const stateCache = mkdtempSync(path.join(os.tmpdir(), "zon-anvil-"));
  stateCaches.add(stateCache);
  let args = [
    ...BESU_LOCAL.anvilArgs(port, undefined, undefined, options.blockSeconds),
    ...["--cache-path", stateCache],
    ...(options.stateFile ? ["--state", options.stateFile] : []),
  ];
  // Automine: a block per transaction, at once (for building a long history quickly).
  if (options.automine)
    args = args.filter((arg, i, all) => arg !== "--block-time" && all[i - 1] !== "--block-time");
  let node: ChildProcess;
  let genesis = "";
  let forget: () => void = () => undefined;
  const start = async () => {
    node = spawn(ANVIL, args, { stdio: "ignore", detached: true });
    forget = killOnExit(node.pid!);
    genesis = await waitForGenesis(url);
  };
  const stop = async () => {
    if (node.exitCode !== null || node.signalCode !== null) return;
    const exited = new Promise((resolve) => node.once("exit", resolve));
    process.kill(-node.pid!, "SIGTERM");
    await exited;
    // npm's anvil is a wrapper around the binary: the wrapper exits first, while the binary may still be
    // writing its state file (and holding the port). Done means the whole group is gone.
    await groupGone(node.pid!);
    forget();
  };
  await start();
  return {
    port,
    url,
    get genesis() {
      return genesis;
    },
    stop: async () => {
      await stop();
      await rm(stateCache, { recursive: true, force: true });
      stateCaches.delete(stateCache);
    },
    restart: async () => {
      await stop();
      await start();
    },
  };
}

/** Whether a live (not zombie) process of process group `pgid` is left, read from /proc. */
function groupAlive(pgid: number): boolean {
  for (const entry of readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited while we looked
    }
    // pid (comm) state ppid pgrp ...: comm may hold spaces, so read after its closing parenthesis.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(pgrp) === pgid && state !== "Z") return true;
  }
  return false;
}

/** Waits until every process of group `pgid` has exited (SIGKILL to what is left after `ms`). */
export async function groupGone(pgid: number, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (groupAlive(pgid)) {
    if (Date.now() > deadline) {
      try {
        process.kill(-pgid, "SIGKILL");
      } catch {
        return; // gone meanwhile
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function waitForGenesis(url: string): Promise<string> {
  const provider = new JsonRpcProvider(url, BESU_LOCAL.chainId, { staticNetwork: true });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        return (await provider.send("eth_getBlockByNumber", ["0x0", false])).hash;
      } catch {
        if (attempt > 200) throw new Error(`anvil did not answer on ${url}`);
        await new Promise((resolve) => setTimeout(resolve, 100)); // still starting
      }
    }
  } finally {
    provider.destroy();
  }
}

/** Runs a Hardhat command line against `chain` (network besuLocal), with deployment records under `dir`. */
export function hardhatOn(chain: LocalChain, dir: string, args: string[], timeout = 240_000) {
  const run = spawnSync(HARDHAT, [...args, "--network", "besuLocal"], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, BESU_LOCAL_URL: chain.url, ZON_DEPLOYMENTS_DIR: dir, DEBUG: "" },
    timeout,
  });
  return { status: run.status, out: run.stdout, err: run.stderr.trim() };
}

/** Deploys the suite on `chain` as `npm run deploy` does; its record goes to `dir/besuLocal.json`. */
export function deployOn(chain: LocalChain, dir: string): void {
  const run = hardhatOn(chain, dir, ["run", "scripts/deploy.ts"]);
  if (run.status !== 0) throw new Error(`deploy failed: ${run.err}`);
}

/** Removes the Ignition journal a deploy on `chain` wrote into the checkout. */
export async function removeDeployJournal(chain: LocalChain | undefined): Promise<void> {
  if (!chain?.genesis) return;
  await rm(
    path.join(ROOT, "deploy", "deployments", `zoncoin-besuLocal-202611-${chain.genesis.slice(2, 10)}`),
    {
      recursive: true,
      force: true,
    },
  );
}

import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { JsonRpcProvider } from "ethers";
import { freePort } from "../helpers/net";

const ROOT = path.join(__dirname, "..", "..");

/** Whether something accepts connections on the loopback port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

/** Polls (bounded) until `listening(port)` is `wanted`. */
async function until(port: number, wanted: boolean): Promise<boolean> {
  for (let attempt = 0; attempt < 150; attempt++) {
    if ((await listening(port)) === wanted) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

describe("npm run chain", function () {
  let npm: ChildProcess | undefined;
  const stateRoot = mkdtempSync(path.join(os.tmpdir(), "zon-chain-states-"));
  const env = { ...process.env, ZON_CHAIN_STATE_DIR: stateRoot };

  after(function () {
    rmSync(stateRoot, { recursive: true, force: true });
  });

  afterEach(function () {
    // Whatever the test did, nothing it started survives it.
    if (npm?.pid) {
      try {
        process.kill(-npm.pid, "SIGKILL");
      } catch {
        // the group is gone already
      }
    }
  });

  it("listens on the port it is given and stops anvil when npm gets SIGTERM", async function () {
    const port = await freePort();
    npm = spawn("npm", ["run", "chain", "--silent", "--", "--port", String(port)], {
      cwd: ROOT,
      stdio: "ignore",
      detached: true,
      env,
    });
    expect(await until(port, true), "the chain never listened").to.equal(true);
    process.kill(npm.pid!, "SIGTERM"); // npm alone, as a supervisor would stop it
    expect(await until(port, false), "anvil still listens after npm was stopped").to.equal(true);
  });

  it("keeps the states anvil moves to disk in a directory of its own, removed when it stops", async function () {
    const port = await freePort();
    const tmp = mkdtempSync(path.join(os.tmpdir(), "chain-test-"));
    const caches = () => readdirSync(tmp).filter((name) => name.startsWith("zon-chain-"));
    try {
      npm = spawn("npm", ["run", "chain", "--silent", "--", "--port", String(port)], {
        cwd: ROOT,
        stdio: "ignore",
        detached: true,
        env: { ...env, TMPDIR: tmp },
      });
      expect(await until(port, true), "the chain never listened").to.equal(true);
      const provider = new JsonRpcProvider(`http://127.0.0.1:${port}`, undefined, { staticNetwork: true });
      try {
        await provider.send("anvil_mine", ["0x1000"]); // enough blocks for anvil to move states to disk
      } finally {
        provider.destroy();
      }
      expect(caches()).to.have.length(1);
      const persisted = () => readdirSync(path.join(tmp, caches()[0])).length;
      for (let attempt = 0; attempt < 100 && persisted() === 0; attempt++)
        await new Promise((resolve) => setTimeout(resolve, 100)); // anvil writes them behind its blocks
      expect(persisted(), "anvil's persisted states").to.be.greaterThan(0);
      process.kill(npm.pid!, "SIGTERM");
      expect(await until(port, false), "anvil still listens after npm was stopped").to.equal(true);
      for (let attempt = 0; attempt < 100 && caches().length > 0; attempt++)
        await new Promise((resolve) => setTimeout(resolve, 100));
      expect(caches(), "the state directory after the chain stopped").to.deep.equal([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  /** Starts `npm run chain` on `port` with `flags`; resolves with its banner once it answers. */
  async function startChain(port: number, flags: string[] = []): Promise<string> {
    let banner = "";
    npm = spawn("npm", ["run", "chain", "--silent", "--", "--port", String(port), ...flags], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "inherit"],
      detached: true,
      env,
    });
    npm.stdout!.on("data", (chunk: Buffer) => (banner += chunk.toString()));
    expect(await until(port, true), "the chain never listened").to.equal(true);
    return banner;
  }

  async function stopChain(port: number): Promise<void> {
    process.kill(-npm!.pid!, "SIGTERM");
    expect(await until(port, false), "anvil still listens after it was stopped").to.equal(true);
    npm = undefined;
  }

  it("goes on after a restart where it stopped, and starts over with --fresh, saying which", async function () {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const holder = "0x000000000000000000000000000000000000c0de";
    const read = async (method: string, params: unknown[]) => {
      const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true });
      try {
        return (await provider.send(method, params)) as string;
      } finally {
        provider.destroy();
      }
    };
    const first = await startChain(port);
    await read("anvil_setBalance", [holder, "0x1234"]);
    await read("anvil_mine", ["0x20"]);
    const height = BigInt(await read("eth_blockNumber", []));
    await stopChain(port);
    const again = await startChain(port);
    const kept = [
      BigInt(await read("eth_blockNumber", [])) >= height,
      await read("eth_getBalance", [holder, "latest"]),
    ];
    await stopChain(port);
    const fresh = await startChain(port, ["--fresh"]);
    const restarted = [
      BigInt(await read("eth_blockNumber", [])) < height,
      await read("eth_getBalance", [holder, "latest"]),
    ];
    await stopChain(port);
    const stateFile = path.join(stateRoot, String(port), "state.json");
    expect([kept, restarted]).to.deep.equal([
      [true, "0x1234"],
      [true, "0x0"],
    ]);
    expect(first).to.contain(`chain: a new chain, kept in ${path.relative(ROOT, stateFile)}`);
    expect(again).to.contain(`chain: going on from ${path.relative(ROOT, stateFile)}`);
    expect(fresh).to.contain("chain: a new chain");
  });
});

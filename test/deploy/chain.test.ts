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
        env: { ...process.env, TMPDIR: tmp },
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
});

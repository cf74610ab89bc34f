import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
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
});

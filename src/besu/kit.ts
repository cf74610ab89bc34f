import { existsSync } from "node:fs";
import { lstat, mkdir, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import bcrypt from "bcryptjs";
import { stringify } from "smol-toml";
import { BESU_PROFILE, PUBLIC_RPC_METHODS } from "./options";
import { BLOCK_GAS_LIMIT } from "../network";
import {
  computeAddress,
  encodeRlp,
  getAddress,
  getBytes,
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
const METRICS_PORT = 9545;
/** The uid and gid the Besu image runs Besu as: the node directories (keys, allowlists) must be theirs. */
export const BESU_UID = 1000;
/** The default compose subnet: not quorum-dev-quickstart's 172.16.239.0/24, nor Docker's own pools (172.17+). */
export const DEFAULT_SUBNET = "172.16.211.0/24";
/** Host port of validator k's JSON-RPC (QBFT and PERM behind the login), published on the host's loopback. */
export const validatorRpcPort = (k: number) => 8550 + k;
/** Host port of a node's Prometheus metrics on the host's loopback: the RPC node's 9545, validator k's 9545 + k. */
export const metricsHostPort = (k: number) => METRICS_PORT + k;
/** The Chrome Web Store id of MetaMask: its calls to a node carry this origin. */
export const METAMASK_ORIGIN = "chrome-extension://nkbihfbeogaeaoehlefnkodbefgpgknn";
/** Who may call the RPC node from a browser by default: `npm run web`'s portal and MetaMask in Chrome. */
export const DEFAULT_WEB_ORIGINS = ["http://127.0.0.1:5173", "http://localhost:5173", METAMASK_ORIGIN];
/** The one login of every node's JSON-RPC, and what it may call. */
export const ADMIN_USER = "operator";
export const ADMIN_PERMISSIONS = ["eth:*", "net:*", "web3:*", "qbft:*", "perm:*", "txpool:*"];
/** Beside the compose file: the operator's password (0600), and the credentials file nodes read (its hash). */
export const ADMIN_PASSWORD_FILE = "admin-password";
export const RPC_AUTH_FILE = "rpc_auth.toml";
/** Java heap per node (BESU_OPTS=-Xmx…), MiB. */
export const DEFAULT_HEAP_MIB = 2048;
/** A node is ready (healthy) when it has at least this many peers and is at most 2 blocks behind. */
export const READINESS_MIN_PEERS = 1;
const BCRYPT_COST = 10;
const EPOCH_LENGTH = 30_000;

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
  /** Same seed, same keys and password (tests, reproducible reviews); none: fresh random ones. */
  seed?: string;
  force?: boolean;
  /** Give every member a balance, for a network with a gas price. */
  funded?: boolean;
  /** The compose network's subnet (a /24): validator k gets .(10 + k), the RPC node the next one. */
  subnet?: string;
  /** Origins whose pages or extensions may call the RPC node (CORS); default DEFAULT_WEB_ORIGINS. */
  webOrigins?: string[];
  /** Host names the RPC node answers to besides localhost (a reverse proxy's, which forwards its Host). */
  publicHosts?: string[];
  /** Java heap per node, MiB. */
  heapMiB?: number;
}

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
  /** This node's Prometheus metrics from the host (loopback only). */
  metricsUrl: string;
}

/** `network.json`: what the operating tasks need, and what the kit needs to write one more node. */
export interface NetworkFile {
  name: string;
  chainId: number;
  image: string;
  subnet: string;
  blockPeriodSeconds: number;
  heapMiB: number;
  webOrigins: string[];
  publicHosts: string[];
  adminUser: string;
  nodes: NodeInfo[];
  /** The accounts allowlist as written; nodes change theirs at run time (besu:member). */
  members: Member[];
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

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/**
 * An origin a browser sends: a page's (`https://portal.example.com`, with a port when not the scheme's) or
 * a wallet extension's (`chrome-extension://<id>`, `moz-extension://<uuid>`). The error names the value.
 */
export function parseWebOrigin(origin: string): string {
  const trimmed = origin.trim();
  const match = /^(https?|chrome-extension|moz-extension):\/\/([^/:\s]+)(:(\d{1,5}))?$/.exec(trimmed);
  const web = match && (match[1] === "http" || match[1] === "https");
  if (!match || !HOST_NAME.test(match[2]) || (!web && match[3]) || Number(match[4] ?? 1) > 65_535)
    throw new Error(
      `web-origins: ${JSON.stringify(trimmed)} is not an origin (http(s)://host[:port], chrome-extension://id or moz-extension://uuid)`,
    );
  return trimmed;
}

/** A host name a client puts in its Host header (no scheme, no port); the error names the value. */
export function parsePublicHost(host: string): string {
  const trimmed = host.trim();
  if (!HOST_NAME.test(trimmed))
    throw new Error(`public-hosts: ${JSON.stringify(trimmed)} is not a host name (such as rpc.example.com)`);
  return trimmed.toLowerCase();
}

/**
 * Besu joins its CORS origins with "|" into one regular expression that must match the whole Origin
 * header: each origin goes in with its dots and other metacharacters escaped, so it matches only itself.
 */
export function corsPattern(origin: string): string {
  return origin.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
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
  const heap = o.heapMiB ?? DEFAULT_HEAP_MIB;
  if (!Number.isInteger(heap) || heap < 512)
    throw new Error(`heap-mib: ${heap} is not a whole number of MiB of at least 512`);
  if (existsSync(o.outDir) && !o.force)
    throw new Error(`out: ${o.outDir} exists; pass --force to overwrite it`);
  subnetPrefix(o.subnet ?? DEFAULT_SUBNET);
  if (o.validators > 200)
    throw new Error(`validators: ${o.validators} is more than one /24 subnet holds (200)`);
  (o.webOrigins ?? []).forEach(parseWebOrigin);
  (o.publicHosts ?? []).forEach(parsePublicHost);
}

/** "172.16.211.0/24" → "172.16.211."; the error names the value. */
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

/** 32 bytes: from the seed when there is one (reproducible), random otherwise. */
function secretBytes(seed: string | undefined, purpose: string): Uint8Array {
  return seed === undefined
    ? randomBytes(32)
    : getBytes(keccak256(toUtf8Bytes(`zoncoin-besu:${seed}:${purpose}`)));
}

function nodeKey(seed: string | undefined, label: string): SigningKey {
  return new SigningKey(hexlify(secretBytes(seed, label)));
}

/**
 * A bcrypt hash in the `$2a$` form of Besu's own credential files (its acceptance tests' auth.toml),
 * which Besu checks with Spring Security's BCrypt.checkpw.
 */
export function bcryptHash(password: string, seed?: string): string {
  const salt = bcrypt.encodeBase64(Array.from(secretBytes(seed, "bcrypt-salt").slice(0, 16)), 16);
  return bcrypt.hashSync(password, `$2a$${BCRYPT_COST}$${salt}`);
}

/** The credentials file every node's JSON-RPC authenticates against (TOML, Besu's TomlAuth format). */
export function rpcAuthFile(passwordHash: string): string {
  return (
    stringify({ Users: { [ADMIN_USER]: { password: passwordHash, permissions: ADMIN_PERMISSIONS } } }) + "\n"
  );
}

/** The number k of "validatork". */
function validatorNumber(label: string): number {
  return Number(/^validator(\d+)$/.exec(label)![1]);
}

function nodeInfo(label: string, key: SigningKey, ip: string): NodeInfo {
  const publicKey = "0x" + key.publicKey.slice(4); // uncompressed, without the 0x04 prefix
  const rpc = label === "rpcnode";
  const k = rpc ? 0 : validatorNumber(label);
  return {
    label,
    role: rpc ? "rpc" : "validator",
    address: computeAddress(key.publicKey),
    publicKey,
    ip,
    enode: `enode://${publicKey.slice(2)}@${ip}:${P2P_PORT}`,
    rpcUrl: `http://127.0.0.1:${rpc ? RPC_PORT : validatorRpcPort(k)}`,
    metricsUrl: `http://127.0.0.1:${metricsHostPort(k)}/metrics`,
  };
}

/**
 * The first entry under `dir` this process could not delete (its directory is not writable to us: the
 * node directories belong to uid 1000 after the README's chown), or undefined. Checked before deleting
 * anything, so that a refused --force leaves the old network whole.
 */
export async function undeletableEntry(dir: string): Promise<string | undefined> {
  const uid = process.geteuid?.() ?? 0;
  if (uid === 0) return undefined;
  const gids = new Set([process.getegid?.(), ...(process.getgroups?.() ?? [])]);
  const writable = (s: { uid: number; gid: number; mode: number }) =>
    s.uid === uid
      ? (s.mode & 0o300) === 0o300
      : gids.has(s.gid)
        ? (s.mode & 0o030) === 0o030
        : (s.mode & 0o003) === 0o003;
  const walk = async (d: string): Promise<string | undefined> => {
    const entries = await readdir(d, { withFileTypes: true });
    if (entries.length > 0 && !writable(await lstat(d))) return path.join(d, entries[0].name);
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const found = await walk(path.join(d, entry.name));
      if (found) return found;
    }
    return undefined;
  };
  // Deleting the directory itself takes write permission on its parent.
  if (!writable(await lstat(path.dirname(path.resolve(dir))))) return dir;
  return walk(dir);
}

/**
 * Writes a QBFT network for Besu: keys per node, genesis, node configs, static nodes, the permissions
 * allowlists, the JSON-RPC credentials, a compose file, a Prometheus scrape file and the operator's README.
 * Validates everything before writing anything.
 */
export async function writeNetwork(o: KitOptions): Promise<{ nodes: NodeInfo[]; extraData: string }> {
  checkOptions(o);
  if (o.force && existsSync(o.outDir)) {
    const stuck = await undeletableEntry(o.outDir);
    if (stuck)
      throw new Error(
        `out: ${stuck} cannot be deleted by this user (the node directories belong to uid ${BESU_UID} once handed to Besu); stop the network with its volumes (docker compose down -v) and delete ${o.outDir} with sudo rm -rf, or write to another --out. Nothing was changed.`,
      );
  }
  const labels = [...Array.from({ length: o.validators }, (_, i) => `validator${i + 1}`), "rpcnode"];
  const keys = labels.map((label) => nodeKey(o.seed, label));
  const prefix = subnetPrefix(o.subnet ?? DEFAULT_SUBNET);
  const nodes = labels.map((label, i) => nodeInfo(label, keys[i], `${prefix}${11 + i}`));
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
        epochlength: EPOCH_LENGTH,
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
  const network: NetworkFile = {
    name: o.name,
    chainId: o.chainId,
    image: BESU_IMAGE,
    subnet: o.subnet ?? DEFAULT_SUBNET,
    blockPeriodSeconds: o.blockPeriodSeconds,
    heapMiB: o.heapMiB ?? DEFAULT_HEAP_MIB,
    webOrigins: (o.webOrigins ?? DEFAULT_WEB_ORIGINS).map(parseWebOrigin),
    publicHosts: (o.publicHosts ?? []).map(parsePublicHost),
    adminUser: ADMIN_USER,
    nodes,
    members: o.members,
  };
  const password = Buffer.from(secretBytes(o.seed, "admin-password")).toString("base64url");

  if (o.force) await rm(o.outDir, { recursive: true, force: true });
  await mkdir(o.outDir, { recursive: true });
  await writeFile(path.join(o.outDir, "genesis.json"), JSON.stringify(genesis, null, 2) + "\n");
  await writeFile(path.join(o.outDir, ADMIN_PASSWORD_FILE), password + "\n", { mode: 0o600 });
  // Read by Besu (uid 1000) from a read-only mount: a bcrypt hash, not the password.
  await writeFile(path.join(o.outDir, RPC_AUTH_FILE), rpcAuthFile(bcryptHash(password, o.seed)), {
    mode: 0o644,
  });
  for (const [i, node] of nodes.entries())
    await writeNodeFiles(
      o.outDir,
      network,
      node,
      keys[i],
      o.members.map((m) => m.address),
    );
  await writeNetworkFiles(o.outDir, network);
  return { nodes, extraData };
}

/** A node's own directory: its key pair, its config.toml and its own writable allowlists file. */
async function writeNodeFiles(
  outDir: string,
  network: NetworkFile,
  node: NodeInfo,
  key: SigningKey,
  accounts: string[],
): Promise<void> {
  const dir = path.join(outDir, node.label);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "key"), key.privateKey, { mode: 0o600 });
  await writeFile(path.join(dir, "key.pub"), node.publicKey);
  await writeFile(path.join(dir, "config.toml"), stringify(nodeConfig(node, network)) + "\n");
  // Each node rewrites its own allowlists file (at start and on every perm_* call): one file a node.
  const permissions = {
    "nodes-allowlist": network.nodes.map((n) => n.enode),
    "accounts-allowlist": accounts,
  };
  await writeFile(path.join(dir, "permissions_config.toml"), stringify(permissions) + "\n", { mode: 0o644 });
}

/** What follows from network.json alone: static nodes, network.json, compose, Prometheus, README. */
async function writeNetworkFiles(outDir: string, network: NetworkFile): Promise<void> {
  const write = (file: string, content: string) => writeFile(path.join(outDir, file), content);
  await write(
    "static-nodes.json",
    JSON.stringify(
      network.nodes.map((n) => n.enode),
      null,
      2,
    ) + "\n",
  );
  await write("docker-compose.yml", composeFile(network));
  await write("prometheus.yml", prometheusFile(network));
  await write("README.md", operatorReadme(network, outDir));
  // Last: the tasks read it, and it names only nodes whose files are all written.
  await write("network.json", JSON.stringify(network, null, 2) + "\n");
}

/**
 * Writes one more validator into a network directory: its key, config and allowlists file (the accounts
 * allowlist the running nodes agree on), and the network-wide files with it (static nodes, compose,
 * Prometheus, README, network.json). It joins the validators only once they vote it in (besu:vote).
 */
export async function addValidatorFiles(
  outDir: string,
  network: NetworkFile,
  accounts: string[],
  seed?: string,
): Promise<{ node: NodeInfo; network: NetworkFile }> {
  const validators = network.nodes.filter((n) => n.role === "validator");
  const k = Math.max(0, ...validators.map((v) => validatorNumber(v.label))) + 1;
  const label = `validator${k}`;
  const lastOctet = Math.max(...network.nodes.map((n) => Number(n.ip.split(".")[3]))) + 1;
  if (lastOctet > 254) throw new Error(`subnet: ${network.subnet} has no address left for ${label}`);
  const node = nodeInfo(label, nodeKey(seed, label), `${subnetPrefix(network.subnet)}${lastOctet}`);
  const rpcAt = network.nodes.findIndex((n) => n.role === "rpc");
  const nodes = [...network.nodes];
  nodes.splice(rpcAt === -1 ? nodes.length : rpcAt, 0, node);
  const grown: NetworkFile = { ...network, nodes };
  await writeNodeFiles(outDir, grown, node, nodeKey(seed, label), accounts);
  await writeNetworkFiles(outDir, grown);
  return { node, network: grown };
}

function nodeConfig(node: NodeInfo, network: NetworkFile): Record<string, unknown> {
  const rpcNode = node.role === "rpc";
  return {
    "genesis-file": "/config/genesis.json",
    // A named volume: Docker creates it owned by root, and the image's entry script (started as root)
    // hands it to the besu user before it starts Besu as that user.
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
    // Inside the container on every interface, so that the loopback-published port reaches it.
    "metrics-enabled": true,
    "metrics-host": "0.0.0.0",
    "metrics-port": METRICS_PORT,
    "rpc-http-enabled": true,
    "rpc-http-host": "0.0.0.0",
    "rpc-http-port": RPC_PORT,
    "rpc-http-api": rpcNode
      ? ["ETH", "NET", "WEB3", "QBFT", "PERM", "TXPOOL"]
      : ["ETH", "NET", "QBFT", "PERM"],
    // Every call needs the operator's login (POST /login, then a bearer token) except, on the RPC node,
    // the public methods wallets and the suite use: PERM and QBFT can cut a node off or drop a business.
    "rpc-http-authentication-enabled": true,
    "rpc-http-authentication-credentials-file": `/config/${RPC_AUTH_FILE}`,
    ...(rpcNode ? { "rpc-http-api-methods-no-auth": [...PUBLIC_RPC_METHODS] } : {}),
    // Checked against the Host header of every JSON-RPC and metrics request.
    "host-allowlist": ["localhost", "127.0.0.1", ...(rpcNode ? network.publicHosts : [])],
    ...(rpcNode
      ? {
          // Pages on the portal's origins and wallet extensions may call the RPC node; no page calls a validator.
          "rpc-http-cors-origins": network.webOrigins.map(corsPattern),
          // WebSocket subscriptions: public APIs only (no login on this port).
          "rpc-ws-enabled": true,
          "rpc-ws-host": "0.0.0.0",
          "rpc-ws-port": WS_PORT,
          "rpc-ws-api": ["ETH", "NET", "WEB3"],
        }
      : {}),
  };
}

/**
 * The compose health check: Besu's readiness endpoint (at least READINESS_MIN_PEERS peers, at most 2 blocks
 * behind), asked with bash alone (the image has no curl or wget). `$$` is Compose's escape for `$`.
 */
export function readinessProbe(port: number): string[] {
  const request = `GET /readiness?minPeers=${READINESS_MIN_PEERS}&maxBlocksBehind=2 HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n`;
  return [
    "CMD",
    "bash",
    "-c",
    `exec 3<>/dev/tcp/127.0.0.1/${port} && printf '${request}' >&3 && read -r status <&3 && [[ $$status == 'HTTP/1.1 200'* ]]`,
  ];
}

const hostPort = (url: string) => Number(new URL(url).port);

function composeFile(network: NetworkFile): string {
  const services = network.nodes.map((n) => {
    const ports = [
      `127.0.0.1:${hostPort(n.rpcUrl)}:${RPC_PORT}`,
      ...(n.role === "rpc" ? [`127.0.0.1:${WS_PORT}:${WS_PORT}`] : []),
      `127.0.0.1:${hostPort(n.metricsUrl)}:${METRICS_PORT}`,
    ];
    // No `user:`: the image starts as root, hands the data path to the besu user and runs Besu as it.
    return `  ${n.label}:
    image: ${network.image}
    command: ["--config-file=/node/config.toml", "--profile=${BESU_PROFILE}"]
    environment:
      BESU_OPTS: "-Xmx${network.heapMiB}m"
    volumes:
      - ./genesis.json:/config/genesis.json:ro
      - ./static-nodes.json:/config/static-nodes.json:ro
      - ./${RPC_AUTH_FILE}:/config/${RPC_AUTH_FILE}:ro
      - ./${n.label}:/node
      - ${n.label}-data:/opt/besu/data
    ports:
${ports.map((p) => `      - "${p}"`).join("\n")}
    networks:
      zoncoin:
        ipv4_address: ${n.ip}
    healthcheck:
      test: ${JSON.stringify(readinessProbe(RPC_PORT))}
      interval: 10s
      timeout: 5s
      retries: 6
      start_period: 120s
    restart: unless-stopped
`;
  });
  const volumes = network.nodes.map((n) => `  ${n.label}-data:\n`).join("");
  const validators = network.nodes.filter((n) => n.role === "validator").length;
  return `# ZonCoin private network "${network.name}": QBFT, ${validators} validator(s) and one RPC node.
# Run it from this directory: the project (and its volumes' prefix) is the directory's name.
services:
${services.join("")}networks:
  zoncoin:
    driver: bridge
    ipam:
      config:
        - subnet: ${network.subnet}
volumes:
${volumes}`;
}

/** Prometheus on the host, scraping each node's loopback-published metrics port (Host 127.0.0.1 is allowed). */
function prometheusFile(network: NetworkFile): string {
  const targets = network.nodes
    .map(
      (n) => `      - targets: ["127.0.0.1:${hostPort(n.metricsUrl)}"]
        labels: { node: "${n.label}", role: "${n.role}" }`,
    )
    .join("\n");
  return `# Prometheus scrape configuration for ZonCoin network "${network.name}": prometheus --config.file=prometheus.yml
global:
  scrape_interval: 15s
  scrape_timeout: 10s
scrape_configs:
  - job_name: besu
    metrics_path: /metrics
    scheme: http
    static_configs:
${targets}
`;
}

function operatorReadme(network: NetworkFile, outDir: string): string {
  const validators = network.nodes.filter((n) => n.role === "validator");
  const rpcNode = network.nodes.find((n) => n.role === "rpc")!;
  const labels = network.nodes.map((n) => n.label).join(" ");
  const curl = (url: string, method: string, params: string) =>
    `curl -s -X POST -H 'content-type: application/json' --data '{"jsonrpc":"2.0","id":1,"method":"${method}","params":${params}}' ${url}`;
  const project = path.basename(outDir);
  const heapGiB = network.heapMiB / 1024;
  return `# ZonCoin network "${network.name}"

QBFT, chain id ${network.chainId}, one block every ${network.blockPeriodSeconds} s, ${validators.length} validator node(s) and one RPC node, on
\`${network.image}\`. Secrets here: each node's \`<node>/key\` and the operator's \`${ADMIN_PASSWORD_FILE}\` (back them up,
never commit them).

Who may transact is decided twice: by the chain, with Besu's local node and account allowlists (each node's
\`<node>/permissions_config.toml\`, changed at run time through \`perm_*\`), and by the token, with ZonCoin's
allowlist mode and freeze. Besu's on-chain permissioning contracts are deprecated since 24.12 and removed in
later releases, so they are not used.

How this kit is laid out, and why:
- **Fixed IPs.** Each node has a fixed address on the compose network \`zoncoin\` (${network.subnet}), and
  every enode URL (static nodes, nodes allowlist) carries that IP: Besu refuses hostnames in enode URLs
  unless DNS support is switched on. Each node advertises its IP (\`p2p-host\`); discovery is off.
- **Who owns what.** The image starts as root: its entry script asks Besu which paths it needs
  (\`--print-paths-and-exit\`), hands the data path (a named volume Docker creates owned by root) to the
  \`besu\` user (uid ${BESU_UID}), then runs Besu as that user. It does not touch the node directories: their keys
  are readable by their owner only (0600) and each node rewrites its own allowlists file, so they must belong
  to uid ${BESU_UID} (the first step below).
- **Admin APIs need a login.** Every node's JSON-RPC requires the operator's login (\`${ADMIN_USER}\`, password in
  \`${ADMIN_PASSWORD_FILE}\`, its bcrypt hash in \`${RPC_AUTH_FILE}\`) for everything but, on the RPC node, the public
  methods wallets and the suite call (reading the chain, estimating, sending signed transactions). PERM and
  QBFT — which can cut a node off or drop a business — are never open. The WebSocket port (RPC node) serves
  ETH, NET and WEB3 only.
- **Browsers and proxies.** The RPC node answers pages and extensions from ${network.webOrigins.map((o) => `\`${o}\``).join(", ")}
  (CORS), and requests whose Host is ${["localhost", "127.0.0.1", ...network.publicHosts].map((h) => `\`${h}\``).join(", ")}.
- **Health** is Besu's readiness (\`/readiness?minPeers=${READINESS_MIN_PEERS}\`: peered and at most 2 blocks behind), asked
  with bash (the image has no curl): a node that is up but alone is unhealthy.
- **Memory.** Each node's Java heap is capped at ${network.heapMiB} MiB (\`BESU_OPTS=-Xmx${network.heapMiB}m\`, \`besu:new --heap-mib\`).
  RocksDB's caches and the JVM's own memory come on top of the heap: plan about ${heapGiB + 1} GiB a node, ${(heapGiB + 1) * network.nodes.length} GiB
  for these ${network.nodes.length}, and watch \`process_resident_memory_bytes\` in the metrics.
- **Ports**, all on the host's loopback only: the RPC node's JSON-RPC ${hostPort(rpcNode.rpcUrl)} and WebSocket ${WS_PORT};
  each validator's JSON-RPC ${validators.map((v) => `${v.label} ${hostPort(v.rpcUrl)}`).join(", ")}; metrics
  ${network.nodes.map((n) => `${n.label} ${hostPort(n.metricsUrl)}`).join(", ")}.

## Start

    sudo chown -R ${BESU_UID}:${BESU_UID} ${labels}
    docker compose up -d
    docker compose ps              # every node "healthy" once peered

## Check that blocks are produced

    ${curl(rpcNode.rpcUrl, "eth_blockNumber", "[]")}

(run it twice, ${network.blockPeriodSeconds} s apart: the number grows).

## Log in to a node's admin API

The tasks below log in for you (from \`${ADMIN_PASSWORD_FILE}\`, or \`BESU_ADMIN_PASSWORD\`). By hand, a token lasts
5 minutes and is valid on the node that issued it only:

    TOKEN=$(curl -s -X POST -H 'content-type: application/json' --data "{\\"username\\":\\"${ADMIN_USER}\\",\\"password\\":\\"$(cat ${ADMIN_PASSWORD_FILE})\\"}" ${validators[0].rpcUrl}/login | sed 's/.*"token" *: *"\\([^"]*\\)".*/\\1/')
    curl -s -X POST -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' --data '{"jsonrpc":"2.0","id":1,"method":"qbft_getValidatorsByBlockNumber","params":["latest"]}' ${validators[0].rpcUrl}

## Deploy the ZonCoin suite

    npx hardhat vars set BESU_RPC_URL        # ${rpcNode.rpcUrl} (or the public https URL)
    npx hardhat vars set BESU_CHAIN_ID       # ${network.chainId}
    npx hardhat vars set BESU_DEPLOYER_KEY   # the deployer's key: a member of the accounts allowlist
    npx hardhat preflight --network besu --besu-dir ${outDir}   # every node, every account that transacts
    npm run deploy -- --network besu         # after writing deploy/parameters/besu.json

## Add or remove a business

Every node keeps its own accounts allowlist, and validators check it when they take a transaction into their
pool and when they build a block: a business must be on every node. One command does it, then checks that all
nodes agree:

    npx hardhat besu:member --dir ${outDir} --account 0x<business address>            # add
    npx hardhat besu:member --dir ${outDir} --account 0x<business address> --remove   # remove

## Add or remove a validator

    npx hardhat besu:add-validator --dir ${outDir}

writes the next validator's key and files, adds it to network.json, static-nodes.json, the compose file and
prometheus.yml, copies the accounts allowlist the nodes agree on, and puts its enode on every running node's
nodes allowlist. Then hand its directory to Besu, start it, and vote it in:

    sudo chown -R ${BESU_UID}:${BESU_UID} validator<k>
    docker compose up -d validator<k>
    npx hardhat besu:vote --dir ${outDir} --validator 0x<its address> --add     # --remove, or --discard

A change takes effect once more than half of the current validators have proposed it, each through its own
node. Pending votes are discarded at every epoch transition (every ${EPOCH_LENGTH} blocks): a proposal not yet carried
by then must be made again.

## Throughput

Besu takes a transaction into a block only if its gas limit fits the gas the block has left: a ${Number(BLOCK_GAS_LIMIT) / 1e6} M-gas
block takes about 16 of the issuer service's claim batches, some 1,600 claims — about ${Math.round(1565 / network.blockPeriodSeconds)} claims a second at
one block every ${network.blockPeriodSeconds} s (the load bench measured 783 a second on 2 s blocks). A shorter \`blockperiodseconds\` or a larger
\`gasLimit\` in genesis.json (before the first start) carries more.

## Monitoring

Each node serves Prometheus metrics on the host's loopback; \`prometheus.yml\` scrapes them all
(\`prometheus --config.file=prometheus.yml\` on this host, or a Prometheus container with \`--network host\`).

## Stop, back up and restore

The keys belong to uid ${BESU_UID} and are readable by it only: back up and restore as root, keeping owners and modes.

    docker compose stop
    sudo tar czpf ${network.name}-backup.tgz ${labels} genesis.json static-nodes.json network.json ${RPC_AUTH_FILE} ${ADMIN_PASSWORD_FILE} docker-compose.yml prometheus.yml
${network.nodes.map((n) => `    docker run --rm -v ${project}_${n.label}-data:/data -v "$PWD":/backup alpine tar czpf /backup/${n.label}-data.tgz -C /data .`).join("\n")}

To restore on a new host: \`sudo tar xzpf ${network.name}-backup.tgz\` in a directory named \`${project}\`, then for each node

    docker volume create ${project}_<node>-data
    docker run --rm -v ${project}_<node>-data:/data -v "$PWD":/backup alpine tar xzpf /backup/<node>-data.tgz -C /data

and start as above.

## Start over

\`besu:new --force\` cannot delete node directories that belong to uid ${BESU_UID}, and says so before deleting anything. Stop
the network and delete its volumes (a new genesis cannot use the old chain data), then the directory:

    docker compose down -v
    cd .. && sudo rm -rf ${project}

## Nodes

| node | address | IP | enode id |
| --- | --- | --- | --- |
${network.nodes.map((n) => `| ${n.label} | ${n.address} | ${n.ip} | ${n.publicKey.slice(2, 18)}… |`).join("\n")}

## Members (accounts allowlist when written)

| label | address |
| --- | --- |
${network.members.map((m) => `| ${m.label} | ${m.address} |`).join("\n")}
`;
}

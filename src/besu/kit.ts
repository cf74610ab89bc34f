import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { stringify } from "smol-toml";
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
/** 60 M gas: the largest suite deploy (< 5 M) fits many times over, and a block is still quick to seal. */
export const BLOCK_GAS_LIMIT = 60_000_000n;
const P2P_PORT = 30303;
const RPC_PORT = 8545;
const WS_PORT = 8546;

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
}

export interface NodeInfo {
  label: string;
  role: "validator" | "rpc";
  address: string;
  publicKey: string;
  enode: string;
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
  const nodes: NodeInfo[] = labels.map((label, i) => {
    const publicKey = "0x" + keys[i].publicKey.slice(4); // uncompressed, without the 0x04 prefix
    return {
      label,
      role: label === "rpcnode" ? "rpc" : "validator",
      address: computeAddress(keys[i].publicKey),
      publicKey,
      enode: `enode://${publicKey.slice(2)}@${label}:${P2P_PORT}`,
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
  await write("permissions_config.toml", stringify(permissions) + "\n");
  for (const [i, node] of nodes.entries()) {
    await mkdir(path.join(o.outDir, node.label), { recursive: true });
    await writeFile(path.join(o.outDir, node.label, "key"), keys[i].privateKey, { mode: 0o600 });
    await writeFile(path.join(o.outDir, node.label, "key.pub"), node.publicKey);
    await writeFile(path.join(o.outDir, node.label, "config.toml"), stringify(nodeConfig(node)) + "\n");
  }
  await write(
    "network.json",
    JSON.stringify(
      { name: o.name, chainId: o.chainId, image: BESU_IMAGE, nodes, members: o.members },
      null,
      2,
    ) + "\n",
  );
  await write("docker-compose.yml", composeFile(o.name, nodes));
  await write("README.md", operatorReadme(o, nodes));
  return { nodes, extraData };
}

function nodeConfig(node: NodeInfo): Record<string, unknown> {
  const common = {
    "genesis-file": "/config/genesis.json",
    "data-path": "/data",
    "node-private-key-file": "/node/key",
    "p2p-port": P2P_PORT,
    "min-gas-price": 0,
    profile: "ENTERPRISE",
    "static-nodes-file": "/config/static-nodes.json",
    "permissions-nodes-config-file-enabled": true,
    "permissions-nodes-config-file": "/config/permissions_config.toml",
    "permissions-accounts-config-file-enabled": true,
    "permissions-accounts-config-file": "/config/permissions_config.toml",
    "metrics-enabled": true,
  };
  if (node.role === "validator") return { ...common, "rpc-http-enabled": false };
  const apis = ["ETH", "NET", "WEB3", "QBFT", "PERM", "TXPOOL"];
  return {
    ...common,
    "rpc-http-enabled": true,
    "rpc-http-host": "0.0.0.0",
    "rpc-http-port": RPC_PORT,
    "rpc-http-api": apis,
    "rpc-ws-enabled": true,
    "rpc-ws-host": "0.0.0.0",
    "rpc-ws-port": WS_PORT,
    "rpc-ws-api": apis,
    "host-allowlist": ["localhost", "127.0.0.1", node.label],
  };
}

function composeFile(name: string, nodes: NodeInfo[]): string {
  const services = nodes.map((n) => {
    const ports =
      n.role === "rpc"
        ? `    ports:\n      - "127.0.0.1:${RPC_PORT}:${RPC_PORT}"\n      - "127.0.0.1:${WS_PORT}:${WS_PORT}"\n`
        : "";
    const health =
      n.role === "rpc"
        ? `curl -sf -X POST -H 'content-type: application/json' --data '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}' http://localhost:${RPC_PORT}`
        : "test -s /data/DATABASE_METADATA.json";
    return `  ${n.label}:
    image: ${BESU_IMAGE}
    command: ["--config-file=/node/config.toml"]
    volumes:
      - ./genesis.json:/config/genesis.json:ro
      - ./static-nodes.json:/config/static-nodes.json:ro
      - ./permissions_config.toml:/config/permissions_config.toml
      - ./${n.label}:/node
      - ${n.label}-data:/data
${ports}    healthcheck:
      test: ["CMD-SHELL", ${JSON.stringify(health)}]
      interval: 10s
      timeout: 5s
      retries: 12
    restart: unless-stopped
`;
  });
  const volumes = nodes.map((n) => `  ${n.label}-data:\n`).join("");
  return `# ZonCoin private network "${name}": QBFT, ${nodes.length - 1} validators and one RPC node.\nname: zoncoin-${name}\nservices:\n${services.join("")}volumes:\n${volumes}`;
}

function operatorReadme(o: KitOptions, nodes: NodeInfo[]): string {
  const validators = nodes.filter((n) => n.role === "validator");
  const curl = (method: string, params: string) =>
    `curl -s -X POST -H 'content-type: application/json' --data '{"jsonrpc":"2.0","id":1,"method":"${method}","params":${params}}' http://127.0.0.1:${RPC_PORT}`;
  return `# ZonCoin network "${o.name}"

QBFT, chain id ${o.chainId}, one block every ${o.blockPeriodSeconds} s, ${validators.length} validator(s) and one RPC node, on
\`${BESU_IMAGE}\`. Keys are in \`<node>/key\` (keep them secret: back them up, never commit them).

Who may transact is decided twice: by the chain, with Besu's local node and account allowlists
(\`permissions_config.toml\`, changed at run time through \`perm_*\`), and by the token, with ZonCoin's
allowlist mode and freeze. Besu's on-chain permissioning contracts are deprecated since 24.12 and
removed in later releases, so they are not used.

## Start

    docker compose up -d
    docker compose ps              # every node "healthy"

## Check that blocks are produced

    ${curl("eth_blockNumber", "[]")}

(run it twice, ${o.blockPeriodSeconds} s apart: the number grows). \`qbft_getValidatorsByBlockNumber\` lists the validators.

## Deploy the ZonCoin suite

    npx hardhat vars set BESU_RPC_URL        # http://127.0.0.1:${RPC_PORT}
    npx hardhat vars set BESU_CHAIN_ID       # ${o.chainId}
    npx hardhat vars set BESU_DEPLOYER_KEY   # the deployer's key: a member of the accounts allowlist
    npx hardhat preflight --network besu
    npm run deploy -- --network besu         # after writing deploy/parameters/besu.json

## Add a business

Allowlist its account on every node (each node keeps its own allowlist):

    ${curl("perm_addAccountsToAllowlist", '[["0x<business address>"]]')}

and, for the token's allowlist mode, have the compliance role call \`setAllowlisted\`.

## Add or remove a validator

A majority of the validators must vote, each through its own node's RPC (enable the QBFT API there):

    ${curl("qbft_proposeValidatorVote", '["0x<validator address>", true]')}    # true: add, false: remove

The change applies at the next epoch checkpoint or once a majority has voted. A new node also needs its
enode in \`permissions_config.toml\` (or \`perm_addNodesToAllowlist\`) on every node.

## Stop and back up

    docker compose stop
    tar czf ${o.name}-backup.tgz */key genesis.json permissions_config.toml static-nodes.json
    docker run --rm -v zoncoin-${o.name}_validator1-data:/data -v "$PWD":/backup alpine tar czf /backup/validator1-data.tgz /data

## Nodes

| node | address | enode id |
| --- | --- | --- |
${nodes.map((n) => `| ${n.label} | ${n.address} | ${n.publicKey.slice(2, 18)}… |`).join("\n")}

## Members (accounts allowlist)

| label | address |
| --- | --- |
${o.members.map((m) => `| ${m.label} | ${m.address} |`).join("\n")}
`;
}

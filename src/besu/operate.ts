import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { getAddress, isAddress } from "ethers";
import { ADMIN_PASSWORD_FILE, type NetworkFile, type NodeInfo } from "./kit";

/*
 * Operating a network the kit wrote: the same change on every node, through each node's own JSON-RPC
 * (listed in network.json) behind the operator's login, then a check that all nodes agree.
 */

export type { NetworkFile } from "./kit";

export async function readNetworkFile(dir: string): Promise<NetworkFile> {
  const file = path.join(dir, "network.json");
  let parsed: NetworkFile;
  try {
    parsed = JSON.parse(await readFile(file, "utf8")) as NetworkFile;
  } catch {
    throw new Error(`dir: no network.json in ${dir} (a directory written by besu:new)`);
  }
  if (!Array.isArray(parsed.nodes) || parsed.nodes.some((n) => typeof n.rpcUrl !== "string"))
    throw new Error(`${file}: no nodes with their rpcUrl (written by an older kit; run besu:new again)`);
  if (typeof parsed.adminUser !== "string" || typeof parsed.subnet !== "string")
    throw new Error(`${file}: no adminUser (written by a kit whose nodes have no login; run besu:new again)`);
  return parsed;
}

/** The operator's login to every node: `BESU_ADMIN_PASSWORD`, or the kit's `admin-password` file. */
export interface Credentials {
  username: string;
  password: string;
}

export async function credentialsOf(
  dir: string,
  network: NetworkFile,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Credentials> {
  if (env.BESU_ADMIN_PASSWORD) return { username: network.adminUser, password: env.BESU_ADMIN_PASSWORD };
  const file = path.join(dir, ADMIN_PASSWORD_FILE);
  if (!existsSync(file))
    throw new Error(
      `password: ${file} does not exist and BESU_ADMIN_PASSWORD is not set (the operator's password of the nodes' JSON-RPC)`,
    );
  return { username: network.adminUser, password: (await readFile(file, "utf8")).trim() };
}

/** One JSON-RPC call; a node that does not answer, refuses the login or answers an error is named. */
export async function jsonRpc(
  url: string,
  method: string,
  params: unknown[],
  token?: string,
): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
  } catch (error) {
    throw new Error(`${url}: ${method} got no answer (${(error as Error).message}); is the node up?`);
  }
  if (response.status === 401) throw new UnauthorizedError(url, method);
  if (response.status === 403)
    throw new Error(`${url}: ${method} refused: this host name is not on the node's host-allowlist`);
  let body: { result?: unknown; error?: { code?: number; message: string } };
  try {
    body = (await response.json()) as typeof body;
  } catch {
    throw new Error(`${url}: ${method} got HTTP ${response.status} without a JSON-RPC answer`);
  }
  if (body.error?.code === -40100) throw new UnauthorizedError(url, method);
  if (body.error) throw new Error(`${url}: ${method} refused: ${body.error.message}`);
  return body.result;
}

export class UnauthorizedError extends Error {
  constructor(url: string, method: string) {
    super(`${url}: ${method} refused: not logged in, or the login does not allow it`);
  }
}

/** Logs in to a node (POST /login): a bearer token, valid 5 minutes on that node only. */
export async function login(url: string, credentials: Credentials): Promise<string> {
  let response: Response;
  try {
    response = await fetch(`${url}/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: credentials.username, password: credentials.password }),
    });
  } catch (error) {
    throw new Error(`${url}: login got no answer (${(error as Error).message}); is the node up?`);
  }
  if (response.status === 401)
    throw new Error(
      `${url}: login refused for ${credentials.username}: wrong password (admin-password or BESU_ADMIN_PASSWORD)`,
    );
  if (response.status === 400)
    throw new Error(
      `${url}: login refused: this node has no JSON-RPC authentication (not a node of this kit?)`,
    );
  const token = ((await response.json().catch(() => ({}))) as { token?: unknown }).token;
  if (typeof token !== "string")
    throw new Error(`${url}: login answered HTTP ${response.status} without a token`);
  return token;
}

/** A node's JSON-RPC as the operator: logs in on first use, and once more when the token has expired. */
export class AdminClient {
  private token?: string;

  constructor(
    readonly node: NodeInfo,
    private readonly credentials: Credentials,
  ) {}

  async call(method: string, params: unknown[] = []): Promise<unknown> {
    this.token ??= await login(this.node.rpcUrl, this.credentials);
    try {
      return await jsonRpc(this.node.rpcUrl, method, params, this.token);
    } catch (error) {
      if (!(error instanceof UnauthorizedError)) throw error;
      this.token = await login(this.node.rpcUrl, this.credentials);
      return jsonRpc(this.node.rpcUrl, method, params, this.token);
    }
  }
}

/** An operator's session with every node of a network. */
export class Operator {
  readonly clients: AdminClient[];

  constructor(
    readonly network: NetworkFile,
    credentials: Credentials,
  ) {
    this.clients = network.nodes.map((n) => new AdminClient(n, credentials));
  }

  static async open(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<Operator> {
    const network = await readNetworkFile(dir);
    return new Operator(network, await credentialsOf(dir, network, env));
  }

  async accountsAllowlist(client: AdminClient): Promise<string[]> {
    const list = (await client.call("perm_getAccountsAllowlist")) as string[];
    return list.map((a) => getAddress(a));
  }

  async nodesAllowlist(client: AdminClient): Promise<string[]> {
    return ((await client.call("perm_getNodesAllowlist")) as string[]).map(normalEnode);
  }

  /**
   * Adds `account` to (or removes it from) every node's accounts allowlist, then reads every node's list
   * back: returns when all agree, throws naming the nodes that do not.
   */
  async setMember(account: string, add: boolean): Promise<string[]> {
    if (!isAddress(account)) throw new Error(`account: ${JSON.stringify(account)} is not an address`);
    const address = getAddress(account);
    for (const client of this.clients) {
      if ((await this.accountsAllowlist(client)).includes(address) === add) continue; // already as wanted
      await client.call(add ? "perm_addAccountsToAllowlist" : "perm_removeAccountsFromAllowlist", [
        [address],
      ]);
    }
    const disagreeing: string[] = [];
    for (const client of this.clients)
      if ((await this.accountsAllowlist(client)).includes(address) !== add)
        disagreeing.push(client.node.label);
    if (disagreeing.length > 0)
      throw new Error(
        `${address} is ${add ? "still missing from" : "still on"} the allowlist of ${disagreeing.join(", ")}`,
      );
    return this.network.nodes.map((n) => n.label);
  }

  /** The accounts allowlist every node holds; throws naming the nodes that differ from the first. */
  async agreedAccounts(): Promise<string[]> {
    const lists = await Promise.all(this.clients.map((c) => this.accountsAllowlist(c)));
    const key = (list: string[]) => [...list].sort().join(",");
    const differing = this.clients.filter((_, i) => key(lists[i]) !== key(lists[0])).map((c) => c.node.label);
    if (differing.length > 0)
      throw new Error(
        `the accounts allowlists differ: ${differing.join(", ")} disagree with ${this.clients[0].node.label}; make them agree (besu:member) first`,
      );
    return lists[0];
  }

  /**
   * Puts `enodes` (default: every node of network.json) on every node's nodes allowlist (those already
   * there are left), then checks; throws naming each node still missing one.
   */
  async allowNodes(wanted: string[] = this.network.nodes.map((n) => n.enode)): Promise<void> {
    const enodes = wanted.map(normalEnode);
    const missing: string[] = [];
    for (const client of this.clients) {
      const listed = new Set(await this.nodesAllowlist(client));
      const absent = enodes.filter((e) => !listed.has(e));
      if (absent.length > 0) await client.call("perm_addNodesToAllowlist", [absent]);
      const after = new Set(await this.nodesAllowlist(client));
      if (enodes.some((e) => !after.has(e))) missing.push(client.node.label);
    }
    if (missing.length > 0)
      throw new Error(`the nodes allowlist of ${missing.join(", ")} still misses a node of network.json`);
  }

  /**
   * Proposes adding (`add`) or removing a validator on every validator's node, or withdraws their pending
   * proposals (`discard`). Returns the validators' labels that voted.
   */
  async voteValidator(validator: string, vote: "add" | "remove" | "discard"): Promise<string[]> {
    if (!isAddress(validator)) throw new Error(`validator: ${JSON.stringify(validator)} is not an address`);
    const address = getAddress(validator);
    const voters = this.clients.filter((c) => c.node.role === "validator");
    for (const client of voters) {
      if (vote === "discard") await client.call("qbft_discardValidatorVote", [address]);
      else await client.call("qbft_proposeValidatorVote", [address, vote === "add"]);
    }
    return voters.map((c) => c.node.label);
  }
}

/** Besu answers enodes in lower case, with or without the discovery port: compared without it. */
function normalEnode(enode: string): string {
  return enode.toLowerCase().replace(/\?discport=\d+$/, "");
}

/** One node's state, for the preflight: reachable, chain id, peers, height, and accounts missing from it. */
export interface NodeCheck {
  node: string;
  ok: boolean;
  detail: string;
}

/**
 * Checks every node of the network, logged in: it answers with the expected chain id, has peers, is near
 * the highest block seen, and holds every account that sends transactions on its accounts allowlist
 * (validators check it when they take a transaction into their pool and when they build a block: an
 * account missing on one validator leaves its transactions pending for ever).
 */
export async function checkNodes(
  operator: Operator,
  chainId: bigint,
  accounts: Array<{ field: string; address: string }>,
): Promise<NodeCheck[]> {
  const states = await Promise.all(
    operator.clients.map(async (client) => {
      try {
        const [id, peers, height, allowlist] = await Promise.all([
          client.call("eth_chainId"),
          client.call("net_peerCount"),
          client.call("eth_blockNumber"),
          operator.accountsAllowlist(client),
        ]);
        return { client, id: BigInt(id as string), peers: Number(peers), height: Number(height), allowlist };
      } catch (error) {
        return { client, error: (error as Error).message };
      }
    }),
  );
  const highest = Math.max(0, ...states.map((s) => ("height" in s ? s.height! : 0)));
  return states.map((s) => {
    const node = s.client.node.label;
    if ("error" in s) return { node, ok: false, detail: s.error! };
    const listed = new Set(s.allowlist);
    const missing = accounts.filter((a) => !listed.has(getAddress(a.address)));
    const problems = [
      ...(s.id !== chainId ? [`chain id ${s.id}, expected ${chainId}`] : []),
      ...(s.peers < 1 ? ["no peers"] : []),
      ...(highest - s.height > 2 ? [`${highest - s.height} blocks behind`] : []),
      ...(missing.length > 0
        ? [
            `not on its accounts allowlist: ${missing.map((m) => `${m.field} ${m.address}`).join(", ")} (npx hardhat besu:member --dir <network> --account <address>)`,
          ]
        : []),
    ];
    return {
      node,
      ok: problems.length === 0,
      detail:
        problems.length > 0
          ? problems.join("; ")
          : `chain ${s.id}, ${s.peers} peer(s), block ${s.height}, all ${accounts.length} transacting accounts allowed`,
    };
  });
}

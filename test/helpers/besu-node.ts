import { readFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { randomBytes } from "node:crypto";
import bcrypt from "bcryptjs";
import { parse } from "smol-toml";
import { BESU_PUBLIC_API_METHODS } from "../../src";

/*
 * A stand-in for one Besu 24.12.2 node's JSON-RPC HTTP service, configured from the files the kit wrote for
 * that node (its config.toml, the credentials file, its permissions file), following the rules read in
 * Besu's source (docs/besu.md lists them):
 * - JsonRpcHttpService.buildRouter: the Host header is checked against host-allowlist first (403), then
 *   CORS (an Origin must fully match the cors-origins joined by "|" as one regular expression, else 403),
 *   then /liveness and /readiness (no login), /login, and POST / behind the authentication handler;
 * - AuthenticationHandler: no bearer token and no no-auth methods: HTTP 401 before the request is read;
 * - JsonRpcExecutor: a name outside RpcMethod is "Method not found" (-32601), a known one whose API is not
 *   enabled "Method not enabled" (-32604);
 * - DefaultAuthenticationService.isPermitted: a no-auth method passes; else the token's permissions must
 *   hold "*:*", "<api>:*" or "<api>:<method>" (JsonRpcMethod.getPermissions), else -40100 with HTTP 401;
 * - DefaultAuthenticationService.login: {username, password} checked with bcrypt against the TOML user
 *   (TomlAuth), a token valid 5 minutes on this node only;
 * - ReadinessCheck: ready when peers >= minPeers (default 1) and at most maxBlocksBehind (default 2)
 *   behind; a parameter that is not a number is "not ready".
 * It answers eth_chainId, eth_blockNumber, net_peerCount and the PERM and QBFT methods the kit's tasks use,
 * with state in memory.
 */

/** The PERM, QBFT and TXPOOL names of RpcMethod.java at 24.12.2 (public ones: BESU_PUBLIC_API_METHODS). */
const ADMIN_API_METHODS = new Set([
  ..."discardValidatorVote getPendingVotes getValidatorsByBlockHash getValidatorsByBlockNumber proposeValidatorVote getSignerMetrics getRequestTimeoutSeconds"
    .split(" ")
    .map((m) => `qbft_${m}`),
  ..."addAccountsToAllowlist addNodesToAllowlist getAccountsAllowlist getNodesAllowlist reloadPermissionsFromFile removeAccountsFromAllowlist removeNodesFromAllowlist"
    .split(" ")
    .map((m) => `perm_${m}`),
  ..."besuStatistics besuTransactions besuPendingTransactions".split(" ").map((m) => `txpool_${m}`),
]);

export interface StubNodeState {
  chainId: bigint;
  block: number;
  peers: number;
  behind: number;
  accounts: string[];
  enodes: string[];
  votes: Array<{ address: string; add: boolean | null }>;
  /** Every call that reached a method, with the user that made it ("" without login). */
  calls: Array<{ method: string; user: string }>;
}

export interface StubNode {
  url: string;
  port: number;
  state: StubNodeState;
  /** Makes every token issued so far expire (as five minutes passing would). */
  expireTokens(): void;
  close(): Promise<void>;
}

const unauthorized = { jsonrpc: "2.0", id: null, error: { code: -40100, message: "Unauthorized" } };

/** Starts a stand-in of node `label` of the network in `outDir`, on `port` (default: a free loopback port). */
export async function startBesuStub(
  outDir: string,
  label: string,
  chainId: bigint,
  port = 0,
): Promise<StubNode> {
  const config = parse(await readFile(path.join(outDir, label, "config.toml"), "utf8")) as Record<
    string,
    unknown
  >;
  const permissions = parse(
    await readFile(path.join(outDir, label, "permissions_config.toml"), "utf8"),
  ) as Record<string, string[]>;
  const list = (key: string) => (config[key] as string[] | undefined) ?? [];
  const hosts = list("host-allowlist").length > 0 ? list("host-allowlist") : ["localhost", "127.0.0.1"];
  const corsSource = list("rpc-http-cors-origins").join("|");
  const cors = new RegExp(`^(?:${corsSource})$`);
  const apis = new Set(list("rpc-http-api").map((a) => a.toLowerCase()));
  const noAuth = new Set(list("rpc-http-api-methods-no-auth"));
  const authEnabled = config["rpc-http-authentication-enabled"] === true;
  // The credentials file as the container sees it: /config/<file> is the kit's directory, read-only.
  const credentialsPath = String(config["rpc-http-authentication-credentials-file"] ?? "");
  const credentialsFile = credentialsPath.replace(/^\/config\//, `${outDir}/`);
  const tokens = new Map<string, { user: string; permissions: string[]; expires: number }>();

  const state: StubNodeState = {
    chainId,
    block: 100,
    peers: 1,
    behind: 0,
    accounts: [...permissions["accounts-allowlist"]],
    enodes: [...permissions["nodes-allowlist"]],
    votes: [],
    calls: [],
  };

  const call = (method: string, params: unknown[]): unknown => {
    switch (method) {
      case "eth_chainId":
        return "0x" + state.chainId.toString(16);
      case "eth_blockNumber":
        return "0x" + state.block.toString(16);
      case "net_peerCount":
        return "0x" + state.peers.toString(16);
      case "perm_getAccountsAllowlist":
        return state.accounts;
      case "perm_getNodesAllowlist":
        return state.enodes;
      case "perm_addAccountsToAllowlist":
        state.accounts.push(...(params[0] as string[]));
        return "Success";
      case "perm_removeAccountsFromAllowlist":
        state.accounts = state.accounts.filter((a) => !(params[0] as string[]).includes(a));
        return "Success";
      case "perm_addNodesToAllowlist":
        state.enodes.push(...(params[0] as string[]));
        return "Success";
      case "qbft_proposeValidatorVote":
        state.votes.push({ address: params[0] as string, add: params[1] as boolean });
        return true;
      case "qbft_discardValidatorVote":
        state.votes.push({ address: params[0] as string, add: null });
        return true;
      default:
        return null;
    }
  };

  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", async () => {
      const send = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { "content-type": "application/json", ...headers });
        res.end(payload === undefined ? "" : JSON.stringify(payload));
      };
      const host = new URL(`http://${req.headers.host ?? ""}`).hostname.replace(/^\[|\]$/g, "");
      if (!hosts.includes("*") && !hosts.some((h) => h.toLowerCase() === host.toLowerCase()))
        return send(403, { message: "Host not authorized." });
      const origin = req.headers.origin;
      const corsHeaders: Record<string, string> = {};
      if (origin !== undefined) {
        if (!cors.test(origin)) return send(403, undefined);
        corsHeaders["access-control-allow-origin"] = origin;
        if (req.method === "OPTIONS") return send(204, undefined, corsHeaders);
      }
      const url = new URL(req.url ?? "/", "http://stub");
      if (req.method === "GET" && url.pathname === "/liveness") return send(200, { status: "UP" });
      if (req.method === "GET" && url.pathname === "/readiness") {
        const minPeers = Number(url.searchParams.get("minPeers") ?? 1);
        const maxBehind = Number(url.searchParams.get("maxBlocksBehind") ?? 2);
        const ready =
          Number.isInteger(minPeers) &&
          Number.isInteger(maxBehind) &&
          state.peers >= minPeers &&
          state.behind <= maxBehind;
        return send(ready ? 200 : 503, { status: ready ? "UP" : "DOWN" });
      }
      if (req.method === "POST" && url.pathname === "/login") {
        if (!authEnabled) return send(400, undefined);
        const { username, password } = JSON.parse(body || "{}") as { username?: string; password?: string };
        if (username === undefined || password === undefined) return send(400, undefined);
        const credentials = parse(await readFile(credentialsFile, "utf8")) as {
          Users?: Record<string, { password: string; permissions?: string[] }>;
        };
        const user = credentials.Users?.[username];
        if (!user || !bcrypt.compareSync(password, user.password)) return send(401, undefined);
        const token = randomBytes(16).toString("hex");
        tokens.set(token, {
          user: username,
          permissions: user.permissions ?? [],
          expires: Date.now() + 300_000,
        });
        return send(200, { token }, corsHeaders);
      }
      if (req.method !== "POST" || url.pathname !== "/") return send(404, undefined);
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
      if (authEnabled && bearer === undefined && noAuth.size === 0) return send(401, unauthorized);
      const session = bearer === undefined ? undefined : tokens.get(bearer);
      const user = session && session.expires > Date.now() ? session : undefined;
      const { id, method, params } = JSON.parse(body) as { id: number; method: string; params: unknown[] };
      if (!BESU_PUBLIC_API_METHODS.has(method) && !ADMIN_API_METHODS.has(method))
        return send(
          200,
          { jsonrpc: "2.0", id, error: { code: -32601, message: "Method not found" } },
          corsHeaders,
        );
      const api = method.slice(0, method.indexOf("_"));
      if (!apis.has(api))
        return send(
          200,
          { jsonrpc: "2.0", id, error: { code: -32604, message: "Method not enabled" } },
          corsHeaders,
        );
      const permitted =
        !authEnabled ||
        noAuth.has(method) ||
        (user !== undefined &&
          [`*:*`, `${api}:*`, method.replace("_", ":")].some((p) => user.permissions.includes(p)));
      if (!permitted) return send(401, { ...unauthorized, id }, corsHeaders);
      state.calls.push({ method, user: user?.user ?? "" });
      return send(200, { jsonrpc: "2.0", id, result: call(method, params ?? []) }, corsHeaders);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    state,
    expireTokens: () => {
      for (const session of tokens.values()) session.expires = 0;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

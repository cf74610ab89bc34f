import { readFile } from "node:fs/promises";
import path from "node:path";
import { getAddress, isAddress } from "ethers";
import type { NodeInfo } from "./kit";

/*
 * Operating a network the kit wrote: the same change on every node, through each node's own JSON-RPC
 * (listed in network.json), then a check that all nodes agree.
 */

export interface NetworkFile {
  name: string;
  chainId: number;
  nodes: NodeInfo[];
}

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
  return parsed;
}

/** One JSON-RPC call; a node that does not answer, or answers an error, is named. */
export async function jsonRpc(url: string, method: string, params: unknown[]): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
  } catch (error) {
    throw new Error(`${url}: ${method} got no answer (${(error as Error).message}); is the node up?`);
  }
  const body = (await response.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${url}: ${method} refused: ${body.error.message}`);
  return body.result;
}

/**
 * Adds `account` to (or removes it from) every node's accounts allowlist, then reads every node's list
 * back: returns when all agree, throws naming the nodes that do not.
 */
export async function setMember(network: NetworkFile, account: string, add: boolean): Promise<string[]> {
  if (!isAddress(account)) throw new Error(`account: ${JSON.stringify(account)} is not an address`);
  const address = getAddress(account);
  for (const node of network.nodes) {
    const listed = await allowlistOf(node);
    if (listed.includes(address) === add) continue; // already as wanted: nothing to change there
    await jsonRpc(node.rpcUrl, add ? "perm_addAccountsToAllowlist" : "perm_removeAccountsFromAllowlist", [
      [address],
    ]);
  }
  const disagreeing: string[] = [];
  for (const node of network.nodes) {
    if ((await allowlistOf(node)).includes(address) !== add) disagreeing.push(node.label);
  }
  if (disagreeing.length > 0)
    throw new Error(
      `${address} is ${add ? "still missing from" : "still on"} the allowlist of ${disagreeing.join(", ")}`,
    );
  return network.nodes.map((n) => n.label);
}

async function allowlistOf(node: NodeInfo): Promise<string[]> {
  const list = (await jsonRpc(node.rpcUrl, "perm_getAccountsAllowlist", [])) as string[];
  return list.map((a) => getAddress(a));
}

/**
 * Proposes adding (`add`) or removing a validator on every validator's node, or withdraws their pending
 * proposals (`discard`). Returns the validators' labels that voted.
 */
export async function voteValidator(
  network: NetworkFile,
  validator: string,
  vote: "add" | "remove" | "discard",
): Promise<string[]> {
  if (!isAddress(validator)) throw new Error(`validator: ${JSON.stringify(validator)} is not an address`);
  const address = getAddress(validator);
  const voters = network.nodes.filter((n) => n.role === "validator");
  for (const node of voters) {
    if (vote === "discard") await jsonRpc(node.rpcUrl, "qbft_discardValidatorVote", [address]);
    else await jsonRpc(node.rpcUrl, "qbft_proposeValidatorVote", [address, vote === "add"]);
  }
  return voters.map((n) => n.label);
}

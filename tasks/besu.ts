import { readFile } from "node:fs/promises";
import path from "node:path";
import { types } from "hardhat/config";
import { zonTask } from "./context";
import { preflightNetwork } from "../deploy/preflight";
import {
  parseMembers,
  readNetworkFile,
  setMember,
  voteValidator,
  writeNetwork,
  ZONCOIN_CHAIN_ID,
} from "../src";

zonTask(
  "besu:new",
  "Writes a private QBFT network for Besu: keys, genesis, node configs, allowlists, compose file",
)
  .addParam("name", "network name (lowercase letters, digits, dashes)")
  .addParam("validators", "number of validators", 4, types.int)
  .addParam("chainId", "chain id (not one of a public network)", ZONCOIN_CHAIN_ID, types.int)
  .addParam("blockPeriod", "seconds between blocks", 2, types.int)
  .addParam("members", 'JSON file: [{"label", "address"}] of the accounts that may transact')
  .addOptionalParam("out", "output directory (default besu/networks/<name>)")
  .addOptionalParam("seed", "derive the keys from this seed (reproducible); default: random keys")
  .addFlag("force", "overwrite an existing directory")
  .addFlag("funded", "give every member a balance (for a network with a gas price)")
  .addOptionalParam("subnet", "the compose network's /24 subnet (each node gets a fixed IP in it)")
  .addOptionalParam(
    "webOrigins",
    "comma-separated origins of the business portal the RPC node answers (CORS)",
  )
  .setAction(
    async (args: {
      name: string;
      validators: number;
      chainId: number;
      blockPeriod: number;
      members: string;
      out?: string;
      seed?: string;
      force: boolean;
      funded: boolean;
      subnet?: string;
      webOrigins?: string;
    }) => {
      let raw: unknown;
      try {
        raw = JSON.parse(await readFile(args.members, "utf8"));
      } catch (error) {
        throw new Error(`members: ${args.members} cannot be read as JSON (${(error as Error).message})`);
      }
      const outDir = args.out ?? path.join("besu", "networks", args.name);
      const { nodes, extraData } = await writeNetwork({
        name: args.name,
        validators: args.validators,
        chainId: args.chainId,
        blockPeriodSeconds: args.blockPeriod,
        members: parseMembers(raw, path.basename(args.members)),
        outDir,
        seed: args.seed,
        force: args.force,
        funded: args.funded,
        subnet: args.subnet,
        webOrigins: args.webOrigins?.split(",").map((origin) => {
          const trimmed = origin.trim();
          if (!/^https?:\/\/[^/\s]+$/.test(trimmed))
            throw new Error(
              `web-origins: ${JSON.stringify(trimmed)} is not an origin (scheme://host[:port])`,
            );
          return trimmed;
        }),
      });
      console.log(`network "${args.name}" written to ${outDir} (chain id ${args.chainId})`);
      console.table(nodes.map((n) => ({ node: n.label, role: n.role, address: n.address })));
      console.log(`extraData ${extraData}`);
      return { nodes, extraData };
    },
  );

zonTask(
  "preflight",
  "Checks that the network can take the ZonCoin deploy; exits non-zero on a failure",
).setAction(async (_args, hre) => {
  const rows = await preflightNetwork(hre);
  console.table(rows.map((r) => ({ check: r.check, result: r.ok ? "pass" : "FAIL", detail: r.detail })));
  const failed = rows.filter((r) => !r.ok);
  if (failed.length > 0) {
    throw new Error(`preflight: ${failed.map((r) => r.check).join(", ")} failed on ${hre.network.name}`);
  }
  return rows;
});

zonTask(
  "besu:member",
  "Adds a business's account to every node's accounts allowlist (or removes it), then checks all agree",
)
  .addParam("dir", "the network's directory (written by besu:new)")
  .addParam("account", "the business's address")
  .addFlag("remove", "remove it instead")
  .setAction(async (args: { dir: string; account: string; remove: boolean }) => {
    const nodes = await setMember(await readNetworkFile(args.dir), args.account, !args.remove);
    console.log(
      `${args.account} ${args.remove ? "removed from" : "on"} the accounts allowlist of ${nodes.join(", ")}: all agree`,
    );
    return nodes;
  });

zonTask(
  "besu:vote",
  "Every validator proposes adding or removing a validator (or withdraws its pending vote)",
)
  .addParam("dir", "the network's directory (written by besu:new)")
  .addParam("validator", "the validator's address")
  .addFlag("add", "vote it in")
  .addFlag("remove", "vote it out")
  .addFlag("discard", "withdraw the pending votes for it")
  .setAction(
    async (args: { dir: string; validator: string; add: boolean; remove: boolean; discard: boolean }) => {
      const chosen = [args.add && "add", args.remove && "remove", args.discard && "discard"].filter(Boolean);
      if (chosen.length !== 1) throw new Error("vote: give exactly one of --add, --remove, --discard");
      const voters = await voteValidator(
        await readNetworkFile(args.dir),
        args.validator,
        chosen[0] as "add" | "remove" | "discard",
      );
      console.log(
        `${chosen[0]} ${args.validator}: proposed on ${voters.join(", ")}; it takes effect once more than half of the validators agree, before the next epoch transition`,
      );
      return voters;
    },
  );

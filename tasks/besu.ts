import path from "node:path";
import { types } from "hardhat/config";
import { readJsonFile, zonTask } from "./context";
import { preflightNetwork } from "../deploy/preflight";

import {
  addValidatorFiles,
  DEFAULT_HEAP_MIB,
  Operator,
  parseMembers,
  parsePublicHost,
  parseWebOrigin,
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
    "comma-separated origins whose pages or wallet extensions may call the RPC node (CORS); default: npm run web's and MetaMask's",
  )
  .addOptionalParam(
    "publicHosts",
    "comma-separated host names the RPC node answers besides localhost (a reverse proxy's, e.g. rpc.example.com)",
  )
  .addParam("heapMib", "Java heap per node, MiB (BESU_OPTS=-Xmx…)", DEFAULT_HEAP_MIB, types.int)
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
      publicHosts?: string;
      heapMib: number;
    }) => {
      const raw = await readJsonFile("members", args.members, 'a members list ([{"label", "address"}])');
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
        webOrigins: args.webOrigins?.split(",").map(parseWebOrigin),
        publicHosts: args.publicHosts?.split(",").map(parsePublicHost),
        heapMiB: args.heapMib,
      });
      console.log(`network "${args.name}" written to ${outDir} (chain id ${args.chainId})`);
      console.table(nodes.map((n) => ({ node: n.label, role: n.role, address: n.address })));
      console.log(`extraData ${extraData}`);
      return { nodes, extraData };
    },
  );

zonTask("preflight", "Checks that the network can take the ZonCoin deploy; exits non-zero on a failure")
  .addOptionalParam(
    "besuDir",
    "a network written by besu:new: also check every node of it (peers, chain, every transacting account allowed)",
  )
  .setAction(async (args: { besuDir?: string }, hre) => {
    const rows = await preflightNetwork(hre, args.besuDir);
    console.table(rows.map((r) => ({ check: r.check, result: r.ok ? "pass" : "FAIL", detail: r.detail })));
    const failed = rows.filter((r) => !r.ok);
    if (failed.length > 0) {
      throw new Error(`${failed.map((r) => r.check).join(", ")} failed on ${hre.network.name}`);
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
    const nodes = await (await Operator.open(args.dir)).setMember(args.account, !args.remove);
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
      const voters = await (
        await Operator.open(args.dir)
      ).voteValidator(args.validator, chosen[0] as "add" | "remove" | "discard");
      console.log(
        `${chosen[0]} ${args.validator}: proposed on ${voters.join(", ")}; it takes effect once more than half of the validators agree, before the next epoch transition`,
      );
      return voters;
    },
  );

zonTask(
  "besu:add-validator",
  "Writes the next validator of a network (key, config, compose service), lists it on every node; then start it and vote it in",
)
  .addParam("dir", "the network's directory (written by besu:new)")
  .addOptionalParam("seed", "derive its key from this seed (reproducible); default: a random key")
  .setAction(async (args: { dir: string; seed?: string }) => {
    const operator = await Operator.open(args.dir);
    // Read before writing anything: the new node starts with the accounts the running nodes agree on.
    const accounts = await operator.agreedAccounts();
    const { node, network } = await addValidatorFiles(args.dir, operator.network, accounts, args.seed);
    console.log(
      `${node.label} ${node.address} written to ${args.dir}/${node.label}; network.json, static-nodes.json, docker-compose.yml and prometheus.yml updated`,
    );
    try {
      // The running nodes accept the new one's connection once its enode is on their nodes allowlist.
      await operator.allowNodes(network.nodes.map((n) => n.enode));
    } catch (error) {
      throw new Error(
        `${(error as Error).message}; ${node.label}'s files are written: start it (docker compose up -d ${node.label}) and run npx hardhat besu:allow-nodes --dir ${args.dir} once every node answers`,
      );
    }
    console.log(`its enode is on every running node's nodes allowlist. Next:
  sudo chown -R 1000:1000 ${path.join(args.dir, node.label)}
  (cd ${args.dir} && docker compose up -d ${node.label})
  npx hardhat besu:vote --dir ${args.dir} --validator ${node.address} --add`);
    return node;
  });

zonTask("besu:allow-nodes", "Puts every node of network.json on every node's nodes allowlist, then checks")
  .addParam("dir", "the network's directory (written by besu:new)")
  .setAction(async (args: { dir: string }) => {
    const operator = await Operator.open(args.dir);
    await operator.allowNodes();
    console.log(
      `every node of ${args.dir}/network.json is on the nodes allowlist of ${operator.network.nodes.map((n) => n.label).join(", ")}`,
    );
  });

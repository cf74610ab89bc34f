import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { getAddress, type Signer } from "ethers";
import { formatZon } from "../src/amounts";
import {
  combineSafeSignatures,
  createSafe,
  deploymentFile,
  deploySafeContracts,
  permitDigest,
  PERMIT_BYTES,
  readDeployment,
  readSafe,
  signSafeMessage,
  type OwnerSignature,
  type SafeContracts,
  deliveryRefHash,
  parseAddress,
  parseZon,
  redeemCalls,
  safeBatchFile,
  transferCalls,
  type Call,
} from "../src";
import { parseWhole, readJsonFile, signerFor, suiteAddress, zonTask } from "./context";

/*
 * safe:batch — what a business holding its ZON in a Safe multisig does instead of sending from a key: a
 * Safe Transaction Builder file of the calls, for its owners to import, sign and execute.
 */

zonTask(
  "safe:batch",
  "Writes a Safe Transaction Builder batch file for a business's Safe (redeem or transfer)",
)
  .addParam("safe", "the Safe's address (the business's wallet)")
  .addParam("action", "redeem (approve the price, then redeem) or transfer")
  .addParam("out", "batch file to write (JSON)")
  .addOptionalParam("sku", "redeem: SKU number")
  .addOptionalParam("quantity", "redeem: units", "1")
  .addOptionalParam("deliveryRef", "redeem: where to deliver (hashed)")
  .addOptionalParam("to", "transfer: recipient")
  .addOptionalParam("amount", "transfer: amount in ZON")
  .setAction(
    async (
      args: {
        safe: string;
        action: string;
        out: string;
        sku?: string;
        quantity: string;
        deliveryRef?: string;
        to?: string;
        amount?: string;
      },
      hre,
    ) => {
      const safe = parseAddress("safe", args.safe);
      const chainId = (await hre.ethers.provider.getNetwork()).chainId;
      const token = await hre.ethers.getContractAt(
        "ZonCoin",
        await suiteAddress(hre, "ZonCoin", "token", undefined),
      );
      let calls: Call[];
      let description: string;
      if (args.action === "redeem") {
        if (args.sku === undefined || args.deliveryRef === undefined)
          throw new Error("redeem: give --sku and --delivery-ref");
        const gateway = await hre.ethers.getContractAt(
          "RedemptionGateway",
          await suiteAddress(hre, "RedemptionGateway", "gateway", undefined),
        );
        const sku = parseWhole("sku", args.sku);
        const quantity = parseWhole("quantity", args.quantity);
        const { price, active } = await gateway.skuOf(sku);
        if (!active) throw new Error(`sku: SKU ${sku} is not listed or not active`);
        const total = price * quantity;
        if ((await token.balanceOf(safe)) < total)
          throw new Error(`safe: ${safe} holds less than the ${formatZon(total)} the redemption costs`);
        calls = redeemCalls(
          token,
          gateway,
          sku,
          quantity,
          total,
          deliveryRefHash(args.deliveryRef),
          args.deliveryRef,
        );
        description = `Redeem ${quantity} × SKU ${sku} for ${formatZon(total)} (approve exactly the price, then redeem)`;
      } else if (args.action === "transfer") {
        if (args.to === undefined || args.amount === undefined)
          throw new Error("transfer: give --to and --amount");
        const to = parseAddress("to", args.to);
        const amount = parseZon("amount", args.amount);
        calls = transferCalls(token, to, amount);
        description = `Send ${args.amount} ZON to ${to}`;
      } else {
        throw new Error(`action: ${JSON.stringify(args.action)} is not redeem or transfer`);
      }
      const batch = safeBatchFile({ chainId, safe, name: `ZonCoin: ${args.action}`, description, calls });
      await writeFile(args.out, JSON.stringify(batch, null, 2) + "\n");
      console.log(
        `${description}: ${calls.length} call(s) for Safe ${safe} written to ${args.out} (Transaction Builder → import)`,
      );
      return batch;
    },
  );

/*
 * A private chain has no Safe contracts: safe:deploy puts Safe v1.4.1's own (from its npm package) on it
 * once, safe:create makes a business's Safe from them, and safe:permit collects the owners' signatures of a
 * permit (each owner signs the Safe's SafeMessage of it, from their own machine) and submits them.
 */

function safeContractsFile(network: string): string {
  return path.join(path.dirname(deploymentFile(network)), `${network}.safe.json`);
}

async function readSafeContracts(network: string): Promise<SafeContracts> {
  const file = safeContractsFile(network);
  if (!existsSync(file))
    throw new Error(
      `safe: no Safe contracts deployed on ${network} (${file}); run npx hardhat safe:deploy first`,
    );
  return (await readJsonFile("safe", file, "the Safe contracts safe:deploy wrote")) as SafeContracts;
}

zonTask("safe:deploy", "Deploys Safe v1.4.1's contracts (from its npm package) on a chain that has none")
  .addOptionalParam("from", "account that deploys (index, address or name)")
  .setAction(async (args: { from?: string }, hre) => {
    const file = safeContractsFile(hre.network.name);
    if (existsSync(file)) {
      const known = await readSafeContracts(hre.network.name);
      if ((await hre.ethers.provider.getCode(known.singleton)) !== "0x") {
        console.log(`Safe contracts already on ${hre.network.name}: ${file}`);
        return known;
      }
    }
    const deployer = await signerFor(hre, args.from);
    const contracts = await deploySafeContracts(deployer);
    await writeFile(file, JSON.stringify(contracts, null, 2) + "\n");
    for (const [name, address] of Object.entries(contracts)) console.log(`${name.padEnd(18)} ${address}`);
    console.log(`written to ${file}`);
    return contracts;
  });

zonTask(
  "safe:create",
  "Creates a Safe (owners, threshold) from the Safe contracts safe:deploy put on the chain",
)
  .addParam("owners", "owner addresses, comma-separated")
  .addParam("threshold", "how many owners must sign")
  .addOptionalParam("salt", "salt nonce (a second Safe with the same owners needs another)", "0")
  .addOptionalParam("from", "account that sends the creation")
  .setAction(async (args: { owners: string; threshold: string; salt: string; from?: string }, hre) => {
    const owners = args.owners.split(",").map((o, i) => parseAddress(`owners[${i}]`, o.trim()));
    if (new Set(owners).size !== owners.length)
      throw new Error(`owners: ${args.owners} names an owner twice`);
    const threshold = Number(parseWhole("threshold", args.threshold));
    const contracts = await readSafeContracts(hre.network.name);
    const creator = await signerFor(hre, args.from);
    const safe = await createSafe(contracts, creator, owners, threshold, parseWhole("salt", args.salt));
    console.log(`Safe ${safe}: ${threshold} of ${owners.length} owners (${owners.join(", ")})`);
    return safe;
  });

/** A permit being signed by a Safe's owners: what each owner signs, and the signatures so far. */
interface PermitFile {
  chainId: string;
  token: string;
  safe: string;
  spender: string;
  value: string;
  deadline: string;
  nonce: string;
  digest: string;
  signatures: OwnerSignature[];
}

zonTask(
  "safe:permit",
  "Collects a Safe's owners' signatures of a ZON permit (one owner per run), then submits it with --submit",
)
  .addParam("file", "the permit being signed (created by the first owner, passed on to the next)")
  .addOptionalParam("safe", "first run: the Safe")
  .addOptionalParam("spender", "first run: who may spend (e.g. the gateway's or escrow's address)")
  .addOptionalParam("amount", "first run: ZON the spender may take")
  .addOptionalParam("hours", "first run: hours the permit stays valid", "24")
  .addOptionalParam("from", "the owner who signs now (or, with --submit, who sends)")
  .addFlag("submit", "submit once enough owners signed")
  .setAction(
    async (
      args: {
        file: string;
        safe?: string;
        spender?: string;
        amount?: string;
        hours: string;
        from?: string;
        submit: boolean;
      },
      hre,
    ) => {
      const token = await hre.ethers.getContractAt(
        "ZonCoin",
        readDeployment(hre.network.name).contracts.ZonCoin,
      );
      let permit: PermitFile;
      if (existsSync(args.file)) {
        permit = (await readJsonFile("file", args.file, "a permit file safe:permit wrote")) as PermitFile;
        if (permit.token !== (await token.getAddress()))
          throw new Error(`file: ${args.file} is a permit for token ${permit.token}, not this network's`);
      } else {
        if (args.safe === undefined || args.spender === undefined || args.amount === undefined)
          throw new Error("safe:permit: a new permit needs --safe, --spender and --amount");
        const safe = parseAddress("safe", args.safe);
        const spender = parseAddress("spender", args.spender);
        const value = parseZon("amount", args.amount);
        const now = BigInt((await hre.ethers.provider.getBlock("latest"))!.timestamp);
        const deadline = now + parseWhole("hours", args.hours) * 3600n;
        const { digest, nonce } = await permitDigest(token, safe, spender, value, deadline);
        permit = {
          chainId: (await hre.ethers.provider.getNetwork()).chainId.toString(),
          token: await token.getAddress(),
          safe,
          spender,
          value: value.toString(),
          deadline: deadline.toString(),
          nonce: nonce.toString(),
          digest,
          signatures: [],
        };
      }
      const { owners, threshold } = await readSafe(hre.ethers.provider, permit.safe, hre.network.name);
      const current = await token.nonces(permit.safe);
      if (current !== BigInt(permit.nonce))
        throw new Error(
          `file: the permit was made for nonce ${permit.nonce}, the Safe's is now ${current} (another permit was used); start a new file`,
        );
      const describe = `${formatZon(BigInt(permit.value))} of Safe ${permit.safe} to ${permit.spender}`;
      if (args.submit) {
        if (permit.signatures.length < threshold)
          throw new Error(
            `file: ${permit.signatures.length} of the ${threshold} owner signatures the Safe needs; have more owners run safe:permit --file ${args.file}`,
          );
        const sender = await signerFor(hre, args.from);
        const tx = await token.connect(sender).getFunction(PERMIT_BYTES)(
          permit.safe,
          permit.spender,
          BigInt(permit.value),
          BigInt(permit.deadline),
          combineSafeSignatures(permit.signatures),
        );
        await tx.wait();
        console.log(`permit submitted in ${tx.hash}: ${describe}`);
        return permit;
      }
      const owner: Signer = await signerFor(hre, args.from);
      const address = getAddress(await owner.getAddress());
      if (!owners.includes(address))
        throw new Error(
          `from: ${address} is not an owner of Safe ${permit.safe} (owners: ${owners.join(", ")})`,
        );
      const signed = await signSafeMessage(owner, BigInt(permit.chainId), permit.safe, permit.digest);
      permit.signatures = [...permit.signatures.filter((s) => s.owner !== address), signed];
      await writeFile(args.file, JSON.stringify(permit, null, 2) + "\n");
      console.log(
        `${address} signed the permit for ${describe}: ${permit.signatures.length} of ${threshold} signatures${permit.signatures.length >= threshold ? `; submit it: npx hardhat safe:permit --file ${args.file} --submit` : "; pass the file to the next owner"}`,
      );
      return permit;
    },
  );

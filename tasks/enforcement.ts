import type { ContractTransactionReceipt, ContractTransactionResponse, LogDescription, Signer } from "ethers";
import type { ConfigurableTaskDefinition, HardhatRuntimeEnvironment } from "hardhat/types";
import type { ZonCoin } from "../typechain-types";
import {
  announcedOperations,
  caseReference,
  describeCaseId,
  describePositions,
  forcedTransferOperation,
  formatZon,
  openPositions,
  parseAddress,
  parseCaseId,
  parseZon,
  recoveryOperation,
  requireOperationReady,
  ROLES,
  settleRecoveredPositions,
} from "../src";
import { dateOf, eventsFromBlock, parseWhole, signerFor, suiteAddress, zonTask, ROLE } from "./context";
import { tokenAt } from "./token";

/*
 * The token's two rare powers, a task for each step: announce (when an enforcement delay is in force),
 * execute, cancel; and what an operator needs around them: the delay, what is announced, and what a lost
 * wallet still has open in the gateway and the escrow.
 */

const TOKEN = "ZonCoin address (default: deployments/<network>.json)";
const FROM = "account to send from: index, address, or name (default: the account the role is given to)";
const CASE = "the case's reference (at most 31 bytes, kept readable on chain) or its 32-byte hash (0x…)";

/** One recovery or forced transfer, as the flags name it. */
interface Operation {
  /** "the recovery of 0x… to 0x… (case "…")", for sentences. */
  what: string;
  id: string;
  caseId: string;
  announce(token: ZonCoin): Promise<ContractTransactionResponse>;
  execute(token: ZonCoin): Promise<ContractTransactionResponse>;
  cancel(token: ZonCoin): Promise<ContractTransactionResponse>;
}

interface Kind {
  prefix: "recovery" | "forced";
  title: string;
  role: (typeof ROLE)["recoveryOfficer" | "forcedTransferOfficer"];
  /** The `--from` name of the officer, for the cancel step's default. */
  officer: "recoveryOfficer" | "forcedTransferOfficer";
  declare(t: ConfigurableTaskDefinition): ConfigurableTaskDefinition;
  read(args: Record<string, string>): Operation;
  /** What the operator reads once it is announced or done (`officer` sent it). */
  report(
    hre: HardhatRuntimeEnvironment,
    token: ZonCoin,
    op: Operation,
    logs: LogDescription[],
    officer: Signer,
  ): Promise<void>;
}

const RECOVERY: Kind = {
  prefix: "recovery",
  title: "recovery",
  role: ROLE.recoveryOfficer,
  officer: "recoveryOfficer",
  declare: (t) =>
    t
      .addParam("lost", "the wallet whose key is lost")
      .addParam("replacement", "the business's new wallet")
      .addParam("case", CASE),
  read(args) {
    const lost = parseAddress("lost", args.lost);
    const replacement = parseAddress("replacement", args.replacement);
    const caseId = parseCaseId("case", args.case);
    return {
      what: `the recovery of ${lost} to ${replacement} (case ${describeCaseId(caseId)})`,
      id: recoveryOperation(lost, replacement, caseId),
      caseId,
      announce: (token) => token.announceRecovery(lost, replacement, caseId),
      execute: (token) => token.recoverWallet(lost, replacement, caseId),
      cancel: (token) => token.cancelRecovery(lost, replacement, caseId),
    };
  },
  async report(hre, token, op, logs, officer) {
    const recovered = logs.find((l) => l.name === "WalletRecovered");
    const lost = recovered?.args.lost ?? logs.find((l) => l.name === "RecoveryAnnounced")?.args.lost;
    if (!recovered) {
      for (const line of await positionsOf(hre, lost)) console.log(line);
      return;
    }
    const { replacement, amount } = recovered.args;
    console.log(
      `${formatZon(amount)} moved from ${lost} to ${replacement} (case ${describeCaseId(op.caseId)}); ` +
        `${lost} is frozen` +
        ((await token.isAllowlisted(replacement)) ? `; ${replacement} is allowlisted` : ""),
    );
    await settle(hre, lost, replacement, officer);
  },
};

const FORCED: Kind = {
  prefix: "forced",
  title: "forced transfer",
  role: ROLE.forcedTransferOfficer,
  officer: "forcedTransferOfficer",
  declare: (t) =>
    t
      .addParam("holder", "the holder the amount is taken from")
      .addParam("to", "the holder it goes to")
      .addParam("amount", "amount in ZON")
      .addParam("case", CASE),
  read(args) {
    const holder = parseAddress("holder", args.holder);
    const to = parseAddress("to", args.to);
    const amount = parseZon("amount", args.amount);
    const caseId = parseCaseId("case", args.case);
    return {
      what: `the forced transfer of ${formatZon(amount)} from ${holder} to ${to} (case ${describeCaseId(caseId)})`,
      id: forcedTransferOperation(holder, to, amount, caseId),
      caseId,
      announce: (token) => token.announceForcedTransfer(holder, to, amount, caseId),
      execute: (token) => token.forceTransfer(holder, to, amount, caseId),
      cancel: (token) => token.cancelForcedTransfer(holder, to, amount, caseId),
    };
  },
  async report(_hre, token, _op, logs) {
    const done = logs.find((l) => l.name === "ForcedTransfer");
    if (!done) return;
    const { from, to } = done.args;
    console.log(
      `balances now: ${from} ${formatZon(await token.balanceOf(from))}, ${to} ${formatZon(await token.balanceOf(to))}`,
    );
  },
};

async function custodians(hre: HardhatRuntimeEnvironment) {
  const gateway = await hre.ethers.getContractAt(
    "RedemptionGateway",
    await suiteAddress(hre, "RedemptionGateway", "gateway", undefined),
  );
  const escrow = await hre.ethers.getContractAt(
    "B2BEscrow",
    await suiteAddress(hre, "B2BEscrow", "escrow", undefined),
  );
  const ranges = {
    gateway: { fromBlock: await eventsFromBlock(hre, await gateway.getAddress()) },
    escrow: { fromBlock: await eventsFromBlock(hre, await escrow.getAddress()) },
  };
  return { gateway, escrow, ranges };
}

async function positionsOf(hre: HardhatRuntimeEnvironment, account: string): Promise<string[]> {
  const { gateway, escrow, ranges } = await custodians(hre);
  return describePositions(await openPositions(gateway, escrow, account, ranges));
}

/** Moves the recovered wallet's open positions to its replacement, and says what moved. */
async function settle(hre: HardhatRuntimeEnvironment, lost: string, replacement: string, sender: Signer) {
  const { gateway, escrow, ranges } = await custodians(hre);
  const positions = await openPositions(gateway, escrow, lost, ranges);
  const settled = await settleRecoveredPositions(gateway.connect(sender), escrow.connect(sender), positions);
  if (!settled.requests && settled.agreements.length === 0)
    console.log(`${lost} had no open redemption and no unsettled escrow position to move`);
  if (settled.requests)
    console.log(
      `redemption request(s) ${settled.requests.ids.join(", ")} now belong to ${replacement} (${settled.requests.tx})`,
    );
  for (const a of settled.agreements)
    console.log(`agreement ${a.id}: ${lost}'s role now belongs to ${replacement} (${a.tx})`);
  return settled;
}

/**
 * The time the next block will have, about: what the contract compares an announcement with. After the
 * latest block, and not before the clock (a chain that mines on demand has an old latest block).
 */
async function nextBlockTime(hre: HardhatRuntimeEnvironment): Promise<bigint> {
  const latest = BigInt((await hre.ethers.provider.getBlock("latest"))!.timestamp) + 1n;
  const clock = BigInt(Math.floor(Date.now() / 1000));
  return latest > clock ? latest : clock;
}

function parsedLogs(token: ZonCoin, receipt: ContractTransactionReceipt): LogDescription[] {
  return receipt.logs.map((log) => token.interface.parseLog(log)).filter((l) => l !== null);
}

for (const kind of [RECOVERY, FORCED]) {
  const announce = `${kind.prefix}:announce`;
  kind
    .declare(
      zonTask(
        announce,
        `Announces a ${kind.title} (the ${kind.role.title}); it can be carried out once the enforcement delay has passed`,
      ),
    )
    .addOptionalParam("token", TOKEN)
    .addOptionalParam("from", FROM)
    .setAction(async (args: Record<string, string>, hre) => {
      const token = await tokenAt(hre, args.token);
      const op = kind.read(args);
      const officer = await signerFor(hre, args.from, { ...kind.role, contract: token });
      const pending = await token.operationReadyAt(op.id);
      if (pending !== 0n)
        throw new Error(
          `${op.what} is already announced, ready from ${dateOf(pending)}; carry it out or cancel it`,
        );
      const receipt = (await (await op.announce(token.connect(officer))).wait())!;
      console.log(
        `${op.what} announced as operation ${op.id} in ${receipt.hash}; it can be carried out from ${dateOf(await token.operationReadyAt(op.id))}`,
      );
      await kind.report(hre, token, op, parsedLogs(token, receipt), officer);
      return op.id;
    });

  kind
    .declare(zonTask(`${kind.prefix}:execute`, `Carries out a ${kind.title} (the ${kind.role.title})`))
    .addOptionalParam("token", TOKEN)
    .addOptionalParam("from", FROM)
    .setAction(async (args: Record<string, string>, hre) => {
      const token = await tokenAt(hre, args.token);
      const op = kind.read(args);
      const officer = await signerFor(hre, args.from, { ...kind.role, contract: token });
      await requireOperationReady(token, op.id, await nextBlockTime(hre), op.what, announce);
      const receipt = (await (await op.execute(token.connect(officer))).wait())!;
      console.log(`${op.what} carried out in ${receipt.hash}`);
      await kind.report(hre, token, op, parsedLogs(token, receipt), officer);
      return receipt.hash;
    });

  kind
    .declare(
      zonTask(
        `${kind.prefix}:cancel`,
        `Cancels an announced ${kind.title} (the ${kind.role.title}, or the token's admin)`,
      ),
    )
    .addOptionalParam("token", TOKEN)
    .addOptionalParam("from", `${FROM}; the token's admin may cancel too`)
    .setAction(async (args: Record<string, string>, hre) => {
      const token = await tokenAt(hre, args.token);
      const op = kind.read(args);
      const signer = await signerFor(hre, args.from ?? kind.officer);
      const address = await signer.getAddress();
      if (
        !(await token.hasRole(kind.role.role, address)) &&
        !(await token.hasRole(ROLES.DEFAULT_ADMIN, address))
      )
        throw new Error(
          `from: ${address} is neither the ${kind.role.title} nor the token's admin; only they may cancel`,
        );
      if ((await token.operationReadyAt(op.id)) === 0n)
        throw new Error(`${op.what} is not announced (never, or already carried out or cancelled)`);
      const receipt = (await (await op.cancel(token.connect(signer))).wait())!;
      console.log(`${op.what} cancelled in ${receipt.hash}`);
    });
}

zonTask(
  "recovery:positions",
  "Lists what a wallet still has open in the gateway and the escrow (before or after its recovery)",
)
  .addParam("account", "the wallet")
  .setAction(async (args: { account: string }, hre) => {
    const lines = await positionsOf(hre, parseAddress("account", args.account));
    for (const line of lines) console.log(line);
    return lines;
  });

zonTask(
  "recovery:settle",
  "Moves a recovered wallet's open redemptions and escrow roles to its replacement (recovery:execute does it; anyone may)",
)
  .addParam("lost", "the recovered wallet")
  .addOptionalParam("token", TOKEN)
  .addOptionalParam("from", "account to send from (default: the recovery officer)")
  .setAction(async (args: { lost: string; token?: string; from?: string }, hre) => {
    const token = await tokenAt(hre, args.token);
    const lost = parseAddress("lost", args.lost);
    const [replacement, caseId] = await token.recoveryOf(lost);
    if (replacement === "0x0000000000000000000000000000000000000000")
      throw new Error(`lost: ${lost} was never recovered; recover it first (recovery:execute)`);
    console.log(`${lost} was recovered to ${replacement} (case ${describeCaseId(caseId)})`);
    return settle(hre, lost, replacement, await signerFor(hre, args.from ?? "recoveryOfficer"));
  });

zonTask(
  "enforcement:delay",
  "Shows the delay between announcing a recovery or forced transfer and carrying it out; --seconds sets it (the token's admin)",
)
  .addOptionalParam("seconds", "the new delay in seconds (0: no announcement needed; at most 30 days)")
  .addOptionalParam("token", TOKEN)
  .addOptionalParam("from", "account to send from (default: governance)")
  .setAction(async (args: { seconds?: string; token?: string; from?: string }, hre) => {
    const token = await tokenAt(hre, args.token);
    if (args.seconds !== undefined) {
      const delay = parseWhole("seconds", args.seconds);
      const admin = await signerFor(hre, args.from, { ...ROLE.tokenAdmin, contract: token });
      const receipt = await (await token.connect(admin).setEnforcementDelay(delay)).wait();
      console.log(`enforcement delay set in ${receipt?.hash}`);
    }
    const delay = await token.enforcementDelay();
    console.log(
      delay === 0n
        ? "enforcement delay: none (a recovery or forced transfer is carried out at once)"
        : `enforcement delay: ${delay} s (a recovery or forced transfer is announced ${delay} s before it is carried out)`,
    );
    return delay;
  });

zonTask("enforcement:pending", "Lists the recoveries and forced transfers announced and not yet carried out")
  .addOptionalParam("token", TOKEN)
  .setAction(async (args: { token?: string }, hre) => {
    const token = await tokenAt(hre, args.token);
    const pending = await announcedOperations(token, {
      fromBlock: await eventsFromBlock(hre, await token.getAddress()),
    });
    if (pending.length === 0) console.log("no recovery or forced transfer is announced");
    else
      console.table(
        pending.map((p) => ({
          kind: p.kind,
          case: caseReference(p.caseId),
          from: p.from,
          to: p.to,
          amount: p.amount === undefined ? "whole balance" : formatZon(p.amount),
          readyAt: dateOf(p.readyAt),
          operation: p.operation,
        })),
      );
    return pending;
  });

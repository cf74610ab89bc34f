import type { ContractTransactionResponse, TransactionResponse } from "ethers";
import type { Call } from "../../src/actions";
import { safeBatchFile } from "../../src/safe";
import type { App } from "./app";
import { report, type ActivityLine } from "./ui";
import { onRightChain } from "./wallet";

/*
 * Every action goes through `perform`: from a wallet it is sent (one signature where a permit does the
 * approval, otherwise the action's calls in order) and followed to its confirmation; acting as a Safe it
 * becomes a Transaction Builder file of the same calls. Reads refresh once it is confirmed.
 */

export interface Action {
  label: string;
  /** The calls, for a Safe (and, without `send`, for the wallet). */
  calls(): Promise<Call[]>;
  /** A wallet's own way, when it differs (e.g. a permit signature instead of an approval). */
  send?(line: ActivityLine): Promise<TransactionResponse | ContractTransactionResponse>;
}

function download(name: string, content: string) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([content], { type: "application/json" }));
  link.download = name;
  link.click();
  URL.revokeObjectURL(link.href);
}

async function follow(line: ActivityLine, tx: TransactionResponse, step: string): Promise<number> {
  line.set("pending", `${step}pending in ${tx.hash.slice(0, 12)}…`);
  const receipt = await tx.wait();
  return receipt!.blockNumber;
}

export async function perform(app: App, action: Action): Promise<boolean> {
  const ok = await report(action.label, async (line) => {
    if (app.safe) {
      const calls = await action.calls();
      const batch = safeBatchFile({
        chainId: BigInt(app.config.chainId),
        safe: app.safe,
        name: `ZonCoin: ${action.label}`,
        description: action.label,
        calls,
      });
      const name = `zoncoin-${action.label.toLowerCase().replace(/[^a-z0-9]+/g, "-")}.json`;
      download(name, JSON.stringify(batch, null, 2));
      return `Safe batch file ${name} written (${calls.length} call(s)): import it in the Safe's Transaction Builder, then sign and execute`;
    }
    if (!app.wallet) throw new Error("wallet: not connected; connect your wallet first");
    if (!(await onRightChain(app)))
      throw new Error(
        `network: your wallet is on another network; switch to ${app.config.chainName} (the button at the top) and try again`,
      );
    if (action.send) {
      const block = await follow(line, await action.send(line), "");
      return `confirmed in block ${block}`;
    }
    const calls = await action.calls();
    let block = 0;
    for (const [i, call] of calls.entries()) {
      const step = calls.length > 1 ? `step ${i + 1} of ${calls.length}: ` : "";
      line.set("wallet", `${step}waiting for your wallet…`);
      const tx = await app.wallet.signer.sendTransaction({ ...call, ...app.txOverrides });
      block = await follow(line, tx, step);
    }
    return `confirmed in block ${block}`;
  });
  if (ok) app.changed();
  return ok;
}

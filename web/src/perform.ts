import type { ContractTransactionResponse, TransactionResponse } from "ethers";
import type { Call } from "../../src/actions";
import { safeBatchFile } from "../../src/safe";
import type { App, Standing } from "./app";
import { report, type ActivityLine } from "./ui";
import { onRightChain } from "./wallet";

/*
 * Every action goes through `perform`: from a wallet it is sent (one signature where a permit does the
 * approval, otherwise the action's calls in order) and followed to its confirmation; acting as a Safe it
 * becomes a Transaction Builder file of the same calls. One action runs at a time: while it does, every
 * action button is disabled, so a double click asks for one signature. What the chain would refuse up
 * front (a paused contract, a frozen account) is refused before the wallet is asked for anything.
 */

/** The suite's contracts an action goes through, for the up-front pause check. */
export type Contract = keyof Standing["paused"];

export interface Action {
  label: string;
  /** The contracts the action goes through: each must be unpaused. The token is always checked. */
  uses: Contract[];
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

async function follow(app: App, line: ActivityLine, tx: TransactionResponse, step: string) {
  line.set("pending", `${step}pending in transaction ${tx.hash.slice(0, 12)}…`, app.explorerLink(tx.hash));
  const receipt = await tx.wait();
  return { message: `confirmed in block ${receipt!.blockNumber}`, link: app.explorerLink(tx.hash) };
}

/** Disables every action button of the page while an action runs, and marks the one that started it. */
export function markBusy(busy: boolean, trigger?: HTMLElement) {
  document.body.dataset.busy = String(busy);
  for (const button of document.querySelectorAll<HTMLButtonElement>("#view button, #account button")) {
    if (busy && !button.disabled) {
      button.disabled = true;
      button.dataset.heldByAction = "true";
    } else if (!busy && button.dataset.heldByAction) {
      button.disabled = false;
      delete button.dataset.heldByAction;
    }
  }
  if (trigger) trigger.setAttribute("aria-busy", String(busy));
}

/** Refuses, before any signature, what the chain would refuse: a paused contract or a frozen account. */
async function checkStanding(app: App, action: Action) {
  const standing = await app.standing();
  for (const contract of new Set<Contract>(["token", ...action.uses]))
    if (standing.paused[contract])
      throw new Error(
        `${app.contractTitle(contract)} is paused by the issuer, so this cannot go through now; nothing was asked or sent. ${app.contactLine()}`,
      );
  if (standing.frozen)
    throw new Error(
      `Your account ${app.account} is frozen by compliance: it cannot send, receive or spend ZON; nothing was asked or sent. ${app.contactLine()}`,
    );
}

export async function perform(app: App, action: Action, trigger?: HTMLElement): Promise<boolean> {
  if (app.busy) return false;
  app.busy = action.label;
  markBusy(true, trigger);
  try {
    const ok = await report(action.label, async (line) => {
      if (app.chainDown)
        throw new Error(
          "The ZonCoin network cannot be reached, so nothing was asked or sent; try again once the page says it is back.",
        );
      await checkStanding(app, action);
      if (app.safe) {
        const calls = await action.calls();
        const batch = safeBatchFile({
          chainId: BigInt(app.config.chainId),
          safe: app.safe,
          owner: app.wallet?.account,
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
      if (action.send) return follow(app, line, await action.send(line), "");
      const calls = await action.calls();
      let done = { message: "nothing to send" } as Awaited<ReturnType<typeof follow>>;
      for (const [i, call] of calls.entries()) {
        const step = calls.length > 1 ? `step ${i + 1} of ${calls.length}: ` : "";
        const tx = await line.wallet(`${step}confirm in your wallet…`, () =>
          app.wallet!.signer.sendTransaction({ ...call, ...app.txOverrides }),
        );
        done = await follow(app, line, tx, step);
      }
      return done;
    });
    return ok;
  } finally {
    app.busy = undefined;
    markBusy(false, trigger);
    app.changed();
  }
}

import { isError } from "ethers";
import { describeError } from "../../src/errors";

/*
 * Small DOM helpers, and the activity panel: every action shows its state (waiting for the wallet,
 * pending, confirmed, failed, declined) with a sentence a business can act on — never a selector.
 */

type Child = Node | string | number | false | null | undefined;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | boolean | ((event: Event) => void)> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (typeof value === "function") element.addEventListener(name.replace(/^on/, ""), value);
    else if (value === true) element.setAttribute(name, "");
    else if (value !== false) element.setAttribute(name, value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === "object" ? child : String(child));
  }
  return element;
}

export function clear(element: HTMLElement, ...children: Child[]) {
  element.replaceChildren();
  for (const child of children)
    if (child !== null && child !== undefined && child !== false)
      element.append(typeof child === "object" ? child : String(child));
}

/** A date for a reader (UTC, to the minute). */
export function when(seconds: bigint | number): string {
  return new Date(Number(seconds) * 1000).toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

export function short(address: string): string {
  return `${address.slice(0, 6)}…${address.slice(-4)}`;
}

/** What went wrong, as one sentence: a decline in the wallet, a decoded revert, or the error's own words. */
export function explain(error: unknown): string {
  const code = (error as { code?: unknown; info?: { error?: { code?: unknown } } })?.code;
  const nestedCode = (error as { info?: { error?: { code?: unknown } } })?.info?.error?.code;
  if (isError(error, "ACTION_REJECTED") || code === 4001 || nestedCode === 4001)
    return "You declined in your wallet: nothing was sent and nothing changed.";
  return describeError(error);
}

export type ActivityState = "wallet" | "pending" | "confirmed" | "failed" | "declined" | "info";

/** One line of the activity panel, updated as its action goes. */
export class ActivityLine {
  readonly element: HTMLElement;
  constructor(private readonly label: string) {
    this.element = h("div", { class: "line", "data-state": "wallet" });
    document.getElementById("activity")!.prepend(this.element);
  }
  set(state: ActivityState, message: string) {
    this.element.dataset.state = state;
    clear(this.element, h("strong", {}, `${this.label}: `), message);
  }
}

/** Runs an action and reports it; returns whether it went through. */
export async function report(
  label: string,
  action: (line: ActivityLine) => Promise<string>,
): Promise<boolean> {
  const line = new ActivityLine(label);
  line.set("wallet", "waiting for your wallet…");
  try {
    line.set("confirmed", await action(line));
    return true;
  } catch (error) {
    const sentence = explain(error);
    line.set(sentence.startsWith("You declined") ? "declined" : "failed", sentence);
    return false;
  }
}

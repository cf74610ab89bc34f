import { isError } from "ethers";
import { explainError } from "../../src/errors";

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

/** Whether an error is the browser failing to reach the node (no answer at all, not a refusal). */
export function unreachable(error: unknown): boolean {
  const text = `${(error as { message?: unknown })?.message ?? ""} ${(error as { code?: unknown })?.code ?? ""}`;
  return /Failed to fetch|NetworkError|Load failed|ECONNREFUSED|NETWORK_ERROR|TIMEOUT|network request failed/i.test(
    text,
  );
}

/**
 * What went wrong: `summary` says what happened and what to do, in words; `detail` keeps the contract's
 * error name and arguments for a "details" toggle. Never a selector, never cut off.
 */
export function explain(error: unknown): { summary: string; detail?: string; declined?: boolean } {
  const code = (error as { code?: unknown })?.code;
  const nestedCode = (error as { info?: { error?: { code?: unknown } } })?.info?.error?.code;
  if (isError(error, "ACTION_REJECTED") || code === 4001 || nestedCode === 4001)
    return { summary: "You declined in your wallet: nothing was sent and nothing changed.", declined: true };
  if (unreachable(error))
    return {
      summary:
        "The ZonCoin network cannot be reached, so nothing was sent. The page retries by itself; try again once it says the network is back.",
    };
  return explainError(error);
}

/** An explanation as page content: the summary, and the details behind a toggle. */
export function explained(error: unknown, attributes: Record<string, string> = {}): HTMLElement {
  const { summary, detail } = explain(error);
  return h(
    "div",
    { class: "explained", ...attributes },
    h("span", { class: "summary" }, summary),
    detail ? h("details", {}, h("summary", {}, "details"), h("code", {}, detail)) : null,
  );
}

export type ActivityState = "wallet" | "pending" | "confirmed" | "failed" | "declined" | "info";

/** Thrown when the user abandons an action whose wallet never answered. */
export class Abandoned extends Error {
  constructor() {
    super("abandoned");
  }
}

/** One line of the activity panel, updated as its action goes; it can be dismissed once settled. */
export class ActivityLine {
  readonly element: HTMLElement;
  private readonly abandon = new AbortController();
  constructor(private readonly label: string) {
    this.element = h("div", { class: "line", "data-state": "wallet", role: "status" });
    document.getElementById("activity")!.prepend(this.element);
  }

  /** Aborted when the user abandons the action. */
  get signal(): AbortSignal {
    return this.abandon.signal;
  }

  set(state: ActivityState, message: string | Node, link?: { href: string; text: string }) {
    this.element.dataset.state = state;
    const busy = state === "wallet" || state === "pending";
    clear(
      this.element,
      busy ? h("span", { class: "spinner", "aria-hidden": "true" }) : null,
      h("strong", {}, `${this.label}: `),
      message,
      link ? h("a", { href: link.href, target: "_blank", rel: "noopener" }, ` ${link.text}`) : null,
      state === "wallet"
        ? h(
            "button",
            { class: "link", onclick: () => this.abandon.abort(), title: "stop waiting for the wallet" },
            "Abandon",
          )
        : null,
      busy
        ? null
        : h("button", { class: "dismiss", "aria-label": "dismiss", onclick: () => this.element.remove() }),
    );
  }

  /**
   * Waits for the wallet's answer to `request`, unless the user abandons first: then nothing further is
   * asked or sent, and a late answer is dropped.
   */
  async wallet<T>(message: string, request: () => Promise<T>): Promise<T> {
    if (this.signal.aborted) throw new Abandoned();
    this.set("wallet", message);
    const abandoned = new Promise<never>((_, reject) =>
      this.signal.addEventListener("abort", () => reject(new Abandoned()), { once: true }),
    );
    return Promise.race([request(), abandoned]);
  }
}

/** Runs an action and reports it; returns whether it went through. */
export async function report(
  label: string,
  action: (
    line: ActivityLine,
  ) => Promise<string | { message: string; link?: { href: string; text: string } }>,
): Promise<boolean> {
  const line = new ActivityLine(label);
  line.set("wallet", "getting ready…");
  try {
    const done = await action(line);
    if (typeof done === "string") line.set("confirmed", done);
    else line.set("confirmed", done.message, done.link);
    return true;
  } catch (error) {
    if (error instanceof Abandoned) {
      line.set(
        "declined",
        "Abandoned: nothing more will be asked or sent. If your wallet still shows the request, reject it there.",
      );
      return false;
    }
    const { declined } = explain(error);
    line.set(declined ? "declined" : "failed", explained(error));
    return false;
  }
}

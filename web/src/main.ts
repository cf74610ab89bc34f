import { getAddress, isAddress } from "ethers";
import { App } from "./app";
import { loadConfig } from "./config";
import { markBusy } from "./perform";
import "./style.css";
import { clear, explained, h, report, short, unreachable } from "./ui";
import { cashback } from "./views/cashback";
import { escrow } from "./views/escrow";
import { issuer } from "./views/issuer";
import { overview } from "./views/overview";
import { redeem } from "./views/redeem";
import { checkSafe } from "./safe";
import { connect, followAccounts, injectedWallet, onRightChain, switchToNetwork } from "./wallet";

/** Seconds between looks at the chain: a new block with the suite's events refreshes the view. */
const WATCH_SECONDS = 3;
/** Seconds after which a view is refreshed even without events (deadlines pass with time). */
const REFRESH_SECONDS = 30;

const VIEWS = {
  overview: { title: "Overview", render: overview },
  cashback: { title: "Cashback", render: cashback },
  redeem: { title: "Redeem", render: redeem },
  escrow: { title: "Escrow", render: escrow },
  issuer: { title: "Issuer", render: issuer },
} as const;
type ViewName = keyof typeof VIEWS;

function currentView(): ViewName {
  const name = window.location.hash.slice(1);
  return name in VIEWS ? (name as ViewName) : "overview";
}

/** What the user typed in the view (by field name), and where the cursor was, to survive a refresh. */
function typedIn(view: HTMLElement) {
  const values = new Map<string, string>();
  for (const input of view.querySelectorAll<HTMLInputElement>("input[name]"))
    if (input.value !== input.defaultValue) values.set(input.name, input.value);
  const active = document.activeElement as HTMLInputElement | null;
  const focus =
    active && view.contains(active) && active.name
      ? { name: active.name, start: active.selectionStart, end: active.selectionEnd }
      : undefined;
  return { values, focus };
}

function restoreTyped(view: HTMLElement, typed: ReturnType<typeof typedIn>) {
  for (const input of view.querySelectorAll<HTMLInputElement>("input[name]")) {
    const value = typed.values.get(input.name);
    if (value !== undefined) {
      input.value = value;
      input.dispatchEvent(new Event("input"));
    }
  }
  if (typed.focus) {
    const input = view.querySelector<HTMLInputElement>(`input[name="${CSS.escape(typed.focus.name)}"]`);
    input?.focus();
    if (input && typed.focus.start !== null) input.setSelectionRange(typed.focus.start, typed.focus.end);
  }
}

async function start() {
  const app = new App(await loadConfig());
  const view = document.getElementById("view")!;
  const tabs = document.getElementById("tabs")!;
  const account = document.getElementById("account")!;
  const banner = document.getElementById("network")!;
  const chainBanner = document.getElementById("chain")!;
  const standingBanner = document.getElementById("standing")!;
  let liveTimer: number | undefined;
  let typedSafe: string | undefined;
  let rendering = 0;
  let renderedAt = 0;

  const renderHeader = async () => {
    const safeInput = h("input", {
      type: "text",
      name: "safe",
      placeholder: "act as a Safe: 0x…",
      value: typedSafe ?? app.safe ?? "",
      "aria-label": "Safe address",
    });
    // The header is drawn again on every refresh: what is being typed here survives it.
    safeInput.addEventListener("input", () => (typedSafe = safeInput.value));
    const safeForm = h(
      "form",
      {
        class: "inline",
        onsubmit: (event: Event) => {
          event.preventDefault();
          const value = safeInput.value.trim();
          typedSafe = undefined;
          void report("Act as a Safe", async () => {
            if (value === "") {
              app.safe = undefined;
              app.safeInfo = undefined;
              app.changed();
              return "acting as your wallet again";
            }
            if (!isAddress(value)) throw new Error(`Safe: ${JSON.stringify(value)} is not an address`);
            const info = await checkSafe(app, getAddress(value));
            app.safe = info.address;
            app.safeInfo = info;
            app.changed();
            return `acting as Safe ${info.address}: ${info.threshold} of ${info.owners.length} owners sign`;
          });
        },
      },
      safeInput,
      h("button", { type: "submit" }, app.safe ? "Change" : "Use Safe"),
    );
    clear(
      account,
      app.wallet
        ? h("span", { "data-testid": "connected" }, `wallet ${short(app.wallet.account)}`)
        : h(
            "button",
            {
              class: "primary",
              onclick: () =>
                report("Connect", async () => {
                  await connect(app);
                  followAccounts(app);
                  app.changed();
                  return `connected as ${app.wallet!.account}`;
                }),
            },
            "Connect wallet",
          ),
      safeForm,
      app.safeInfo
        ? h(
            "span",
            { class: "safe", "data-testid": "safe" },
            `actions are written as batch files for Safe ${short(app.safeInfo.address)} (${app.safeInfo.threshold} of ${app.safeInfo.owners.length}: ${app.safeInfo.owners.map(short).join(", ")})`,
          )
        : null,
    );
    const right = app.wallet ? await onRightChain(app) : true;
    banner.hidden = right && injectedWallet() !== undefined;
    if (!injectedWallet())
      clear(
        banner,
        "No wallet in this browser: install MetaMask (or another EIP-1193 wallet) to act; the issuer view works without one.",
      );
    else if (!right)
      clear(
        banner,
        `Your wallet is on another network. `,
        h(
          "button",
          {
            class: "primary",
            onclick: () =>
              report("Switch network", async () => {
                await switchToNetwork(app, app.wallet!.eip1193);
                app.changed();
                return `switched to ${app.config.chainName}`;
              }),
          },
          `Switch to ${app.config.chainName}`,
        ),
      );
  };

  /** Paused contracts and a frozen account, said before anyone tries to act. */
  const renderStanding = async () => {
    const standing = await app.standing();
    const paused = (Object.keys(standing.paused) as Array<keyof typeof standing.paused>).filter(
      (c) => standing.paused[c],
    );
    const lines = [
      ...paused.map(
        (c) =>
          `${app.contractTitle(c)} is paused by the issuer: ${PAUSE_EFFECT[c]} until it is unpaused. ${app.contactLine()}`,
      ),
      standing.frozen
        ? `Your account ${app.account} is frozen by compliance: it cannot send, receive or spend ZON. ${app.contactLine()}`
        : undefined,
    ].filter((line): line is string => line !== undefined);
    standingBanner.hidden = lines.length === 0;
    clear(standingBanner, ...lines.map((line) => h("p", {}, line)));
  };

  const render = async () => {
    const run = ++rendering;
    window.clearInterval(liveTimer);
    const name = currentView();
    clear(
      tabs,
      ...Object.entries(VIEWS).map(([key, v]) =>
        h("a", { href: `#${key}`, class: key === name ? "active" : "" }, v.title),
      ),
    );
    const shown = view.dataset.view === name;
    if (!shown) view.dataset.ready = "false";
    const live = (tick: () => Promise<void>) => {
      if (run !== rendering) return;
      liveTimer = window.setInterval(
        () =>
          void tick()
            .then(() => app.busy && markBusy(true))
            .catch(() => undefined),
        WATCH_SECONDS * 1000,
      );
    };
    // Each render builds off-page and is shown only if no newer one started: a slow read of an older
    // state never overwrites a newer view.
    const next = h("div");
    try {
      await renderHeader();
      await renderStanding();
      await VIEWS[name].render(app, next, live);
    } catch (error) {
      if (unreachable(error)) {
        app.chainDown = true;
        showChainDown();
        clear(
          next,
          h(
            "p",
            { class: "hint", "data-testid": "unreachable" },
            "This view needs the ZonCoin network, which cannot be reached right now. It appears here by itself once the node answers.",
          ),
        );
      } else clear(next, explained(error, { class: "error" }));
    }
    if (run !== rendering) return;
    const typed = shown ? typedIn(view) : { values: new Map<string, string>(), focus: undefined };
    view.replaceChildren(...next.childNodes);
    restoreTyped(view, typed);
    if (app.busy) markBusy(true);
    view.dataset.view = name;
    view.dataset.account = app.account ?? "";
    view.dataset.ready = "true";
    renderedAt = Date.now();
  };

  // The node's health and the chain's news: one eth_blockNumber every few seconds straight at the RPC URL.
  let attempts = 0;
  let seenBlock: number | undefined;
  const showChainDown = () => {
    chainBanner.hidden = false;
    chainBanner.dataset.state = "down";
    clear(
      chainBanner,
      h("span", { class: "spinner", "aria-hidden": "true" }),
      `The ZonCoin network cannot be reached (${app.config.rpcUrl}). Nothing can be read or sent until it answers; the page retries every ${WATCH_SECONDS} s by itself (attempt ${attempts}, last at ${new Date().toLocaleTimeString()}).`,
    );
  };
  const watch = async () => {
    let head: number;
    try {
      const response = await fetch(app.config.rpcUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] }),
        signal: AbortSignal.timeout(WATCH_SECONDS * 1000),
      });
      head = Number(((await response.json()) as { result: string }).result);
      if (!Number.isSafeInteger(head)) throw new Error("no block number");
    } catch {
      attempts++;
      app.chainDown = true;
      showChainDown();
      return;
    }
    const recovered = app.chainDown;
    app.chainDown = false;
    attempts = 0;
    chainBanner.hidden = true;
    delete chainBanner.dataset.state;
    if (app.busy) return;
    const news =
      recovered ||
      seenBlock === undefined ||
      Date.now() - renderedAt > REFRESH_SECONDS * 1000 ||
      (head > seenBlock &&
        (head - seenBlock > app.config.maxLogsRange ||
          (await app.provider.getLogs({ address: app.addresses, fromBlock: seenBlock + 1, toBlock: head }))
            .length > 0));
    if (seenBlock !== undefined && news) void render();
    seenBlock = head;
  };
  window.setInterval(() => void watch().catch(() => undefined), WATCH_SECONDS * 1000);

  document.getElementById("clear-activity")!.addEventListener("click", () => {
    // Lines still waiting on the wallet or the chain stay: only settled ones are cleared.
    for (const line of document.querySelectorAll<HTMLElement>("#activity .line"))
      if (!["wallet", "pending"].includes(line.dataset.state ?? "")) line.remove();
  });
  app.onChange(() => void render());
  window.addEventListener("hashchange", () => void render());
  await render();
  await watch().catch(() => undefined);
}

const PAUSE_EFFECT = {
  token: "no ZON can move (no transfer, claim, redemption or escrow payment)",
  distributor: "cashback cannot be claimed",
  gateway: "nothing can be redeemed or cancelled",
  escrow: "no agreement can be created, funded or settled",
} as const;

start().catch((error: unknown) => {
  clear(document.getElementById("view")!, explained(error, { class: "error" }));
});

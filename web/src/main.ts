import { getAddress, isAddress } from "ethers";
import { App } from "./app";
import { loadConfig } from "./config";
import "./style.css";
import { clear, explain, h, report, short } from "./ui";
import { cashback } from "./views/cashback";
import { escrow } from "./views/escrow";
import { issuer } from "./views/issuer";
import { overview } from "./views/overview";
import { redeem } from "./views/redeem";
import { connect, injectedWallet, onRightChain, switchToNetwork } from "./wallet";

/** Seconds between refreshes of a view's live part (a redemption's status). */
const LIVE_SECONDS = 3;

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

async function start() {
  const app = new App(await loadConfig());
  const view = document.getElementById("view")!;
  const tabs = document.getElementById("tabs")!;
  const account = document.getElementById("account")!;
  const banner = document.getElementById("network")!;
  let liveTimer: number | undefined;
  let rendering = 0;

  const renderHeader = async () => {
    const safeInput = h("input", {
      type: "text",
      placeholder: "act as a Safe: 0x…",
      value: app.safe ?? "",
      "aria-label": "Safe address",
    });
    const safeForm = h(
      "form",
      {
        class: "inline",
        onsubmit: (event: Event) => {
          event.preventDefault();
          const value = safeInput.value.trim();
          if (value !== "" && !isAddress(value)) {
            void report("Act as a Safe", async () => {
              throw new Error(`Safe: ${JSON.stringify(value)} is not an address`);
            });
            return;
          }
          app.safe = value === "" ? undefined : getAddress(value);
          app.changed();
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
                  app.changed();
                  return `connected as ${app.wallet!.account}`;
                }),
            },
            "Connect wallet",
          ),
      safeForm,
      app.safe
        ? h(
            "span",
            { class: "safe", "data-testid": "safe" },
            `actions are written as batch files for Safe ${short(app.safe)}`,
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

  const render = async () => {
    const run = ++rendering;
    view.dataset.ready = "false";
    window.clearInterval(liveTimer);
    const name = currentView();
    clear(
      tabs,
      ...Object.entries(VIEWS).map(([key, v]) =>
        h("a", { href: `#${key}`, class: key === name ? "active" : "" }, v.title),
      ),
    );
    await renderHeader();
    const live = (tick: () => Promise<void>) => {
      if (run !== rendering) return;
      liveTimer = window.setInterval(() => void tick().catch(() => undefined), LIVE_SECONDS * 1000);
    };
    // Each render builds off-page and is shown only if no newer one started: a slow read of an older
    // state never overwrites a newer view.
    const next = h("div");
    try {
      await VIEWS[name].render(app, next, live);
    } catch (error) {
      clear(next, h("p", { class: "error" }, explain(error)));
    }
    if (run !== rendering) return;
    view.replaceChildren(...next.childNodes);
    view.dataset.ready = "true";
  };

  app.onChange(() => void render());
  window.addEventListener("hashchange", () => void render());
  await render();
}

start().catch((error: unknown) => {
  document.getElementById("view")!.textContent = explain(error);
});

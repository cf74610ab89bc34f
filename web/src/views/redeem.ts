import { cancelRedemptionCalls, deliveryRefHash, redeemCalls } from "../../../src/actions";
import { formatZon } from "../../../src/amounts";
import { describeReasonCode } from "../../../src/fulfilment/reasons";
import { signPermit } from "../../../src/permit";
import { requestFromEvent, SKU_KINDS } from "../../../src/redemption";
import type { EventLog } from "ethers";
import type { App } from "../app";
import { events } from "../history";
import { perform } from "../perform";
import { clear, h, when } from "../ui";

/** Seconds a redemption's permit stays valid: long enough to confirm in a wallet, short enough to not linger. */
const PERMIT_SECONDS = 3600n;

function parseQuantity(value: string): bigint {
  if (!/^[1-9][0-9]{0,8}$/.test(value.trim()))
    throw new Error(`quantity: ${JSON.stringify(value)} is not a whole number of units from 1`);
  return BigInt(value.trim());
}

async function catalogue(app: App, account: string) {
  const { gateway } = app.read;
  const updates = await events(app, "gateway", gateway.filters.SkuUpdated(), "sku-updates");
  const skus = [...new Set(updates.map((log) => log.args.sku as bigint))].sort((a, b) => Number(a - b));
  return Promise.all(
    skus.map(async (sku) => ({
      sku,
      config: await gateway.skuOf(sku),
      taken: await gateway.redeemedBy(sku, account),
    })),
  );
}

/** The account's requests with their state now: open (accepted or not), fulfilled, rejected or cancelled. */
async function requestsOf(app: App, account: string, root: HTMLElement) {
  const { gateway } = app.read;
  const [requested, fulfilled, rejected, cancelled, accepted] = await Promise.all([
    events(app, "gateway", gateway.filters.RedemptionRequested(undefined, account), `requests-${account}`),
    events(app, "gateway", gateway.filters.RedemptionFulfilled(), "fulfilled"),
    events(app, "gateway", gateway.filters.RedemptionRejected(), "rejected"),
    events(app, "gateway", gateway.filters.RedemptionCancelled(), "cancelled"),
    events(app, "gateway", gateway.filters.RedemptionAccepted(), "accepted"),
  ]);
  const now = BigInt((await app.provider.getBlock("latest"))!.timestamp);
  const byId = (logs: EventLog[], id: bigint) => logs.find((l) => l.args.id === id);
  const items = [...requested].reverse().map((log) => {
    const { request } = requestFromEvent(log);
    const done = byId(fulfilled, request.id);
    const refused = byId(rejected, request.id);
    const withdrawn = byId(cancelled, request.id);
    const acceptance = byId(accepted, request.id);
    const cancelFrom =
      acceptance && acceptance.args.acceptedUntil > request.cancelAfter
        ? acceptance.args.acceptedUntil
        : request.cancelAfter;
    let status: string;
    let action: HTMLElement | undefined;
    if (done) status = "fulfilled";
    else if (refused) status = `rejected: ${describeReasonCode(Number(refused.args.reasonCode))}`;
    else if (withdrawn) status = "cancelled: your ZON came back";
    else if (now >= cancelFrom) {
      status = "open, not fulfilled in time: you may cancel it and take your ZON back";
      action = h(
        "button",
        {
          onclick: () =>
            perform(app, {
              label: `Cancel redemption #${request.id}`,
              calls: async () => cancelRedemptionCalls(app.read.gateway, request),
            }),
        },
        "Cancel",
      );
    } else
      status = `${acceptance ? "accepted by the fulfiller, being delivered" : "waiting for the fulfiller"}; cancellable from ${when(cancelFrom)}`;
    return h(
      "li",
      { "data-request": String(request.id) },
      `#${request.id}: ${request.quantity} × SKU ${request.sku} for ${formatZon(request.amount)} — `,
      h("span", { class: "status" }, status),
      " ",
      action,
    );
  });
  clear(
    root,
    items.length === 0
      ? h("p", { class: "hint" }, "No redemption yet.")
      : h("ul", { "data-testid": "requests" }, ...items),
  );
}

/** The catalogue with prices, stock and limits; redeem with one permit signature; requests followed live. */
export async function redeem(app: App, root: HTMLElement, live: (tick: () => Promise<void>) => void) {
  const account = app.account;
  if (!account) return clear(root, h("p", { class: "hint" }, "Connect your wallet to redeem."));
  const entries = await catalogue(app, account);
  const requests = h("div");
  const rows = entries
    .filter((e) => e.config.active)
    .map(({ sku, config, taken }) => {
      const quantity = h("input", {
        type: "text",
        inputmode: "numeric",
        value: "1",
        "aria-label": `quantity of SKU ${sku}`,
        size: "4",
      });
      const reference = h("input", {
        type: "text",
        placeholder: "deliver to (cloud account, email)",
        "aria-label": `delivery reference for SKU ${sku}`,
      });
      const limit =
        config.perAccountLimit > 0n
          ? `${taken} of ${config.perAccountLimit} per account used`
          : "no per-account limit";
      const stock = config.limitedStock ? `${config.stock} in stock` : "unlimited stock";
      const parsed = async () => {
        const units = parseQuantity(quantity.value);
        const total = config.price * units;
        const ref = deliveryRefHash(reference.value);
        const balance = await app.read.token.balanceOf(account);
        if (balance < total)
          throw new Error(
            `balance: you hold ${formatZon(balance)}, ${units} × SKU ${sku} costs ${formatZon(total)}; claim your cashback or receive ZON first`,
          );
        return { units, total, ref };
      };
      const redeemIt = () =>
        perform(app, {
          label: `Redeem SKU ${sku}`,
          calls: async () => {
            const { units, total, ref } = await parsed();
            return redeemCalls(app.read.token, app.read.gateway, sku, units, total, ref);
          },
          send: async (line) => {
            const { units, total, ref } = await parsed();
            const now = BigInt((await app.provider.getBlock("latest"))!.timestamp);
            const deadline = now + PERMIT_SECONDS;
            line.set("wallet", `sign the permit for ${formatZon(total)} in your wallet…`);
            const p = await signPermit(
              app.read.token,
              app.wallet!.signer,
              String(app.read.gateway.target),
              total,
              deadline,
            );
            line.set("wallet", "confirm the redemption in your wallet…");
            return app
              .write()
              .gateway.redeemWithPermit(sku, units, total, ref, deadline, p.v, p.r, p.s, app.txOverrides);
          },
        });
      return h(
        "div",
        { class: "sku card", "data-sku": String(sku) },
        h("h3", {}, `SKU ${sku}: ${SKU_KINDS[Number(config.kind)] ?? "item"}`),
        h("p", {}, h("strong", {}, formatZon(config.price)), ` each · ${stock} · ${limit}`),
        h(
          "form",
          {
            onsubmit: (event: Event) => {
              event.preventDefault();
              void redeemIt();
            },
          },
          quantity,
          reference,
          h("button", { class: "primary", type: "submit" }, "Redeem"),
        ),
      );
    });
  clear(
    root,
    h(
      "section",
      {},
      h("h2", {}, "Catalogue"),
      rows.length === 0
        ? h("p", { class: "hint" }, "The catalogue is empty.")
        : h("div", { class: "grid" }, ...rows),
    ),
    h("section", { class: "card" }, h("h2", {}, "Your redemptions"), requests),
  );
  await requestsOf(app, account, requests);
  live(() => requestsOf(app, account, requests));
}

import type { EventLog } from "ethers";
import { cancelRedemptionCalls, deliveryRefHash, redeemCalls } from "../../../src/actions";
import { formatZon } from "../../../src/amounts";
import { describeReasonCode } from "../../../src/fulfilment/reasons";
import { signPermit } from "../../../src/permit";
import { requestFromEvent, SKU_KINDS } from "../../../src/redemption";
import { withReference } from "../../../src/reference";
import type { App } from "../app";
import { catalogueEntry } from "../catalogue";
import { events, referenceIn } from "../history";
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
  const items = [];
  for (const log of [...requested].reverse()) {
    const { request, deliveryRef } = requestFromEvent(log);
    const done = byId(fulfilled, request.id);
    const refused = byId(rejected, request.id);
    const withdrawn = byId(cancelled, request.id);
    const acceptance = byId(accepted, request.id);
    const cancelFrom =
      acceptance && acceptance.args.acceptedUntil > request.cancelAfter
        ? acceptance.args.acceptedUntil
        : request.cancelAfter;
    const reference = await referenceIn(app, log.transactionHash, deliveryRef);
    let status: string;
    let action: HTMLElement | undefined;
    if (done) status = `delivered (the fulfiller's receipt ${String(done.args.receiptHash).slice(0, 10)}…)`;
    else if (refused) status = `rejected: ${describeReasonCode(Number(refused.args.reasonCode))}`;
    else if (withdrawn) status = "cancelled: your ZON came back";
    else if (now >= cancelFrom) {
      status = "open, not fulfilled in time: you may cancel it and take your ZON back";
      action = h(
        "button",
        {
          onclick: (event: Event) =>
            perform(
              app,
              {
                label: `Cancel redemption #${request.id}`,
                uses: ["gateway"],
                calls: async () => cancelRedemptionCalls(app.read.gateway, request),
              },
              event.currentTarget as HTMLElement,
            ),
        },
        "Cancel",
      );
    } else
      status = `${acceptance ? "accepted by the fulfiller, being delivered" : "waiting for the fulfiller"}; cancellable from ${when(cancelFrom)}`;
    const title = (await catalogueEntry(request.sku))?.name ?? `SKU ${request.sku}`;
    items.push(
      h(
        "li",
        { "data-request": String(request.id) },
        `Redemption #${request.id}: ${request.quantity} × ${title} for ${formatZon(request.amount)}, `,
        h(
          "span",
          { class: "reference" },
          reference === undefined ? "delivery reference not on chain" : `deliver to ${reference}`,
        ),
        " — ",
        h("span", { class: "status" }, status),
        " ",
        action,
      ),
    );
  }
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
  const rows = [];
  for (const { sku, config, taken } of entries.filter((e) => e.config.active)) {
    const meta = await catalogueEntry(sku);
    const quantity = h("input", {
      type: "text",
      inputmode: "numeric",
      value: "1",
      name: `quantity-${sku}`,
      size: "4",
    });
    const reference = h("input", {
      type: "text",
      name: `reference-${sku}`,
      placeholder: "a cloud account, an email",
    });
    const total = h("p", { class: "total", "data-testid": `total-${sku}` });
    const left = config.perAccountLimit > 0n ? config.perAccountLimit - taken : undefined;
    const limit =
      left === undefined ? "no per-account limit" : `${taken} of ${config.perAccountLimit} per account used`;
    const stock = config.limitedStock ? `${config.stock} in stock` : "unlimited stock";
    const unavailable =
      left !== undefined && left <= 0n
        ? `You have redeemed the ${config.perAccountLimit} allowed per account.`
        : config.limitedStock && config.stock === 0n
          ? "Out of stock."
          : undefined;
    const parsed = async () => {
      const units = parseQuantity(quantity.value);
      const now = await app.read.gateway.redeemedBy(sku, account);
      if (config.perAccountLimit > 0n && now + units > config.perAccountLimit)
        throw new Error(
          `quantity: you have redeemed ${now} of the ${config.perAccountLimit} allowed per account, so at most ${config.perAccountLimit - now} more, not ${units}; nothing was asked or sent`,
        );
      if (config.limitedStock && units > (await app.read.gateway.skuOf(sku)).stock)
        throw new Error(`quantity: only ${config.stock} in stock, not ${units}; nothing was asked or sent`);
      const cost = config.price * units;
      const text = reference.value.trim();
      const ref = deliveryRefHash(text);
      const balance = await app.read.token.balanceOf(account);
      if (balance < cost)
        throw new Error(
          `balance: you hold ${formatZon(balance)}, ${units} × SKU ${sku} costs ${formatZon(cost)}; claim your cashback or receive ZON first`,
        );
      return { units, cost, ref, text };
    };
    const showTotal = () => {
      try {
        clear(total, `Total: ${formatZon(config.price * parseQuantity(quantity.value))}`);
      } catch (error) {
        clear(total, h("span", { class: "error" }, (error as Error).message));
      }
    };
    quantity.addEventListener("input", showTotal);
    showTotal();
    const label = `Redeem SKU ${sku}`;
    const redeemIt = (trigger: HTMLElement) =>
      perform(
        app,
        {
          label,
          uses: ["gateway"],
          calls: async () => {
            const { units, cost, ref, text } = await parsed();
            return redeemCalls(app.read.token, app.read.gateway, sku, units, cost, ref, text);
          },
          send: async (line) => {
            const { units, cost, ref, text } = await parsed();
            const deadline = BigInt((await app.provider.getBlock("latest"))!.timestamp) + PERMIT_SECONDS;
            const gateway = app.read.gateway;
            const p = await line.wallet(`sign the permit for ${formatZon(cost)} in your wallet…`, () =>
              signPermit(app.read.token, app.wallet!.signer, String(gateway.target), cost, deadline),
            );
            const data = withReference(
              "delivery reference",
              gateway.interface.encodeFunctionData("redeemWithPermit", [
                sku,
                units,
                cost,
                ref,
                deadline,
                p.v,
                p.r,
                p.s,
              ]),
              text,
            );
            return line.wallet("confirm the redemption in your wallet…", () =>
              app.wallet!.signer.sendTransaction({ to: String(gateway.target), data, ...app.txOverrides }),
            );
          },
        },
        trigger,
      );
    const button = h(
      "button",
      { class: "primary", type: "submit", disabled: unavailable !== undefined },
      "Redeem",
    );
    rows.push(
      h(
        "div",
        { class: "sku card", "data-sku": String(sku) },
        h("h3", {}, meta?.name ?? `SKU ${sku}: ${SKU_KINDS[Number(config.kind)] ?? "item"}`),
        meta?.description ? h("p", { class: "description" }, meta.description) : null,
        h("p", {}, h("strong", {}, formatZon(config.price)), ` each · ${stock} · ${limit}`),
        unavailable ? h("p", { class: "hint" }, unavailable) : null,
        h(
          "form",
          {
            onsubmit: (event: Event) => {
              event.preventDefault();
              void redeemIt(button);
            },
          },
          h("label", { class: "field narrow" }, h("span", {}, "Quantity"), quantity),
          h("label", { class: "field" }, h("span", {}, "Deliver to"), reference),
          total,
          button,
        ),
      ),
    );
  }
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

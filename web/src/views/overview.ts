import { formatZon } from "../../../src/amounts";
import { readAgreement } from "../../../src/escrow";
import type { App } from "../app";
import { blockTime, describeMove, events, referenceIn } from "../history";
import { clear, h, when } from "../ui";

const PAGE = 10;

/** Balance, the account's ZON movements (paged, newest first) and what is pending for it. */
export async function overview(app: App, root: HTMLElement) {
  const account = app.account;
  if (!account) return clear(root, h("p", { class: "hint" }, "Connect your wallet to see your ZON."));
  const { token, gateway } = app.read;
  const [balance, sent, received] = await Promise.all([
    token.balanceOf(account),
    events(app, "token", token.filters.Transfer(account), `transfer-from-${account}`),
    events(app, "token", token.filters.Transfer(undefined, account), `transfer-to-${account}`),
  ]);
  const moves = [...sent, ...received]
    .filter(
      (log, i, all) =>
        all.findIndex((o) => o.transactionHash === log.transactionHash && o.index === log.index) === i,
    )
    .sort((a, b) => b.blockNumber - a.blockNumber || b.index - a.index);
  const requests = await events(
    app,
    "gateway",
    gateway.filters.RedemptionRequested(undefined, account),
    `requests-${account}`,
  );
  const open = [];
  for (const r of requests) if (await gateway.isOpen(r.args.id)) open.push(r);
  const agreements = [];
  for (const log of await events(app, "escrow", app.read.escrow.filters.AgreementCreated(), "agreements")) {
    const a = await readAgreement(app.read.escrow, log.args.id as bigint);
    if (![a.buyer, a.seller, a.arbiter].includes(account)) continue;
    const unsettled = a.milestones.filter((m) => ["funded", "delivered", "disputed"].includes(m.status));
    if (unsettled.length === 0) continue;
    const reference = await referenceIn(app, log.transactionHash, log.args.terms.termsHash as string);
    agreements.push({ a, unsettled, reference });
  }

  let page = 0;
  const table = h("tbody");
  const pager = h("div", { class: "pager" });
  const render = async () => {
    const rows = [];
    for (const log of moves.slice(page * PAGE, page * PAGE + PAGE)) {
      const incoming = log.args.to === account;
      const link = app.explorerLink(log.transactionHash);
      rows.push(
        h(
          "tr",
          {},
          h("td", { class: "date" }, when(await blockTime(app, log.blockNumber))),
          h(
            "td",
            {},
            await describeMove(app, log, account),
            link ? " " : null,
            link
              ? h(
                  "a",
                  {
                    href: link.href,
                    target: "_blank",
                    rel: "noopener",
                    class: "tx",
                    title: "the transaction in the block explorer",
                  },
                  "↗",
                )
              : null,
          ),
          h(
            "td",
            { class: incoming ? "amount in" : "amount out" },
            `${incoming ? "+" : "−"}${formatZon(log.args.value)}`,
          ),
        ),
      );
    }
    clear(table, ...rows);
    const pages = Math.max(1, Math.ceil(moves.length / PAGE));
    clear(
      pager,
      h("button", { disabled: page === 0, onclick: () => ((page -= 1), void render()) }, "Newer"),
      ` page ${page + 1} of ${pages} `,
      h("button", { disabled: page + 1 >= pages, onclick: () => ((page += 1), void render()) }, "Older"),
    );
  };
  await render();
  clear(
    root,
    h(
      "section",
      { class: "card" },
      h("h2", {}, "Balance"),
      h("p", { class: "big", "data-testid": "balance" }, formatZon(balance)),
    ),
    h(
      "section",
      { class: "card" },
      h("h2", {}, "Pending"),
      open.length + agreements.length === 0
        ? h("p", { class: "hint" }, "Nothing pending: no open redemption, no agreement to settle.")
        : h(
            "ul",
            { "data-testid": "pending" },
            ...open.map((r) =>
              h(
                "li",
                {},
                h("a", { href: "#redeem" }, `Redemption #${r.args.id}`),
                `: ${r.args.quantity} × SKU ${r.args.sku}, ${formatZon(r.args.amount)} locked, cancellable from ${when(r.args.cancelAfter)}`,
              ),
            ),
            ...agreements.map(({ a, unsettled, reference }) =>
              h(
                "li",
                {},
                h("a", { href: "#escrow" }, `Agreement #${a.id}${reference ? ` (${reference})` : ""}`),
                `: ${unsettled.length} milestone(s) to settle (${formatZon(unsettled.reduce((sum, m) => sum + m.amount, 0n))}), ${unsettled.map((m) => m.status).join(", ")}`,
              ),
            ),
          ),
    ),
    h(
      "section",
      { class: "card" },
      h("h2", {}, "History"),
      moves.length === 0
        ? h("p", { class: "hint" }, "No ZON has moved in or out yet.")
        : h(
            "table",
            { "data-testid": "history" },
            h(
              "thead",
              {},
              h("tr", {}, h("th", {}, "Date"), h("th", {}, "What"), h("th", { class: "amount" }, "Amount")),
            ),
            table,
          ),
      moves.length > PAGE && pager,
    ),
  );
}

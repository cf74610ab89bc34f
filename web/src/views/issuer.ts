import { ZeroAddress } from "ethers";
import { formatZon } from "../../../src/amounts";
import type { ReconcileSummary } from "../../../src/reconcile";
import type { App } from "../app";
import { legend, shareBars, stepChart } from "../charts";
import { blockTime, events, periodName } from "../history";
import { clear, h, short, when } from "../ui";

/** The issuer's figures for any visitor, read from the chain: supply, per-period budgets, value held. */
export async function issuer(app: App, root: HTMLElement) {
  const { token, distributor, gateway, escrow } = app.read;
  const [mints, burns, policies, claimed, epochs, epochClaims] = await Promise.all([
    events(app, "token", token.filters.Transfer(ZeroAddress), "mints"),
    events(app, "token", token.filters.Transfer(undefined, ZeroAddress), "burns"),
    events(app, "distributor", distributor.filters.PolicyPublished(), "policies"),
    events(app, "distributor", distributor.filters.AttestationClaimed(), "attestation-claims"),
    events(app, "distributor", distributor.filters.EpochPublished(), "epochs"),
    events(app, "distributor", distributor.filters.EpochClaimed(), "epoch-claims"),
  ]);

  // Supply after each block that minted or burned.
  const changes = [
    ...mints.map((l) => ({ block: l.blockNumber, delta: l.args.value as bigint })),
    ...burns.map((l) => ({ block: l.blockNumber, delta: -(l.args.value as bigint) })),
  ].sort((a, b) => a.block - b.block);
  const points: Array<{ x: number; y: bigint }> = [];
  let supply = 0n;
  for (const c of changes) {
    supply += c.delta;
    if (points.length > 0 && points[points.length - 1].x === c.block) points[points.length - 1].y = supply;
    else points.push({ x: c.block, y: supply });
  }
  // The line runs to the chain's head: "now" on the right, not the last mint.
  const head = await app.provider.getBlockNumber();
  if (points.length > 0 && points[points.length - 1].x < head) points.push({ x: head, y: supply });
  const times = new Map<number, string>();
  for (const x of [points[0]?.x, points[points.length - 1]?.x])
    if (x !== undefined) times.set(x, when(await blockTime(app, x)));

  // Per period: minted (attestations and epoch leaves), reserved by epochs and not yet claimed, budget.
  const periodOfRoot = new Map(epochs.map((e) => [e.args.root as string, Number(e.args.period)]));
  const periods = [...new Set(policies.map((p) => Number(p.args.period)))].sort((a, b) => a - b);
  const groups = [];
  for (const period of periods) {
    const [, budget, committed] = await distributor.periodPolicy(period);
    const minted =
      claimed
        .filter((c) => Number(c.args.period) === period)
        .reduce((s, c) => s + (c.args.reward as bigint), 0n) +
      epochClaims
        .filter((c) => periodOfRoot.get(c.args.root) === period)
        .reduce((s, c) => s + (c.args.reward as bigint), 0n);
    groups.push({
      label: periodName(period),
      segments: [
        { name: "minted", value: minted },
        { name: "reserved", value: committed - minted },
      ],
      of: budget,
      ofName: "budget",
    });
  }
  const summary = await latestBooks();
  const [total, openRedemptions, lockedEscrow] = await Promise.all([
    token.totalSupply(),
    gateway.openTotal(),
    escrow.lockedTotal(),
  ]);
  const held = [
    { label: "circulating", value: total - openRedemptions - lockedEscrow },
    { label: "open redemptions", value: openRedemptions },
    { label: "in escrow", value: lockedEscrow },
  ];
  clear(
    root,
    h(
      "section",
      { class: "card" },
      h("h2", {}, "Supply over time"),
      h("p", { "data-testid": "supply" }, `${formatZon(total)} in supply`),
      stepChart("ZON supply by block", points, (x) => times.get(x) ?? `block ${x}`, formatZon),
    ),
    h(
      "section",
      { class: "card" },
      h("h2", {}, "Cashback per billing period"),
      periods.length === 0 ? h("p", { class: "hint" }, "No period published yet.") : null,
      shareBars("Minted and reserved of each period's budget", groups, formatZon),
      legend(["minted", "reserved", "rest of the budget"]),
    ),
    h(
      "section",
      { class: "card" },
      h("h2", {}, "Where the ZON is"),
      shareBars(
        "Circulating, in open redemptions and in escrow",
        held.map((g) => ({
          label: g.label,
          segments: [{ name: g.label, value: g.value }],
          of: total,
          ofName: "supply",
        })),
        formatZon,
      ),
      h("p", { "data-testid": "held" }, held.map((g) => `${g.label}: ${formatZon(g.value)}`).join(" · ")),
    ),
    await operatorPanel(app, summary),
    books(summary),
  );
}

/** The summary `zon:reconcile --publish` left next to the page, if any. */
async function latestBooks(): Promise<ReconcileSummary | undefined> {
  const response = await fetch("./reconcile/latest.json", { cache: "no-store" });
  if (!response.ok) return undefined;
  return (await response.json()) as ReconcileSummary;
}

/** The issuer's books as the last reconciliation found them: counts, and each exception in words. */
function books(summary: ReconcileSummary | undefined) {
  if (summary === undefined)
    return h(
      "section",
      { class: "card" },
      h("h2", {}, "The issuer's books"),
      h(
        "p",
        { class: "hint", "data-testid": "books" },
        "No reconciliation published yet: npx hardhat zon:reconcile --period YYYYMM --publish",
      ),
    );
  const counts = (fates: Record<string, number | undefined>) =>
    Object.entries(fates)
      .map(([fate, count]) => `${fate} ${count}`)
      .join(", ") || "none";
  return h(
    "section",
    { class: "card" },
    h("h2", {}, `The issuer's books: period ${summary.period}`),
    h(
      "p",
      { "data-testid": "books" },
      summary.exceptions.length === 0
        ? `Reconciled at block ${summary.block} (${summary.chainTime}): no exceptions.`
        : `Reconciled at block ${summary.block} (${summary.chainTime}): ${summary.exceptions.length} exception(s) for the issuer to clear.`,
    ),
    h(
      "ul",
      {},
      h(
        "li",
        {},
        `Usage rows: ${summary.issuance.rows} (${counts(summary.issuance.fates)}); ${summary.issuance.claimedReward} minted`,
      ),
      h(
        "li",
        {},
        `Redemptions: ${summary.redemption.requests} (${counts(summary.redemption.fates)}); ${summary.redemption.deliveries} deliveries`,
      ),
      h(
        "li",
        {},
        `Supply: ${summary.supply.totalSupply} = minted ${summary.supply.minted} − burned ${summary.supply.burned}`,
      ),
    ),
    summary.exceptions.length > 0
      ? h(
          "ul",
          { "data-testid": "book-exceptions" },
          ...summary.exceptions.slice(0, 10).map((e) => h("li", {}, e)),
        )
      : null,
  );
}

const AGES: Array<[number, string]> = [
  [3600, "under an hour"],
  [86_400, "1 to 24 hours"],
  [3 * 86_400, "1 to 3 days"],
  [Infinity, "over 3 days"],
];

/**
 * What an operator watches: pauses, frozen accounts, the attestor set, minters' allowances left, open
 * redemptions by age, and unpaid deliveries (from the last published reconciliation).
 */
async function operatorPanel(app: App, summary: ReconcileSummary | undefined) {
  const { token, distributor, gateway } = app.read;
  const [standing, frozenSets, attestorAdds, minterSets, requested, fulfilled, rejected, cancelled] =
    await Promise.all([
      app.standing(),
      events(app, "token", token.filters.FrozenSet(), "frozen-sets"),
      events(app, "distributor", distributor.filters.AttestorAdded(), "attestors-added"),
      events(app, "token", token.filters.MinterConfigured(), "minters"),
      events(app, "gateway", gateway.filters.RedemptionRequested(), "all-requests"),
      events(app, "gateway", gateway.filters.RedemptionFulfilled(), "fulfilled"),
      events(app, "gateway", gateway.filters.RedemptionRejected(), "rejected"),
      events(app, "gateway", gateway.filters.RedemptionCancelled(), "cancelled"),
    ]);
  const unique = (addresses: string[]) => [...new Set(addresses)];
  const frozen = [];
  for (const account of unique(frozenSets.map((e) => e.args.account as string)))
    if (await token.isFrozen(account)) frozen.push(account);
  const attestors = [];
  for (const account of unique(attestorAdds.map((e) => e.args.account as string)))
    if (await distributor.isAttestor(account)) attestors.push(account);
  const minters = [];
  for (const minter of unique(minterSets.map((e) => e.args.minter as string)))
    minters.push({ minter, left: await token.minterAllowance(minter) });
  const closed = new Set([...fulfilled, ...rejected, ...cancelled].map((e) => e.args.id as bigint));
  const now = (await app.provider.getBlock("latest"))!.timestamp;
  const byAge = AGES.map(() => ({ count: 0, amount: 0n }));
  for (const request of requested) {
    if (closed.has(request.args.id as bigint)) continue;
    const age = now - (await blockTime(app, request.blockNumber));
    const bucket = byAge[AGES.findIndex(([limit]) => age < limit)];
    bucket.count++;
    bucket.amount += request.args.amount as bigint;
  }
  const pausedNames = (Object.keys(standing.paused) as Array<keyof typeof standing.paused>).filter(
    (c) => standing.paused[c],
  );
  const row = (name: string, value: string | HTMLElement, testid: string) =>
    h("tr", { "data-testid": testid }, h("th", {}, name), h("td", {}, value));
  return h(
    "section",
    { class: "card" },
    h("h2", {}, "Operator panel"),
    h(
      "table",
      { class: "panel" },
      h(
        "tbody",
        {},
        row(
          "Paused",
          pausedNames.length === 0 ? "nothing" : pausedNames.map((c) => app.contractTitle(c)).join(", "),
          "panel-paused",
        ),
        row("Frozen accounts", frozen.length === 0 ? "none" : frozen.join(", "), "panel-frozen"),
        row(
          "Attestors",
          `${await distributor.threshold()} of ${attestors.length} must sign: ${attestors.map(short).join(", ")}`,
          "panel-attestors",
        ),
        row(
          "Minter allowances left",
          minters.map((m) => `${short(m.minter)}: ${formatZon(m.left)}`).join(" · ") || "no minter",
          "panel-minters",
        ),
        row(
          "Open redemptions by age",
          AGES.map(([, name], i) => `${name}: ${byAge[i].count} (${formatZon(byAge[i].amount)})`).join(" · "),
          "panel-open",
        ),
        row(
          "Unpaid deliveries",
          summary === undefined
            ? "unknown: no reconciliation published (zon:reconcile --publish)"
            : `${summary.redemption.deliveredNotBurned} delivered but not confirmed on chain, as of block ${summary.block} (period ${summary.period})`,
          "panel-unpaid",
        ),
      ),
    ),
  );
}

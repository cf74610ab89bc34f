import { ZeroAddress } from "ethers";
import { formatZon } from "../../../src/amounts";
import type { ReconcileSummary } from "../../../src/reconcile";
import type { App } from "../app";
import { barChart, legend, stepChart } from "../charts";
import { events } from "../history";
import { clear, h, when } from "../ui";

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
  const times = new Map<number, string>();
  for (const x of [points[0]?.x, points[points.length - 1]?.x])
    if (x !== undefined) times.set(x, when((await app.provider.getBlock(x))!.timestamp));

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
    groups.push({ label: String(period), values: [minted, committed - minted, budget] });
  }
  const [total, openRedemptions, lockedEscrow] = await Promise.all([
    token.totalSupply(),
    gateway.openTotal(),
    escrow.lockedTotal(),
  ]);
  const held = [
    { label: "circulating", values: [total - openRedemptions - lockedEscrow] },
    { label: "open redemptions", values: [openRedemptions] },
    { label: "in escrow", values: [lockedEscrow] },
  ];
  const series = ["minted", "reserved", "budget"];
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
      barChart("Minted, reserved and budget per period", series, groups, formatZon),
      legend(series),
    ),
    h(
      "section",
      { class: "card" },
      h("h2", {}, "Where the ZON is"),
      barChart("Circulating, in open redemptions and in escrow", ["ZON"], held, formatZon),
      h("p", { "data-testid": "held" }, held.map((g) => `${g.label}: ${formatZon(g.values[0])}`).join(" · ")),
    ),
    books(await latestBooks()),
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

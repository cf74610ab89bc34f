import { ZeroAddress } from "ethers";
import { formatZon } from "../../../src/amounts";
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
  );
}

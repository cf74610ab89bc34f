import { cashbackCalls } from "../../../src/actions";
import { formatZon } from "../../../src/amounts";
import type { SignedAttestation } from "../../../src/bundle";
import {
  cashbackFileName,
  decodeCashbackFile,
  type CashbackEpochClaim,
  type CashbackFile,
} from "../../../src/cashback";
import { CATEGORIES } from "../../../src/rewards";
import type { App } from "../app";
import { perform } from "../perform";
import { clear, h, when } from "../ui";

type Status = "claimable" | "claimed" | "revoked" | "expired";

interface Row {
  what: string;
  period: number;
  category: number;
  usageCents: bigint;
  reward: bigint;
  status: Status;
  deadline: bigint;
}

/** The business's published cashback file (`cashback/<address>.json` next to the page), if any. */
async function publishedFile(app: App, account: string): Promise<CashbackFile | undefined> {
  const response = await fetch(`./cashback/${cashbackFileName(account)}`, { cache: "no-store" });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`cashback: the issuer's file could not be read (${response.status})`);
  const file = decodeCashbackFile(await response.json());
  if (file.distributor !== app.read.distributor.target || file.chainId !== BigInt(app.config.chainId))
    throw new Error(
      `cashback: the published file is for ${file.distributor} on chain ${file.chainId}, not this deployment`,
    );
  return file;
}

/** What the business can claim, what the policy on chain gives for each, and one button to claim the rest. */
export async function cashback(app: App, root: HTMLElement) {
  const account = app.account;
  if (!account) return clear(root, h("p", { class: "hint" }, "Connect your wallet to see your cashback."));
  const file = await publishedFile(app, account);
  if (!file || file.attestations.length + file.epochClaims.length === 0)
    return clear(
      root,
      h(
        "p",
        { class: "hint" },
        "Nothing published for you yet: cashback appears here once the issuer publishes your month's usage.",
      ),
    );
  const { distributor } = app.read;
  const now = BigInt((await app.provider.getBlock("latest"))!.timestamp);
  const rows: Row[] = [];
  const claimableAttestations: SignedAttestation[] = [];
  for (const item of file.attestations) {
    const a = item.attestation;
    const [claimed, revoked] = await distributor.attestationStatus(a.period, a.id);
    const status: Status = revoked
      ? "revoked"
      : claimed
        ? "claimed"
        : now > a.deadline
          ? "expired"
          : "claimable";
    if (status === "claimable") claimableAttestations.push(item);
    const reward = await distributor.rewardFor(a.period, a.category, a.usageCents);
    rows.push({
      what: `attestation ${a.period}/${a.id}`,
      period: a.period,
      category: a.category,
      usageCents: a.usageCents,
      reward,
      status,
      deadline: a.deadline,
    });
  }
  const claimableLeaves: CashbackEpochClaim[] = [];
  for (const c of file.epochClaims) {
    const claimed = await distributor.isEpochLeafClaimed(c.root, c.index);
    const status: Status = claimed ? "claimed" : now > c.claimDeadline ? "expired" : "claimable";
    if (status === "claimable") claimableLeaves.push(c);
    const reward = await distributor.rewardFor(c.period, c.category, c.usageCents);
    rows.push({
      what: `epoch ${c.period}.${c.epoch} leaf ${c.index}`,
      period: c.period,
      category: c.category,
      usageCents: c.usageCents,
      reward,
      status,
      deadline: c.claimDeadline,
    });
  }
  const claimable = rows.filter((r) => r.status === "claimable").reduce((sum, r) => sum + r.reward, 0n);
  const cents = (value: bigint) =>
    `$${(value / 100n).toLocaleString("en-US")}.${String(value % 100n).padStart(2, "0")}`;
  clear(
    root,
    h(
      "section",
      { class: "card" },
      h("h2", {}, "Cashback"),
      h("p", { class: "big", "data-testid": "claimable" }, `${formatZon(claimable)} to claim`),
      h(
        "button",
        {
          class: "primary",
          disabled: claimable === 0n,
          onclick: (event: Event) =>
            perform(
              app,
              {
                label: "Claim cashback",
                uses: ["distributor"],
                calls: async () =>
                  cashbackCalls(app.read.distributor, claimableAttestations, claimableLeaves),
              },
              event.currentTarget as HTMLElement,
            ),
        },
        "Claim all",
      ),
    ),
    h(
      "section",
      { class: "card" },
      h(
        "table",
        { "data-testid": "cashback" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", {}, "Usage"),
            h("th", {}, "Spent"),
            h("th", {}, "Reward"),
            h("th", {}, "Status"),
          ),
        ),
        h(
          "tbody",
          {},
          ...rows.map((r) =>
            h(
              "tr",
              { "data-status": r.status },
              h(
                "td",
                {},
                `${CATEGORIES[r.category] ?? `category ${r.category}`}, period ${r.period}`,
                h("br"),
                h("small", {}, r.what),
              ),
              h("td", {}, cents(r.usageCents)),
              h("td", { class: "amount" }, formatZon(r.reward)),
              h("td", {}, r.status === "claimable" ? `claimable until ${when(r.deadline)}` : r.status),
            ),
          ),
        ),
      ),
    ),
  );
}

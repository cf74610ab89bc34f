import { getAddress, isAddress, ZeroAddress, type EventLog } from "ethers";
import {
  agreementStepCalls,
  createAgreementCalls,
  milestoneStepCalls,
  proposeArbiterCalls,
  resolveCalls,
  type AgreementStep,
  type MilestoneStep,
} from "../../../src/actions";
import { formatZon, parseZon } from "../../../src/amounts";
import { readAgreement, type AgreementState, type AgreementTerms } from "../../../src/escrow";
import { signPermit } from "../../../src/permit";
import { referenceHash, withReference } from "../../../src/reference";
import type { App } from "../app";
import { blockTime, events, referenceIn } from "../history";
import { perform } from "../perform";
import { clear, h, short, when } from "../ui";

const HOUR = 3600n;
const DAY = 86_400n;

function field(label: string, name: string, value = "", placeholder = "") {
  const input = h("input", { type: "text", name, value, placeholder, "aria-label": label });
  return { input, row: h("label", { class: "field" }, h("span", {}, label), input) };
}

function whole(name: string, value: string, min: bigint, max: bigint): bigint {
  if (!/^[0-9]+$/.test(value.trim()) || BigInt(value.trim()) < min || BigInt(value.trim()) > max)
    throw new Error(`${name}: ${JSON.stringify(value)} is not a whole number from ${min} to ${max}`);
  return BigInt(value.trim());
}

/** The milestones being typed, kept across refreshes of the view (one amount per row). */
const draft = { milestones: [""] };

/** The create form: terms in days, hours and ZON as a buyer thinks of them; one permit signature to fund. */
function createForm(app: App, account: string) {
  const seller = field("Seller", "seller", "", "0x… the seller's wallet");
  const arbiter = field("Arbiter (optional)", "arbiter", "", "0x… or empty: no disputes");
  const terms = field("Contract reference", "terms", "", "PO or contract id (all parties will see it)");
  const deliveryDays = field("Delivery within (days)", "deliveryDays", "30");
  const acceptDays = field("Seller accepts within (days)", "acceptDays", "7");
  const reviewHours = field("Review window (hours)", "reviewHours", "72");
  const arbitrationDays = field("Arbitration window (days)", "arbitrationDays", "14");
  const fallback = field("Buyer's share if the arbiter is silent (%)", "fallbackPercent", "50");

  // One amount per row: "5,010" is refused, never split into 5 and 10.
  const rows = h("div", { class: "milestones", "data-testid": "milestones" });
  const total = h("p", { class: "total", "data-testid": "milestone-total" });
  const amounts = () => draft.milestones.map((value, i) => parseZon(`milestone ${i + 1}`, value));
  const showTotal = () => {
    if (draft.milestones.every((value) => value.trim() === ""))
      return clear(total, h("span", { class: "hint" }, "One amount per milestone; the total shows here."));
    try {
      const list = amounts();
      clear(
        total,
        `Total to fund: ${formatZon(list.reduce((a, b) => a + b, 0n))} in ${list.length} milestone(s): ${list.map((m) => formatZon(m, false)).join(" + ")}`,
      );
    } catch (error) {
      clear(total, h("span", { class: "error" }, (error as Error).message));
    }
  };
  const drawRows = () => {
    clear(
      rows,
      ...draft.milestones.map((value, i) => {
        const input = h("input", {
          type: "text",
          inputmode: "decimal",
          name: `milestone-${i}`,
          value,
          placeholder: "ZON",
        });
        input.addEventListener("input", () => {
          draft.milestones[i] = input.value;
          showTotal();
        });
        return h(
          "div",
          { class: "milestone-row" },
          h("label", { class: "field" }, h("span", {}, `Milestone ${i + 1} (ZON)`), input),
          draft.milestones.length > 1
            ? h(
                "button",
                {
                  type: "button",
                  "aria-label": `Remove milestone ${i + 1}`,
                  onclick: () => {
                    draft.milestones.splice(i, 1);
                    drawRows();
                  },
                },
                "Remove",
              )
            : null,
        );
      }),
      h(
        "button",
        {
          type: "button",
          onclick: () => {
            draft.milestones.push("");
            drawRows();
          },
        },
        "Add milestone",
      ),
    );
    showTotal();
  };
  drawRows();

  const parse = async () => {
    const address = (name: string, value: string, optional: boolean) => {
      if (optional && value.trim() === "") return ZeroAddress;
      if (!isAddress(value.trim())) throw new Error(`${name}: ${JSON.stringify(value)} is not an address`);
      return getAddress(value.trim());
    };
    const reference = terms.input.value.trim();
    const list = amounts();
    const now = BigInt((await app.provider.getBlock("latest"))!.timestamp);
    const deliveryDeadline = now + whole("delivery within", deliveryDays.input.value, 1n, 3650n) * DAY;
    const agreement: AgreementTerms = {
      seller: address("seller", seller.input.value, false),
      arbiter: address("arbiter", arbiter.input.value, true),
      termsHash: referenceHash("contract reference", reference),
      deliveryDeadline,
      reviewWindow: whole("review window", reviewHours.input.value, 1n, 24n * 90n) * HOUR,
      acceptDeadline: now + whole("accept within", acceptDays.input.value, 1n, 3650n) * DAY,
      arbitrationWindow: whole("arbitration window", arbitrationDays.input.value, 1n, 365n) * DAY,
      fallbackBuyerBps: whole("buyer's share", fallback.input.value, 0n, 100n) * 100n,
    };
    const sum = list.reduce((a, b) => a + b, 0n);
    const balance = await app.read.token.balanceOf(account);
    if (balance < sum)
      throw new Error(
        `balance: you hold ${formatZon(balance)}, the milestones total ${formatZon(sum)}; receive ZON first`,
      );
    return { agreement, amounts: list, total: sum, now, reference };
  };

  const submit = h("button", { class: "primary", type: "submit" }, "Create and fund");
  return h(
    "form",
    {
      class: "card",
      "data-testid": "create-agreement",
      onsubmit: (event: Event) => {
        event.preventDefault();
        const form = event.currentTarget as HTMLFormElement;
        void perform(
          app,
          {
            label: "Create agreement",
            uses: ["escrow"],
            calls: async () => {
              const p = await parse();
              return createAgreementCalls(
                app.read.token,
                app.read.escrow,
                p.agreement,
                p.amounts,
                p.reference,
              );
            },
            send: async (line) => {
              const p = await parse();
              const deadline = p.now + HOUR;
              const escrow = app.read.escrow;
              const s = await line.wallet(`sign the permit for ${formatZon(p.total)} in your wallet…`, () =>
                signPermit(app.read.token, app.wallet!.signer, String(escrow.target), p.total, deadline),
              );
              const data = withReference(
                "contract reference",
                escrow.interface.encodeFunctionData("createAndFundWithPermit", [
                  p.agreement,
                  p.amounts,
                  deadline,
                  s.v,
                  s.r,
                  s.s,
                ]),
                p.reference,
              );
              return line.wallet("confirm the agreement in your wallet…", () =>
                app.wallet!.signer.sendTransaction({ to: String(escrow.target), data, ...app.txOverrides }),
              );
            },
          },
          submit,
        ).then((ok) => {
          if (!ok) return;
          draft.milestones = [""];
          form.reset();
        });
      },
    },
    h("h2", {}, "New agreement (you pay)"),
    ...[seller, arbiter, terms].map((f) => f.row),
    rows,
    total,
    ...[deliveryDays, acceptDays, reviewHours, arbitrationDays, fallback].map((f) => f.row),
    submit,
  );
}

/** Each agreement's dated story: what happened (with payouts) and what is due (deadlines, windows). */
async function timeline(app: App, a: AgreementState, history: EventLog[], now: bigint) {
  const items: Array<{ at: bigint; text: string }> = [];
  for (const log of history) {
    const at = BigInt(await blockTime(app, log.blockNumber));
    const m = log.args.index !== undefined ? `milestone ${log.args.index}` : "";
    const text: Record<string, () => string> = {
      AgreementCreated: () => `created and funded with ${formatZon(log.args.total)}`,
      AgreementAccepted: () => "accepted by the seller",
      AgreementWithdrawn: () => `taken back by the buyer (${formatZon(log.args.refunded)})`,
      MilestoneDelivered: () => `${m} delivered`,
      MilestoneReleased: () =>
        `${m} paid: ${formatZon(log.args.toSeller)} to the seller, ${formatZon(log.args.fee)} fee`,
      MilestoneDisputed: () => `${m} disputed by ${short(log.args.by)}`,
      MilestoneResolved: () =>
        `${m} split: ${formatZon(log.args.toBuyer)} to the buyer, ${formatZon(log.args.toSeller)} to the seller`,
      MilestoneRefunded: () => `${m} refunded: ${formatZon(log.args.amount)} to the buyer`,
      CancelRequested: () => `cancel asked by ${short(log.args.by)}`,
      CancelRequestWithdrawn: () => `cancel request withdrawn by ${short(log.args.by)}`,
      CancelRequestsVoided: () => "cancel requests voided by a change",
      AgreementCancelled: () => `cancelled by both: ${formatZon(log.args.refunded)} back to the buyer`,
      ArbiterProposed: () => `arbiter ${short(log.args.arbiter)} proposed by ${short(log.args.by)}`,
      ArbiterChanged: () => `arbiter is now ${short(log.args.arbiter)}`,
    };
    items.push({ at, text: text[log.eventName]?.() ?? log.eventName });
  }
  if (!a.accepted) items.push({ at: a.acceptDeadline, text: "the seller's acceptance deadline" });
  items.push({ at: a.deliveryDeadline, text: "delivery deadline" });
  for (const m of a.milestones) {
    if (m.reviewEndsAt !== undefined && m.status === "delivered")
      items.push({ at: m.reviewEndsAt, text: `milestone ${m.index}: the buyer's review ends` });
    if (m.arbitrationEndsAt !== undefined)
      items.push({ at: m.arbitrationEndsAt, text: `milestone ${m.index}: the arbiter's window ends` });
  }
  items.sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : 0));
  return h(
    "ol",
    { class: "timeline" },
    ...items.map((i) =>
      h("li", { class: i.at <= now ? "past" : "future" }, h("time", {}, when(i.at)), " ", i.text),
    ),
  );
}

function stepButton(app: App, label: string, calls: () => ReturnType<typeof agreementStepCalls>) {
  return h(
    "button",
    {
      onclick: (event: Event) =>
        perform(
          app,
          { label, uses: ["escrow"], calls: async () => calls() },
          event.currentTarget as HTMLElement,
        ),
    },
    label.replace(/ #\d+.*$/, ""),
  );
}

/**
 * The contract reference the agreement commits to: read from the creating transaction when it carried it
 * (trusted because it hashes to the agreement's termsHash), else a box to check a reference given
 * off chain against that hash.
 */
function referenceLine(reference: string | undefined, termsHash: string, id: bigint) {
  if (reference !== undefined)
    return h("p", { class: "reference", "data-testid": "reference" }, h("strong", {}, "For: "), reference);
  const typed = h("input", {
    type: "text",
    name: `check-reference-${id}`,
    "aria-label": "Reference to check",
  });
  const verdict = h("span", { class: "hint" });
  return h(
    "form",
    {
      class: "inline reference",
      "data-testid": "reference",
      onsubmit: (event: Event) => {
        event.preventDefault();
        try {
          clear(
            verdict,
            referenceHash("reference", typed.value) === termsHash
              ? `matches: this agreement is for ${typed.value.trim()}`
              : "does not match: this agreement is for another contract",
          );
        } catch (error) {
          clear(verdict, (error as Error).message);
        }
      },
    },
    h("span", {}, "The contract reference was not published on chain; check the one you were given: "),
    typed,
    h("button", { type: "submit" }, "Check"),
    verdict,
  );
}

/** What a party commits to: the amounts, the deadlines and windows, the fee and the fallback split. */
function commitments(a: AgreementState) {
  const days = (seconds: bigint) => `${Number(seconds) / 86_400} day(s)`;
  const hours = (seconds: bigint) => `${Number(seconds) / 3600} hour(s)`;
  const total = a.milestones.reduce((sum, m) => sum + m.amount, 0n);
  return h(
    "ul",
    { class: "terms", "data-testid": "terms" },
    h(
      "li",
      {},
      `${formatZon(total)} in ${a.milestones.length} milestone(s): ${a.milestones.map((m) => formatZon(m.amount, false)).join(" + ")}`,
    ),
    h(
      "li",
      {},
      `the seller accepts by ${when(a.acceptDeadline)} and delivers by ${when(a.deliveryDeadline)}`,
    ),
    h("li", {}, `the buyer reviews each delivery for ${hours(a.reviewWindow)}, then the seller may claim it`),
    a.arbiter === ZeroAddress
      ? h("li", {}, "no arbiter: a delivery cannot be disputed")
      : h(
          "li",
          {},
          `arbiter ${a.arbiter} splits a dispute within ${days(a.arbitrationWindow)}; if silent, the buyer gets ${Number(a.fallbackBuyerBps) / 100} %`,
        ),
    h("li", {}, `platform fee ${Number(a.feeBps) / 100} % of what the seller is paid`),
  );
}

async function agreementCard(app: App, account: string, id: bigint) {
  const { escrow } = app.read;
  const a = await readAgreement(escrow, id);
  const history = await events(app, "escrow", "*", `escrow-all`);
  const own = history.filter((log) => log.args?.id === id);
  const now = BigInt((await app.provider.getBlock("latest"))!.timestamp);
  const role =
    account === a.buyer
      ? "buyer"
      : account === a.seller
        ? "seller"
        : account === a.arbiter
          ? "arbiter"
          : "observer";
  const step = (s: AgreementStep, label: string) =>
    stepButton(app, `${label} #${id}`, () => agreementStepCalls(escrow, s, id));
  const mstep = (s: MilestoneStep, index: number, label: string) =>
    stepButton(app, `${label} #${id}.${index}`, () => milestoneStepCalls(escrow, s, id, BigInt(index)));
  const actions: HTMLElement[] = [];
  const open = a.milestones.some((m) => ["funded", "delivered", "disputed"].includes(m.status));
  if (role === "seller" && !a.accepted && open && now <= a.acceptDeadline)
    actions.push(step("accept", "Accept"));
  if (role === "buyer" && !a.accepted && open)
    actions.push(step("withdrawUnaccepted", "Take back (not accepted)"));
  if ((role === "buyer" || role === "seller") && open) {
    const mine = role === "buyer" ? a.cancelRequested.buyer : a.cancelRequested.seller;
    actions.push(
      mine
        ? step("withdrawCancelRequest", "Withdraw my cancel request")
        : step("requestCancel", "Ask to cancel"),
    );
    const proposed = field("New arbiter", `arbiter-${id}`, "", "0x…");
    actions.push(
      h(
        "form",
        {
          class: "inline",
          onsubmit: (event: Event) => {
            event.preventDefault();
            void perform(
              app,
              {
                label: `Propose arbiter #${id}`,
                uses: ["escrow"],
                calls: async () => {
                  if (!isAddress(proposed.input.value.trim()))
                    throw new Error(`arbiter: ${JSON.stringify(proposed.input.value)} is not an address`);
                  return proposeArbiterCalls(escrow, id, getAddress(proposed.input.value.trim()));
                },
              },
              (event as SubmitEvent).submitter ?? undefined,
            );
          },
        },
        proposed.input,
        h("button", { type: "submit" }, "Propose arbiter"),
      ),
    );
  }
  const milestoneRows = a.milestones.map((m) => {
    const buttons: HTMLElement[] = [];
    if (role === "seller" && a.accepted && m.status === "funded" && now <= a.deliveryDeadline)
      buttons.push(mstep("deliver", m.index, "Mark delivered"));
    if (role === "buyer" && a.accepted && (m.status === "funded" || m.status === "delivered"))
      buttons.push(mstep("release", m.index, "Release"));
    if (
      m.status === "delivered" &&
      m.reviewEndsAt !== undefined &&
      now <= m.reviewEndsAt &&
      a.arbiter !== ZeroAddress &&
      role !== "arbiter" &&
      role !== "observer"
    )
      buttons.push(mstep("dispute", m.index, "Dispute"));
    if (role === "seller" && m.status === "delivered" && m.reviewEndsAt !== undefined && now > m.reviewEndsAt)
      buttons.push(mstep("claim", m.index, "Claim payment"));
    if (role === "buyer" && m.status === "funded" && now > a.deliveryDeadline)
      buttons.push(mstep("refundUndelivered", m.index, "Refund (undelivered)"));
    if (role === "seller" && ["funded", "delivered", "disputed"].includes(m.status))
      buttons.push(mstep("sellerRefund", m.index, "Refund the buyer"));
    if (
      m.status === "disputed" &&
      m.arbitrationEndsAt !== undefined &&
      now > m.arbitrationEndsAt &&
      (role === "buyer" || role === "seller")
    )
      buttons.push(mstep("resolveByFallback", m.index, "Apply the fallback split"));
    if (
      role === "arbiter" &&
      m.status === "disputed" &&
      m.arbitrationEndsAt !== undefined &&
      now <= m.arbitrationEndsAt
    ) {
      const share = field("Buyer's share (ZON)", `share-${id}-${m.index}`, "0");
      const preview = h("span", { class: "hint" });
      const fee = (amount: bigint) => (amount * a.feeBps) / 10_000n;
      const update = () => {
        try {
          const toBuyer = parseZon("buyer's share", share.input.value);
          const toSellerGross = m.amount - toBuyer;
          clear(
            preview,
            toBuyer > m.amount
              ? "more than the milestone"
              : `buyer ${formatZon(toBuyer)} · seller ${formatZon(toSellerGross - fee(toSellerGross))} · fee ${formatZon(fee(toSellerGross))}`,
          );
        } catch (error) {
          clear(preview, (error as Error).message);
        }
      };
      share.input.addEventListener("input", update);
      update();
      buttons.push(
        h(
          "form",
          {
            class: "inline",
            onsubmit: (event: Event) => {
              event.preventDefault();
              void perform(
                app,
                {
                  label: `Resolve #${id}.${m.index}`,
                  uses: ["escrow"],
                  calls: async () =>
                    resolveCalls(escrow, id, BigInt(m.index), parseZon("buyer's share", share.input.value)),
                },
                (event as SubmitEvent).submitter ?? undefined,
              );
            },
          },
          share.row,
          h("button", { type: "submit" }, "Resolve"),
          preview,
        ),
      );
    }
    return h(
      "tr",
      { "data-milestone": String(m.index) },
      h("td", {}, String(m.index)),
      h("td", { class: "amount" }, formatZon(m.amount)),
      h("td", { class: "status" }, m.status),
      h("td", {}, ...buttons),
    );
  });
  const created = own.find((log) => log.eventName === "AgreementCreated");
  const termsHash = created ? (created.args.terms.termsHash as string) : undefined;
  const reference =
    created && termsHash ? await referenceIn(app, created.transactionHash, termsHash) : undefined;
  return h(
    "article",
    { class: "card agreement", "data-agreement": String(id) },
    h("h3", {}, `Agreement #${id}${reference ? `: ${reference}` : ""} — you are the ${role}`),
    termsHash ? referenceLine(reference, termsHash, id) : null,
    h(
      "p",
      {},
      `buyer ${short(a.buyer)} · seller ${short(a.seller)} · arbiter ${a.arbiter === ZeroAddress ? "none" : short(a.arbiter)} · ${a.accepted ? "accepted" : "not accepted yet"}`,
    ),
    h(
      "details",
      { open: role === "seller" && !a.accepted && open },
      h("summary", {}, !a.accepted && open && role === "seller" ? "What accepting commits you to" : "Terms"),
      commitments(a),
    ),
    h(
      "table",
      {},
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", {}, "Milestone"),
          h("th", { class: "amount" }, "Amount"),
          h("th", {}, "Status"),
          h("th", {}, ""),
        ),
      ),
      h("tbody", {}, ...milestoneRows),
    ),
    h("div", { class: "actions" }, ...actions),
    h("details", {}, h("summary", {}, "Timeline"), await timeline(app, a, own, now)),
  );
}

/** Create agreements; follow and act on those the account is buyer, seller or arbiter of. */
export async function escrow(app: App, root: HTMLElement) {
  const account = app.account;
  if (!account) return clear(root, h("p", { class: "hint" }, "Connect your wallet to use escrow."));
  const { escrow } = app.read;
  const created = await events(app, "escrow", escrow.filters.AgreementCreated(), "agreements");
  const mine: bigint[] = [];
  for (const log of [...created].reverse()) {
    const id = log.args.id as bigint;
    const header = await escrow.agreement(id);
    if ([header.buyer, header.seller, header.arbiter].includes(account)) mine.push(id);
  }
  const cards = [];
  for (const id of mine) cards.push(await agreementCard(app, account, id));
  clear(
    root,
    createForm(app, account),
    h(
      "section",
      { "data-testid": "agreements" },
      h("h2", {}, "Your agreements"),
      cards.length === 0 ? h("p", { class: "hint" }, "No agreement yet.") : null,
      ...cards,
    ),
  );
}

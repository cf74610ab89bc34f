import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import {
  encodeBytes32String,
  HDNodeWallet,
  id as keccakOfText,
  isError,
  ZeroHash,
  type Interface,
} from "ethers";
import fc from "fast-check";
import hre from "hardhat";
import { deploySuite } from "../../deploy/deploy";
import { loadParameters } from "../../deploy/parameters";
import {
  bundledSignature,
  AttestationSigner,
  bundleSignatures,
  computeReward,
  EPOCH_LEAF_ENCODING,
  packRates,
  recoverEpochRootSigner,
  rewardDomain,
  signEpochRoot,
  signPermit,
  TEST_MNEMONIC,
  type EpochLeaf,
  type EpochRoot,
  type PeriodPolicy,
  type RedemptionRequest,
  type UsageAttestation,
} from "../../src";
import { ARBITRATION, FALLBACK_BUYER_BPS, REVIEW, STATUS } from "../escrow/fixture";
import { WORKER_ID } from "../redemption/fixture";

/*
 * Random use of the whole economy, model-based (fast-check's `fc.commands`): the suite as `npm run deploy`
 * deploys it, and random sequences of claims (valid, replayed, expired, revoked, over budget, to frozen
 * accounts, batched), epochs (publish, claim, release), transfers, approvals and permits, freezes and
 * pauses, redemptions through accept / confirm / reject / cancel, and escrow agreements through every path,
 * recoveries and forced transfers (also naming a custodian: the gateway, the escrow, the distributor, the
 * token), the custodians' settlement of a recovered wallet's positions, and fee withdrawals,
 * by random actors, with time moving forward. A TypeScript model says what must happen — success, or the
 * custom error that refuses — and after every step the chain agrees with it, and the invariants of
 * DESIGN.md hold: supply = Σ balances; minted ≤ budget; nothing mints twice; the gateway holds exactly its
 * open requests and the escrow exactly its unsettled milestones and accrued fees, also after every
 * enforcement step; each request and milestone ends once; a
 * refused step changes nothing.
 */

const PERIOD = 202611;
const ONE_ZON = 10n ** 18n;
const BUDGET_ZON = 5_000n;
const RATES = [500, 300, 200, 100, 0, 250, 0, 1_000];
const HOUR = 3_600n;
const DAY = 24n * HOUR;
const CREDIT_SKU = 1;
const CREDIT_PRICE = 10n * ONE_ZON;
const FEE_BPS = loadParameters("hardhat").escrow.feeBps;
const key = (index: number) => HDNodeWallet.fromPhrase(TEST_MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`);

/** The businesses the steps act for (test accounts 11–13), and who holds which role (deploy parameters). */
const BUSINESSES = ["acme", "globex", "initech"] as const;
type Business = (typeof BUSINESSES)[number];
const BUSINESS_ACCOUNT: Record<Business, number> = { acme: 11, globex: 12, initech: 13 };
const ARBITER_ACCOUNT = 14;

type Status = (typeof STATUS)[keyof typeof STATUS];
const settled = (s: Status) => s >= STATUS.Released;

interface Milestone {
  amount: bigint;
  status: Status;
  deliveredAt: bigint;
  disputedAt: bigint;
}
interface Agreement {
  buyer: string;
  seller: string;
  acceptDeadline: bigint;
  deliveryDeadline: bigint;
  accepted: boolean;
  buyerCancels: boolean;
  sellerCancels: boolean;
  milestones: Milestone[];
}
interface Epoch {
  root: string;
  leaves: EpochLeaf[];
  tree: StandardMerkleTree<EpochLeaf>;
  remaining: bigint;
  claimDeadline: bigint;
  claimed: Set<number>;
  released: boolean;
}

/** What must be true: the model the chain is compared with after every step. */
export interface Model {
  now: bigint;
  balances: Map<string, bigint>;
  allowances: Map<string, bigint>;
  supply: bigint;
  frozen: Set<string>;
  paused: { token: boolean; distributor: boolean; gateway: boolean };
  committed: bigint;
  attestations: Map<bigint, "claimed" | "revoked">;
  nextAttestation: bigint;
  requests: Array<{ request: RedemptionRequest; acceptedUntil: bigint; open: boolean; endings: number }>;
  agreements: Agreement[];
  epochs: Epoch[];
  /** Platform fees the escrow holds for the treasury. */
  fees: bigint;
  /** Each recovered wallet's replacement, as the token records it. */
  recoveries: Map<string, string>;
}

type Suite = Awaited<ReturnType<typeof economyFixture>>;

async function economyFixture() {
  const suite = await deploySuite(hre, loadParameters("hardhat"));
  const signers = await hre.ethers.getSigners();
  const [, pauser, compliance, policyOfficer] = signers;
  const fulfiller = signers[7];
  const treasury = signers[9];
  const { recoveryOfficer, forcedTransferOfficer } = loadParameters("hardhat").enforcement;
  await suite.distributor.connect(policyOfficer).publishPolicy(PERIOD, packRates(RATES), BUDGET_ZON);
  const { chainId } = await hre.ethers.provider.getNetwork();
  const distributorAddress = await suite.distributor.getAddress();
  const domain = rewardDomain(chainId, distributorAddress);
  const attestors = [4, 5].map((i) => key(i));
  const fastSigners = attestors.map((a) => new AttestationSigner(a.privateKey, domain));
  const businesses = Object.fromEntries(BUSINESSES.map((b) => [b, signers[BUSINESS_ACCOUNT[b]]])) as Record<
    Business,
    (typeof signers)[number]
  >;
  return {
    ...suite,
    pauser,
    compliance,
    fulfiller,
    treasury,
    arbiter: signers[ARBITER_ACCOUNT],
    recoveryOfficer: signers.find((x) => x.address === recoveryOfficer)!,
    forcedTransferOfficer: signers.find((x) => x.address === forcedTransferOfficer)!,
    businesses,
    domain,
    attestors,
    fastSigners,
    addresses: {
      gateway: await suite.gateway.getAddress(),
      escrow: await suite.escrow.getAddress(),
      distributor: distributorAddress,
      treasury: treasury.address,
    },
    start: BigInt(await time.latest()),
  };
}

function initialModel(s: Suite): Model {
  const holders = [...Object.values(s.businesses).map((b) => b.address), ...Object.values(s.addresses)];
  return {
    now: s.start,
    balances: new Map(holders.map((h) => [h, 0n])),
    allowances: new Map(),
    supply: 0n,
    frozen: new Set(),
    paused: { token: false, distributor: false, gateway: false },
    committed: 0n,
    attestations: new Map(),
    nextAttestation: 0n,
    requests: [],
    agreements: [],
    epochs: [],
    fees: 0n,
    recoveries: new Map(),
  };
}

const POLICY: PeriodPolicy = { weiPerCent: 10n ** 16n, ratesBps: RATES };
const BUDGET = BUDGET_ZON * ONE_ZON;

// ------------------------------------------------------------------------------------------- outcomes

/** What a step must do: succeed, or be refused with this custom error. */
type Expected = { ok: true } | { error: string };
const OK: Expected = { ok: true };
const refused = (error: string): Expected => ({ error });
const orOk = (refusal: string | undefined): Expected => (refusal ? refused(refusal) : OK);

function revertName(error: unknown, interfaces: Interface[]): string {
  const data = (error as { data?: string }).data;
  if (typeof data === "string" && data.length >= 10) {
    for (const i of interfaces) {
      const parsed = i.parseError(data);
      if (parsed) return parsed.name;
    }
  }
  if (isError(error, "CALL_EXCEPTION") || /revert/i.test(String((error as Error).message)))
    return `unknown revert: ${(error as Error).message.slice(0, 200)}`;
  throw error;
}

/**
 * Sends one transaction at the model's next second and checks the chain did what the model expects.
 * On success, `apply` updates the model.
 */
async function act(
  m: Model,
  s: Suite,
  expected: Expected,
  send: () => Promise<{ wait(): Promise<unknown> }>,
  apply: () => void = () => undefined,
): Promise<void> {
  m.now += 1n;
  await time.setNextBlockTimestamp(m.now);
  let outcome: string;
  try {
    await (await send()).wait();
    outcome = "ok";
  } catch (error) {
    outcome = revertName(error, [
      s.token.interface,
      s.distributor.interface,
      s.gateway.interface,
      s.escrow.interface,
    ]);
    // A refused transaction mines no block: the next one takes the timestamp.
  }
  outcomes.set(`${currentStep} → ${outcome}`, (outcomes.get(`${currentStep} → ${outcome}`) ?? 0) + 1);
  expect(outcome).to.equal("ok" in expected ? "ok" : expected.error);
  if (outcome === "ok") apply();
}

// ------------------------------------------------------------------------------------- token rules

const bal = (m: Model, a: string) => m.balances.get(a) ?? 0n;
const credit = (m: Model, a: string, v: bigint) => m.balances.set(a, bal(m, a) + v);

/** Why a transfer of `value` from `from` to `to` is refused by the token, if it is. */
function transferRefusal(
  m: Model,
  from: string | null,
  to: string | null,
  value: bigint,
): string | undefined {
  if (m.paused.token) return "EnforcedPause";
  if (from !== null && m.frozen.has(from)) return "ZonCoinAccountFrozen";
  if (from !== null && bal(m, from) < value) return "ERC20InsufficientBalance";
  if (to !== null && m.frozen.has(to)) return "ZonCoinAccountFrozen";
  return undefined;
}

function move(m: Model, from: string | null, to: string | null, value: bigint) {
  if (from === null) m.supply += value;
  else credit(m, from, -value);
  if (to === null) m.supply -= value;
  else credit(m, to, value);
}

// ------------------------------------------------------------------------------------------- steps

type Step = fc.AsyncCommand<Model, Suite>;

/** How often each kind of step ended how (success or the error), over a campaign: what the runs reached. */
export const outcomes = new Map<string, number>();
let currentStep = "";

/** A step: its label (as the shrunk sequence shows it), when it applies, and what it does. */
function step(
  label: string,
  run: (m: Model, s: Suite) => Promise<void>,
  applies: (m: Model) => boolean = () => true,
): Step {
  return {
    check: applies,
    run: async (m, s) => {
      currentStep = label.replace(/\(.*$/, "");
      await run(m, s);
      await checkInvariants(m, s);
    },
    toString: () => label,
  };
}

const business = fc.constantFrom(...BUSINESSES);
const amount = fc.bigInt({ min: 1n, max: 400n }).map((z) => z * ONE_ZON);

type ClaimKind = "fresh" | "replay" | "expired";
const claimKind = fc.constantFrom<ClaimKind>("fresh", "fresh", "fresh", "replay", "expired");

function attestationFor(
  m: Model,
  s: Suite,
  beneficiary: Business,
  usageCents: bigint,
  kind: ClaimKind,
): UsageAttestation {
  const known = [...m.attestations.keys()];
  const id =
    kind === "replay" && known.length > 0 ? known[Number(usageCents) % known.length] : m.nextAttestation++;
  return {
    beneficiary: s.businesses[beneficiary].address,
    customerId: keccakOfText(`customer-${beneficiary}`),
    period: PERIOD,
    category: 0,
    usageCents,
    id,
    deadline: kind === "expired" ? m.now : m.now + 30n * DAY,
  };
}

const signed = (s: Suite, a: UsageAttestation) => bundledSignature(s.fastSigners, a);

const claimStep = fc
  .record({ to: business, usage: fc.bigInt({ min: 100n, max: 2_000_000n }), kind: claimKind })
  .map(({ to, usage, kind }) =>
    step(`claim(${kind}, ${to}, ${usage} cents)`, async (m, s) => {
      const a = attestationFor(m, s, to, usage, kind);
      const reward = computeReward(POLICY, 0, usage);
      const status = m.attestations.get(a.id);
      const expected = m.paused.distributor
        ? refused("EnforcedPause")
        : status === "revoked"
          ? refused("AttestationIsRevoked")
          : status === "claimed"
            ? refused("AttestationAlreadyClaimed")
            : m.now + 1n > a.deadline
              ? refused("AttestationExpired")
              : m.committed + reward > BUDGET
                ? refused("PeriodBudgetExceeded")
                : orOk(transferRefusal(m, null, a.beneficiary, reward));
      await act(
        m,
        s,
        expected,
        () => s.distributor.claim(a, signed(s, a)),
        () => {
          m.committed += reward;
          m.attestations.set(a.id, "claimed");
          move(m, null, a.beneficiary, reward);
        },
      );
    }),
  );

const claimBatchStep = fc
  .array(fc.record({ to: business, usage: fc.bigInt({ min: 100n, max: 2_000_000n }), kind: claimKind }), {
    minLength: 1,
    maxLength: 5,
  })
  .map((items) =>
    step(`claimBatch(${items.map((i) => `${i.kind} ${i.to} ${i.usage}`).join("; ")})`, async (m, s) => {
      const batch = items.map((i) => attestationFor(m, s, i.to, i.usage, i.kind));
      // Predict item by item, as the contract goes: skips leave no trace but their event.
      let committed = m.committed;
      const claims: Array<{ a: UsageAttestation; reward: bigint }> = [];
      const seen = new Set<bigint>();
      for (const a of batch) {
        if (m.attestations.has(a.id) || seen.has(a.id) || m.now + 1n > a.deadline) continue;
        const reward = computeReward(POLICY, 0, a.usageCents);
        if (committed + reward > BUDGET || m.frozen.has(a.beneficiary)) continue;
        committed += reward;
        seen.add(a.id);
        claims.push({ a, reward });
      }
      const expected = m.paused.distributor
        ? refused("EnforcedPause")
        : claims.length > 0 && m.paused.token
          ? refused("EnforcedPause")
          : OK;
      await act(
        m,
        s,
        expected,
        () =>
          s.distributor.claimBatch(
            batch,
            batch.map((a) => signed(s, a)),
          ),
        () => {
          m.committed = committed;
          for (const { a, reward } of claims) {
            m.attestations.set(a.id, "claimed");
            move(m, null, a.beneficiary, reward);
          }
        },
      );
    }),
  );

const revokeStep = fc.nat(50).map((pick) =>
  step(`revoke(attestation #${pick})`, async (m, s) => {
    const id = BigInt(pick) < m.nextAttestation ? BigInt(pick) : m.nextAttestation++;
    const status = m.attestations.get(id);
    const expected =
      status === "revoked"
        ? refused("AttestationIsRevoked")
        : status === "claimed"
          ? refused("AttestationAlreadyClaimed")
          : OK;
    await act(
      m,
      s,
      expected,
      () => s.distributor.revoke(PERIOD, id),
      () => m.attestations.set(id, "revoked"),
    );
  }),
);

const publishEpochStep = fc
  .array(fc.record({ to: business, usage: fc.bigInt({ min: 100n, max: 400_000n }) }), {
    minLength: 1,
    maxLength: 4,
  })
  .map((rows) =>
    step(`publishEpoch(${rows.map((r) => `${r.to} ${r.usage}`).join("; ")})`, async (m, s) => {
      const leaves: EpochLeaf[] = rows.map((r, i) => [
        BigInt(i),
        s.businesses[r.to].address,
        keccakOfText(`customer-${r.to}-${m.epochs.length}`),
        0,
        r.usage,
      ]);
      const tree = StandardMerkleTree.of(leaves, [...EPOCH_LEAF_ENCODING]);
      const total = rows.reduce((sum, r) => sum + computeReward(POLICY, 0, r.usage), 0n);
      const epochRoot: EpochRoot = {
        period: PERIOD,
        epoch: m.epochs.length,
        root: tree.root,
        total,
        leafCount: BigInt(leaves.length),
        claimDeadline: m.now + 10n * DAY,
      };
      const signatures = bundleSignatures(
        await Promise.all(s.attestors.map((a) => signEpochRoot(a, s.domain, epochRoot))),
        (sig) => recoverEpochRootSigner(s.domain, epochRoot, sig),
      );
      const expected = m.paused.distributor
        ? refused("EnforcedPause")
        : m.committed + total > BUDGET
          ? refused("PeriodBudgetExceeded")
          : OK;
      await act(
        m,
        s,
        expected,
        () => s.distributor.publishEpoch(epochRoot, signatures),
        () => {
          m.committed += total;
          m.epochs.push({
            root: tree.root,
            leaves,
            tree,
            remaining: total,
            claimDeadline: epochRoot.claimDeadline,
            claimed: new Set(),
            released: false,
          });
        },
      );
    }),
  );

const claimEpochStep = fc.record({ e: fc.nat(7), i: fc.nat(7) }).map(({ e, i }) =>
  step(
    `claimEpoch(epoch ${e}, leaf ${i})`,
    async (m, s) => {
      const epoch = m.epochs[e % m.epochs.length];
      const index = i % epoch.leaves.length;
      const [, beneficiary, customerId, category, usage] = epoch.leaves[index];
      const reward = computeReward(POLICY, category, usage);
      const expected = m.paused.distributor
        ? refused("EnforcedPause")
        : m.now + 1n > epoch.claimDeadline
          ? refused("EpochClaimWindowClosed")
          : epoch.claimed.has(index)
            ? refused("EpochLeafAlreadyClaimed")
            : orOk(transferRefusal(m, null, beneficiary, reward));
      const proof = epoch.tree.getProof(index);
      await act(
        m,
        s,
        expected,
        () => s.distributor.claimEpoch(epoch.root, index, beneficiary, customerId, category, usage, proof),
        () => {
          epoch.claimed.add(index);
          epoch.remaining -= reward;
          move(m, null, beneficiary, reward);
        },
      );
    },
    (m) => m.epochs.length > 0,
  ),
);

const releaseEpochStep = fc.nat(7).map((e) =>
  step(
    `releaseEpoch(epoch ${e})`,
    async (m, s) => {
      const epoch = m.epochs[e % m.epochs.length];
      const expected =
        m.now + 1n <= epoch.claimDeadline
          ? refused("EpochClaimWindowOpen")
          : epoch.released
            ? refused("EpochAlreadyReleased")
            : OK;
      await act(
        m,
        s,
        expected,
        () => s.distributor.releaseEpoch(epoch.root),
        () => {
          m.committed -= epoch.remaining;
          epoch.remaining = 0n;
          epoch.released = true;
        },
      );
    },
    (m) => m.epochs.length > 0,
  ),
);

const transferStep = fc.record({ from: business, to: business, value: amount }).map(({ from, to, value }) =>
  step(`transfer(${from} → ${to}, ${value / ONE_ZON} ZON)`, async (m, s) => {
    const [a, b] = [s.businesses[from].address, s.businesses[to].address];
    const refusal = transferRefusal(m, a, b, value);
    await act(
      m,
      s,
      refusal ? refused(refusal) : OK,
      () => s.token.connect(s.businesses[from]).transfer(b, value),
      () => move(m, a, b, value),
    );
  }),
);

const allowanceKey = (owner: string, spender: string) => `${owner}/${spender}`;

const approveStep = fc
  .record({ owner: business, spender: business, value: amount })
  .map(({ owner, spender, value }) =>
    step(`approve(${owner} lets ${spender} spend ${value / ONE_ZON} ZON)`, async (m, s) => {
      const [o, sp] = [s.businesses[owner].address, s.businesses[spender].address];
      await act(
        m,
        s,
        OK,
        () => s.token.connect(s.businesses[owner]).approve(sp, value),
        () => m.allowances.set(allowanceKey(o, sp), value),
      );
    }),
  );

const permitStep = fc
  .record({ owner: business, spender: business, value: amount })
  .map(({ owner, spender, value }) =>
    step(`permit(${owner} lets ${spender} spend ${value / ONE_ZON} ZON)`, async (m, s) => {
      const [o, sp] = [s.businesses[owner].address, s.businesses[spender].address];
      const deadline = m.now + DAY;
      const p = await signPermit(s.token, s.businesses[owner], sp, value, deadline);
      await act(
        m,
        s,
        OK,
        () =>
          s.token["permit(address,address,uint256,uint256,uint8,bytes32,bytes32)"](
            o,
            sp,
            value,
            deadline,
            p.v,
            p.r,
            p.s,
          ),
        () => m.allowances.set(allowanceKey(o, sp), value),
      );
    }),
  );

const transferFromStep = fc
  .record({ spender: business, owner: business, to: business, value: amount })
  .map(({ spender, owner, to, value }) =>
    step(`transferFrom(${spender} moves ${value / ONE_ZON} ZON of ${owner} to ${to})`, async (m, s) => {
      const [sp, o, t] = [
        s.businesses[spender].address,
        s.businesses[owner].address,
        s.businesses[to].address,
      ];
      const allowance = m.allowances.get(allowanceKey(o, sp)) ?? 0n;
      const refusal = m.frozen.has(sp)
        ? "ZonCoinAccountFrozen"
        : allowance < value
          ? "ERC20InsufficientAllowance"
          : transferRefusal(m, o, t, value);
      await act(
        m,
        s,
        refusal ? refused(refusal) : OK,
        () => s.token.connect(s.businesses[spender]).transferFrom(o, t, value),
        () => {
          m.allowances.set(allowanceKey(o, sp), allowance - value);
          move(m, o, t, value);
        },
      );
    }),
  );

const freezeStep = fc.record({ who: business, frozen: fc.boolean() }).map(({ who, frozen }) =>
  step(`${frozen ? "freeze" : "unfreeze"}(${who})`, async (m, s) => {
    const a = s.businesses[who].address;
    const expected = m.frozen.has(a) === frozen ? refused("ZonCoinFrozenUnchanged") : OK;
    await act(
      m,
      s,
      expected,
      () => s.token.connect(s.compliance).setFrozen(a, frozen),
      () => (frozen ? m.frozen.add(a) : m.frozen.delete(a)),
    );
  }),
);

let caseNumber = 0;
const nextCase = () => encodeBytes32String(`CASE-${++caseNumber}`);

/** A business's wallet is lost: its whole balance moves to another business's wallet, and it is frozen. */
const recoverStep = fc.record({ lost: business, replacement: business }).map(({ lost, replacement }) =>
  step(`recoverWallet(${lost} → ${replacement})`, async (m, s) => {
    const [a, b] = [s.businesses[lost].address, s.businesses[replacement].address];
    const expected =
      a === b
        ? refused("ZonCoinSameAccount")
        : m.paused.token
          ? refused("EnforcedPause")
          : m.frozen.has(b)
            ? refused("ZonCoinAccountFrozen")
            : OK;
    await act(
      m,
      s,
      expected,
      () => s.token.connect(s.recoveryOfficer).recoverWallet(a, b, nextCase()),
      () => {
        move(m, a, b, bal(m, a));
        m.frozen.add(a);
        m.recoveries.set(a, b);
      },
    );
  }),
);

/** A court order: an amount moves between two businesses, frozen or not. */
const forceTransferStep = fc
  .record({ from: business, to: business, value: amount })
  .map(({ from, to, value }) =>
    step(`forceTransfer(${from} → ${to}, ${value / ONE_ZON} ZON)`, async (m, s) => {
      const [a, b] = [s.businesses[from].address, s.businesses[to].address];
      const expected =
        a === b
          ? refused("ZonCoinSameAccount")
          : m.paused.token
            ? refused("EnforcedPause")
            : bal(m, a) < value
              ? refused("ERC20InsufficientBalance")
              : OK;
      await act(
        m,
        s,
        expected,
        () => s.token.connect(s.forcedTransferOfficer).forceTransfer(a, b, value, nextCase()),
        () => move(m, a, b, value),
      );
    }),
  );

type Custodian = "gateway" | "escrow" | "distributor" | "token";

/**
 * A recovery or forced transfer that names a custodian of the suite on either side: always refused
 * (ZonCoinCustodian, once the pause and the parties' own checks pass), so that no enforcement can leave the
 * gateway's or the escrow's books owing more than they hold.
 */
const enforceOnCustodianStep = fc
  .record({
    custodian: fc.constantFrom<Custodian>("gateway", "escrow", "distributor", "token"),
    kind: fc.constantFrom("recover from", "recover to", "force from", "force to"),
    other: business,
    value: amount,
  })
  .map(({ custodian, kind, other, value }) =>
    step(`enforce(${kind} ${custodian}, ${other}, ${value / ONE_ZON} ZON)`, async (m, s) => {
      const c = custodian === "token" ? await s.token.getAddress() : s.addresses[custodian];
      const o = s.businesses[other].address;
      const [from, to] = kind.endsWith("from") ? [c, o] : [o, c];
      const expected = m.paused.token ? refused("EnforcedPause") : refused("ZonCoinCustodian");
      await act(m, s, expected, () =>
        kind.startsWith("recover")
          ? s.token.connect(s.recoveryOfficer).recoverWallet(from, to, nextCase())
          : s.token.connect(s.forcedTransferOfficer).forceTransfer(from, to, value, nextCase()),
      );
    }),
  );

/** Mostly one of the items `relevant` picks out (so random runs reach the settlements), else any. */
function preferred<T>(items: T[], relevant: (item: T) => boolean, pick: number): number {
  const candidates = items.map((item, i) => [item, i] as const).filter(([item]) => relevant(item));
  return candidates.length > 0 && pick % 4 !== 0
    ? candidates[pick % candidates.length][1]
    : pick % items.length;
}

/** The gateway's settlement of a recovery: a recovered owner's open request moves to its replacement. */
const replaceOwnerStep = fc.nat(15).map((pick) =>
  step(
    `replaceRecoveredOwner(request ${pick})`,
    async (m, s) => {
      const r = m.requests[preferred(m.requests, (x) => x.open && m.recoveries.has(x.request.owner), pick)];
      const replacement = m.recoveries.get(r.request.owner);
      const expected = !r.open
        ? refused("RequestNotOpen")
        : replacement === undefined
          ? refused("OwnerNotRecovered")
          : OK;
      await act(
        m,
        s,
        expected,
        () => s.gateway.replaceRecoveredOwners([r.request]),
        () => (r.request = { ...r.request, owner: replacement! }),
      );
    },
    (m) => m.requests.length > 0,
  ),
);

/** The escrow's settlement of a recovery: a recovered buyer's or seller's role moves to its replacement. */
const replacePartiesStep = fc.nat(7).map((a) =>
  step(
    `replaceRecoveredParties(agreement ${a})`,
    async (m, s) => {
      const id = preferred(m.agreements, (x) => m.recoveries.has(x.buyer) || m.recoveries.has(x.seller), a);
      const g = m.agreements[id];
      const buyer = m.recoveries.get(g.buyer) ?? g.buyer;
      const seller = m.recoveries.get(g.seller) ?? g.seller;
      const expected =
        buyer === g.buyer && seller === g.seller
          ? refused("NoRecoveredParty")
          : buyer === seller
            ? refused("InvalidReplacement")
            : OK;
      await act(
        m,
        s,
        expected,
        () => s.escrow.replaceRecoveredParties(id),
        () => {
          g.buyer = buyer;
          g.seller = seller;
          g.buyerCancels = false;
          g.sellerCancels = false;
        },
      );
    },
    (m) => m.agreements.length > 0,
  ),
);

/** Anyone sends the escrow's accrued platform fees to the treasury. */
const withdrawFeesStep = fc.constant(null).map(() =>
  step("withdrawFees()", async (m, s) => {
    const expected =
      m.fees === 0n
        ? refused("NoFeesAccrued")
        : orOk(transferRefusal(m, s.addresses.escrow, s.addresses.treasury, m.fees));
    await act(
      m,
      s,
      expected,
      () => s.escrow.withdrawFees(),
      () => {
        move(m, s.addresses.escrow, s.addresses.treasury, m.fees);
        m.fees = 0n;
      },
    );
  }),
);

const pauseStep = fc
  .record({
    target: fc.constantFrom("token" as const, "distributor" as const, "gateway" as const),
    pause: fc.boolean(),
  })
  .map(({ target, pause }) =>
    step(`${pause ? "pause" : "unpause"}(${target})`, async (m, s) => {
      const contract = target === "token" ? s.token : target === "distributor" ? s.distributor : s.gateway;
      const expected = m.paused[target] === pause ? refused(pause ? "EnforcedPause" : "ExpectedPause") : OK;
      await act(
        m,
        s,
        expected,
        () => (pause ? contract.connect(s.pauser).pause() : contract.connect(s.pauser).unpause()),
        () => {
          m.paused[target] = pause;
        },
      );
    }),
  );

// ------------------------------------------------------------------------------------ redemptions

const redeemStep = fc
  .record({ owner: business, quantity: fc.integer({ min: 1, max: 5 }) })
  .map(({ owner, quantity }) =>
    step(`redeem(${owner}, ${quantity} credits)`, async (m, s) => {
      const o = s.businesses[owner].address;
      const total = CREDIT_PRICE * BigInt(quantity);
      await act(m, s, OK, () => s.token.connect(s.businesses[owner]).approve(s.addresses.gateway, total));
      const refusal = m.paused.gateway ? "EnforcedPause" : transferRefusal(m, o, s.addresses.gateway, total);
      const id = BigInt(m.requests.length);
      const request: RedemptionRequest = {
        id,
        owner: o,
        sku: BigInt(CREDIT_SKU),
        quantity: BigInt(quantity),
        amount: total,
        cancelAfter: m.now + 1n + 3n * DAY,
        flags: 0n,
      };
      await act(
        m,
        s,
        refusal ? refused(refusal) : OK,
        () => s.gateway.connect(s.businesses[owner]).redeem(CREDIT_SKU, quantity, total, ZeroHash),
        () => {
          move(m, o, s.addresses.gateway, total);
          m.requests.push({ request, acceptedUntil: 0n, open: true, endings: 0 });
        },
      );
    }),
  );

const requestStep = (
  name: string,
  rule: (m: Model, s: Suite, r: Model["requests"][number]) => Expected,
  send: (s: Suite, r: RedemptionRequest) => Promise<{ wait(): Promise<unknown> }>,
  apply: (m: Model, s: Suite, r: Model["requests"][number]) => void,
) =>
  fc.nat(15).map((pick) =>
    step(
      `${name}(request ${pick})`,
      async (m, s) => {
        const r = m.requests[pick % m.requests.length];
        await act(
          m,
          s,
          rule(m, s, r),
          () => send(s, r.request),
          () => apply(m, s, r),
        );
      },
      (m) => m.requests.length > 0,
    ),
  );

const close = (r: Model["requests"][number]) => {
  r.open = false;
  r.endings++;
};

const acceptRequestStep = requestStep(
  "accept",
  (m, _s, r) =>
    m.paused.gateway
      ? refused("EnforcedPause")
      : !r.open
        ? refused("RequestNotOpen")
        : r.acceptedUntil !== 0n
          ? refused("AlreadyAccepted")
          : OK,
  (s, r) => s.gateway.connect(s.fulfiller).accept([r], WORKER_ID),
  (m, _s, r) => (r.acceptedUntil = m.now + DAY),
);

const confirmStep = requestStep(
  "confirm",
  (m, s, r) =>
    !r.open
      ? refused("RequestNotOpen")
      : r.acceptedUntil === 0n
        ? refused("NotAccepted")
        : (() => {
            const refusal = transferRefusal(m, s.addresses.gateway, null, r.request.amount);
            return refusal ? refused(refusal) : OK;
          })(),
  (s, r) => s.gateway.connect(s.fulfiller).confirm(r, keccakOfText(`delivery ${r.id}`)),
  (m, s, r) => {
    move(m, s.addresses.gateway, null, r.request.amount);
    close(r);
  },
);

const rejectStep = requestStep(
  "reject",
  (m, s, r) => {
    if (!r.open) return refused("RequestNotOpen");
    const refusal = transferRefusal(m, s.addresses.gateway, r.request.owner, r.request.amount);
    return refusal ? refused(refusal) : OK;
  },
  (s, r) => s.gateway.connect(s.fulfiller).reject(r, 1),
  (m, s, r) => {
    move(m, s.addresses.gateway, r.request.owner, r.request.amount);
    close(r);
  },
);

const cancelStep = requestStep(
  "cancel",
  (m, s, r) => {
    if (!r.open) return refused("RequestNotOpen");
    const unlocks = r.acceptedUntil > r.request.cancelAfter ? r.acceptedUntil : r.request.cancelAfter;
    if (m.now + 1n <= unlocks) return refused("CancelTooEarly");
    const refusal = transferRefusal(m, s.addresses.gateway, r.request.owner, r.request.amount);
    return refusal ? refused(refusal) : OK;
  },
  (s, r) => {
    const owner = Object.values(s.businesses).find((b) => b.address === r.owner)!;
    return s.gateway.connect(owner).cancel(r);
  },
  (m, s, r) => {
    move(m, s.addresses.gateway, r.request.owner, r.request.amount);
    close(r);
  },
);

// ---------------------------------------------------------------------------------------- escrow

const createAgreementStep = fc
  .record({ buyer: business, seller: business, amounts: fc.array(amount, { minLength: 1, maxLength: 3 }) })
  .filter(({ buyer, seller }) => buyer !== seller)
  .map(({ buyer, seller, amounts }) =>
    step(
      `createAgreement(${buyer} buys from ${seller}: ${amounts.map((a) => a / ONE_ZON).join(" + ")} ZON)`,
      async (m, s) => {
        const [b, sl] = [s.businesses[buyer].address, s.businesses[seller].address];
        const total = amounts.reduce((x, y) => x + y, 0n);
        await act(m, s, OK, () => s.token.connect(s.businesses[buyer]).approve(s.addresses.escrow, total));
        const at = m.now + 1n;
        const terms = {
          seller: sl,
          arbiter: s.arbiter.address,
          termsHash: keccakOfText(`statement of work ${m.agreements.length}`),
          deliveryDeadline: at + 30n * DAY,
          reviewWindow: REVIEW,
          acceptDeadline: at + 7n * DAY,
          arbitrationWindow: ARBITRATION,
          fallbackBuyerBps: FALLBACK_BUYER_BPS,
        };
        const refusal = transferRefusal(m, b, s.addresses.escrow, total);
        await act(
          m,
          s,
          refusal ? refused(refusal) : OK,
          () => s.escrow.connect(s.businesses[buyer]).createAndFund(terms, amounts),
          () => {
            move(m, b, s.addresses.escrow, total);
            m.agreements.push({
              buyer: b,
              seller: sl,
              acceptDeadline: terms.acceptDeadline,
              deliveryDeadline: terms.deliveryDeadline,
              accepted: false,
              buyerCancels: false,
              sellerCancels: false,
              milestones: amounts.map((value) => ({
                amount: value,
                status: STATUS.Funded,
                deliveredAt: 0n,
                disputedAt: 0n,
              })),
            });
          },
        );
      },
    ),
  );

type EscrowAction =
  | "accept"
  | "withdrawUnaccepted"
  | "deliver"
  | "release"
  | "claim"
  | "dispute"
  | "resolve"
  | "resolveByFallback"
  | "refundUndelivered"
  | "sellerRefund"
  | "buyerCancels"
  | "sellerCancels";

const escrowAction = fc.constantFrom<EscrowAction>(
  "accept",
  "withdrawUnaccepted",
  "deliver",
  "deliver",
  "release",
  "claim",
  "dispute",
  "resolve",
  "resolveByFallback",
  "refundUndelivered",
  "sellerRefund",
  "buyerCancels",
  "sellerCancels",
);

/** The payouts of settling `amount`: to the buyer, to the seller, the fee. */
function payouts(
  m: Model,
  s: Suite,
  g: Agreement,
  toBuyer: bigint,
  sellerGross: bigint,
): { refusal?: string; pay: () => void } {
  // The fee stays in the escrow for the treasury (withdrawFees sends it).
  const fee = (sellerGross * FEE_BPS) / 10_000n;
  const legs: Array<[string, bigint]> = [
    [g.buyer, toBuyer],
    [g.seller, sellerGross - fee],
  ];
  for (const [to, value] of legs) {
    if (value === 0n) continue;
    const refusal = transferRefusal(m, s.addresses.escrow, to, value);
    if (refusal) return { refusal, pay: () => undefined };
  }
  return {
    pay: () => {
      legs.forEach(([to, value]) => move(m, s.addresses.escrow, to, value));
      m.fees += fee;
    },
  };
}

/** Runs one escrow action on agreement `a`, milestone `i` (both taken modulo what exists). */
async function runEscrowAction(
  action: EscrowAction,
  a: number,
  i: number,
  share: number,
  m: Model,
  s: Suite,
) {
  currentStep = `escrow ${action}`;
  const g = m.agreements[a % m.agreements.length];
  const id = a % m.agreements.length;
  const index = i % g.milestones.length;
  const ms = g.milestones[index];
  const t = m.now + 1n;
  const buyer = Object.values(s.businesses).find((b) => b.address === g.buyer)!;
  const seller = Object.values(s.businesses).find((b) => b.address === g.seller)!;
  const voidCancels = () => {
    g.buyerCancels = false;
    g.sellerCancels = false;
  };
  let expected: Expected = OK;
  let send: () => Promise<{ wait(): Promise<unknown> }>;
  let apply: () => void = () => undefined;
  const settle = (status: Status, toBuyer: bigint, sellerGross: bigint) => {
    const { refusal, pay } = payouts(m, s, g, toBuyer, sellerGross);
    if (refusal) expected = refused(refusal);
    apply = () => {
      ms.status = status;
      voidCancels();
      pay();
    };
  };
  const refundAll = () => {
    const unsettled = g.milestones.filter((x) => !settled(x.status));
    const total = unsettled.reduce((sum, x) => sum + x.amount, 0n);
    const refusal = total > 0n ? transferRefusal(m, s.addresses.escrow, g.buyer, total) : undefined;
    return {
      refusal,
      apply: () => {
        unsettled.forEach((x) => (x.status = STATUS.Refunded));
        if (total > 0n) move(m, s.addresses.escrow, g.buyer, total);
      },
    };
  };
  switch (action) {
    case "accept":
      expected = g.accepted
        ? refused("AlreadyAccepted")
        : t > g.acceptDeadline
          ? refused("AcceptDeadlinePassed")
          : OK;
      send = () => s.escrow.connect(seller).accept(id);
      apply = () => (g.accepted = true);
      break;
    case "withdrawUnaccepted": {
      const r = refundAll();
      expected = g.accepted ? refused("AlreadyAccepted") : r.refusal ? refused(r.refusal) : OK;
      send = () => s.escrow.connect(buyer).withdrawUnaccepted(id);
      apply = r.apply;
      break;
    }
    case "deliver":
      expected = !g.accepted
        ? refused("NotAccepted")
        : ms.status !== STATUS.Funded
          ? refused("WrongStatus")
          : t > g.deliveryDeadline
            ? refused("DeliveryDeadlinePassed")
            : OK;
      send = () => s.escrow.connect(seller).deliver(id, index);
      apply = () => {
        ms.status = STATUS.Delivered;
        ms.deliveredAt = t;
        voidCancels();
      };
      break;
    case "release":
      send = () => s.escrow.connect(buyer).release(id, index);
      if (!g.accepted) expected = refused("NotAccepted");
      else if (ms.status !== STATUS.Funded && ms.status !== STATUS.Delivered)
        expected = refused("WrongStatus");
      else settle(STATUS.Released, 0n, ms.amount);
      break;
    case "claim":
      send = () => s.escrow.connect(seller).claim(id, index);
      if (ms.status !== STATUS.Delivered) expected = refused("WrongStatus");
      else if (t <= ms.deliveredAt + REVIEW) expected = refused("ReviewWindowOpen");
      else settle(STATUS.Released, 0n, ms.amount);
      break;
    case "dispute":
      expected =
        ms.status !== STATUS.Delivered
          ? refused("WrongStatus")
          : t > ms.deliveredAt + REVIEW
            ? refused("ReviewWindowClosed")
            : OK;
      send = () => s.escrow.connect(buyer).dispute(id, index);
      apply = () => {
        ms.status = STATUS.Disputed;
        ms.disputedAt = t;
        voidCancels();
      };
      break;
    case "resolve": {
      const buyerShare = (ms.amount * BigInt(share)) / 10_000n;
      send = () => s.escrow.connect(s.arbiter).resolve(id, index, buyerShare);
      if (ms.status !== STATUS.Disputed) expected = refused("WrongStatus");
      else if (t > ms.disputedAt + ARBITRATION) expected = refused("ArbitrationWindowClosed");
      else settle(STATUS.Resolved, buyerShare, ms.amount - buyerShare);
      break;
    }
    case "resolveByFallback": {
      const buyerShare = (ms.amount * FALLBACK_BUYER_BPS) / 10_000n;
      send = () => s.escrow.connect(buyer).resolveByFallback(id, index);
      if (ms.status !== STATUS.Disputed) expected = refused("WrongStatus");
      else if (t <= ms.disputedAt + ARBITRATION) expected = refused("ArbitrationWindowOpen");
      else settle(STATUS.Resolved, buyerShare, ms.amount - buyerShare);
      break;
    }
    case "refundUndelivered":
    case "sellerRefund": {
      send =
        action === "refundUndelivered"
          ? () => s.escrow.connect(buyer).refundUndelivered(id, index)
          : () => s.escrow.connect(seller).sellerRefund(id, index);
      if (action === "refundUndelivered" && t <= g.deliveryDeadline)
        expected = refused("DeliveryDeadlineNotPassed");
      else if (action === "refundUndelivered" ? ms.status !== STATUS.Funded : settled(ms.status))
        expected = refused("WrongStatus");
      else {
        const refusal = transferRefusal(m, s.addresses.escrow, g.buyer, ms.amount);
        if (refusal) expected = refused(refusal);
        apply = () => {
          ms.status = STATUS.Refunded;
          voidCancels();
          move(m, s.addresses.escrow, g.buyer, ms.amount);
        };
      }
      break;
    }
    case "buyerCancels":
    case "sellerCancels": {
      const byBuyer = action === "buyerCancels";
      send = () => s.escrow.connect(byBuyer ? buyer : seller).requestCancel(id);
      const completes = byBuyer ? g.sellerCancels : g.buyerCancels;
      if (!completes) apply = () => (byBuyer ? (g.buyerCancels = true) : (g.sellerCancels = true));
      else {
        const r = refundAll();
        if (r.refusal) expected = refused(r.refusal);
        apply = () => {
          voidCancels();
          r.apply();
        };
      }
      break;
    }
  }
  await act(m, s, expected, send!, apply);
}

const escrowStep = fc
  .record({ action: escrowAction, a: fc.nat(7), i: fc.nat(2), share: fc.nat(10_000) })
  .map(({ action, a, i, share }) =>
    step(
      `escrow ${action}(agreement ${a}, milestone ${i}${action === "resolve" ? `, buyer share ${share / 100} %` : ""})`,
      (m, s) => runEscrowAction(action, a, i, share, m, s),
      (m) => m.agreements.length > 0,
    ),
  );

/** The action that moves a milestone on along its usual path (so that random runs reach the payouts). */
function nextAction(g: Agreement, ms: Milestone, pick: number): EscrowAction {
  if (!g.accepted) return "accept";
  if (ms.status === STATUS.Funded) return pick % 4 === 0 ? "release" : "deliver";
  if (ms.status === STATUS.Delivered) return (["release", "dispute", "claim"] as const)[pick % 3];
  if (ms.status === STATUS.Disputed) return pick % 2 === 0 ? "resolve" : "resolveByFallback";
  return (["buyerCancels", "sellerRefund"] as const)[pick % 2];
}

/** Moves a milestone on along its usual path; the action follows from the model's state (see `nextAction`). */
const escrowProgressStep = fc
  .record({ a: fc.nat(7), i: fc.nat(2), pick: fc.nat(10_000) })
  .map(({ a, i, pick }) =>
    step(
      `escrow next(agreement ${a}, milestone ${i}, pick ${pick})`,
      async (m, s) => {
        const g = m.agreements[a % m.agreements.length];
        await runEscrowAction(nextAction(g, g.milestones[i % g.milestones.length], pick), a, i, pick, m, s);
      },
      (m) => m.agreements.length > 0,
    ),
  );

const waitStep = fc.constantFrom(HOUR, DAY, 3n * DAY, 8n * DAY, 15n * DAY).map((seconds) =>
  step(`wait(${seconds / HOUR} h)`, async (m) => {
    // An odd number of seconds keeps the model's instants off the contracts' window edges.
    m.now += seconds + 17n;
    await time.increaseTo(m.now);
  }),
);

/** The random sequences; `replayPath` (fast-check's, from a failure) replays a shrunk one exactly. */
export const economyCommands = (replayPath?: string) =>
  fc.commands(
    [
      claimStep,
      claimStep,
      claimBatchStep,
      revokeStep,
      publishEpochStep,
      claimEpochStep,
      releaseEpochStep,
      transferStep,
      approveStep,
      permitStep,
      transferFromStep,
      freezeStep,
      recoverStep,
      forceTransferStep,
      pauseStep,
      redeemStep,
      redeemStep,
      acceptRequestStep,
      confirmStep,
      rejectStep,
      cancelStep,
      createAgreementStep,
      createAgreementStep,
      escrowStep,
      escrowStep,
      escrowProgressStep,
      escrowProgressStep,
      escrowProgressStep,
      escrowProgressStep,
      escrowProgressStep,
      escrowProgressStep,
      waitStep,
      waitStep,
      enforceOnCustodianStep,
      recoverStep,
      replaceOwnerStep,
      replaceOwnerStep,
      replacePartiesStep,
      replacePartiesStep,
      withdrawFeesStep,
    ],
    { maxCommands: 60, size: "max", replayPath },
  );

// ------------------------------------------------------------------------------------- invariants

async function checkInvariants(m: Model, s: Suite): Promise<void> {
  const holders = [...m.balances.keys()];
  const onChain = await Promise.all(holders.map((h) => s.token.balanceOf(h)));
  const supply = await s.token.totalSupply();
  const [, , committed] = await s.distributor.periodPolicy(PERIOD);
  const openAmounts = m.requests.filter((r) => r.open).reduce((sum, r) => sum + r.request.amount, 0n);
  const unsettled = m.agreements
    .flatMap((g) => g.milestones)
    .filter((x) => !settled(x.status))
    .reduce((sum, x) => sum + x.amount, 0n);
  const requestStates = await Promise.all(
    m.requests.map(async (r) => [
      await s.gateway.isOpen(r.request.id),
      await s.gateway.acceptedUntil(r.request.id),
    ]),
  );
  expect({
    balances: holders.map((h, i) => onChain[i] === bal(m, h)),
    supplyIsModel: supply === m.supply,
    supplyIsSumOfBalances: supply === onChain.reduce((x, y) => x + y, 0n),
    committedIsModel: committed === m.committed,
    withinBudget: committed <= BUDGET,
    gatewayHoldsOpenRequests: [bal(m, s.addresses.gateway), await s.gateway.openTotal()],
    escrowHoldsUnsettledMilestonesAndFees: [
      bal(m, s.addresses.escrow),
      await s.escrow.lockedTotal(),
      await s.escrow.feesAccrued(),
    ],
    requestsAsModel: requestStates.map(
      ([open, until], i) => open === m.requests[i].open && (!open || until === m.requests[i].acceptedUntil),
    ),
    eachRequestEndsOnce: m.requests.every((r) => r.endings === (r.open ? 0 : 1)),
  }).to.deep.equal({
    balances: holders.map(() => true),
    supplyIsModel: true,
    supplyIsSumOfBalances: true,
    committedIsModel: true,
    withinBudget: true,
    gatewayHoldsOpenRequests: [openAmounts, openAmounts],
    escrowHoldsUnsettledMilestonesAndFees: [unsettled + m.fees, unsettled, m.fees],
    requestsAsModel: m.requests.map(() => true),
    eachRequestEndsOnce: true,
  });
  const minted = [...m.attestations.entries()].filter(([, st]) => st === "claimed").map(([id]) => id);
  const statuses = await Promise.all(
    minted.slice(-5).map((id) => s.distributor.attestationStatus(PERIOD, id)),
  );
  expect(statuses.every(([claimed, revoked]) => claimed && !revoked)).to.equal(true);
}

/** What replays one sequence exactly: fast-check's seed and path, and the commands' own replay path. */
export interface EconomyReplay {
  seed: number;
  path?: string;
  replayPath?: string;
}

/** A sequence kept in `test/invariants/regressions.ts`: what it showed, and its steps as they ran. */
export interface EconomyRegression extends EconomyReplay {
  why: string;
  steps: string;
}

const REPLAY_COMMENT = /\s*\/\*replayPath="([^"]*)"\*\/\s*$/;

/** The steps of a sequence as they ran, and its replay path, from fast-check's text for it. */
function ranSteps(commands: unknown): { steps: string; replayPath?: string } {
  const shown = String(commands);
  const replayPath = REPLAY_COMMENT.exec(shown)?.[1];
  return { steps: shown.replace(REPLAY_COMMENT, ""), ...(replayPath ? { replayPath } : {}) };
}

/** A failure as an entry of ECONOMY_REGRESSIONS, to paste as it is (with `why` filled in). */
export function regressionEntry(failure: { seed: number; path: string; commands: unknown }): string {
  const { steps, replayPath } = ranSteps(failure.commands);
  const entry: EconomyRegression = {
    why: "WHAT THIS SEQUENCE SHOWED",
    seed: failure.seed,
    path: failure.path,
    ...(replayPath ? { replayPath } : {}),
    steps,
  };
  return `Paste into ECONOMY_REGRESSIONS in test/invariants/regressions.ts:\n${JSON.stringify(entry, null, 2)},`;
}

/**
 * Runs the model-based test: `numRuns` random sequences from `seed`, or the one that `path` (and
 * `replayPath`) names. A failure throws fast-check's report followed by the paste-ready regression entry.
 * Returns the steps of the last sequence run, as they ran (a replay checks that it still runs as kept).
 */
export async function runEconomy(
  options: { numRuns: number } & EconomyReplay,
): Promise<{ lastSteps: string }> {
  let lastSteps = "";
  const details = await fc.check(
    fc.asyncProperty(economyCommands(options.replayPath), async (commands) => {
      const suite = await loadFixture(economyFixture);
      try {
        await fc.asyncModelRun(() => ({ model: initialModel(suite), real: suite }), commands);
      } finally {
        lastSteps = ranSteps(commands).steps;
      }
    }),
    { numRuns: options.numRuns, seed: options.seed, path: options.path, endOnFailure: false, verbose: 1 },
  );
  if (details.failed) {
    const entry = regressionEntry({
      seed: details.seed,
      path: details.counterexamplePath!,
      commands: details.counterexample![0],
    });
    throw new Error(`${fc.defaultReportMessage(details)}\n\n${entry}`);
  }
  return { lastSteps };
}

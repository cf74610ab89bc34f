import { ErrorFragment, Interface, type InterfaceAbi, type Result } from "ethers";
import { formatZon } from "./amounts";
import { ROLES } from "./roles";

/*
 * One decoder for every revert of the suite: the custom errors of the four contracts (their own and the
 * OpenZeppelin errors they inherit), Solidity panics and `Error(string)`. Each becomes its name, its
 * arguments in a reader's units (ZON amounts, dates, role names) and one sentence of what to do. Tasks,
 * the worker, the demo and the library use it; nobody shows a user a bare selector.
 */

/** A decoded revert. `sentence` is what a user reads: what happened and what to do. */
export interface DecodedRevert {
  name: string;
  args: Record<string, string>;
  sentence: string;
}

type Args = Record<string, string>;
type Hint = (a: Args) => string;

const HINTS: Record<string, Hint> = {
  // OpenZeppelin: access control and admin rules
  AccessControlUnauthorizedAccount: (a) =>
    `account ${a.account} does not hold ${a.neededRole}; send from the account that does, or have the admin grant it`,
  AccessControlBadConfirmation: () => "renounceRole must be called by the account itself, naming itself",
  AccessControlEnforcedDefaultAdminDelay: (a) =>
    `the admin transfer cannot complete before ${a.schedule}; try again after that time`,
  AccessControlEnforcedDefaultAdminRules: () =>
    "the admin role moves only by the two-step transfer (beginDefaultAdminTransfer, then accept after the delay)",
  AccessControlInvalidDefaultAdmin: (a) =>
    `${a.defaultAdmin} is not the pending admin; only the account the admin role was offered to can accept it`,
  EnforcedPause: () => "the contract is paused; wait until the pauser unpauses it",
  ExpectedPause: () => "the contract is not paused, so there is nothing to unpause",
  // OpenZeppelin: ERC-20, permit, signatures, utilities
  ERC20InsufficientAllowance: (a) =>
    `${a.spender} may spend only ${a.allowance} of this account, ${a.needed} are needed; approve more (or sign a permit) first`,
  ERC20InsufficientBalance: (a) =>
    `${a.sender} holds ${a.balance}, ${a.needed} are needed; top the account up or send less`,
  ERC20InvalidApprover: (a) => `${a.approver} cannot approve (the zero address)`,
  ERC20InvalidReceiver: (a) => `${a.receiver} cannot receive ZON (the zero address); check the recipient`,
  ERC20InvalidSender: (a) => `${a.sender} cannot send ZON (the zero address)`,
  ERC20InvalidSpender: (a) => `${a.spender} cannot be approved (the zero address); check the spender`,
  ERC2612ExpiredSignature: (a) => `the permit expired at ${a.deadline}; sign a new one with a later deadline`,
  ERC2612InvalidSigner: (a) =>
    `the permit was signed by ${a.signer}, not by the owner ${a.owner}; sign it with the owner's key. A Safe has no key: redeemWithPermit and createAndFundWithPermit take a key's (v, r, s) signature only, so a Safe approves and calls in one batch (safe:batch, or the portal's Safe mode), or its owners sign a permit with safe:permit`,
  InvalidAccountNonce: (a) =>
    `the permit was signed for another nonce; ${a.account}'s nonce is now ${a.currentNonce}: sign it again`,
  ECDSAInvalidSignature: () => "the signature does not recover to any signer; sign again",
  ECDSAInvalidSignatureLength: (a) => `a signature of ${a.length} bytes is not a 65-byte signature`,
  ECDSAInvalidSignatureS: () => "the signature is malleable (high s); sign again with a standard signer",
  SafeERC20FailedOperation: (a) => `the token ${a.token} refused the transfer`,
  SafeCastOverflowedUintDowncast: (a) => `${a.value} does not fit ${a.bits} bits`,
  InvalidShortString: () => "a short string was malformed",
  StringTooLong: (a) => `the string "${a.str}" is too long`,
  // ZonCoin
  ZonCoinAccountFrozen: (a) =>
    `account ${a.account} is frozen by compliance: it cannot send, receive or spend; ask the compliance team`,
  ZonCoinAccountNotAllowlisted: (a) =>
    `account ${a.account} is not on the holder allowlist, which is on; ask compliance to allowlist it`,
  ZonCoinNotMinter: (a) =>
    `${a.account} is not a minter; the minter admin must configure it first (zon:minter --minter ${a.account} --allowance N)`,
  ZonCoinMinterAllowanceExceeded: (a) =>
    `minter ${a.minter} may mint only ${a.allowance} more, ${a.requested} were asked; the minter admin can raise its allowance (zon:minter --minter ${a.minter} --increase N)`,
  ZonCoinMaxSupplyExceeded: (a) => `the supply would reach ${a.newSupply}, above the cap ${a.cap}; mint less`,
  ZonCoinInvalidMaxSupply: (a) => `a maximum supply of ${a.maxSupply} is above what a balance can hold`,
  ZonCoinInvalidMinter: (a) => `${a.minter} cannot be a minter (the zero address)`,
  ZonCoinLengthMismatch: (a) => `${a.recipients} recipients but ${a.amounts} amounts; give one amount each`,
  ZonCoinAllowlistModeUnchanged: (a) => `allowlist mode is already ${a.enabled === "true" ? "on" : "off"}`,
  ZonCoinFrozenUnchanged: (a) =>
    `account ${a.account} is already ${a.frozen === "true" ? "frozen" : "not frozen"}; nothing to change`,
  ZonCoinAllowlistUnchanged: (a) =>
    `account ${a.account} is already ${a.allowed === "true" ? "on" : "off"} the allowlist; nothing to change`,
  ZonCoinInvalidPermitSignature: (a) =>
    `the permit signature is not ${a.owner}'s (neither its key's nor accepted by its wallet through ERC-1271); sign it again as the owner`,
  ZonCoinMinterAlreadyConfigured: (a) =>
    `${a.minter} is already a minter (allowance ${a.allowance}); change its allowance with zon:minter --minter ${a.minter} --increase N or --decrease N`,
  ZonCoinMissingCaseId: () =>
    "a recovery or forced transfer must carry the case id of its off-chain evidence; give --case",
  ZonCoinSameAccount: (a) => `${a.account} is named on both sides; give two different accounts`,
  ZonCoinZeroAmount: () => "a forced transfer of nothing; give an amount above zero",
  ZonCoinOperationNotAnnounced: (a) =>
    `operation ${a.operation} is not announced (never, or already carried out or cancelled) and an enforcement delay is in force; announce it first, then carry it out once the delay has passed`,
  ZonCoinOperationNotReady: (a) =>
    `operation ${a.operation} was announced and can be carried out from ${a.readyAt}; try again after that time`,
  ZonCoinOperationAlreadyAnnounced: (a) =>
    `operation ${a.operation} is already announced, ready from ${a.readyAt}; carry it out or cancel it`,
  ZonCoinEnforcementDelayTooLong: (a) =>
    `an enforcement delay of ${a.delay} s is above the maximum of ${a.max} s (30 days)`,
  ZonCoinEnforcementDelayUnchanged: (a) => `the enforcement delay is already ${a.delay} s; nothing to change`,
  ZonCoinCustodian: (a) =>
    `${a.account} is a custodian of the suite (the gateway, the escrow, the distributor or the token): the ZON it holds is owed to its books, so no recovery or forced transfer may touch it; act on the party's position instead (after a recovery, the gateway's replaceRecoveredOwners and the escrow's replaceRecoveredParties move it to the new wallet)`,
  ZonCoinCustodianUnchanged: (a) =>
    `${a.account} is already ${a.custodian === "true" ? "a custodian" : "not a custodian"}; nothing to change`,
  // RewardDistributor
  PolicyNotPublished: (a) =>
    `period ${a.period} has no cashback policy yet; the policy officer must publish it (rewards:policy) first`,
  PolicyAlreadyPublished: (a) =>
    `period ${a.period} already has its policy; rates never change, only the budget can be raised`,
  InvalidBudget: (a) => `a budget of ${a.budgetZon} whole ZON for period ${a.period} is zero or too large`,
  BudgetNotRaised: (a) =>
    `period ${a.period}'s budget is ${a.currentBudgetZon} whole ZON; a new budget must be higher than that, not ${a.budgetZon}`,
  PeriodBudgetExceeded: (a) =>
    `period ${a.period} has used ${a.committed} of its ${a.budget} budget; ${a.requested} more does not fit: the policy officer can raise the budget`,
  InvalidRates: () => "a rate is above 10,000 basis points, or the rates word has bits above the eight rates",
  UsageOutOfRange: (a) => `a usage of ${a.usageCents} cents is out of range`,
  TooManyAttestors: (a) => `the attestor set is full (${a.max}); remove one first`,
  InvalidEpochRoot: () => "an epoch root of zero proves nothing; build the epoch again",
  UnknownCategory: (a) => `category ${a.category} is not one of the eight rate slots`,
  AttestationExpired: (a) =>
    `attestation ${a.period}/${a.id} expired at ${a.deadline}; the billing backend must sign a new one`,
  AttestationAlreadyClaimed: (a) =>
    `attestation ${a.period}/${a.id} was already claimed; nothing more to mint`,
  AttestationIsRevoked: (a) => `attestation ${a.period}/${a.id} was revoked; it never mints`,
  InvalidSignatureLength: (a) =>
    `a signature bundle of ${a.length} bytes is not a whole number of 65-byte signatures`,
  InvalidSignature: (a) => `signature ${a.index} of the bundle recovers to no one; sign again`,
  NotAttestor: (a) =>
    `signature ${a.index} recovers to ${a.signer}, which is not an attestor (or signed something else); check the keys and what was signed`,
  SignersNotAscending: (a) =>
    `signature ${a.index} (${a.signer}) is a duplicate or out of order; bundle one signature per attestor, ascending by address`,
  BelowThreshold: (a) =>
    `${a.given} valid signature(s) given, ${a.threshold} needed; collect more attestor signatures`,
  AlreadyAttestor: (a) => `${a.account} is already an attestor`,
  InvalidAttestor: (a) => `${a.account} cannot be an attestor (the zero address)`,
  UnknownAttestor: (a) => `${a.account} is not an attestor`,
  InvalidThreshold: (a) => `a threshold of ${a.threshold} is not between 1 and the ${a.attestors} attestors`,
  EpochAlreadyPublished: (a) =>
    `epoch ${a.epoch} of period ${a.period} (or root ${a.root}) is already published`,
  UnknownEpoch: (a) => `no epoch was published with root ${a.root}`,
  InvalidClaimDeadline: (a) => `a claim deadline of ${a.claimDeadline} is not in the future`,
  EpochClaimWindowClosed: (a) => `the epoch's claims closed at ${a.claimDeadline}`,
  EpochClaimWindowOpen: (a) => `the epoch is open for claims until ${a.claimDeadline}; release it after that`,
  EpochAlreadyReleased: () => "the epoch's unclaimed rest was already released",
  EpochLeafAlreadyClaimed: (a) => `leaf ${a.index} of the epoch was already claimed`,
  InvalidProof: (a) =>
    `the proof does not prove leaf ${a.index} in epoch ${a.root}; use the epoch's proofs file`,
  EpochOverdrawn: (a) =>
    `the epoch has ${a.remaining} left, ${a.requested} were asked; the epoch file does not match the chain`,
  EpochTotalTooLarge: (a) => `an epoch total of ${a.total} is too large`,
  // RedemptionGateway
  SkuInactive: (a) => `SKU ${a.sku} is not listed or not active; see catalogue:list`,
  InvalidQuantity: () => "a quantity of zero redeems nothing",
  PriceAboveMax: (a) =>
    `SKU ${a.sku} costs ${a.total} for this quantity, above your maximum ${a.maxTotalPrice}; raise the maximum or redeem fewer`,
  OutOfStock: (a) => `only ${a.stock} unit(s) of SKU ${a.sku} are left, ${a.quantity} were asked`,
  PerAccountLimitExceeded: (a) =>
    `${a.account} would hold ${a.wouldHave} unit(s) of SKU ${a.sku}, above the limit of ${a.limit}`,
  TotalTooLarge: (a) => `a total of ${a.total} does not fit the gateway's accounting; redeem less`,
  RequestNotOpen: (a) =>
    `request ${a.id} is not open (already fulfilled, rejected or cancelled), or its fields are not the published ones`,
  NotRequestOwner: (a) => `only the request's owner ${a.owner} may cancel request ${a.id}`,
  CancelTooEarly: (a) => `request ${a.id} can be cancelled only after ${a.cancelAfter}`,
  InvalidTimeout: (a) => `a timeout of ${a.timeout} s is zero or above the maximum ${a.max} s`,
  InvalidAcceptanceWindow: (a) =>
    `an acceptance window of ${a.window} s is zero or above the maximum ${a.max} s`,
  NotAccepted: (a) =>
    `${a.id} has not been accepted yet: a redemption request must be accepted by the fulfiller, an agreement by its seller`,
  AlreadyAccepted: (a) =>
    a.acceptedUntil === undefined
      ? `agreement ${a.id} was already accepted`
      : `request ${a.id} was already accepted until ${a.acceptedUntil}; an acceptance is never renewed`,
  LengthMismatch: (a) =>
    `the batch's arrays differ in length (${Object.values(a).join(" and ")}); give one value each`,
  OwnerNotRecovered: (a) =>
    `the owner ${a.owner} of request ${a.id} was never recovered to a new wallet; only a recovered owner's request moves to its replacement`,
  RescueExceedsSurplus: (a) =>
    `only ${a.surplus ?? a.balance} of token ${a.token} is held beyond what is owed; ${a.requested} cannot be rescued`,
  // B2BEscrow
  InvalidMilestoneCount: (a) => `${a.count} milestones: an agreement has between 1 and ${a.max}`,
  ZeroMilestone: (a) => `milestone ${a.index} has an amount of zero`,
  InvalidSeller: (a) => `${a.seller} cannot be the seller (the zero address, or the buyer)`,
  InvalidArbiter: (a) => `${a.arbiter} cannot be the arbiter (the zero address, the buyer or the seller)`,
  InvalidDeliveryDeadline: (a) => `the delivery deadline ${a.deadline} is not in the future`,
  InvalidReviewWindow: (a) => `a review window of ${a.window} s is not between 1 hour and ${a.max} s`,
  InvalidAcceptDeadline: (a) =>
    `the acceptance deadline ${a.acceptDeadline} is in the past or after the delivery deadline ${a.deliveryDeadline}`,
  InvalidArbitrationWindow: (a) =>
    `an arbitration window of ${a.window} s is not between 1 hour and ${a.max} s`,
  InvalidFallbackSplit: (a) => `a fallback buyer share of ${a.bps} bps is above 10,000`,
  FeeTooHigh: (a) => `a platform fee of ${a.feeBps} bps is above the hard cap of ${a.hardCap} bps`,
  InvalidTreasury: (a) => `${a.treasury} cannot be the treasury (the zero address)`,
  UnknownAgreement: (a) => `there is no agreement ${a.id}`,
  UnknownMilestone: (a) => `agreement ${a.id} has no milestone ${a.index}`,
  NotAllowed: (a) =>
    `${a.account} is not the party this step of agreement ${a.id} needs; send from the buyer, seller or arbiter it names`,
  WrongStatus: (a) =>
    `milestone ${a.index} of agreement ${a.id} is ${a.status}, which this step does not accept`,
  DeliveryDeadlinePassed: (a) => `agreement ${a.id}'s delivery deadline passed at ${a.deadline}`,
  DeliveryDeadlineNotPassed: (a) =>
    `agreement ${a.id}'s delivery deadline is ${a.deadline}; refunds of undelivered milestones come after it`,
  ReviewWindowOpen: (a) =>
    `the buyer may review milestone ${a.index} of agreement ${a.id} until ${a.endsAt}; claim after that`,
  ReviewWindowClosed: (a) =>
    `the review window of milestone ${a.index} of agreement ${a.id} closed at ${a.endedAt}`,
  NoArbiter: (a) =>
    `agreement ${a.id} has no arbiter, so it cannot be disputed; both parties may name one (proposeArbiter)`,
  InvalidSplit: (a) => `a buyer share of ${a.buyerShare} is above the milestone's ${a.amount}`,
  AmountTooLarge: (a) => `a total of ${a.total} does not fit the escrow's accounting`,
  AcceptDeadlinePassed: (a) =>
    `agreement ${a.id} could be accepted only until ${a.deadline}; the buyer may now take it back`,
  ArbitrationWindowClosed: (a) =>
    `the arbiter's window on milestone ${a.index} of agreement ${a.id} closed at ${a.endedAt}; either party applies the fallback split (resolveByFallback)`,
  ArbitrationWindowOpen: (a) =>
    `the arbiter may split milestone ${a.index} of agreement ${a.id} until ${a.endsAt}; the fallback applies after that`,
  NoCancelRequest: (a) => `${a.account} has no cancel request standing on agreement ${a.id}`,
  NoRecoveredParty: (a) =>
    `no party of agreement ${a.id} (buyer, seller, arbiter) was recovered to a new wallet; nothing to move`,
  InvalidReplacement: (a) =>
    `moving ${a.lost}'s role in agreement ${a.id} to its new wallet ${a.replacement} would give one account two roles; the parties must settle it (or governance recover to another wallet)`,
  NoFeesAccrued: () => "no platform fees are waiting for the treasury; nothing to withdraw",
};

const PANICS: Record<number, string> = {
  0x01: "an assertion failed",
  0x11: "an arithmetic operation overflowed or underflowed",
  0x12: "a division by zero",
  0x21: "a value out of an enum's range",
  0x22: "a malformed storage byte array",
  0x31: "pop on an empty array",
  0x32: "an array index out of bounds",
  0x41: "too much memory allocated",
  0x51: "a call to an uninitialised function",
};

const MILESTONE_STATUSES = ["none", "funded", "delivered", "disputed", "released", "resolved", "refunded"];
const AMOUNT =
  /^(amount|balance|allowance|needed|requested|total|budget|committed|remaining|buyerShare|surplus|value|cap|newSupply|maxSupply|maxTotalPrice|price)$/;
const TIME =
  /^(deadline|schedule|cancelAfter|acceptedUntil|endsAt|endedAt|claimDeadline|acceptDeadline|deliveryDeadline|readyAt)$/;
/** What each role is called in a sentence. */
export const ROLE_TITLES: Record<string, string> = {
  [ROLES.DEFAULT_ADMIN]: "admin",
  [ROLES.MINTER_ADMIN]: "minter admin",
  [ROLES.PAUSER]: "pauser",
  [ROLES.COMPLIANCE]: "compliance",
  [ROLES.POLICY]: "policy officer",
  [ROLES.CATALOGUE]: "catalogue manager",
  [ROLES.FULFILLER]: "fulfiller",
  [ROLES.RECOVERY]: "recovery officer",
  [ROLES.FORCED_TRANSFER]: "forced-transfer officer",
};

/**
 * The suite's contract ABIs (the TypeChain bindings), read on first use: `hardhat.config.ts` loads this
 * module through the tasks before a fresh checkout has compiled anything.
 */
export function suiteAbis(): InterfaceAbi[] {
  const bindings = require("../typechain-types") as typeof import("../typechain-types");
  return [
    bindings.ZonCoin__factory.abi,
    bindings.RewardDistributor__factory.abi,
    bindings.RedemptionGateway__factory.abi,
    bindings.B2BEscrow__factory.abi,
  ];
}

let bySelector: Map<string, ErrorFragment> | undefined;

function errorsBySelector(): Map<string, ErrorFragment> {
  if (!bySelector) {
    bySelector = new Map();
    for (const abi of suiteAbis()) {
      for (const fragment of new Interface(abi).fragments) {
        if (fragment instanceof ErrorFragment) bySelector.set(fragment.selector, fragment);
      }
    }
  }
  return bySelector;
}

/** Every custom error the suite can revert with (for the tests that check each has a sentence). */
export function suiteErrors(): ErrorFragment[] {
  return [...errorsBySelector().values()];
}

export function hasHint(name: string): boolean {
  return name in HINTS;
}

function formatArg(name: string, type: string, value: unknown): string {
  if (type === "bytes32" && typeof value === "string") {
    const role = ROLE_TITLES[value.toLowerCase()];
    return role ? `the ${role} role` : value;
  }
  if (typeof value === "bigint") {
    if (AMOUNT.test(name)) return formatZon(value);
    if (TIME.test(name) && value > 0n && value < 2n ** 40n)
      return new Date(Number(value) * 1000).toISOString().replace(".000Z", "Z");
    if (name === "status" && value < BigInt(MILESTONE_STATUSES.length))
      return MILESTONE_STATUSES[Number(value)];
    return value.toString();
  }
  return String(value);
}

function argsOf(fragment: ErrorFragment, values: Result): Args {
  const args: Args = {};
  fragment.inputs.forEach((input, i) => (args[input.name] = formatArg(input.name, input.type, values[i])));
  return args;
}

/** Decodes revert data (`0x` + selector + arguments); undefined when it is none of the suite's. */
export function decodeRevertData(data: string): DecodedRevert | undefined {
  if (typeof data !== "string" || !/^0x[0-9a-fA-F]*$/.test(data) || data.length < 10) return undefined;
  const selector = data.slice(0, 10).toLowerCase();
  const coder = new Interface(["error Error(string reason)", "error Panic(uint256 code)"]);
  try {
    if (selector === coder.getError("Error")!.selector) {
      const [reason] = coder.decodeErrorResult("Error", data);
      return { name: "Error", args: { reason: String(reason) }, sentence: `reverted: ${String(reason)}` };
    }
    if (selector === coder.getError("Panic")!.selector) {
      const [code] = coder.decodeErrorResult("Panic", data);
      const what = PANICS[Number(code)] ?? `panic code 0x${(code as bigint).toString(16)}`;
      return {
        name: "Panic",
        args: { code: `0x${(code as bigint).toString(16)}` },
        sentence: `the contract stopped: ${what}`,
      };
    }
    const fragment = errorsBySelector().get(selector);
    if (!fragment) return undefined;
    const args = argsOf(fragment, new Interface([fragment]).decodeErrorResult(fragment, data));
    const hint = HINTS[fragment.name];
    const shown = Object.entries(args)
      .map(([k, v]) => `${k}=${v}`)
      .join(", ");
    return {
      name: fragment.name,
      args,
      sentence: `${fragment.name}${shown ? ` (${shown})` : ""}: ${hint ? hint(args) : "refused by the contract"}`,
    };
  } catch {
    return undefined;
  }
}

/** Finds revert data in an error from ethers, Hardhat or a JSON-RPC node, however deeply it is wrapped. */
export function revertDataOf(error: unknown, depth = 0): string | undefined {
  if (depth > 6 || error === null || typeof error !== "object") return undefined;
  const e = error as Record<string, unknown>;
  for (const key of ["data", "revert"]) {
    const value = e[key];
    if (typeof value === "string" && /^0x[0-9a-fA-F]{8}/.test(value)) return value;
    if (value && typeof value === "object" && typeof (value as { data?: unknown }).data === "string") {
      const nested = (value as { data: string }).data;
      if (/^0x[0-9a-fA-F]{8}/.test(nested)) return nested;
    }
  }
  for (const key of ["error", "info", "cause", "payload"]) {
    const found = revertDataOf(e[key], depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * One sentence for any error: a decoded revert when the error carries one of the suite's, a panic or a
 * reason string; otherwise the error's own first line (input errors of the library already name the
 * field and the value). Never a bare selector.
 */
export function describeError(error: unknown): string {
  const data = revertDataOf(error);
  if (data) {
    const decoded = decodeRevertData(data);
    if (decoded) return decoded.sentence;
    return `the transaction was refused with an error this suite does not know (selector ${data.slice(0, 10)}); is the address the right contract?`;
  }
  return cappedLine(ethersMessage(error) ?? (error instanceof Error ? error.message : String(error)));
}

/**
 * The same error split for a page: what happened and what to do (`summary`, in words), and the contract's
 * error name with its arguments (`detail`) for whoever wants them behind a "details" toggle.
 */
export function explainError(error: unknown): { summary: string; detail?: string } {
  const data = revertDataOf(error);
  const decoded = data ? decodeRevertData(data) : undefined;
  if (!decoded) return { summary: describeError(error) };
  const shown = Object.entries(decoded.args)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
  const hint = HINTS[decoded.name];
  const words = hint
    ? hint(decoded.args)
    : decoded.name === "Error" || decoded.name === "Panic"
      ? decoded.sentence
      : "the contract refused it";
  return {
    summary: `${words.charAt(0).toUpperCase()}${words.slice(1)}.`,
    detail: `${decoded.name}${shown ? ` (${shown})` : ""}`,
  };
}

/** Longest line an error becomes: a node's answer can quote a whole signed transaction. */
const MAX_ERROR_LINE = 400;

function cappedLine(message: string): string {
  const line = message.split("\n")[0];
  return line.length > MAX_ERROR_LINE
    ? `${line.slice(0, MAX_ERROR_LINE)}… (cut at ${MAX_ERROR_LINE} characters)`
    : line;
}

/**
 * ethers' errors carry the request in their message (a raw transaction, a payload of calldata): their
 * short message, and the node's own answer, say what happened without it.
 */
function ethersMessage(error: unknown): string | undefined {
  if (error === null || typeof error !== "object") return undefined;
  const {
    shortMessage,
    error: inner,
    info,
  } = error as {
    shortMessage?: unknown;
    error?: { message?: unknown };
    info?: { error?: { message?: unknown } };
  };
  if (typeof shortMessage !== "string") return undefined;
  const nodeSaid = [inner?.message, info?.error?.message].find((m) => typeof m === "string" && m !== "");
  return nodeSaid === undefined || shortMessage.includes(nodeSaid as string)
    ? shortMessage
    : `${shortMessage}: ${nodeSaid as string}`;
}

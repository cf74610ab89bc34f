// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title B2BEscrow: types, events, custom errors and external functions.
interface IB2BEscrow {
    /// @notice Where a milestone stands. Released, Resolved and Refunded are final (settled).
    enum MilestoneStatus {
        None,
        Funded,
        Delivered,
        Disputed,
        Released,
        Resolved,
        Refunded
    }

    /// @notice What a buyer sets up: the terms of an agreement.
    struct Terms {
        address seller;
        address arbiter; // zero: no disputes, the review window decides
        bytes32 termsHash; // hash of the off-chain contract
        uint40 deliveryDeadline;
        uint32 reviewWindow; // seconds the buyer has to release or dispute a delivered milestone
        uint40 acceptDeadline; // the seller accepts by then, or the buyer takes everything back
        uint32 arbitrationWindow; // seconds the arbiter has to split a disputed milestone
        uint16 fallbackBuyerBps; // the buyer's share of a disputed milestone the arbiter did not split in time
    }

    // ---------------------------------------------------------------- errors

    /// @notice A milestone count of `count` is not between 1 and `max`.
    error InvalidMilestoneCount(uint256 count, uint256 max);
    /// @notice Milestone `index` has an amount of zero.
    error ZeroMilestone(uint256 index);
    /// @notice The seller `seller` is the zero address or the buyer.
    error InvalidSeller(address seller);
    /// @notice The arbiter `arbiter` is the buyer or the seller.
    error InvalidArbiter(address arbiter);
    /// @notice The delivery deadline `deadline` is not in the future.
    error InvalidDeliveryDeadline(uint256 deadline);
    /// @notice The review window `window` is not between 1 hour and `max` seconds.
    error InvalidReviewWindow(uint256 window, uint256 max);
    /// @notice A platform fee of `feeBps` is above the contract's hard cap `hardCap`.
    error FeeTooHigh(uint256 feeBps, uint256 hardCap);
    /// @notice The acceptance deadline `acceptDeadline` is in the past or after the delivery deadline.
    error InvalidAcceptDeadline(uint256 acceptDeadline, uint256 deliveryDeadline);
    /// @notice The arbitration window `window` is not between 1 hour and `max` seconds.
    error InvalidArbitrationWindow(uint256 window, uint256 max);
    /// @notice A fallback buyer share of `bps` is above 10,000 basis points.
    error InvalidFallbackSplit(uint256 bps);
    /// @notice The seller has not accepted agreement `id`: it binds no one yet.
    error NotAccepted(uint256 id);
    /// @notice The seller has already accepted agreement `id`.
    error AlreadyAccepted(uint256 id);
    /// @notice Agreement `id` could be accepted only until `deadline`.
    error AcceptDeadlinePassed(uint256 id, uint256 deadline);
    /// @notice The arbitration window of disputed milestone `index` closed at `endedAt`: the fallback applies.
    error ArbitrationWindowClosed(uint256 id, uint256 index, uint256 endedAt);
    /// @notice The arbiter may split disputed milestone `index` until `endsAt`.
    error ArbitrationWindowOpen(uint256 id, uint256 index, uint256 endsAt);
    /// @notice `account` has no cancel request standing on agreement `id`.
    error NoCancelRequest(uint256 id, address account);
    /// @notice Only `surplus` of `token` is held beyond the unsettled milestones; `requested` is more.
    error RescueExceedsSurplus(address token, uint256 surplus, uint256 requested);
    /// @notice The treasury cannot be the zero address.
    error InvalidTreasury(address treasury);
    /// @notice Agreement `id` does not exist.
    error UnknownAgreement(uint256 id);
    /// @notice Agreement `id` has no milestone `index`.
    error UnknownMilestone(uint256 id, uint256 index);
    /// @notice `account` is not the party this step needs.
    error NotAllowed(uint256 id, address account);
    /// @notice Milestone `index` of agreement `id` is `status`, which this step does not accept.
    error WrongStatus(uint256 id, uint256 index, MilestoneStatus status);
    /// @notice The delivery deadline `deadline` of agreement `id` has passed.
    error DeliveryDeadlinePassed(uint256 id, uint256 deadline);
    /// @notice The delivery deadline `deadline` of agreement `id` has not passed yet.
    error DeliveryDeadlineNotPassed(uint256 id, uint256 deadline);
    /// @notice The review window of milestone `index` is open until `endsAt`.
    error ReviewWindowOpen(uint256 id, uint256 index, uint256 endsAt);
    /// @notice The review window of milestone `index` closed at `endedAt`.
    error ReviewWindowClosed(uint256 id, uint256 index, uint256 endedAt);
    /// @notice Agreement `id` has no arbiter, so it cannot be disputed.
    error NoArbiter(uint256 id);
    /// @notice A buyer share `buyerShare` above the milestone's `amount`.
    error InvalidSplit(uint256 id, uint256 index, uint256 buyerShare, uint256 amount);
    /// @notice A total `total` that does not fit the accounting (128 bits an agreement, 96 bits in escrow).
    error AmountTooLarge(uint256 total);
    /// @notice No party of agreement `id` (buyer, seller, arbiter) was recovered to a new wallet.
    error NoRecoveredParty(uint256 id);
    /// @notice Recovering `lost` to `replacement` would leave agreement `id` with one account in two roles.
    error InvalidReplacement(uint256 id, address lost, address replacement);
    /// @notice No fees are waiting for the treasury.
    error NoFeesAccrued();

    // ---------------------------------------------------------------- events

    /// @notice `buyer` created agreement `id` with `seller` on `terms` and funded it with `total` ZON; the
    /// platform fee `feeBps` is fixed for its life. It binds the seller once accepted.
    event AgreementCreated(
        uint256 indexed id,
        address indexed buyer,
        address indexed seller,
        Terms terms,
        uint256 total,
        uint256 milestoneCount,
        uint16 feeBps
    );
    /// @notice The seller accepted agreement `id`.
    event AgreementAccepted(uint256 indexed id, address seller);
    /// @notice The buyer took back agreement `id`, never accepted: `refunded` ZON.
    event AgreementWithdrawn(uint256 indexed id, uint256 refunded);
    /// @notice The seller marked milestone `index` delivered; the buyer's review window runs from now.
    event MilestoneDelivered(uint256 indexed id, uint256 indexed index, uint256 reviewEndsAt);
    /// @notice Milestone `index` was paid to the seller (`toSeller`); `fee` accrued for the treasury.
    event MilestoneReleased(uint256 indexed id, uint256 indexed index, address by, uint256 toSeller, uint256 fee);
    /// @notice `by` disputed milestone `index`; the arbiter decides by `arbitrationEndsAt`, then the fallback split.
    event MilestoneDisputed(uint256 indexed id, uint256 indexed index, address by, uint256 arbitrationEndsAt);
    /// @notice Milestone `index` was split, by the arbiter or by the fallback: `toBuyer`, `toSeller`, `fee`
    /// (they sum to its amount; the fee accrued for the treasury).
    event MilestoneResolved(uint256 indexed id, uint256 indexed index, uint256 toBuyer, uint256 toSeller, uint256 fee);
    /// @notice Milestone `index` went back to the buyer in full.
    event MilestoneRefunded(uint256 indexed id, uint256 indexed index, address by, uint256 amount);
    /// @notice `by` asked to cancel agreement `id`; it cancels when the other party asks too, before anything
    /// changes.
    event CancelRequested(uint256 indexed id, address by);
    /// @notice `by` withdrew its cancel request on agreement `id`.
    event CancelRequestWithdrawn(uint256 indexed id, address by);
    /// @notice A delivery, dispute or settlement on agreement `id` voided the standing cancel requests.
    event CancelRequestsVoided(uint256 indexed id);
    /// @notice `by` proposed `arbiter` as agreement `id`'s arbiter; it takes over when both parties propose it.
    event ArbiterProposed(uint256 indexed id, address by, address arbiter);
    /// @notice Buyer and seller replaced arbiter `previous` with `arbiter`.
    event ArbiterChanged(uint256 indexed id, address previous, address arbiter);
    /// @notice `amount` of `token` held beyond the unsettled milestones (sent by mistake) went to `to`.
    event TokensRescued(address indexed token, address indexed to, uint256 amount);
    /// @notice Agreement `id` was cancelled by both parties: `refunded` ZON went back to the buyer.
    event AgreementCancelled(uint256 indexed id, uint256 refunded);
    /// @notice Fees go to `treasury` from now on.
    event TreasurySet(address treasury);
    /// @notice The fees accrued so far, `amount` ZON, went to `treasury`.
    event FeesWithdrawn(address indexed treasury, uint256 amount);
    /// @notice The party `lost` of agreement `id` was recovered to `replacement` (recovery case `caseId`),
    /// which now holds its role: what the agreement pays that party goes to `replacement`, and only
    /// `replacement` can act for it. Standing cancel requests and arbiter proposals were voided.
    event PartyReplaced(uint256 indexed id, address indexed lost, address indexed replacement, bytes32 caseId);
    /// @notice New agreements carry a platform fee of `feeBps`.
    event FeeSet(uint256 feeBps);

    // ---------------------------------------------------------------- functions

    /// @notice Creates an agreement and funds every milestone from the caller (the buyer).
    /// @param terms Seller, arbiter, terms hash, deadlines, review and arbitration windows, fallback split.
    /// @param amounts Milestone amounts in ZON wei.
    /// @return id The agreement id.
    function createAndFund(Terms calldata terms, uint128[] calldata amounts) external returns (uint256 id);

    /// @notice `createAndFund` after an ERC-2612 permit for the total; skipped when the allowance is already there
    /// (e.g. a front-run permit).
    /// @param terms Seller, arbiter, terms hash, deadlines, review and arbitration windows, fallback split.
    /// @param amounts Milestone amounts in ZON wei.
    /// @param permitDeadline The permit's deadline.
    /// @param v Permit signature v.
    /// @param r Permit signature r.
    /// @param s Permit signature s.
    /// @return id The agreement id.
    function createAndFundWithPermit(
        Terms calldata terms,
        uint128[] calldata amounts,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (uint256 id);

    /// @notice The seller accepts agreement `id` (before its acceptance deadline): from now on it binds both.
    /// @param id Agreement id.
    function accept(uint256 id) external;

    /// @notice The buyer takes back every milestone of an agreement the seller has not accepted.
    /// @param id Agreement id.
    function withdrawUnaccepted(uint256 id) external;

    /// @notice The seller marks milestone `index` of an accepted agreement delivered (before the delivery deadline).
    /// @param id Agreement id.
    /// @param index Milestone index.
    function deliver(uint256 id, uint256 index) external;

    /// @notice The buyer pays milestone `index` to the seller (the fee accrues for the treasury).
    /// @param id Agreement id.
    /// @param index Milestone index.
    function release(uint256 id, uint256 index) external;

    /// @notice The seller takes payment of a delivered milestone once the buyer's review window is over.
    /// @param id Agreement id.
    /// @param index Milestone index.
    function claim(uint256 id, uint256 index) external;

    /// @notice Buyer or seller disputes a delivered milestone within the review window.
    /// @param id Agreement id.
    /// @param index Milestone index.
    function dispute(uint256 id, uint256 index) external;

    /// @notice The arbiter splits a disputed milestone within the arbitration window; the fee applies to the
    /// seller's share only.
    /// @param id Agreement id.
    /// @param index Milestone index.
    /// @param buyerShare What goes back to the buyer; the rest goes to the seller.
    function resolve(uint256 id, uint256 index, uint256 buyerShare) external;

    /// @notice Buyer or seller settles a disputed milestone the arbiter left past its arbitration window, with
    /// the fallback split of the terms.
    /// @param id Agreement id.
    /// @param index Milestone index.
    function resolveByFallback(uint256 id, uint256 index) external;

    /// @notice Buyer or seller proposes a new arbiter; it takes over when the other party proposes the same.
    /// @param id Agreement id.
    /// @param arbiter The proposed arbiter (neither party, not zero).
    function proposeArbiter(uint256 id, address arbiter) external;

    /// @notice Refunds the buyer a milestone not delivered by the delivery deadline.
    /// @param id Agreement id.
    /// @param index Milestone index.
    function refundUndelivered(uint256 id, uint256 index) external;

    /// @notice The seller refunds an unsettled milestone to the buyer, at any time.
    /// @param id Agreement id.
    /// @param index Milestone index.
    function sellerRefund(uint256 id, uint256 index) external;

    /// @notice Buyer or seller asks to cancel; when both have, with nothing delivered, disputed or settled in
    /// between, every unsettled milestone is refunded.
    /// @param id Agreement id.
    function requestCancel(uint256 id) external;

    /// @notice The caller withdraws its standing cancel request.
    /// @param id Agreement id.
    function withdrawCancelRequest(uint256 id) external;

    /// @notice Moves the roles of an agreement's recovered parties (buyer, seller, arbiter) to their
    /// replacements, as the token recorded them (`ZonCoin.recoveryOf`): the custodian's settlement for a
    /// recovery, so that what a lost wallet is owed reaches its replacement and its stolen key can no longer
    /// act. Anyone may call it; no ZON moves and `lockedTotal` is unchanged.
    /// @param id Agreement id.
    function replaceRecoveredParties(uint256 id) external;

    /// @notice Sends the fees accrued so far to the treasury (anyone may call it). Fees accrue instead of
    /// being paid with each settlement, so that a treasury that cannot receive never blocks a settlement.
    function withdrawFees() external;

    /// @notice Sets the treasury that receives fees.
    /// @param newTreasury The treasury address.
    function setTreasury(address newTreasury) external;

    /// @notice Sets the platform fee for agreements created from now on (at most the hard cap).
    /// @param newFeeBps The fee in basis points.
    function setFee(uint256 newFeeBps) external;

    /// @notice The admin sends tokens held beyond the unsettled milestones (sent by mistake) to `to`.
    /// @param token The token (for ZON, at most the balance minus the locked total and the accrued fees).
    /// @param to Recipient.
    /// @param amount Amount.
    function rescueERC20(address token, address to, uint256 amount) external;
}

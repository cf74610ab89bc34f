// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IB2BEscrow} from "../interfaces/IB2BEscrow.sol";
import {IZonCoin} from "../interfaces/IZonCoin.sol";

/// @title B2BEscrow
/// @notice Milestone agreements between businesses, paid in ZON. The buyer funds every milestone up
/// front; the agreement binds the seller only once the seller accepts it (before the acceptance deadline;
/// until then the buyer may withdraw everything). The seller marks a milestone delivered; the buyer
/// releases it, or stays silent and the seller claims it after the review window; either side may dispute
/// within the window and the arbiter splits it before the arbitration deadline, after which the split
/// fixed in the terms applies; buyer and seller together may name a new arbiter; undelivered milestones
/// refund after the delivery deadline; the seller may refund any unsettled milestone; both parties may
/// cancel together, and a cancel request stands only for the state it was made in (any delivery, dispute
/// or settlement voids it; its party may withdraw it). The platform fee is set by governance, capped, and
/// fixed for an agreement when it is created; it is taken from what the seller receives and accrues in the
/// escrow until anyone sends it to the treasury (`withdrawFees`), so a treasury that cannot receive never
/// blocks a settlement. A recovered party's role moves to its replacement (`replaceRecoveredParties`).
/// @dev Every milestone settles exactly once (Released, Resolved or Refunded are final), and buyer share
/// + seller share + fee always equals its amount; the fee rounds down. Reentrancy: the state of a
/// milestone is final before any token moves (checks, effects, interactions), so a re-entering call
/// finds it settled. Pausing stops new agreements only: funds in escrow can always settle.
/// Storage: an agreement header is three words, a milestone one word; the pause flag, the platform fee and
/// the agreement counter share one word, the total of unsettled milestones and the accrued fees another
/// (a settlement writes both at once), and the treasury, read only when fees are withdrawn, a third.
contract B2BEscrow is AccessControlDefaultAdminRules, Pausable, IB2BEscrow {
    using SafeERC20 for IERC20;

    /// @notice Pauses and unpauses the creation of agreements.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    /// @notice Most milestones an agreement may have.
    uint256 public constant MAX_MILESTONES = 20;
    /// @notice Highest platform fee governance can ever set: 10 %.
    uint256 public constant HARD_FEE_CAP_BPS = 1_000;
    /// @notice Longest review window, and longest arbitration window: 90 days.
    uint256 public constant MAX_REVIEW_WINDOW = 90 days;
    uint256 private constant MIN_REVIEW_WINDOW = 1 hours;
    uint256 private constant BPS = 10_000;

    struct Header {
        address buyer;
        uint40 deliveryDeadline;
        uint32 reviewWindow;
        uint16 feeBps;
        address seller;
        uint8 milestoneCount;
        bool buyerCancels;
        bool sellerCancels;
        bool accepted;
        uint40 acceptDeadline;
        address arbiter;
        uint32 arbitrationWindow;
        uint16 fallbackBuyerBps;
    }

    struct Milestone {
        uint128 amount;
        MilestoneStatus status;
        uint40 deliveredAt;
        uint40 disputedAt;
    }

    struct Books {
        uint96 locked; // owed to unsettled milestones
        uint128 fees; // accrued for the treasury
    }

    struct ArbiterProposals {
        address byBuyer;
        address bySeller;
    }

    // Packs into the word Pausable's `_paused` opens: creation reads and bumps it once. The counter is 80
    // bits wide so that this word has no room left for the treasury, which starts the next word.
    uint16 private _feeBps;
    uint80 private _nextId;
    // One word of its own (a struct starts a slot): a settlement lowers the locked total and raises the
    // accrued fees in one write.
    Books private _books;
    address private _treasury;

    mapping(uint256 id => Header) private _agreements;
    mapping(uint256 id => mapping(uint256 index => Milestone)) private _milestones;
    mapping(uint256 id => ArbiterProposals) private _arbiterProposals;

    /// @notice The ZON token.
    IERC20 public immutable token;

    /// @param token_ The ZonCoin token.
    /// @param admin Default admin (governance).
    /// @param adminTransferDelay Delay of a two-step admin transfer, in seconds.
    /// @param treasury_ Where fees go.
    /// @param feeBps_ The platform fee for new agreements, in basis points.
    constructor(
        IERC20 token_,
        address admin,
        uint48 adminTransferDelay,
        address treasury_,
        uint256 feeBps_
    ) AccessControlDefaultAdminRules(adminTransferDelay, admin) {
        token = token_;
        _setTreasury(treasury_);
        _setFee(feeBps_);
    }

    // ------------------------------------------------------------------ creation

    /// @inheritdoc IB2BEscrow
    function createAndFund(
        Terms calldata terms,
        uint128[] calldata amounts
    ) external whenNotPaused returns (uint256 id) {
        return _create(terms, amounts);
    }

    /// @inheritdoc IB2BEscrow
    function createAndFundWithPermit(
        Terms calldata terms,
        uint128[] calldata amounts,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external whenNotPaused returns (uint256 id) {
        uint256 total;
        for (uint256 i; i < amounts.length; ++i) total += amounts[i];
        // A permit someone already submitted (front-running) has set the allowance: it is not replayed.
        if (token.allowance(msg.sender, address(this)) < total) {
            IERC20Permit(address(token)).permit(msg.sender, address(this), total, permitDeadline, v, r, s);
        }
        return _create(terms, amounts);
    }

    // ------------------------------------------------------------------ acceptance

    /// @inheritdoc IB2BEscrow
    function accept(uint256 id) external {
        Header storage h = _agreement(id);
        if (msg.sender != h.seller) revert NotAllowed(id, msg.sender);
        if (h.accepted) revert AlreadyAccepted(id);
        if (block.timestamp > h.acceptDeadline) revert AcceptDeadlinePassed(id, h.acceptDeadline);
        h.accepted = true;
        emit AgreementAccepted(id, msg.sender);
    }

    /// @inheritdoc IB2BEscrow
    function withdrawUnaccepted(uint256 id) external {
        Header storage h = _agreement(id);
        if (msg.sender != h.buyer) revert NotAllowed(id, msg.sender);
        if (h.accepted) revert AlreadyAccepted(id);
        uint256 refunded = _refundUnsettled(id, h);
        emit AgreementWithdrawn(id, refunded);
        if (refunded != 0) token.safeTransfer(h.buyer, refunded);
    }

    // ------------------------------------------------------------------ milestones

    /// @inheritdoc IB2BEscrow
    function deliver(uint256 id, uint256 index) external {
        Header storage h = _agreement(id);
        if (msg.sender != h.seller) revert NotAllowed(id, msg.sender);
        if (!h.accepted) revert NotAccepted(id);
        Milestone storage m = _milestone(id, index, h);
        if (m.status != MilestoneStatus.Funded) revert WrongStatus(id, index, m.status);
        if (block.timestamp > h.deliveryDeadline) revert DeliveryDeadlinePassed(id, h.deliveryDeadline);
        m.status = MilestoneStatus.Delivered;
        m.deliveredAt = uint40(block.timestamp);
        _voidCancelRequests(id, h);
        emit MilestoneDelivered(id, index, block.timestamp + h.reviewWindow);
    }

    /// @inheritdoc IB2BEscrow
    function release(uint256 id, uint256 index) external {
        Header storage h = _agreement(id);
        if (msg.sender != h.buyer) revert NotAllowed(id, msg.sender);
        if (!h.accepted) revert NotAccepted(id);
        Milestone storage m = _milestone(id, index, h);
        MilestoneStatus status = m.status;
        if (status != MilestoneStatus.Funded && status != MilestoneStatus.Delivered) {
            revert WrongStatus(id, index, status);
        }
        m.status = MilestoneStatus.Released;
        _paySeller(id, index, h, m.amount);
    }

    /// @inheritdoc IB2BEscrow
    function claim(uint256 id, uint256 index) external {
        Header storage h = _agreement(id);
        if (msg.sender != h.seller) revert NotAllowed(id, msg.sender);
        Milestone storage m = _milestone(id, index, h);
        if (m.status != MilestoneStatus.Delivered) revert WrongStatus(id, index, m.status);
        uint256 reviewEndsAt = uint256(m.deliveredAt) + h.reviewWindow;
        if (block.timestamp <= reviewEndsAt) revert ReviewWindowOpen(id, index, reviewEndsAt);
        m.status = MilestoneStatus.Released;
        _paySeller(id, index, h, m.amount);
    }

    /// @inheritdoc IB2BEscrow
    function dispute(uint256 id, uint256 index) external {
        Header storage h = _agreement(id);
        if (msg.sender != h.buyer && msg.sender != h.seller) revert NotAllowed(id, msg.sender);
        if (h.arbiter == address(0)) revert NoArbiter(id);
        Milestone storage m = _milestone(id, index, h);
        if (m.status != MilestoneStatus.Delivered) revert WrongStatus(id, index, m.status);
        uint256 reviewEndsAt = uint256(m.deliveredAt) + h.reviewWindow;
        if (block.timestamp > reviewEndsAt) revert ReviewWindowClosed(id, index, reviewEndsAt);
        m.status = MilestoneStatus.Disputed;
        m.disputedAt = uint40(block.timestamp);
        _voidCancelRequests(id, h);
        emit MilestoneDisputed(id, index, msg.sender, block.timestamp + h.arbitrationWindow);
    }

    /// @inheritdoc IB2BEscrow
    function resolve(uint256 id, uint256 index, uint256 buyerShare) external {
        Header storage h = _agreement(id);
        if (msg.sender != h.arbiter) revert NotAllowed(id, msg.sender);
        Milestone storage m = _milestone(id, index, h);
        if (m.status != MilestoneStatus.Disputed) revert WrongStatus(id, index, m.status);
        uint256 endsAt = uint256(m.disputedAt) + h.arbitrationWindow;
        if (block.timestamp > endsAt) revert ArbitrationWindowClosed(id, index, endsAt);
        uint256 amount = m.amount;
        if (buyerShare > amount) revert InvalidSplit(id, index, buyerShare, amount);
        _split(id, index, h, m, buyerShare);
    }

    /// @inheritdoc IB2BEscrow
    function resolveByFallback(uint256 id, uint256 index) external {
        Header storage h = _agreement(id);
        if (msg.sender != h.buyer && msg.sender != h.seller) revert NotAllowed(id, msg.sender);
        Milestone storage m = _milestone(id, index, h);
        if (m.status != MilestoneStatus.Disputed) revert WrongStatus(id, index, m.status);
        uint256 endsAt = uint256(m.disputedAt) + h.arbitrationWindow;
        if (block.timestamp <= endsAt) revert ArbitrationWindowOpen(id, index, endsAt);
        _split(id, index, h, m, (uint256(m.amount) * h.fallbackBuyerBps) / BPS);
    }

    /// @inheritdoc IB2BEscrow
    function proposeArbiter(uint256 id, address newArbiter) external {
        Header storage h = _agreement(id);
        if (newArbiter == address(0) || newArbiter == h.buyer || newArbiter == h.seller) {
            revert InvalidArbiter(newArbiter);
        }
        ArbiterProposals storage p = _arbiterProposals[id];
        address other;
        if (msg.sender == h.buyer) {
            p.byBuyer = newArbiter;
            other = p.bySeller;
        } else if (msg.sender == h.seller) {
            p.bySeller = newArbiter;
            other = p.byBuyer;
        } else {
            revert NotAllowed(id, msg.sender);
        }
        emit ArbiterProposed(id, msg.sender, newArbiter);
        if (other != newArbiter) return;
        emit ArbiterChanged(id, h.arbiter, newArbiter);
        h.arbiter = newArbiter;
        delete _arbiterProposals[id];
    }

    /// @inheritdoc IB2BEscrow
    function refundUndelivered(uint256 id, uint256 index) external {
        Header storage h = _agreement(id);
        if (msg.sender != h.buyer) revert NotAllowed(id, msg.sender);
        if (block.timestamp <= h.deliveryDeadline) revert DeliveryDeadlineNotPassed(id, h.deliveryDeadline);
        Milestone storage m = _milestone(id, index, h);
        if (m.status != MilestoneStatus.Funded) revert WrongStatus(id, index, m.status);
        _refund(id, index, h, m);
    }

    /// @inheritdoc IB2BEscrow
    function sellerRefund(uint256 id, uint256 index) external {
        Header storage h = _agreement(id);
        if (msg.sender != h.seller) revert NotAllowed(id, msg.sender);
        Milestone storage m = _milestone(id, index, h);
        if (_settled(m.status)) revert WrongStatus(id, index, m.status);
        _refund(id, index, h, m);
    }

    /// @inheritdoc IB2BEscrow
    function requestCancel(uint256 id) external {
        Header storage h = _agreement(id);
        if (msg.sender == h.buyer) h.buyerCancels = true;
        else if (msg.sender == h.seller) h.sellerCancels = true;
        else revert NotAllowed(id, msg.sender);
        emit CancelRequested(id, msg.sender);
        if (!(h.buyerCancels && h.sellerCancels)) return;
        // Both agree on the state as it is now: every unsettled milestone goes back to the buyer.
        h.buyerCancels = false;
        h.sellerCancels = false;
        uint256 refunded = _refundUnsettled(id, h);
        emit AgreementCancelled(id, refunded);
        if (refunded != 0) token.safeTransfer(h.buyer, refunded);
    }

    /// @inheritdoc IB2BEscrow
    function withdrawCancelRequest(uint256 id) external {
        Header storage h = _agreement(id);
        if (msg.sender == h.buyer && h.buyerCancels) h.buyerCancels = false;
        else if (msg.sender == h.seller && h.sellerCancels) h.sellerCancels = false;
        else revert NoCancelRequest(id, msg.sender);
        emit CancelRequestWithdrawn(id, msg.sender);
    }

    /// @inheritdoc IB2BEscrow
    function replaceRecoveredParties(uint256 id) external {
        Header storage h = _agreement(id);
        IZonCoin zon = IZonCoin(address(token));
        (address buyer, address seller, address arbiter) = (h.buyer, h.seller, h.arbiter);
        bool replaced;
        (address next, bytes32 caseId) = zon.recoveryOf(buyer);
        if (next != address(0)) {
            emit PartyReplaced(id, buyer, next, caseId);
            buyer = next;
            replaced = true;
        }
        (next, caseId) = zon.recoveryOf(seller);
        if (next != address(0)) {
            emit PartyReplaced(id, seller, next, caseId);
            seller = next;
            replaced = true;
        }
        if (arbiter != address(0)) {
            (next, caseId) = zon.recoveryOf(arbiter);
            if (next != address(0)) {
                emit PartyReplaced(id, arbiter, next, caseId);
                arbiter = next;
                replaced = true;
            }
        }
        if (!replaced) revert NoRecoveredParty(id);
        if (buyer == seller) {
            if (h.buyer != buyer) revert InvalidReplacement(id, h.buyer, buyer);
            revert InvalidReplacement(id, h.seller, seller);
        }
        if (arbiter != address(0) && (arbiter == buyer || arbiter == seller))
            revert InvalidReplacement(id, h.arbiter, arbiter);
        h.buyer = buyer;
        h.seller = seller;
        h.arbiter = arbiter;
        // What the lost key asked for no longer stands.
        _voidCancelRequests(id, h);
        delete _arbiterProposals[id];
    }

    /// @inheritdoc IB2BEscrow
    function withdrawFees() external {
        uint256 fees = _books.fees;
        if (fees == 0) revert NoFeesAccrued();
        _books.fees = 0;
        address to = _treasury;
        emit FeesWithdrawn(to, fees);
        token.safeTransfer(to, fees);
    }

    // ------------------------------------------------------------------ governance

    /// @inheritdoc IB2BEscrow
    function setTreasury(address newTreasury) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setTreasury(newTreasury);
    }

    /// @inheritdoc IB2BEscrow
    function setFee(uint256 newFeeBps) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setFee(newFeeBps);
    }

    /// @inheritdoc IB2BEscrow
    function rescueERC20(address tokenAddress, address to, uint256 amount) external onlyRole(DEFAULT_ADMIN_ROLE) {
        uint256 surplus = IERC20(tokenAddress).balanceOf(address(this));
        if (tokenAddress == address(token)) surplus -= uint256(_books.locked) + _books.fees;
        if (amount > surplus) revert RescueExceedsSurplus(tokenAddress, surplus, amount);
        emit TokensRescued(tokenAddress, to, amount);
        IERC20(tokenAddress).safeTransfer(to, amount);
    }

    /// @notice Pauses the creation of agreements (settlement goes on).
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @notice Lifts the pause.
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    // ------------------------------------------------------------------ views

    /// @notice The parties, deadlines, windows, fee, fallback split, milestone count, acceptance and cancel
    /// requests of agreement `id`.
    /// @param id Agreement id.
    /// @return The header.
    function agreement(uint256 id) external view returns (Header memory) {
        return _agreements[id];
    }

    /// @notice Milestone `index` of agreement `id`.
    /// @param id Agreement id.
    /// @param index Milestone index.
    /// @return The milestone: amount, status, delivery time, dispute time.
    function milestone(uint256 id, uint256 index) external view returns (Milestone memory) {
        return _milestones[id][index];
    }

    /// @notice The number of agreements created (the next id).
    /// @return The next id.
    function nextAgreementId() external view returns (uint256) {
        return _nextId;
    }

    /// @notice Where fees go.
    /// @return The treasury.
    function treasury() external view returns (address) {
        return _treasury;
    }

    /// @notice The platform fee for new agreements, in basis points.
    /// @return The fee.
    function feeBps() external view returns (uint256) {
        return _feeBps;
    }

    /// @notice ZON owed to unsettled milestones (with `feesAccrued`, the escrow's balance, unless some was
    /// sent by mistake).
    /// @return ZON wei.
    function lockedTotal() external view returns (uint256) {
        return _books.locked;
    }

    /// @notice Fees settled milestones left for the treasury, not yet withdrawn (`withdrawFees`).
    /// @return ZON wei.
    function feesAccrued() external view returns (uint256) {
        return _books.fees;
    }

    /// @notice The arbiters the buyer and the seller proposed for agreement `id` (zero: none).
    /// @param id Agreement id.
    /// @return byBuyer The buyer's proposal.
    /// @return bySeller The seller's proposal.
    function arbiterProposals(uint256 id) external view returns (address byBuyer, address bySeller) {
        ArbiterProposals memory p = _arbiterProposals[id];
        return (p.byBuyer, p.bySeller);
    }

    // ------------------------------------------------------------------ internals

    function _create(Terms calldata t, uint128[] calldata amounts) private returns (uint256 id) {
        uint256 count = amounts.length;
        if (count == 0 || count > MAX_MILESTONES) revert InvalidMilestoneCount(count, MAX_MILESTONES);
        if (t.seller == address(0) || t.seller == msg.sender) revert InvalidSeller(t.seller);
        if (t.arbiter == msg.sender || t.arbiter == t.seller) revert InvalidArbiter(t.arbiter);
        if (t.deliveryDeadline <= block.timestamp) revert InvalidDeliveryDeadline(t.deliveryDeadline);
        if (t.acceptDeadline < block.timestamp || t.acceptDeadline > t.deliveryDeadline) {
            revert InvalidAcceptDeadline(t.acceptDeadline, t.deliveryDeadline);
        }
        if (t.reviewWindow < MIN_REVIEW_WINDOW || t.reviewWindow > MAX_REVIEW_WINDOW) {
            revert InvalidReviewWindow(t.reviewWindow, MAX_REVIEW_WINDOW);
        }
        if (t.arbitrationWindow < MIN_REVIEW_WINDOW || t.arbitrationWindow > MAX_REVIEW_WINDOW) {
            revert InvalidArbitrationWindow(t.arbitrationWindow, MAX_REVIEW_WINDOW);
        }
        if (t.fallbackBuyerBps > BPS) revert InvalidFallbackSplit(t.fallbackBuyerBps);
        uint16 fee = _feeBps;

        id = _nextId++;
        uint256 total;
        for (uint256 i; i < count; ++i) {
            uint128 amount = amounts[i];
            if (amount == 0) revert ZeroMilestone(i);
            total += amount;
            _milestones[id][i] = Milestone({
                amount: amount,
                status: MilestoneStatus.Funded,
                deliveredAt: 0,
                disputedAt: 0
            });
        }
        uint256 locked = _books.locked + total;
        if (locked > type(uint96).max) revert AmountTooLarge(locked);
        _books.locked = uint96(locked);
        _agreements[id] = Header({
            buyer: msg.sender,
            deliveryDeadline: t.deliveryDeadline,
            reviewWindow: t.reviewWindow,
            feeBps: fee,
            seller: t.seller,
            milestoneCount: uint8(count),
            buyerCancels: false,
            sellerCancels: false,
            accepted: false,
            acceptDeadline: t.acceptDeadline,
            arbiter: t.arbiter,
            arbitrationWindow: t.arbitrationWindow,
            fallbackBuyerBps: t.fallbackBuyerBps
        });
        emit AgreementCreated(id, msg.sender, t.seller, t, total, count, fee);
        token.safeTransferFrom(msg.sender, address(this), total);
    }

    function _agreement(uint256 id) private view returns (Header storage h) {
        h = _agreements[id];
        if (h.buyer == address(0)) revert UnknownAgreement(id);
    }

    function _milestone(uint256 id, uint256 index, Header storage h) private view returns (Milestone storage) {
        if (index >= h.milestoneCount) revert UnknownMilestone(id, index);
        return _milestones[id][index];
    }

    function _settled(MilestoneStatus status) private pure returns (bool) {
        return status >= MilestoneStatus.Released;
    }

    function _paySeller(uint256 id, uint256 index, Header storage h, uint256 amount) private {
        uint256 fee = (amount * h.feeBps) / BPS;
        _voidCancelRequests(id, h);
        _unlock(amount, fee);
        emit MilestoneReleased(id, index, msg.sender, amount - fee, fee);
        token.safeTransfer(h.seller, amount - fee);
    }

    function _split(uint256 id, uint256 index, Header storage h, Milestone storage m, uint256 buyerShare) private {
        uint256 amount = m.amount;
        m.status = MilestoneStatus.Resolved;
        uint256 sellerGross = amount - buyerShare;
        uint256 fee = (sellerGross * h.feeBps) / BPS;
        _voidCancelRequests(id, h);
        _unlock(amount, fee);
        emit MilestoneResolved(id, index, buyerShare, sellerGross - fee, fee);
        if (buyerShare != 0) token.safeTransfer(h.buyer, buyerShare);
        if (sellerGross - fee != 0) token.safeTransfer(h.seller, sellerGross - fee);
    }

    function _refund(uint256 id, uint256 index, Header storage h, Milestone storage m) private {
        m.status = MilestoneStatus.Refunded;
        _voidCancelRequests(id, h);
        _unlock(m.amount, 0);
        emit MilestoneRefunded(id, index, msg.sender, m.amount);
        token.safeTransfer(h.buyer, m.amount);
    }

    /// @dev Marks every unsettled milestone refunded (no transfer); returns their total.
    function _refundUnsettled(uint256 id, Header storage h) private returns (uint256 refunded) {
        uint256 count = h.milestoneCount;
        for (uint256 i; i < count; ++i) {
            Milestone storage m = _milestones[id][i];
            if (_settled(m.status)) continue;
            m.status = MilestoneStatus.Refunded;
            refunded += m.amount;
            emit MilestoneRefunded(id, i, msg.sender, m.amount);
        }
        _unlock(refunded, 0);
    }

    /// @dev A cancel request stands for the agreement as it was when made: any change voids both.
    function _voidCancelRequests(uint256 id, Header storage h) private {
        if (!(h.buyerCancels || h.sellerCancels)) return;
        h.buyerCancels = false;
        h.sellerCancels = false;
        emit CancelRequestsVoided(id);
    }

    /// @dev `amount` leaves the locked total; `fee` (part of it) stays in the escrow for the treasury.
    function _unlock(uint256 amount, uint256 fee) private {
        unchecked {
            // Every milestone's amount was added once, at creation, and is settled once; the accrued fees
            // are held by the escrow, so they stay below the supply, below 2^128.
            Books memory books = _books;
            books.locked -= uint96(amount);
            books.fees += uint128(fee);
            _books = books;
        }
    }

    function _setTreasury(address treasury_) private {
        if (treasury_ == address(0)) revert InvalidTreasury(treasury_);
        _treasury = treasury_;
        emit TreasurySet(treasury_);
    }

    function _setFee(uint256 feeBps_) private {
        if (feeBps_ > HARD_FEE_CAP_BPS) revert FeeTooHigh(feeBps_, HARD_FEE_CAP_BPS);
        _feeBps = uint16(feeBps_);
        emit FeeSet(feeBps_);
    }
}

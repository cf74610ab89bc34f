// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IB2BEscrow} from "../interfaces/IB2BEscrow.sol";

/// @title B2BEscrow
/// @notice Milestone agreements between businesses, paid in ZON. The buyer funds every milestone up
/// front; the seller marks a milestone delivered; the buyer releases it, or stays silent and the seller
/// claims it after the review window; either side may dispute within the window and the named arbiter
/// splits it; undelivered milestones refund after the delivery deadline; the seller may refund any
/// unsettled milestone; both parties together may cancel. A platform fee, capped and fixed at creation,
/// is taken from what the seller receives and sent to the treasury.
/// @dev Every milestone settles exactly once (Released, Resolved or Refunded are final), and buyer share
/// + seller share + fee always equals its amount; the fee rounds down. Reentrancy: the state of a
/// milestone is final before any token moves (checks, effects, interactions), so a re-entering call
/// finds it settled. Pausing stops new agreements only: funds in escrow can always settle.
/// Storage: an agreement header is three words, a milestone one word; the pause flag, treasury, fee cap
/// and agreement counter share one word.
contract B2BEscrow is AccessControlDefaultAdminRules, Pausable, IB2BEscrow {
    using SafeERC20 for IERC20;

    /// @notice Pauses and unpauses the creation of agreements.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    /// @notice Most milestones an agreement may have.
    uint256 public constant MAX_MILESTONES = 20;
    /// @notice Highest fee cap governance can ever set: 10 %.
    uint256 public constant HARD_FEE_CAP_BPS = 1_000;
    /// @notice Longest review window: 90 days.
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
        address arbiter;
    }

    struct Milestone {
        uint128 amount;
        MilestoneStatus status;
        uint40 deliveredAt;
    }

    // Packs into the word Pausable's `_paused` opens: creation reads and bumps it once, payouts read it.
    address private _treasury;
    uint16 private _maxFeeBps;
    uint64 private _nextId;

    mapping(uint256 id => Header) private _agreements;
    mapping(uint256 id => mapping(uint256 index => Milestone)) private _milestones;

    /// @notice The ZON token.
    IERC20 public immutable token;

    /// @param token_ The ZonCoin token.
    /// @param admin Default admin (governance).
    /// @param adminTransferDelay Delay of a two-step admin transfer, in seconds.
    /// @param treasury_ Where fees go.
    /// @param maxFeeBps_ The fee cap for new agreements.
    constructor(
        IERC20 token_,
        address admin,
        uint48 adminTransferDelay,
        address treasury_,
        uint256 maxFeeBps_
    ) AccessControlDefaultAdminRules(adminTransferDelay, admin) {
        token = token_;
        _setTreasury(treasury_);
        _setMaxFee(maxFeeBps_);
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

    // ------------------------------------------------------------------ milestones

    /// @inheritdoc IB2BEscrow
    function deliver(uint256 id, uint256 index) external {
        Header storage h = _agreement(id);
        if (msg.sender != h.seller) revert NotAllowed(id, msg.sender);
        Milestone storage m = _milestone(id, index, h);
        if (m.status != MilestoneStatus.Funded) revert WrongStatus(id, index, m.status);
        if (block.timestamp > h.deliveryDeadline) revert DeliveryDeadlinePassed(id, h.deliveryDeadline);
        m.status = MilestoneStatus.Delivered;
        m.deliveredAt = uint40(block.timestamp);
        emit MilestoneDelivered(id, index, block.timestamp + h.reviewWindow);
    }

    /// @inheritdoc IB2BEscrow
    function release(uint256 id, uint256 index) external {
        Header storage h = _agreement(id);
        if (msg.sender != h.buyer) revert NotAllowed(id, msg.sender);
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
        emit MilestoneDisputed(id, index, msg.sender);
    }

    /// @inheritdoc IB2BEscrow
    function resolve(uint256 id, uint256 index, uint256 buyerShare) external {
        Header storage h = _agreement(id);
        if (msg.sender != h.arbiter) revert NotAllowed(id, msg.sender);
        Milestone storage m = _milestone(id, index, h);
        if (m.status != MilestoneStatus.Disputed) revert WrongStatus(id, index, m.status);
        uint256 amount = m.amount;
        if (buyerShare > amount) revert InvalidSplit(id, index, buyerShare, amount);
        m.status = MilestoneStatus.Resolved;
        uint256 sellerGross = amount - buyerShare;
        uint256 fee = (sellerGross * h.feeBps) / BPS;
        emit MilestoneResolved(id, index, buyerShare, sellerGross - fee, fee);
        if (buyerShare != 0) token.safeTransfer(h.buyer, buyerShare);
        if (sellerGross - fee != 0) token.safeTransfer(h.seller, sellerGross - fee);
        if (fee != 0) token.safeTransfer(_treasury, fee);
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
        // Both agree: every unsettled milestone (funded, delivered or disputed) goes back to the buyer.
        uint256 refunded;
        uint256 count = h.milestoneCount;
        for (uint256 i; i < count; ++i) {
            Milestone storage m = _milestones[id][i];
            if (_settled(m.status)) continue;
            m.status = MilestoneStatus.Refunded;
            refunded += m.amount;
            emit MilestoneRefunded(id, i, msg.sender, m.amount);
        }
        emit AgreementCancelled(id, refunded);
        if (refunded != 0) token.safeTransfer(h.buyer, refunded);
    }

    // ------------------------------------------------------------------ governance

    /// @inheritdoc IB2BEscrow
    function setTreasury(address newTreasury) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setTreasury(newTreasury);
    }

    /// @inheritdoc IB2BEscrow
    function setMaxFee(uint256 newMaxFeeBps) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setMaxFee(newMaxFeeBps);
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

    /// @notice The parties, deadline, window, fee, milestone count and cancel requests of agreement `id`.
    /// @param id Agreement id.
    /// @return The header.
    function agreement(uint256 id) external view returns (Header memory) {
        return _agreements[id];
    }

    /// @notice Milestone `index` of agreement `id`.
    /// @param id Agreement id.
    /// @param index Milestone index.
    /// @return The milestone: amount, status, delivery time.
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

    /// @notice The fee cap for new agreements, in basis points.
    /// @return The cap.
    function maxFeeBps() external view returns (uint256) {
        return _maxFeeBps;
    }

    // ------------------------------------------------------------------ internals

    function _create(Terms calldata t, uint128[] calldata amounts) private returns (uint256 id) {
        uint256 count = amounts.length;
        if (count == 0 || count > MAX_MILESTONES) revert InvalidMilestoneCount(count, MAX_MILESTONES);
        if (t.seller == address(0) || t.seller == msg.sender) revert InvalidSeller(t.seller);
        if (t.arbiter == msg.sender || t.arbiter == t.seller) revert InvalidArbiter(t.arbiter);
        if (t.deliveryDeadline <= block.timestamp) revert InvalidDeliveryDeadline(t.deliveryDeadline);
        if (t.reviewWindow < MIN_REVIEW_WINDOW || t.reviewWindow > MAX_REVIEW_WINDOW) {
            revert InvalidReviewWindow(t.reviewWindow, MAX_REVIEW_WINDOW);
        }
        if (t.feeBps > _maxFeeBps) revert FeeTooHigh(t.feeBps, _maxFeeBps);

        id = _nextId++;
        uint256 total;
        for (uint256 i; i < count; ++i) {
            uint128 amount = amounts[i];
            if (amount == 0) revert ZeroMilestone(i);
            total += amount;
            _milestones[id][i] = Milestone({amount: amount, status: MilestoneStatus.Funded, deliveredAt: 0});
        }
        if (total > type(uint128).max) revert AmountTooLarge(total);
        _agreements[id] = Header({
            buyer: msg.sender,
            deliveryDeadline: t.deliveryDeadline,
            reviewWindow: t.reviewWindow,
            feeBps: t.feeBps,
            seller: t.seller,
            milestoneCount: uint8(count),
            buyerCancels: false,
            sellerCancels: false,
            arbiter: t.arbiter
        });
        emit AgreementCreated(
            id,
            msg.sender,
            t.seller,
            t.arbiter,
            t.termsHash,
            total,
            count,
            t.deliveryDeadline,
            t.reviewWindow,
            t.feeBps
        );
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
        emit MilestoneReleased(id, index, msg.sender, amount - fee, fee);
        token.safeTransfer(h.seller, amount - fee);
        if (fee != 0) token.safeTransfer(_treasury, fee);
    }

    function _refund(uint256 id, uint256 index, Header storage h, Milestone storage m) private {
        m.status = MilestoneStatus.Refunded;
        emit MilestoneRefunded(id, index, msg.sender, m.amount);
        token.safeTransfer(h.buyer, m.amount);
    }

    function _setTreasury(address treasury_) private {
        if (treasury_ == address(0)) revert InvalidTreasury(treasury_);
        _treasury = treasury_;
        emit TreasurySet(treasury_);
    }

    function _setMaxFee(uint256 maxFeeBps_) private {
        if (maxFeeBps_ > HARD_FEE_CAP_BPS) revert FeeCapTooHigh(maxFeeBps_, HARD_FEE_CAP_BPS);
        _maxFeeBps = uint16(maxFeeBps_);
        emit MaxFeeSet(maxFeeBps_);
    }
}

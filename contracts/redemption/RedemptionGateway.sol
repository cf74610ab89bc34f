// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IRedemptionGateway} from "../interfaces/IRedemptionGateway.sol";
import {IZonCoin} from "../interfaces/IZonCoin.sol";

/// @title RedemptionGateway
/// @notice Businesses redeem ZON for catalogue SKUs (cloud credits, catalogue items, subscriptions). The
/// price is locked in the gateway. The fulfilment service accepts a request on chain before it delivers:
/// from then until the acceptance deadline the owner cannot cancel, so nothing is delivered while its
/// owner could still take the ZON back. It then confirms (the ZON is burned) or rejects (ZON and stock go
/// back). A request may be cancelled by its owner once its fulfilment timeout and, if accepted, its
/// acceptance deadline have passed, so funds are never stuck. Each request ends exactly once.
/// @dev A request is stored as one word: the low 216 bits of the hash of its fields, as the
/// `RedemptionRequested` event publishes them, and in the high 40 bits its acceptance deadline (zero
/// until accepted). Settling a request takes the fields back in calldata, checks them against the hash and
/// deletes the word. The sum of open requests (`openTotal`) shares Pausable's word with the request counter,
/// so the gateway's ZON balance minus `openTotal` is exactly what was sent to it by mistake (rescuable).
/// No reentrancy guard: the only external calls are to the immutable ZonCoin token, which has no transfer
/// hooks, and every function changes its state before them.
contract RedemptionGateway is AccessControlDefaultAdminRules, Pausable, IRedemptionGateway {
    using SafeERC20 for IERC20;

    /// @notice Lists SKUs and changes their price, stock, limit and active flag.
    bytes32 public constant CATALOGUE_ROLE = keccak256("CATALOGUE_ROLE");
    /// @notice Confirms and rejects requests (the fulfilment service).
    bytes32 public constant FULFILLER_ROLE = keccak256("FULFILLER_ROLE");
    /// @notice Pauses new redemptions and acceptances (confirmations of accepted requests, rejections and
    /// cancellations always work: what was delivered gets paid, and no ZON is stuck).
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// @notice Longest fulfilment timeout the admin may set: 90 days.
    uint256 public constant MAX_FULFILMENT_TIMEOUT = 90 days;
    /// @notice Longest acceptance window the admin may set: 30 days.
    uint256 public constant MAX_ACCEPTANCE_WINDOW = 30 days;
    uint8 private constant TOOK_STOCK = 1;
    uint8 private constant COUNTS_TO_LIMIT = 2;
    uint256 private constant HASH_BITS = 216;
    bytes32 private constant HASH_MASK = bytes32(uint256(type(uint216).max));

    // Packs into the word Pausable's `_paused` opens: a redemption reads and bumps it once, a settlement
    // lowers the open total in it.
    uint64 private _nextRequestId;
    uint40 private _fulfilmentTimeout;
    uint40 private _acceptanceWindow;
    uint96 private _openTotal;

    mapping(uint32 sku => Sku) private _skus;
    mapping(uint256 id => bytes32 requestHash) private _open;
    mapping(uint32 sku => mapping(address account => uint256 units)) private _redeemed;

    /// @notice The ZON token (ERC-20 with permit and burn).
    IERC20 public immutable token;

    /// @param token_ The ZonCoin token.
    /// @param admin Default admin (governance).
    /// @param adminTransferDelay Delay of a two-step admin transfer, in seconds.
    /// @param fulfilmentTimeout_ Seconds after which an open request may be cancelled by its owner.
    /// @param acceptanceWindow_ Seconds an accepted request stays uncancellable for the fulfiller to deliver.
    constructor(
        IERC20 token_,
        address admin,
        uint48 adminTransferDelay,
        uint256 fulfilmentTimeout_,
        uint256 acceptanceWindow_
    ) AccessControlDefaultAdminRules(adminTransferDelay, admin) {
        token = token_;
        _setFulfilmentTimeout(fulfilmentTimeout_);
        _setAcceptanceWindow(acceptanceWindow_);
    }

    // ------------------------------------------------------------------ catalogue

    /// @inheritdoc IRedemptionGateway
    function setSku(uint32 sku, Sku calldata config) external onlyRole(CATALOGUE_ROLE) {
        _skus[sku] = config;
        emit SkuUpdated(
            sku,
            config.kind,
            config.price,
            config.limitedStock,
            config.stock,
            config.perAccountLimit,
            config.active
        );
    }

    /// @inheritdoc IRedemptionGateway
    function setFulfilmentTimeout(uint256 timeout) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setFulfilmentTimeout(timeout);
    }

    /// @inheritdoc IRedemptionGateway
    function setAcceptanceWindow(uint256 window) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setAcceptanceWindow(window);
    }

    // ------------------------------------------------------------------ businesses

    /// @inheritdoc IRedemptionGateway
    function redeem(
        uint32 sku,
        uint32 quantity,
        uint256 maxTotalPrice,
        bytes32 deliveryRef
    ) external whenNotPaused returns (uint256 id) {
        return _redeem(sku, quantity, maxTotalPrice, deliveryRef);
    }

    /// @inheritdoc IRedemptionGateway
    function redeemWithPermit(
        uint32 sku,
        uint32 quantity,
        uint256 maxTotalPrice,
        bytes32 deliveryRef,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external whenNotPaused returns (uint256 id) {
        // A permit someone already submitted (front-running) has set the allowance: it is not replayed.
        if (token.allowance(msg.sender, address(this)) < maxTotalPrice) {
            IERC20Permit(address(token)).permit(msg.sender, address(this), maxTotalPrice, permitDeadline, v, r, s);
        }
        return _redeem(sku, quantity, maxTotalPrice, deliveryRef);
    }

    /// @inheritdoc IRedemptionGateway
    function cancel(Request calldata request) external {
        if (msg.sender != request.owner) revert NotRequestOwner(request.id, request.owner);
        uint256 acceptedTill = _close(request);
        uint256 unlocksAt = acceptedTill > request.cancelAfter ? acceptedTill : request.cancelAfter;
        if (block.timestamp <= unlocksAt) revert CancelTooEarly(request.id, unlocksAt);
        _giveBack(request);
        _lowerOpenTotal(request.amount);
        emit RedemptionCancelled(request.id, request.amount);
        token.safeTransfer(request.owner, request.amount);
    }

    /// @inheritdoc IRedemptionGateway
    function replaceRecoveredOwners(Request[] calldata requests) external {
        IZonCoin zon = IZonCoin(address(token));
        for (uint256 i; i < requests.length; ++i) {
            Request calldata request = requests[i];
            uint256 acceptedUntil_ = _openAcceptedUntil(request);
            (address replacement, bytes32 caseId) = zon.recoveryOf(request.owner);
            if (replacement == address(0)) revert OwnerNotRecovered(request.id, request.owner);
            Request memory moved = request;
            moved.owner = replacement;
            _open[request.id] = (keccak256(abi.encode(moved)) & HASH_MASK) | bytes32(acceptedUntil_ << HASH_BITS);
            if (request.flags & COUNTS_TO_LIMIT != 0) {
                // The units follow the request, so that its refund returns them to the right account.
                _redeemed[request.sku][request.owner] -= request.quantity;
                _redeemed[request.sku][replacement] += request.quantity;
            }
            emit RequestOwnerReplaced(request.id, request.owner, replacement, caseId);
        }
    }

    // ------------------------------------------------------------------ fulfilment

    /// @inheritdoc IRedemptionGateway
    function accept(Request[] calldata requests, bytes32 worker) external whenNotPaused onlyRole(FULFILLER_ROLE) {
        uint40 until = uint40(block.timestamp) + _acceptanceWindow;
        for (uint256 i; i < requests.length; ++i) {
            Request calldata request = requests[i];
            uint256 previous = _openAcceptedUntil(request);
            // Once only: a fulfiller that could renew its acceptance could lock the ZON forever.
            if (previous != 0) revert AlreadyAccepted(request.id, previous);
            _open[request.id] |= bytes32(uint256(until) << HASH_BITS);
            emit RedemptionAccepted(request.id, until, worker);
        }
    }

    /// @inheritdoc IRedemptionGateway
    function confirm(Request calldata request, bytes32 receiptHash) external onlyRole(FULFILLER_ROLE) {
        _closeAccepted(request);
        _lowerOpenTotal(request.amount);
        emit RedemptionFulfilled(request.id, request.amount, receiptHash);
        ERC20Burnable(address(token)).burn(request.amount);
    }

    /// @inheritdoc IRedemptionGateway
    function confirmBatch(
        Request[] calldata requests,
        bytes32[] calldata receiptHashes
    ) external onlyRole(FULFILLER_ROLE) {
        if (requests.length != receiptHashes.length) revert LengthMismatch(requests.length, receiptHashes.length);
        uint256 total;
        for (uint256 i; i < requests.length; ++i) {
            Request calldata request = requests[i];
            _closeAccepted(request);
            total += request.amount;
            emit RedemptionFulfilled(request.id, request.amount, receiptHashes[i]);
        }
        _lowerOpenTotal(total);
        ERC20Burnable(address(token)).burn(total);
    }

    /// @inheritdoc IRedemptionGateway
    function reject(Request calldata request, uint16 reasonCode) external onlyRole(FULFILLER_ROLE) {
        _close(request);
        _lowerOpenTotal(request.amount);
        _refund(request, reasonCode);
    }

    /// @inheritdoc IRedemptionGateway
    function rejectBatch(Request[] calldata requests, uint16[] calldata reasonCodes) external onlyRole(FULFILLER_ROLE) {
        if (requests.length != reasonCodes.length) revert LengthMismatch(requests.length, reasonCodes.length);
        uint256 total;
        for (uint256 i; i < requests.length; ++i) {
            Request calldata request = requests[i];
            // An owner who cannot receive (frozen, not allowlisted) would revert everyone's refund: that
            // request stays open, for a later reject or the owner's cancel once it can receive again.
            if (!IZonCoin(address(token)).canReceive(request.owner)) {
                _openAcceptedUntil(request);
                emit RejectionSkipped(request.id, request.owner);
                continue;
            }
            _close(request);
            total += request.amount;
            _refund(request, reasonCodes[i]);
        }
        _lowerOpenTotal(total);
    }

    // ------------------------------------------------------------------ operations

    /// @inheritdoc IRedemptionGateway
    function rescueERC20(address tokenAddress, address to, uint256 amount) external onlyRole(DEFAULT_ADMIN_ROLE) {
        uint256 surplus = IERC20(tokenAddress).balanceOf(address(this));
        if (tokenAddress == address(token)) surplus -= _openTotal;
        if (amount > surplus) revert RescueExceedsSurplus(tokenAddress, surplus, amount);
        emit TokensRescued(tokenAddress, to, amount);
        IERC20(tokenAddress).safeTransfer(to, amount);
    }

    /// @notice Pauses new redemptions and acceptances.
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @notice Lifts the pause.
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IRedemptionGateway
    function isOpen(uint256 id) external view returns (bool) {
        return _open[id] != bytes32(0);
    }

    /// @inheritdoc IRedemptionGateway
    function acceptedUntil(uint256 id) external view returns (uint256) {
        return uint256(_open[id]) >> HASH_BITS;
    }

    /// @inheritdoc IRedemptionGateway
    function openTotal() external view returns (uint256) {
        return _openTotal;
    }

    /// @inheritdoc IRedemptionGateway
    function acceptanceWindow() external view returns (uint256) {
        return _acceptanceWindow;
    }

    /// @inheritdoc IRedemptionGateway
    function skuOf(uint32 sku) external view returns (Sku memory) {
        return _skus[sku];
    }

    /// @inheritdoc IRedemptionGateway
    function redeemedBy(uint32 sku, address account) external view returns (uint256) {
        return _redeemed[sku][account];
    }

    /// @inheritdoc IRedemptionGateway
    function nextRequestId() external view returns (uint256) {
        return _nextRequestId;
    }

    /// @inheritdoc IRedemptionGateway
    function fulfilmentTimeout() external view returns (uint256) {
        return _fulfilmentTimeout;
    }

    // ------------------------------------------------------------------ internals

    function _redeem(
        uint32 skuId,
        uint32 quantity,
        uint256 maxTotalPrice,
        bytes32 deliveryRef
    ) private returns (uint256 id) {
        if (quantity == 0) revert InvalidQuantity(quantity);
        Sku storage sku = _skus[skuId];
        if (!sku.active) revert SkuInactive(skuId);
        uint256 total = uint256(sku.price) * quantity;
        if (total > maxTotalPrice) revert PriceAboveMax(skuId, total, maxTotalPrice);
        if (total > type(uint96).max) revert TotalTooLarge(total);
        uint8 flags;
        if (sku.limitedStock) {
            uint256 stock = sku.stock;
            if (stock < quantity) revert OutOfStock(skuId, stock, quantity);
            sku.stock = uint32(stock - quantity);
            flags = TOOK_STOCK;
        }
        uint256 limit = sku.perAccountLimit;
        if (limit != 0) {
            uint256 wouldHave = _redeemed[skuId][msg.sender] + quantity;
            if (wouldHave > limit) revert PerAccountLimitExceeded(skuId, msg.sender, limit, wouldHave);
            _redeemed[skuId][msg.sender] = wouldHave;
            flags |= COUNTS_TO_LIMIT;
        }
        _raiseOpenTotal(total);
        id = _nextRequestId++;
        uint40 cancelAfter = uint40(block.timestamp) + _fulfilmentTimeout;
        Request memory request = Request(id, msg.sender, skuId, quantity, uint96(total), cancelAfter, flags);
        _open[id] = keccak256(abi.encode(request)) & HASH_MASK;
        emit RedemptionRequested(id, msg.sender, skuId, quantity, uint96(total), cancelAfter, flags, deliveryRef);
        token.safeTransferFrom(msg.sender, address(this), total);
    }

    function _hash(Request calldata request) private pure returns (bytes32) {
        return keccak256(abi.encode(request)) & HASH_MASK;
    }

    /// @dev Checks that `request` is open with these fields; returns its acceptance deadline (0: none).
    function _openAcceptedUntil(Request calldata request) private view returns (uint256 acceptedUntil_) {
        bytes32 stored = _open[request.id];
        if (stored == bytes32(0) || stored & HASH_MASK != _hash(request)) revert RequestNotOpen(request.id);
        return uint256(stored) >> HASH_BITS;
    }

    /// @dev Ends an open request exactly once: its fields must hash to what was stored.
    function _close(Request calldata request) private returns (uint256 acceptedUntil_) {
        acceptedUntil_ = _openAcceptedUntil(request);
        delete _open[request.id];
    }

    function _closeAccepted(Request calldata request) private {
        if (_close(request) == 0) revert NotAccepted(request.id);
    }

    function _raiseOpenTotal(uint256 amount) private {
        uint256 raised = uint256(_openTotal) + amount;
        if (raised > type(uint96).max) revert TotalTooLarge(raised);
        _openTotal = uint96(raised);
    }

    function _lowerOpenTotal(uint256 amount) private {
        unchecked {
            // Every settled amount was added when its request was made.
            _openTotal -= uint96(amount);
        }
    }

    function _refund(Request calldata request, uint16 reasonCode) private {
        _giveBack(request);
        emit RedemptionRejected(request.id, request.amount, reasonCode);
        token.safeTransfer(request.owner, request.amount);
    }

    /// @dev Returns what the request took: its units to the SKU's stock and to the owner's limit.
    function _giveBack(Request calldata request) private {
        if (request.flags & TOOK_STOCK != 0) {
            // Saturates rather than reverts: a catalogue change must never block a refund.
            Sku storage sku = _skus[request.sku];
            uint256 stock = uint256(sku.stock) + request.quantity;
            sku.stock = stock > type(uint32).max ? type(uint32).max : uint32(stock);
        }
        if (request.flags & COUNTS_TO_LIMIT != 0) _redeemed[request.sku][request.owner] -= request.quantity;
    }

    function _setFulfilmentTimeout(uint256 timeout) private {
        if (timeout == 0 || timeout > MAX_FULFILMENT_TIMEOUT) revert InvalidTimeout(timeout, MAX_FULFILMENT_TIMEOUT);
        _fulfilmentTimeout = uint40(timeout);
        emit FulfilmentTimeoutSet(timeout);
    }

    function _setAcceptanceWindow(uint256 window) private {
        if (window == 0 || window > MAX_ACCEPTANCE_WINDOW)
            revert InvalidAcceptanceWindow(window, MAX_ACCEPTANCE_WINDOW);
        _acceptanceWindow = uint40(window);
        emit AcceptanceWindowSet(window);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title RedemptionGateway: types, events, custom errors and external functions.
interface IRedemptionGateway {
    /// @notice What a SKU delivers.
    enum SkuKind {
        CloudCredit,
        CatalogueItem,
        Subscription
    }

    /// @notice A catalogue entry. `stock` counts only when `limitedStock`; `perAccountLimit` 0 = no limit.
    struct Sku {
        uint96 price;
        uint32 stock;
        uint32 perAccountLimit;
        SkuKind kind;
        bool limitedStock;
        bool active;
    }

    /// @notice An open redemption, as `RedemptionRequested` published it; the contract keeps its hash.
    /// `flags`: bit 0, units were taken from the SKU's stock; bit 1, units count toward the account limit
    /// (so a rejection or cancellation returns exactly what the request took, whatever the SKU is now).
    struct Request {
        uint256 id;
        address owner;
        uint32 sku;
        uint32 quantity;
        uint96 amount;
        uint40 cancelAfter;
        uint8 flags;
    }

    // ---------------------------------------------------------------- errors

    /// @notice The SKU `sku` is not listed or not active.
    error SkuInactive(uint32 sku);
    /// @notice A quantity of zero.
    error InvalidQuantity(uint32 quantity);
    /// @notice The total `total` is above the buyer's `maxTotalPrice`.
    error PriceAboveMax(uint32 sku, uint256 total, uint256 maxTotalPrice);
    /// @notice Only `stock` units of `sku` are left; `quantity` were asked for.
    error OutOfStock(uint32 sku, uint256 stock, uint256 quantity);
    /// @notice `account` would hold `wouldHave` open or fulfilled units of `sku`, above its `limit`.
    error PerAccountLimitExceeded(uint32 sku, address account, uint256 limit, uint256 wouldHave);
    /// @notice The total price `total` does not fit the 96-bit accounting.
    error TotalTooLarge(uint256 total);
    /// @notice Request `id` is not open, or its fields are not the ones it was made with.
    error RequestNotOpen(uint256 id);
    /// @notice Only the request's owner `owner` may cancel it.
    error NotRequestOwner(uint256 id, address owner);
    /// @notice Request `id` can be cancelled only after `cancelAfter` (its timeout or, if accepted, its
    /// acceptance deadline, whichever is later).
    error CancelTooEarly(uint256 id, uint256 cancelAfter);
    /// @notice Arrays of a batch differ in length.
    error LengthMismatch(uint256 requests, uint256 values);
    /// @notice A fulfilment timeout of zero, or above the maximum `max`.
    error InvalidTimeout(uint256 timeout, uint256 max);
    /// @notice An acceptance window of zero, or above the maximum `max`.
    error InvalidAcceptanceWindow(uint256 window, uint256 max);
    /// @notice Request `id` was not accepted by the fulfiller, so it cannot be confirmed.
    error NotAccepted(uint256 id);
    /// @notice Request `id` was already accepted, until `acceptedUntil`; an acceptance is never renewed.
    error AlreadyAccepted(uint256 id, uint256 acceptedUntil);
    /// @notice The owner `owner` of request `id` was never recovered to a new wallet (`ZonCoin.recoveryOf`).
    error OwnerNotRecovered(uint256 id, address owner);
    /// @notice Only `surplus` of `token` is held beyond the open requests; `requested` is more.
    error RescueExceedsSurplus(address token, uint256 surplus, uint256 requested);

    // ---------------------------------------------------------------- events

    /// @notice SKU `sku` was listed or changed (requests already made keep their price and stock).
    event SkuUpdated(
        uint32 indexed sku,
        SkuKind kind,
        uint96 price,
        bool limitedStock,
        uint32 stock,
        uint32 perAccountLimit,
        bool active
    );
    /// @notice `owner` redeemed `quantity` of `sku` for `amount` ZON, locked until fulfilment.
    event RedemptionRequested(
        uint256 indexed id,
        address indexed owner,
        uint32 indexed sku,
        uint32 quantity,
        uint96 amount,
        uint40 cancelAfter,
        uint8 flags,
        bytes32 deliveryRef
    );
    /// @notice The fulfiller accepted request `id` for the worker `worker`, which alone delivers it: its
    /// owner cannot cancel it before `acceptedUntil`.
    event RedemptionAccepted(uint256 indexed id, uint40 acceptedUntil, bytes32 worker);
    /// @notice A batch rejection left request `id` open because `owner` cannot receive ZON now.
    event RejectionSkipped(uint256 indexed id, address indexed owner);
    /// @notice Accepted requests stay uncancellable for `window` seconds from their acceptance.
    event AcceptanceWindowSet(uint256 window);
    /// @notice `amount` of `token` held beyond the open requests (sent by mistake) went to `to`.
    event TokensRescued(address indexed token, address indexed to, uint256 amount);
    /// @notice Request `id` was fulfilled; its `amount` ZON were burned; `receiptHash` records the delivery.
    event RedemptionFulfilled(uint256 indexed id, uint96 amount, bytes32 receiptHash);
    /// @notice Request `id` was rejected with `reasonCode`; its ZON and stock went back.
    event RedemptionRejected(uint256 indexed id, uint96 amount, uint16 reasonCode);
    /// @notice The owner cancelled request `id` after its timeout (and acceptance deadline); ZON and stock went back.
    event RedemptionCancelled(uint256 indexed id, uint96 amount);
    /// @notice New requests may be cancelled `timeout` seconds after they are made.
    event FulfilmentTimeoutSet(uint256 timeout);
    /// @notice Request `id` of the recovered wallet `lost` now belongs to its replacement `replacement`
    /// (recovery case `caseId`): its refund, cancel and per-account units are the replacement's. The
    /// request keeps every other field and its acceptance.
    event RequestOwnerReplaced(uint256 indexed id, address indexed lost, address indexed replacement, bytes32 caseId);

    // ---------------------------------------------------------------- catalogue

    /// @notice Lists or changes a SKU.
    /// @param sku SKU number.
    /// @param config Kind, price, stock, per-account limit, active flag.
    function setSku(uint32 sku, Sku calldata config) external;

    /// @notice Sets the fulfilment timeout for requests made from now on.
    /// @param timeout Seconds after which an unfulfilled request may be cancelled by its owner.
    function setFulfilmentTimeout(uint256 timeout) external;

    /// @notice Sets the acceptance window for acceptances made from now on.
    /// @param window Seconds an accepted request stays uncancellable (at most `MAX_ACCEPTANCE_WINDOW`).
    function setAcceptanceWindow(uint256 window) external;

    /// @notice The admin sends tokens held beyond what open requests own (sent by mistake) to `to`.
    /// @param token The token (for ZON, at most the balance minus `openTotal`).
    /// @param to Recipient.
    /// @param amount Amount.
    function rescueERC20(address token, address to, uint256 amount) external;

    // ---------------------------------------------------------------- businesses

    /// @notice Redeems `quantity` of `sku`, locking the price in the gateway (needs an allowance).
    /// @param sku SKU number.
    /// @param quantity Units.
    /// @param maxTotalPrice Most the buyer pays (guards against a price change in flight).
    /// @param deliveryRef The buyer's reference for delivery (e.g. hash of the cloud account to credit).
    /// @return id The request id.
    function redeem(
        uint32 sku,
        uint32 quantity,
        uint256 maxTotalPrice,
        bytes32 deliveryRef
    ) external returns (uint256 id);

    /// @notice `redeem` after an ERC-2612 permit for `maxTotalPrice`; skipped when the allowance is already there
    /// (e.g. a front-run permit).
    /// @param sku SKU number.
    /// @param quantity Units.
    /// @param maxTotalPrice Most the buyer pays; also the permit's value.
    /// @param deliveryRef The buyer's delivery reference.
    /// @param permitDeadline The permit's deadline.
    /// @param v Permit signature v.
    /// @param r Permit signature r.
    /// @param s Permit signature s.
    /// @return id The request id.
    function redeemWithPermit(
        uint32 sku,
        uint32 quantity,
        uint256 maxTotalPrice,
        bytes32 deliveryRef,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (uint256 id);

    /// @notice The owner takes back the ZON of a request still open after its timeout and, if the fulfiller
    /// accepted it, after its acceptance deadline.
    /// @param request The request as published.
    function cancel(Request calldata request) external;

    /// @notice Moves open requests of recovered wallets to their replacements, as the token recorded them
    /// (`ZonCoin.recoveryOf`): the custodian's settlement for a recovery, so that what a lost wallet is owed
    /// reaches its replacement and its stolen key can no longer cancel. Anyone may call it; no ZON moves and
    /// `openTotal` is unchanged. Works while paused.
    /// @param requests The requests as last published (the owner as of `RedemptionRequested` or the latest
    /// `RequestOwnerReplaced`).
    function replaceRecoveredOwners(Request[] calldata requests) external;

    // ---------------------------------------------------------------- fulfilment

    /// @notice The fulfiller commits to requests before delivering them: none can be cancelled by its owner
    /// until the acceptance deadline (now + the acceptance window). Once per request; not while paused.
    /// The acceptance names the worker that will deliver, so that two workers (replicas sharing the
    /// fulfiller key, say) never both deliver one request: each delivers only what it accepted.
    /// @param requests The requests as published.
    /// @param worker The accepting worker's id (its own choice; recorded in `RedemptionAccepted`).
    function accept(Request[] calldata requests, bytes32 worker) external;

    /// @notice Confirms an accepted request: its ZON are burned (also while paused).
    /// @param request The request as published.
    /// @param receiptHash Hash of the delivery receipt.
    function confirm(Request calldata request, bytes32 receiptHash) external;

    /// @notice Confirms many accepted requests, burning their total once (also while paused).
    /// @param requests The requests.
    /// @param receiptHashes One receipt hash per request.
    function confirmBatch(Request[] calldata requests, bytes32[] calldata receiptHashes) external;

    /// @notice Rejects a request: its ZON go back to the owner, its stock back to the SKU.
    /// @param request The request as published.
    /// @param reasonCode Why (the fulfilment service's code).
    function reject(Request calldata request, uint16 reasonCode) external;

    /// @notice Rejects many requests; one whose owner cannot receive ZON now is skipped (`RejectionSkipped`)
    /// and stays open.
    /// @param requests The requests.
    /// @param reasonCodes One reason per request.
    function rejectBatch(Request[] calldata requests, uint16[] calldata reasonCodes) external;

    // ---------------------------------------------------------------- views

    /// @notice Whether request `id` is open.
    /// @param id Request id.
    /// @return True while neither fulfilled, rejected nor cancelled.
    function isOpen(uint256 id) external view returns (bool);

    /// @notice When the acceptance of request `id` ends (zero: not accepted, or not open).
    /// @param id Request id.
    /// @return Unix time.
    function acceptedUntil(uint256 id) external view returns (uint256);

    /// @notice The ZON owed to open requests (the gateway's balance, unless some was sent by mistake).
    /// @return ZON wei.
    function openTotal() external view returns (uint256);

    /// @notice The acceptance window, in seconds.
    /// @return Seconds.
    function acceptanceWindow() external view returns (uint256);

    /// @notice The SKU `sku`.
    /// @param sku SKU number.
    /// @return The catalogue entry.
    function skuOf(uint32 sku) external view returns (Sku memory);

    /// @notice Units of `sku` that `account` holds in open or fulfilled requests (for the limit).
    /// @param sku SKU number.
    /// @param account The business.
    /// @return Units.
    function redeemedBy(uint32 sku, address account) external view returns (uint256);

    /// @notice The number of requests made so far (the next request id).
    /// @return The next id.
    function nextRequestId() external view returns (uint256);

    /// @notice The fulfilment timeout for new requests, in seconds.
    /// @return Seconds.
    function fulfilmentTimeout() external view returns (uint256);
}

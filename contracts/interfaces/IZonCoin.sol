// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ZonCoin token: events, custom errors and the functions beyond ERC-20 / ERC-2612.
/// @notice Other contracts of the suite (the reward distributor, the gateway, the escrow) depend on
/// this interface only, never on the implementation.
interface IZonCoin {
    // ---------------------------------------------------------------- errors

    /// @notice `account` is frozen: it cannot send, receive, be minted to, spend an allowance or burn.
    error ZonCoinAccountFrozen(address account);
    /// @notice Holder-allowlist mode is on and `account` is not on the allowlist, so it cannot receive ZON.
    error ZonCoinAccountNotAllowlisted(address account);
    /// @notice `account` is not a configured minter.
    error ZonCoinNotMinter(address account);
    /// @notice `minter` asked to mint `requested` but only `allowance` remains of its minting allowance.
    error ZonCoinMinterAllowanceExceeded(address minter, uint256 allowance, uint256 requested);
    /// @notice Minting would raise the supply to `newSupply`, above the cap `cap`.
    error ZonCoinMaxSupplyExceeded(uint256 newSupply, uint256 cap);
    /// @notice The maximum supply given at deployment is above what a balance can hold.
    error ZonCoinInvalidMaxSupply(uint256 maxSupply);
    /// @notice `minter` cannot be a minter (the zero address).
    error ZonCoinInvalidMinter(address minter);
    /// @notice A batch's arrays differ in length.
    error ZonCoinLengthMismatch(uint256 recipients, uint256 amounts);
    /// @notice Holder-allowlist mode is already `enabled`.
    error ZonCoinAllowlistModeUnchanged(bool enabled);
    /// @notice The account's frozen flag is already `frozen`.
    error ZonCoinFrozenUnchanged(address account, bool frozen);
    /// @notice The account's allowlist flag is already `allowed`.
    error ZonCoinAllowlistUnchanged(address account, bool allowed);
    /// @notice The permit signature is not `owner`'s: not its ECDSA signature, nor accepted by it (ERC-1271).
    error ZonCoinInvalidPermitSignature(address owner);
    /// @notice `minter` is already a minter: change its allowance with increase/decrease, never by overwrite.
    error ZonCoinMinterAlreadyConfigured(address minter, uint256 allowance);
    /// @notice A recovery or forced transfer must name the off-chain case it carries out (a non-zero id).
    error ZonCoinMissingCaseId();
    /// @notice A recovery or forced transfer names `account` on both sides.
    error ZonCoinSameAccount(address account);
    /// @notice A forced transfer of nothing.
    error ZonCoinZeroAmount();
    /// @notice An enforcement delay is in force and `operation` was not announced (or was cancelled, or done).
    error ZonCoinOperationNotAnnounced(bytes32 operation);
    /// @notice `operation` was announced and may be carried out from `readyAt` (Unix time), not before.
    error ZonCoinOperationNotReady(bytes32 operation, uint256 readyAt);
    /// @notice `operation` is already announced, ready from `readyAt`.
    error ZonCoinOperationAlreadyAnnounced(bytes32 operation, uint256 readyAt);
    /// @notice An enforcement delay of `delay` seconds is above the maximum `max`.
    error ZonCoinEnforcementDelayTooLong(uint256 delay, uint256 max);
    /// @notice The enforcement delay is already `delay`.
    error ZonCoinEnforcementDelayUnchanged(uint256 delay);
    /// @notice `account` is a custodian of the suite (the gateway, the escrow, the distributor, the token):
    /// the ZON it holds is owed to the positions in its books, so a recovery or forced transfer cannot take
    /// it; a position moves through the custodian's own settlement.
    error ZonCoinCustodian(address account);
    /// @notice `account` is already (`custodian` true) or already not a custodian.
    error ZonCoinCustodianUnchanged(address account, bool custodian);

    // ---------------------------------------------------------------- events

    /// @notice `minter` may now mint up to `allowance` (it could mint `previousAllowance` before).
    event MinterConfigured(address indexed minter, uint256 previousAllowance, uint256 allowance);
    /// @notice `minter` was removed; its remaining allowance `forfeitedAllowance` is gone.
    event MinterRemoved(address indexed minter, uint256 forfeitedAllowance);
    /// @notice `minter` minted `amount` in one call (one or many recipients); `remainingAllowance` is left.
    event MinterAllowanceSpent(address indexed minter, uint256 amount, uint256 remainingAllowance);
    /// @notice The compliance role froze (`frozen` true) or unfroze `account`.
    event FrozenSet(address indexed account, bool frozen);
    /// @notice The compliance role added (`allowed` true) or removed `account` from the holder allowlist.
    event AllowlistSet(address indexed account, bool allowed);
    /// @notice Holder-allowlist mode was switched on (`enabled` true) or off.
    event AllowlistModeSet(bool enabled);
    /// @notice A recovery of the lost wallet `lost` to `replacement` under case `caseId` was announced as
    /// `operation`; it can be carried out from `readyAt` (Unix time).
    event RecoveryAnnounced(
        bytes32 indexed operation,
        bytes32 indexed caseId,
        address indexed lost,
        address replacement,
        uint256 readyAt
    );
    /// @notice The lost wallet `lost`'s whole balance `amount` moved to `replacement` under case `caseId`;
    /// `lost` is frozen and `replacement` took over its allowlist status. A `Transfer` event says the same
    /// move for ERC-20 indexers.
    event WalletRecovered(address indexed lost, address indexed replacement, bytes32 indexed caseId, uint256 amount);
    /// @notice A forced transfer of `amount` from `from` to `to` under case `caseId` was announced as
    /// `operation`; it can be carried out from `readyAt` (Unix time).
    event ForcedTransferAnnounced(
        bytes32 indexed operation,
        bytes32 indexed caseId,
        address indexed from,
        address to,
        uint256 amount,
        uint256 readyAt
    );
    /// @notice `amount` moved from `from` to `to` under case `caseId`, without their consent, frozen or
    /// not. A `Transfer` event says the same move for ERC-20 indexers.
    event ForcedTransfer(address indexed from, address indexed to, bytes32 indexed caseId, uint256 amount);
    /// @notice The announced `operation` of case `caseId` was cancelled by `by`.
    event OperationCancelled(bytes32 indexed operation, bytes32 indexed caseId, address by);
    /// @notice Recoveries and forced transfers must now be announced `delay` seconds before they are carried
    /// out (0: no announcement needed); it was `previousDelay`.
    event EnforcementDelaySet(uint256 previousDelay, uint256 delay);
    /// @notice Governance marked `account` as a custodian of the suite (`custodian` true), whose balance no
    /// recovery or forced transfer may touch, or took the mark away.
    event CustodianSet(address indexed account, bool custodian);
    /// @notice `amount` of `token` held by this contract by mistake was sent to `to`.
    event TokensRescued(address indexed token, address indexed to, uint256 amount);

    // ---------------------------------------------------------------- permit

    /// @notice ERC-2612 permit with the signature as bytes, so that contract wallets (Safe multisigs) can
    /// sign: an EOA's 65-byte signature is checked with ECDSA, a contract owner's with ERC-1271
    /// `isValidSignature`, as Circle's FiatToken v2.2 does. Same EIP-712 Permit type and nonces as `permit`.
    /// @param owner The holder whose allowance is set.
    /// @param spender The spender.
    /// @param value The allowance.
    /// @param deadline Unix time after which the signature is refused.
    /// @param signature The owner's signature (65 bytes for an EOA; whatever its wallet accepts otherwise).
    function permit(address owner, address spender, uint256 value, uint256 deadline, bytes calldata signature) external;

    // ---------------------------------------------------------------- minting

    /// @notice Mints `amount` to `to` from the caller's minter allowance. A frozen minter cannot mint (a minter
    /// wallet recovered as lost keeps no power).
    /// @param to Recipient (not frozen; allowlisted in allowlist mode).
    /// @param amount Amount in wei of ZON.
    function mint(address to, uint256 amount) external;

    /// @notice Mints to many recipients in one call, spending the caller's allowance once for the total. A
    /// frozen minter cannot mint.
    /// @param to Recipients.
    /// @param amounts Amount for each recipient, same length as `to`.
    function mintBatch(address[] calldata to, uint256[] calldata amounts) external;

    /// @notice Makes `minter` a minter with `allowance`. Refused for an existing minter: an overwrite could be
    /// front-run by a leaked minter key (mint the old allowance, then the new one).
    /// @param minter The minter account or contract.
    /// @param allowance The total it may mint from now on.
    function configureMinter(address minter, uint256 allowance) external;

    /// @notice Raises `minter`'s allowance by `amount` (capped at 2^248 - 1).
    /// @param minter An existing minter.
    /// @param amount What it may mint in addition.
    function increaseMinterAllowance(address minter, uint256 amount) external;

    /// @notice Lowers `minter`'s allowance by `amount`, to zero at most: whatever a leaked key mints
    /// first, old + new is never reachable.
    /// @param minter An existing minter.
    /// @param amount What it may no longer mint.
    function decreaseMinterAllowance(address minter, uint256 amount) external;

    /// @notice Removes `minter` and zeroes its allowance.
    /// @param minter The minter to remove.
    function removeMinter(address minter) external;

    /// @notice Whether `account` is a configured minter.
    /// @param account The account to look up.
    /// @return True if it is a minter.
    function isMinter(address account) external view returns (bool);

    /// @notice What `minter` may still mint.
    /// @param minter The minter to look up.
    /// @return The remaining allowance (0 for a non-minter).
    function minterAllowance(address minter) external view returns (uint256);

    /// @notice The maximum supply fixed at deployment (0 = no maximum beyond the storage bound).
    /// @return The cap given at deployment.
    function maxSupply() external view returns (uint256);

    // ---------------------------------------------------------------- compliance

    /// @notice Freezes or unfreezes `account`.
    /// @param account The account.
    /// @param frozen True to freeze, false to unfreeze.
    function setFrozen(address account, bool frozen) external;

    /// @notice Adds `account` to (or removes it from) the holder allowlist.
    /// @param account The account.
    /// @param allowed True to allow it to receive ZON in allowlist mode.
    function setAllowlisted(address account, bool allowed) external;

    /// @notice Switches holder-allowlist mode on or off.
    /// @param enabled True: only allowlisted accounts may receive ZON.
    function setAllowlistMode(bool enabled) external;

    /// @notice Whether `account` is frozen.
    /// @param account The account to look up.
    /// @return True if frozen.
    function isFrozen(address account) external view returns (bool);

    /// @notice Whether `account` is on the holder allowlist.
    /// @param account The account to look up.
    /// @return True if allowlisted.
    function isAllowlisted(address account) external view returns (bool);

    /// @notice Whether holder-allowlist mode is on.
    /// @return True if only allowlisted accounts may receive ZON.
    function allowlistMode() external view returns (bool);

    /// @notice Whether `account` can be credited now: not the zero address, not frozen, and allowlisted when
    /// allowlist mode is on.
    /// Contracts that pay many accounts in one call use it to skip one account instead of reverting all.
    /// @param account The would-be recipient.
    /// @return True when a mint or transfer to `account` would pass the compliance checks.
    function canReceive(address account) external view returns (bool);

    // ---------------------------------------------------------------- recovery and forced transfer

    /// @notice Announces a recovery (the recovery role): it can be carried out `enforcementDelay()` seconds
    /// from now, and cancelled until then.
    /// @param lost The wallet whose key is lost.
    /// @param replacement The business's new wallet.
    /// @param caseId The reference of the off-chain evidence (non-zero).
    /// @return operation The id under which it is announced.
    function announceRecovery(address lost, address replacement, bytes32 caseId) external returns (bytes32 operation);

    /// @notice Recovers a lost wallet (the recovery role): moves its whole balance to `replacement`, freezes
    /// it, and gives `replacement` its allowlist status. Works whether `lost` is frozen or not; refused while
    /// paused, for a frozen `replacement`, for a custodian on either side, and, with an enforcement delay,
    /// unless announced and ready. Records `replacement` as the lost wallet's (`recoveryOf`), for the
    /// gateway and the escrow to move its positions to.
    /// @param lost The wallet whose key is lost.
    /// @param replacement The business's new wallet.
    /// @param caseId The reference of the off-chain evidence (non-zero).
    function recoverWallet(address lost, address replacement, bytes32 caseId) external;

    /// @notice The wallet that replaced the recovered wallet `lost`, and the case under which it did (zero
    /// for a wallet never recovered; the latest recovery when there were several). The gateway and the
    /// escrow move a recovered wallet's positions to it, so payments owed to the lost wallet reach its
    /// replacement and never need the lost wallet unfrozen.
    /// @param lost The recovered wallet.
    /// @return replacement Its replacement (zero: not recovered).
    /// @return caseId The case of the recovery.
    function recoveryOf(address lost) external view returns (address replacement, bytes32 caseId);

    /// @notice Marks `account` as a custodian of the suite, or takes the mark away (the default admin). A
    /// custodian's balance is owed to the positions in its books: recoveries and forced transfers refuse it
    /// as either party. The deployment marks the gateway, the escrow and the distributor; the token is one
    /// from its construction.
    /// @param account The contract.
    /// @param custodian True to mark it, false to unmark it.
    function setCustodian(address account, bool custodian) external;

    /// @notice Whether `account` is a custodian of the suite (see `setCustodian`).
    /// @param account The account.
    /// @return True for a custodian.
    function isCustodian(address account) external view returns (bool);

    /// @notice Cancels an announced recovery (the recovery role, or the default admin).
    /// @param lost As announced.
    /// @param replacement As announced.
    /// @param caseId As announced.
    function cancelRecovery(address lost, address replacement, bytes32 caseId) external;

    /// @notice Announces a forced transfer (the forced-transfer role): it can be carried out
    /// `enforcementDelay()` seconds from now, and cancelled until then.
    /// @param from The holder the amount is taken from.
    /// @param to The holder it goes to.
    /// @param amount Amount in wei of ZON.
    /// @param caseId The reference of the off-chain order (non-zero).
    /// @return operation The id under which it is announced.
    function announceForcedTransfer(
        address from,
        address to,
        uint256 amount,
        bytes32 caseId
    ) external returns (bytes32 operation);

    /// @notice Moves `amount` from `from` to `to` without their consent (the forced-transfer role), even if
    /// either is frozen; never mints or burns, spends no allowance. Refused while paused, for a custodian on
    /// either side, to a receiver that is not allowlisted in allowlist mode, and, with an enforcement delay,
    /// unless announced and ready.
    /// @param from The holder the amount is taken from.
    /// @param to The holder it goes to.
    /// @param amount Amount in wei of ZON.
    /// @param caseId The reference of the off-chain order (non-zero).
    function forceTransfer(address from, address to, uint256 amount, bytes32 caseId) external;

    /// @notice Cancels an announced forced transfer (the forced-transfer role, or the default admin).
    /// @param from As announced.
    /// @param to As announced.
    /// @param amount As announced.
    /// @param caseId As announced.
    function cancelForcedTransfer(address from, address to, uint256 amount, bytes32 caseId) external;

    /// @notice Sets how long before it is carried out a recovery or forced transfer must be announced (the
    /// default admin). Operations already announced keep their time.
    /// @param delay Seconds (0: no announcement needed), at most `MAX_ENFORCEMENT_DELAY`.
    function setEnforcementDelay(uint256 delay) external;

    /// @notice Seconds between the announcement of a recovery or forced transfer and its execution.
    /// @return The delay in force (0: none).
    function enforcementDelay() external view returns (uint256);

    /// @notice When an announced operation can be carried out.
    /// @param operation The id from its announcement (or `recoveryOperation` / `forcedTransferOperation`).
    /// @return Unix time from which it can be carried out; 0 if it is not announced.
    function operationReadyAt(bytes32 operation) external view returns (uint256);

    /// @notice The id of a recovery, as announced.
    /// @param lost The lost wallet.
    /// @param replacement The new wallet.
    /// @param caseId The case.
    /// @return The operation id.
    function recoveryOperation(address lost, address replacement, bytes32 caseId) external pure returns (bytes32);

    /// @notice The id of a forced transfer, as announced.
    /// @param from The holder the amount is taken from.
    /// @param to The holder it goes to.
    /// @param amount Amount in wei of ZON.
    /// @param caseId The case.
    /// @return The operation id.
    function forcedTransferOperation(
        address from,
        address to,
        uint256 amount,
        bytes32 caseId
    ) external pure returns (bytes32);

    // ---------------------------------------------------------------- operations

    /// @notice Pauses transfers, mints and burns.
    function pause() external;

    /// @notice Lifts the pause.
    function unpause() external;

    /// @notice Sends `amount` of `token` held by this contract (sent to it by mistake) to `to`.
    /// @param token The ERC-20 to rescue (ZON itself included).
    /// @param to Where to send it.
    /// @param amount How much.
    function rescueERC20(address token, address to, uint256 amount) external;
}

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

    /// @notice Mints `amount` to `to` from the caller's minter allowance.
    /// @param to Recipient (not frozen; allowlisted in allowlist mode).
    /// @param amount Amount in wei of ZON.
    function mint(address to, uint256 amount) external;

    /// @notice Mints to many recipients in one call, spending the caller's allowance once for the total.
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

    /// @notice Whether `account` can be credited now: not frozen, and allowlisted when allowlist mode is on.
    /// Contracts that pay many accounts in one call use it to skip one account instead of reverting all.
    /// @param account The would-be recipient.
    /// @return True when a mint or transfer to `account` would pass the compliance checks.
    function canReceive(address account) external view returns (bool);

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

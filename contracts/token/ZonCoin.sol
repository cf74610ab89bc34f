// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {IZonCoin} from "../interfaces/IZonCoin.sol";

/// @title ZonCoin (ZON)
/// @notice The ERC-20 of the ZonCoin economy: ERC-2612 permit, burn, pause, account freeze, an optional
/// holder allowlist, minters bounded by allowances, and a two-step delayed admin transfer.
/// @dev Storage is laid out so that compliance checks cost no extra storage reads on a transfer:
/// - Each account's balance and its frozen / allowlisted flags share one slot (`Account`), the way
///   Circle's FiatToken keeps its blacklist bit in the balance word. A transfer reads the two account
///   words it has to read anyway.
/// - Pausable's `_paused` flag, the allowlist-mode flag and the total supply share one slot: a transfer
///   reads it once for both flags, a mint or burn updates it in place.
/// OpenZeppelin's `_update` is replaced accordingly, so OpenZeppelin's own `_balances` and `_totalSupply`
/// slots stay empty; everything else (allowances, `IERC20Errors`, events, permit) is OpenZeppelin's.
/// Balances are 128-bit, so the supply can never exceed 2^128 - 1 wei (3.4e20 ZON).
contract ZonCoin is ERC20, ERC20Burnable, ERC20Permit, AccessControlDefaultAdminRules, Pausable, IZonCoin {
    using SafeERC20 for IERC20;

    /// @notice Configures minters and their allowances.
    bytes32 public constant MINTER_ADMIN_ROLE = keccak256("MINTER_ADMIN_ROLE");
    /// @notice Pauses and unpauses the token.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    /// @notice Freezes accounts and manages the holder allowlist.
    bytes32 public constant COMPLIANCE_ROLE = keccak256("COMPLIANCE_ROLE");
    // ERC-2612's Permit type, as OpenZeppelin's ERC20Permit signs it (its constant is private there).
    bytes32 private constant PERMIT_TYPEHASH = keccak256(
        "Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"
    );

    struct Account {
        uint128 balance;
        bool frozen;
        bool allowlisted;
    }

    struct Minter {
        bool active;
        uint248 allowance;
    }

    // Packs into the slot that Pausable's `_paused` opens (the storage-layout test pins this).
    bool private _allowlistMode;
    uint128 private _supply;

    mapping(address account => Account) private _accounts;
    mapping(address minter => Minter) private _minters;

    uint256 private immutable _maxSupply;
    uint256 private immutable _supplyBound;

    /// @param admin Holder of the default admin role (governance).
    /// @param adminTransferDelay Seconds a default admin transfer must wait before it can be accepted.
    /// @param maxSupply_ Maximum supply in wei, fixed forever (0 = no maximum beyond 2^128 - 1).
    constructor(
        address admin,
        uint48 adminTransferDelay,
        uint256 maxSupply_
    ) ERC20("ZonCoin", "ZON") ERC20Permit("ZonCoin") AccessControlDefaultAdminRules(adminTransferDelay, admin) {
        if (maxSupply_ > type(uint128).max) revert ZonCoinInvalidMaxSupply(maxSupply_);
        _maxSupply = maxSupply_;
        _supplyBound = maxSupply_ == 0 ? type(uint128).max : maxSupply_;
    }

    // ------------------------------------------------------------------ ERC-20 views

    /// @inheritdoc ERC20
    function totalSupply() public view override returns (uint256) {
        return _supply;
    }

    /// @inheritdoc ERC20
    function balanceOf(address account) public view override returns (uint256) {
        return _accounts[account].balance;
    }

    // ------------------------------------------------------------------ permit for contract wallets

    /// @inheritdoc IZonCoin
    function permit(
        address owner,
        address spender,
        uint256 value,
        uint256 deadline,
        bytes calldata signature
    ) external {
        if (block.timestamp > deadline) revert ERC2612ExpiredSignature(deadline);
        bytes32 digest = _hashTypedDataV4(
            keccak256(abi.encode(PERMIT_TYPEHASH, owner, spender, value, _useNonce(owner), deadline))
        );
        // An EOA's 65-byte signature, or an ERC-1271 contract wallet's (a Safe) answer for `digest`.
        if (!SignatureChecker.isValidSignatureNow(owner, digest, signature))
            revert ZonCoinInvalidPermitSignature(owner);
        _approve(owner, spender, value);
    }

    // ------------------------------------------------------------------ minting

    /// @inheritdoc IZonCoin
    function mint(address to, uint256 amount) external {
        _spendMinterAllowance(_msgSender(), amount);
        _mint(to, amount);
    }

    /// @inheritdoc IZonCoin
    function mintBatch(address[] calldata to, uint256[] calldata amounts) external {
        if (to.length != amounts.length) revert ZonCoinLengthMismatch(to.length, amounts.length);
        _requireNotPaused();
        bool allowlistOnly = _allowlistMode;
        uint256 total;
        for (uint256 i; i < to.length; ++i) {
            address recipient = to[i];
            uint256 amount = amounts[i];
            if (recipient == address(0)) revert ERC20InvalidReceiver(address(0));
            // Bounds each term so the sum cannot wrap; a larger amount could never fit the cap anyway.
            if (amount > type(uint128).max) revert ZonCoinMaxSupplyExceeded(amount, _supplyBound);
            unchecked {
                total += amount;
            }
            _credit(recipient, amount, allowlistOnly);
            emit Transfer(address(0), recipient, amount);
        }
        // Checked after the loop: a total above the cap reverts the whole batch, credits included.
        _spendMinterAllowance(_msgSender(), total);
        _increaseSupply(total);
    }

    /// @inheritdoc IZonCoin
    function configureMinter(address minter, uint256 allowance) external onlyRole(MINTER_ADMIN_ROLE) {
        if (minter == address(0)) revert ZonCoinInvalidMinter(minter);
        Minter storage m = _minters[minter];
        if (m.active) revert ZonCoinMinterAlreadyConfigured(minter, m.allowance);
        _setMinterAllowance(m, minter, allowance);
    }

    /// @inheritdoc IZonCoin
    function increaseMinterAllowance(address minter, uint256 amount) external onlyRole(MINTER_ADMIN_ROLE) {
        Minter storage m = _activeMinter(minter);
        uint256 current = m.allowance;
        _setMinterAllowance(m, minter, amount > type(uint248).max - current ? type(uint248).max : current + amount);
    }

    /// @inheritdoc IZonCoin
    function decreaseMinterAllowance(address minter, uint256 amount) external onlyRole(MINTER_ADMIN_ROLE) {
        Minter storage m = _activeMinter(minter);
        uint256 current = m.allowance;
        _setMinterAllowance(m, minter, amount >= current ? 0 : current - amount);
    }

    /// @inheritdoc IZonCoin
    function removeMinter(address minter) external onlyRole(MINTER_ADMIN_ROLE) {
        Minter memory m = _minters[minter];
        if (!m.active) revert ZonCoinNotMinter(minter);
        delete _minters[minter];
        emit MinterRemoved(minter, m.allowance);
    }

    /// @inheritdoc IZonCoin
    function isMinter(address account) external view returns (bool) {
        return _minters[account].active;
    }

    /// @inheritdoc IZonCoin
    function minterAllowance(address minter) external view returns (uint256) {
        return _minters[minter].allowance;
    }

    /// @inheritdoc IZonCoin
    function maxSupply() external view returns (uint256) {
        return _maxSupply;
    }

    // ------------------------------------------------------------------ compliance

    /// @inheritdoc IZonCoin
    function setFrozen(address account, bool frozen) external onlyRole(COMPLIANCE_ROLE) {
        Account storage a = _accounts[account];
        if (a.frozen == frozen) revert ZonCoinFrozenUnchanged(account, frozen);
        a.frozen = frozen;
        emit FrozenSet(account, frozen);
    }

    /// @inheritdoc IZonCoin
    function setAllowlisted(address account, bool allowed) external onlyRole(COMPLIANCE_ROLE) {
        Account storage a = _accounts[account];
        if (a.allowlisted == allowed) revert ZonCoinAllowlistUnchanged(account, allowed);
        a.allowlisted = allowed;
        emit AllowlistSet(account, allowed);
    }

    /// @inheritdoc IZonCoin
    function setAllowlistMode(bool enabled) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (_allowlistMode == enabled) revert ZonCoinAllowlistModeUnchanged(enabled);
        _allowlistMode = enabled;
        emit AllowlistModeSet(enabled);
    }

    /// @inheritdoc IZonCoin
    function isFrozen(address account) external view returns (bool) {
        return _accounts[account].frozen;
    }

    /// @inheritdoc IZonCoin
    function isAllowlisted(address account) external view returns (bool) {
        return _accounts[account].allowlisted;
    }

    /// @inheritdoc IZonCoin
    function allowlistMode() external view returns (bool) {
        return _allowlistMode;
    }

    /// @inheritdoc IZonCoin
    function canReceive(address account) external view returns (bool) {
        Account memory a = _accounts[account];
        return !a.frozen && (a.allowlisted || !_allowlistMode);
    }

    // ------------------------------------------------------------------ operations

    /// @inheritdoc IZonCoin
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @inheritdoc IZonCoin
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    /// @inheritdoc IZonCoin
    function rescueERC20(address token, address to, uint256 amount) external onlyRole(DEFAULT_ADMIN_ROLE) {
        emit TokensRescued(token, to, amount);
        if (token == address(this)) {
            _transfer(address(this), to, amount);
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
    }

    /// @inheritdoc AccessControlDefaultAdminRules
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IZonCoin).interfaceId || super.supportsInterface(interfaceId);
    }

    // ------------------------------------------------------------------ internals

    /// @dev Replaces OpenZeppelin's balance bookkeeping with the packed account words; the transfer,
    /// mint and burn entry points, their zero-address checks and their errors stay OpenZeppelin's.
    function _update(address from, address to, uint256 value) internal override {
        _requireNotPaused();
        if (from == address(0)) {
            _increaseSupply(value);
        } else {
            Account storage sender = _accounts[from];
            if (sender.frozen) revert ZonCoinAccountFrozen(from);
            uint256 balance = sender.balance;
            if (balance < value) revert ERC20InsufficientBalance(from, balance, value);
            unchecked {
                // value <= balance < 2^128
                sender.balance = uint128(balance - value);
            }
        }
        if (to == address(0)) {
            unchecked {
                // value was just taken from a balance, and balances never sum above the supply
                _supply -= uint128(value);
            }
        } else {
            _credit(to, value, _allowlistMode);
        }
        emit Transfer(from, to, value);
    }

    /// @dev A frozen spender cannot move anyone's tokens (transferFrom and burnFrom both come here).
    function _spendAllowance(address owner, address spender, uint256 value) internal override {
        if (_accounts[spender].frozen) revert ZonCoinAccountFrozen(spender);
        super._spendAllowance(owner, spender, value);
    }

    function _credit(address to, uint256 value, bool allowlistOnly) private {
        Account storage recipient = _accounts[to];
        if (recipient.frozen) revert ZonCoinAccountFrozen(to);
        if (allowlistOnly && !recipient.allowlisted) revert ZonCoinAccountNotAllowlisted(to);
        unchecked {
            // Either the supply check already passed (mint) or value came out of another balance
            // (transfer), so the sum stays below 2^128; in a batch mint a larger sum reverts later.
            recipient.balance += uint128(value);
        }
    }

    function _increaseSupply(uint256 value) private {
        uint256 newSupply = uint256(_supply) + value;
        if (newSupply > _supplyBound) revert ZonCoinMaxSupplyExceeded(newSupply, _supplyBound);
        _supply = uint128(newSupply);
    }

    function _activeMinter(address minter) private view returns (Minter storage m) {
        m = _minters[minter];
        if (!m.active) revert ZonCoinNotMinter(minter);
    }

    /// @dev `allowance` above 2^248 - 1 is capped there (effectively unlimited).
    function _setMinterAllowance(Minter storage m, address minter, uint256 allowance) private {
        uint256 previous = m.allowance;
        m.active = true;
        m.allowance = uint248(allowance > type(uint248).max ? type(uint248).max : allowance);
        emit MinterConfigured(minter, previous, m.allowance);
    }

    function _spendMinterAllowance(address minter, uint256 amount) private {
        Minter storage m = _minters[minter];
        if (!m.active) revert ZonCoinNotMinter(minter);
        uint256 allowance = m.allowance;
        if (amount > allowance) revert ZonCoinMinterAllowanceExceeded(minter, allowance, amount);
        unchecked {
            m.allowance = uint248(allowance - amount);
        }
        emit MinterAllowanceSpent(minter, amount, allowance - amount);
    }
}

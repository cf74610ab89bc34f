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
/// holder allowlist, minters bounded by allowances, a two-step delayed admin transfer, and the two powers of a
/// regulated token (ERC-3643): recovery of a lost wallet and forced transfer, each under a case id, optionally
/// announced a delay before they are carried out.
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
    /// @notice Recovers lost wallets to their owners' new wallets.
    bytes32 public constant RECOVERY_ROLE = keccak256("RECOVERY_ROLE");
    /// @notice Moves ZON between holders on a court order or a regulator's instruction.
    bytes32 public constant FORCED_TRANSFER_ROLE = keccak256("FORCED_TRANSFER_ROLE");
    /// @notice The longest enforcement delay governance can set: a court order must still be executable.
    uint256 public constant MAX_ENFORCEMENT_DELAY = 30 days;
    // ERC-2612's Permit type, as OpenZeppelin's ERC20Permit signs it (its constant is private there).
    bytes32 private constant PERMIT_TYPEHASH = keccak256(
        "Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"
    );

    struct Account {
        uint128 balance;
        bool frozen;
        bool allowlisted;
        // The suite's contracts that hold ZON owed to their books: no enforcement can touch them.
        bool custodian;
    }

    struct Recovery {
        address replacement;
        bytes32 caseId;
    }

    // A minter's status mirrors its account's frozen flag, so that a mint reads one slot, not two.
    struct Minter {
        uint8 status; // MINTER_NONE, MINTER_ACTIVE or MINTER_FROZEN
        uint248 allowance;
    }

    uint8 private constant MINTER_NONE = 0;
    uint8 private constant MINTER_ACTIVE = 1;
    uint8 private constant MINTER_FROZEN = 2;

    // Packs into the slot that Pausable's `_paused` opens (the storage-layout test pins this).
    bool private _allowlistMode;
    uint128 private _supply;

    mapping(address account => Account) private _accounts;
    mapping(address minter => Minter) private _minters;

    // Recoveries and forced transfers only: nothing on the transfer path reads these.
    uint256 private _enforcementDelay;
    mapping(bytes32 operation => uint256 readyAt) private _readyAt;
    mapping(address lost => Recovery) private _recoveries;

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
        _accounts[address(this)].custodian = true;
        emit CustodianSet(address(this), true);
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
        if (m.status != MINTER_NONE) revert ZonCoinMinterAlreadyConfigured(minter, m.allowance);
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
        if (m.status == MINTER_NONE) revert ZonCoinNotMinter(minter);
        delete _minters[minter];
        emit MinterRemoved(minter, m.allowance);
    }

    /// @inheritdoc IZonCoin
    function isMinter(address account) external view returns (bool) {
        return _minters[account].status != MINTER_NONE;
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
        _mirrorFrozen(account, frozen);
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
        return account != address(0) && !a.frozen && (a.allowlisted || !_allowlistMode);
    }

    /// @inheritdoc IZonCoin
    function setCustodian(address account, bool custodian) external onlyRole(DEFAULT_ADMIN_ROLE) {
        Account storage a = _accounts[account];
        if (a.custodian == custodian) revert ZonCoinCustodianUnchanged(account, custodian);
        a.custodian = custodian;
        emit CustodianSet(account, custodian);
    }

    /// @inheritdoc IZonCoin
    function isCustodian(address account) external view returns (bool) {
        return _accounts[account].custodian;
    }

    // ------------------------------------------------------------------ recovery and forced transfer

    /// @inheritdoc IZonCoin
    function announceRecovery(
        address lost,
        address replacement,
        bytes32 caseId
    ) external onlyRole(RECOVERY_ROLE) returns (bytes32 operation) {
        _checkParties(lost, replacement, caseId);
        _refuseCustodians(_accounts[lost], lost, _accounts[replacement], replacement);
        operation = recoveryOperation(lost, replacement, caseId);
        emit RecoveryAnnounced(operation, caseId, lost, replacement, _announce(operation));
    }

    /// @inheritdoc IZonCoin
    function recoverWallet(address lost, address replacement, bytes32 caseId) external onlyRole(RECOVERY_ROLE) {
        _checkParties(lost, replacement, caseId);
        _requireNotPaused();
        Account storage old = _accounts[lost];
        Account storage next = _accounts[replacement];
        _refuseCustodians(old, lost, next, replacement);
        if (next.frozen) revert ZonCoinAccountFrozen(replacement);
        bool allowlisted = old.allowlisted;
        if (_allowlistMode && !allowlisted && !next.allowlisted) revert ZonCoinAccountNotAllowlisted(replacement);
        _consume(recoveryOperation(lost, replacement, caseId));

        uint128 amount = old.balance;
        old.balance = 0;
        unchecked {
            // amount came out of another balance: the sum stays below the supply, below 2^128
            next.balance += amount;
        }
        _recoveries[lost] = Recovery(replacement, caseId);
        if (!old.frozen) {
            old.frozen = true;
            _mirrorFrozen(lost, true);
            emit FrozenSet(lost, true);
        }
        if (allowlisted) {
            old.allowlisted = false;
            emit AllowlistSet(lost, false);
            if (!next.allowlisted) {
                next.allowlisted = true;
                emit AllowlistSet(replacement, true);
            }
        }
        emit Transfer(lost, replacement, amount);
        emit WalletRecovered(lost, replacement, caseId, amount);
    }

    /// @inheritdoc IZonCoin
    function recoveryOf(address lost) external view returns (address replacement, bytes32 caseId) {
        Recovery memory r = _recoveries[lost];
        return (r.replacement, r.caseId);
    }

    /// @inheritdoc IZonCoin
    function cancelRecovery(address lost, address replacement, bytes32 caseId) external {
        _cancel(recoveryOperation(lost, replacement, caseId), caseId, RECOVERY_ROLE);
    }

    /// @inheritdoc IZonCoin
    function announceForcedTransfer(
        address from,
        address to,
        uint256 amount,
        bytes32 caseId
    ) external onlyRole(FORCED_TRANSFER_ROLE) returns (bytes32 operation) {
        _checkParties(from, to, caseId);
        if (amount == 0) revert ZonCoinZeroAmount();
        _refuseCustodians(_accounts[from], from, _accounts[to], to);
        operation = forcedTransferOperation(from, to, amount, caseId);
        emit ForcedTransferAnnounced(operation, caseId, from, to, amount, _announce(operation));
    }

    /// @inheritdoc IZonCoin
    function forceTransfer(
        address from,
        address to,
        uint256 amount,
        bytes32 caseId
    ) external onlyRole(FORCED_TRANSFER_ROLE) {
        _checkParties(from, to, caseId);
        if (amount == 0) revert ZonCoinZeroAmount();
        _requireNotPaused();
        Account storage sender = _accounts[from];
        Account storage recipient = _accounts[to];
        _refuseCustodians(sender, from, recipient, to);
        uint256 balance = sender.balance;
        if (balance < amount) revert ERC20InsufficientBalance(from, balance, amount);
        if (_allowlistMode && !recipient.allowlisted) revert ZonCoinAccountNotAllowlisted(to);
        _consume(forcedTransferOperation(from, to, amount, caseId));

        unchecked {
            // amount <= balance < 2^128, and it only moves between two balances
            sender.balance = uint128(balance - amount);
            recipient.balance += uint128(amount);
        }
        emit Transfer(from, to, amount);
        emit ForcedTransfer(from, to, caseId, amount);
    }

    /// @inheritdoc IZonCoin
    function cancelForcedTransfer(address from, address to, uint256 amount, bytes32 caseId) external {
        _cancel(forcedTransferOperation(from, to, amount, caseId), caseId, FORCED_TRANSFER_ROLE);
    }

    /// @inheritdoc IZonCoin
    function setEnforcementDelay(uint256 delay) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (delay > MAX_ENFORCEMENT_DELAY) revert ZonCoinEnforcementDelayTooLong(delay, MAX_ENFORCEMENT_DELAY);
        uint256 previous = _enforcementDelay;
        if (delay == previous) revert ZonCoinEnforcementDelayUnchanged(delay);
        _enforcementDelay = delay;
        emit EnforcementDelaySet(previous, delay);
    }

    /// @inheritdoc IZonCoin
    function enforcementDelay() external view returns (uint256) {
        return _enforcementDelay;
    }

    /// @inheritdoc IZonCoin
    function operationReadyAt(bytes32 operation) external view returns (uint256) {
        return _readyAt[operation];
    }

    /// @inheritdoc IZonCoin
    function recoveryOperation(address lost, address replacement, bytes32 caseId) public pure returns (bytes32) {
        return keccak256(abi.encode(RECOVERY_ROLE, lost, replacement, caseId));
    }

    /// @inheritdoc IZonCoin
    function forcedTransferOperation(
        address from,
        address to,
        uint256 amount,
        bytes32 caseId
    ) public pure returns (bytes32) {
        return keccak256(abi.encode(FORCED_TRANSFER_ROLE, from, to, amount, caseId));
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

    function _checkParties(address from, address to, bytes32 caseId) private pure {
        if (caseId == bytes32(0)) revert ZonCoinMissingCaseId();
        if (from == address(0)) revert ERC20InvalidSender(address(0));
        if (to == address(0)) revert ERC20InvalidReceiver(address(0));
        if (from == to) revert ZonCoinSameAccount(from);
    }

    /// @dev A custodian's ZON is owed to its books: taking it (or adding to it) would leave them wrong.
    function _refuseCustodians(Account storage a, address aAccount, Account storage b, address bAccount) private view {
        if (a.custodian) revert ZonCoinCustodian(aAccount);
        if (b.custodian) revert ZonCoinCustodian(bAccount);
    }

    /// @dev Each announcement is carried out or cancelled once; announcing it again needs either first.
    function _announce(bytes32 operation) private returns (uint256 readyAt) {
        uint256 pending = _readyAt[operation];
        if (pending != 0) revert ZonCoinOperationAlreadyAnnounced(operation, pending);
        readyAt = block.timestamp + _enforcementDelay;
        _readyAt[operation] = readyAt;
    }

    /// @dev Without a delay an operation needs no announcement; one announced anyway keeps its time.
    function _consume(bytes32 operation) private {
        uint256 readyAt = _readyAt[operation];
        if (readyAt == 0) {
            if (_enforcementDelay != 0) revert ZonCoinOperationNotAnnounced(operation);
            return;
        }
        if (block.timestamp < readyAt) revert ZonCoinOperationNotReady(operation, readyAt);
        delete _readyAt[operation];
    }

    /// @dev The role that announces, or governance above it, may cancel.
    function _cancel(bytes32 operation, bytes32 caseId, bytes32 role) private {
        address sender = _msgSender();
        if (!hasRole(role, sender) && !hasRole(DEFAULT_ADMIN_ROLE, sender))
            revert AccessControlUnauthorizedAccount(sender, role);
        if (_readyAt[operation] == 0) revert ZonCoinOperationNotAnnounced(operation);
        delete _readyAt[operation];
        emit OperationCancelled(operation, caseId, sender);
    }

    function _increaseSupply(uint256 value) private {
        uint256 newSupply = uint256(_supply) + value;
        if (newSupply > _supplyBound) revert ZonCoinMaxSupplyExceeded(newSupply, _supplyBound);
        _supply = uint128(newSupply);
    }

    function _activeMinter(address minter) private view returns (Minter storage m) {
        m = _minters[minter];
        if (m.status == MINTER_NONE) revert ZonCoinNotMinter(minter);
    }

    /// @dev `allowance` above 2^248 - 1 is capped there (effectively unlimited).
    function _setMinterAllowance(Minter storage m, address minter, uint256 allowance) private {
        uint256 previous = m.allowance;
        if (m.status == MINTER_NONE) m.status = _accounts[minter].frozen ? MINTER_FROZEN : MINTER_ACTIVE;
        m.allowance = uint248(allowance > type(uint248).max ? type(uint248).max : allowance);
        emit MinterConfigured(minter, previous, m.allowance);
    }

    /// Keeps a minter's status in step with its account's frozen flag (no effect on other accounts).
    function _mirrorFrozen(address account, bool frozen) private {
        Minter storage m = _minters[account];
        if (m.status != MINTER_NONE) m.status = frozen ? MINTER_FROZEN : MINTER_ACTIVE;
    }

    function _spendMinterAllowance(address minter, uint256 amount) private {
        Minter storage m = _minters[minter];
        uint8 status = m.status;
        if (status == MINTER_NONE) revert ZonCoinNotMinter(minter);
        // A minter wallet recovered as lost (so frozen), or frozen by compliance, keeps no power to mint.
        if (status == MINTER_FROZEN) revert ZonCoinAccountFrozen(minter);
        uint256 allowance = m.allowance;
        if (amount > allowance) revert ZonCoinMinterAllowanceExceeded(minter, allowance, amount);
        unchecked {
            m.allowance = uint248(allowance - amount);
        }
        emit MinterAllowanceSpent(minter, amount, allowance - amount);
    }
}

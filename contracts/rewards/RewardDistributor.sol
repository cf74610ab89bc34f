// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {BitMaps} from "@openzeppelin/contracts/utils/structs/BitMaps.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IRewardDistributor} from "../interfaces/IRewardDistributor.sol";
import {IZonCoin} from "../interfaces/IZonCoin.sol";

/// @title RewardDistributor
/// @notice Mints ZON cashback from usage attestations signed by k of n attestors, one by one, in batches,
/// or by Merkle epoch, within a per-period budget and the distributor's ZonCoin minter allowance.
/// @dev Replay protection: an attestation's key is `(period << 64) | id`, where `id` is a per-period
/// sequence (0, 1, 2, …) that the billing backend assigns. Keys live in an OpenZeppelin BitMap, so 256
/// consecutive ids of a period share one storage word: claiming a run of fresh ids writes a word once per
/// 256 items, and a replay check is one bit test. A key's bit is set when it is claimed or revoked; a
/// second bitmap tells revocations apart (read only to report why an item was refused).
/// Rewards: `usageCents * weiPerCent * rateBps / 10_000`, rounded down, with `weiPerCent` fixed at
/// deployment and the period's rates fixed when its policy is published — anyone can recompute a reward.
/// Storage: a period (rates, committed, budget) is one word; pause flag, threshold and attestor count share
/// Pausable's word; an epoch is one word plus its leaf bitmap.
contract RewardDistributor is EIP712, AccessControlDefaultAdminRules, Pausable, IRewardDistributor {
    using BitMaps for BitMaps.BitMap;
    using SafeERC20 for IERC20;

    /// @notice Publishes period policies and raises budgets.
    bytes32 public constant POLICY_ROLE = keccak256("POLICY_ROLE");
    /// @notice Pauses and unpauses claims and epoch publication.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// @notice EIP-712 type hash of `UsageAttestation`.
    bytes32 public constant USAGE_ATTESTATION_TYPEHASH = keccak256(
        "UsageAttestation(address beneficiary,bytes32 customerId,uint32 period,uint8 category,"
        "uint64 usageCents,uint64 id,uint64 deadline)"
    );
    /// @notice EIP-712 type hash of `EpochRoot`.
    bytes32 public constant EPOCH_ROOT_TYPEHASH = keccak256(
        "EpochRoot(uint32 period,uint32 epoch,bytes32 root,uint128 total,uint64 leafCount,uint64 claimDeadline)"
    );

    /// @notice EIP-712 type hash of `Revocation`.
    bytes32 public constant REVOCATION_TYPEHASH = keccak256("Revocation(uint32 period,uint64 id)");

    uint256 private constant CATEGORY_COUNT = 8;
    uint256 private constant BPS = 10_000;
    uint256 private constant SIGNATURE_LENGTH = 65;
    uint256 private constant MAX_ATTESTORS = type(uint16).max;

    struct Period {
        uint128 rates; // eight 16-bit rates in basis points, category i at bits 16i
        uint96 committed; // wei minted for the period plus wei reserved by its open epochs
        uint32 budgetZon; // whole ZON; zero while no policy is published
    }

    struct Epoch {
        uint96 remaining; // reserved and not yet claimed
        uint32 period;
        uint40 claimDeadline; // zero: no such epoch
        bool released;
    }

    // Packs into the word Pausable's `_paused` opens: a claim reads the pause flag and k in one load.
    uint16 private _threshold;
    uint16 private _attestorCount;

    mapping(address account => bool) private _isAttestor;
    mapping(uint32 period => Period) private _periods;
    BitMaps.BitMap private _consumed;
    BitMaps.BitMap private _revoked;
    mapping(bytes32 root => Epoch) private _epochs;
    mapping(bytes32 root => BitMaps.BitMap) private _epochClaimed;
    mapping(uint64 periodAndEpoch => bytes32 root) private _epochRoots;

    /// @notice The token this distributor mints through its minter allowance.
    IZonCoin public immutable token;
    /// @notice ZON wei per US cent of spend (before the cashback rate): the fixed exchange rate.
    uint256 public immutable weiPerCent;

    /// @param token_ The ZonCoin token (this contract must be configured there as a minter).
    /// @param weiPerCent_ ZON wei per US cent of spend, e.g. 1e16 for 1 ZON per US dollar.
    /// @param admin Default admin (governance): manages attestors, roles; may revoke attestations alone.
    /// @param adminTransferDelay Delay of a two-step admin transfer, in seconds.
    constructor(
        IZonCoin token_,
        uint256 weiPerCent_,
        address admin,
        uint48 adminTransferDelay
    ) EIP712("ZonCoin RewardDistributor", "1") AccessControlDefaultAdminRules(adminTransferDelay, admin) {
        token = token_;
        weiPerCent = weiPerCent_;
        _threshold = 1;
    }

    // ------------------------------------------------------------------ policy

    /// @inheritdoc IRewardDistributor
    function publishPolicy(uint32 period, uint256 packedRates, uint256 budgetZon) external onlyRole(POLICY_ROLE) {
        Period storage p = _periods[period];
        if (p.budgetZon != 0) revert PolicyAlreadyPublished(period);
        if (budgetZon == 0 || budgetZon > type(uint32).max) revert InvalidBudget(period, budgetZon);
        if (packedRates >> (16 * CATEGORY_COUNT) != 0) revert InvalidRates(packedRates);
        for (uint256 i; i < CATEGORY_COUNT; ++i) {
            if ((packedRates >> (16 * i)) & 0xffff > BPS) revert InvalidRates(packedRates);
        }
        p.rates = uint128(packedRates);
        p.budgetZon = uint32(budgetZon);
        emit PolicyPublished(period, packedRates, budgetZon);
    }

    /// @inheritdoc IRewardDistributor
    function raiseBudget(uint32 period, uint256 budgetZon) external onlyRole(POLICY_ROLE) {
        Period storage p = _periods[period];
        uint256 current = p.budgetZon;
        if (current == 0) revert PolicyNotPublished(period);
        if (budgetZon <= current) revert BudgetNotRaised(period, current, budgetZon);
        if (budgetZon > type(uint32).max) revert InvalidBudget(period, budgetZon);
        p.budgetZon = uint32(budgetZon);
        emit BudgetRaised(period, current, budgetZon);
    }

    // ------------------------------------------------------------------ attestors

    /// @inheritdoc IRewardDistributor
    function addAttestor(address account) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (account == address(0)) revert InvalidAttestor(account);
        if (_isAttestor[account]) revert AlreadyAttestor(account);
        if (_attestorCount == MAX_ATTESTORS) revert TooManyAttestors(MAX_ATTESTORS);
        _isAttestor[account] = true;
        ++_attestorCount;
        emit AttestorAdded(account);
    }

    /// @inheritdoc IRewardDistributor
    function removeAttestor(address account) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (!_isAttestor[account]) revert UnknownAttestor(account);
        uint256 remaining = _attestorCount - 1;
        if (remaining < _threshold) revert InvalidThreshold(_threshold, remaining);
        _isAttestor[account] = false;
        _attestorCount = uint16(remaining);
        emit AttestorRemoved(account);
    }

    /// @inheritdoc IRewardDistributor
    function setThreshold(uint256 newThreshold) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (newThreshold == 0 || newThreshold > _attestorCount) revert InvalidThreshold(newThreshold, _attestorCount);
        emit ThresholdChanged(_threshold, newThreshold);
        _threshold = uint16(newThreshold);
    }

    // ------------------------------------------------------------------ claims

    /// @inheritdoc IRewardDistributor
    function claim(
        UsageAttestation calldata attestation,
        bytes calldata signatures
    ) external whenNotPaused returns (uint256 reward) {
        uint32 period = attestation.period;
        uint256 key = _key(period, attestation.id);
        if (_consumed.get(key)) {
            if (_revoked.get(key)) revert AttestationIsRevoked(period, attestation.id);
            revert AttestationAlreadyClaimed(period, attestation.id);
        }
        if (block.timestamp > attestation.deadline) {
            revert AttestationExpired(period, attestation.id, attestation.deadline);
        }
        _verify(_attestationDigest(attestation), signatures);
        Period storage p = _periods[period];
        reward = _reward(p, period, attestation.category, attestation.usageCents);
        uint256 committed = p.committed + reward;
        uint256 budget = uint256(p.budgetZon) * 1e18;
        if (committed > budget) revert PeriodBudgetExceeded(period, budget, p.committed, reward);
        p.committed = uint96(committed);
        _consumed.set(key);
        _emitClaimed(attestation, reward);
        token.mint(attestation.beneficiary, reward);
    }

    /// @inheritdoc IRewardDistributor
    function claimBatch(
        UsageAttestation[] calldata attestations,
        bytes[] calldata signatures
    ) external whenNotPaused returns (uint256 minted) {
        uint256 n = attestations.length;
        if (n != signatures.length) revert LengthMismatch(n, signatures.length);
        address[] memory recipients = new address[](n);
        uint256[] memory amounts = new uint256[](n);
        uint256 count;
        for (uint256 i; i < n; ++i) {
            UsageAttestation calldata a = attestations[i];
            uint256 key = _key(a.period, a.id);
            SkipReason reason =
                _consumed.get(key)
                    ? (_revoked.get(key) ? SkipReason.Revoked : SkipReason.AlreadyClaimed)
                    : (block.timestamp > a.deadline ? SkipReason.Expired : SkipReason.None);
            if (reason == SkipReason.None) {
                _verify(_attestationDigest(a), signatures[i]);
                Period storage p = _periods[a.period];
                uint256 reward = _reward(p, a.period, a.category, a.usageCents);
                uint256 committed = p.committed + reward;
                if (committed > uint256(p.budgetZon) * 1e18) {
                    reason = SkipReason.OverBudget;
                } else if (!token.canReceive(a.beneficiary)) {
                    // One frozen or non-allowlisted beneficiary would revert the whole mintBatch.
                    reason = SkipReason.CannotReceive;
                } else {
                    p.committed = uint96(committed);
                    _consumed.set(key);
                    _emitClaimed(a, reward);
                    recipients[count] = a.beneficiary;
                    amounts[count] = reward;
                    ++count;
                    minted += reward;
                    continue;
                }
            }
            emit AttestationSkipped(a.period, a.id, reason);
        }
        if (count == 0) return 0;
        // Trims the arrays to the items actually claimed (skipped items leave no zero-amount mints).
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(recipients, count)
            mstore(amounts, count)
        }
        token.mintBatch(recipients, amounts);
    }

    /// @inheritdoc IRewardDistributor
    function revoke(uint32 period, uint64 id) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _revoke(period, id);
    }

    /// @inheritdoc IRewardDistributor
    function revokeWithSignatures(Revocation calldata revocation, bytes calldata signatures) external {
        _verify(_hashTypedDataV4(keccak256(abi.encode(REVOCATION_TYPEHASH, revocation))), signatures);
        _revoke(revocation.period, revocation.id);
    }

    /// @inheritdoc IRewardDistributor
    function rescueERC20(address tokenAddress, address to, uint256 amount) external onlyRole(DEFAULT_ADMIN_ROLE) {
        uint256 balance = IERC20(tokenAddress).balanceOf(address(this));
        if (amount > balance) revert RescueExceedsSurplus(tokenAddress, balance, amount);
        emit TokensRescued(tokenAddress, to, amount);
        IERC20(tokenAddress).safeTransfer(to, amount);
    }

    // ------------------------------------------------------------------ epochs

    /// @inheritdoc IRewardDistributor
    function publishEpoch(EpochRoot calldata epochRoot, bytes calldata signatures) external whenNotPaused {
        bytes32 root = epochRoot.root;
        uint64 periodAndEpoch = (uint64(epochRoot.period) << 32) | epochRoot.epoch;
        if (root == bytes32(0)) revert InvalidEpochRoot();
        if (_epochs[root].claimDeadline != 0 || _epochRoots[periodAndEpoch] != bytes32(0)) {
            revert EpochAlreadyPublished(epochRoot.period, epochRoot.epoch, root);
        }
        if (epochRoot.claimDeadline <= block.timestamp || epochRoot.claimDeadline > type(uint40).max) {
            revert InvalidClaimDeadline(epochRoot.claimDeadline);
        }
        if (epochRoot.total > type(uint96).max) revert EpochTotalTooLarge(epochRoot.total);
        _verify(_epochRootDigest(epochRoot), signatures);

        Period storage p = _periods[epochRoot.period];
        if (p.budgetZon == 0) revert PolicyNotPublished(epochRoot.period);
        uint256 committed = p.committed + epochRoot.total;
        uint256 budget = uint256(p.budgetZon) * 1e18;
        if (committed > budget) revert PeriodBudgetExceeded(epochRoot.period, budget, p.committed, epochRoot.total);
        p.committed = uint96(committed);
        _epochs[root] = Epoch({
            remaining: uint96(epochRoot.total),
            period: epochRoot.period,
            claimDeadline: uint40(epochRoot.claimDeadline),
            released: false
        });
        _epochRoots[periodAndEpoch] = root;
        emit EpochPublished(
            root,
            epochRoot.period,
            epochRoot.epoch,
            epochRoot.total,
            epochRoot.leafCount,
            epochRoot.claimDeadline
        );
    }

    /// @inheritdoc IRewardDistributor
    function claimEpoch(
        bytes32 root,
        uint256 index,
        address beneficiary,
        bytes32 customerId,
        uint8 category,
        uint256 usageCents,
        bytes32[] calldata proof
    ) external whenNotPaused returns (uint256 reward) {
        Epoch storage epoch = _epochs[root];
        uint64 claimDeadline = epoch.claimDeadline;
        if (claimDeadline == 0) revert UnknownEpoch(root);
        if (block.timestamp > claimDeadline) revert EpochClaimWindowClosed(root, claimDeadline);
        _useEpochLeaf(root, index, _epochLeaf(index, beneficiary, customerId, category, usageCents), proof);
        uint32 period = epoch.period;
        reward = _reward(_periods[period], period, category, usageCents);
        uint256 remaining = epoch.remaining;
        if (reward > remaining) revert EpochOverdrawn(root, remaining, reward);
        epoch.remaining = uint96(remaining - reward);
        emit EpochClaimed(root, index, beneficiary, reward);
        token.mint(beneficiary, reward);
    }

    /// @inheritdoc IRewardDistributor
    function releaseEpoch(bytes32 root) external {
        Epoch storage epoch = _epochs[root];
        uint64 claimDeadline = epoch.claimDeadline;
        if (claimDeadline == 0) revert UnknownEpoch(root);
        if (block.timestamp <= claimDeadline) revert EpochClaimWindowOpen(root, claimDeadline);
        if (epoch.released) revert EpochAlreadyReleased(root);
        uint96 remaining = epoch.remaining;
        uint32 period = epoch.period;
        epoch.remaining = 0;
        epoch.released = true;
        _periods[period].committed -= remaining;
        emit EpochReleased(root, period, remaining);
    }

    // ------------------------------------------------------------------ operations

    /// @notice Pauses claims and epoch publication.
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @notice Lifts the pause.
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IRewardDistributor
    function attestationStatus(uint32 period, uint64 id) external view returns (bool claimed, bool revoked) {
        uint256 key = _key(period, id);
        revoked = _revoked.get(key);
        claimed = !revoked && _consumed.get(key);
    }

    /// @inheritdoc IRewardDistributor
    function rewardFor(uint32 period, uint8 category, uint256 usageCents) external view returns (uint256) {
        return _reward(_periods[period], period, category, usageCents);
    }

    /// @inheritdoc IRewardDistributor
    function periodPolicy(
        uint32 period
    ) external view returns (uint256 packedRates, uint256 budget, uint256 committed) {
        Period memory p = _periods[period];
        return (p.rates, uint256(p.budgetZon) * 1e18, p.committed);
    }

    /// @inheritdoc IRewardDistributor
    function isEpochLeafClaimed(bytes32 root, uint256 index) external view returns (bool) {
        return _epochClaimed[root].get(index);
    }

    /// @inheritdoc IRewardDistributor
    function threshold() external view returns (uint256) {
        return _threshold;
    }

    /// @inheritdoc IRewardDistributor
    function attestorCount() external view returns (uint256) {
        return _attestorCount;
    }

    /// @inheritdoc IRewardDistributor
    function isAttestor(address account) external view returns (bool) {
        return _isAttestor[account];
    }

    /// @notice The epoch published under `root`.
    /// @param root The epoch root.
    /// @return remaining Reserved and not yet claimed, in ZON wei.
    /// @return period Its billing period.
    /// @return claimDeadline Its claim deadline (zero: unknown root).
    /// @return released Whether its remainder was released.
    function epochOf(
        bytes32 root
    ) external view returns (uint256 remaining, uint32 period, uint64 claimDeadline, bool released) {
        Epoch memory e = _epochs[root];
        return (e.remaining, e.period, e.claimDeadline, e.released);
    }

    /// @notice The root published for `period`'s epoch number `epoch` (zero if none).
    /// @param period Billing period.
    /// @param epoch Epoch number within the period.
    /// @return The root.
    function epochRootOf(uint32 period, uint32 epoch) external view returns (bytes32) {
        return _epochRoots[(uint64(period) << 32) | epoch];
    }

    // ------------------------------------------------------------------ internals

    function _key(uint32 period, uint64 id) private pure returns (uint256) {
        return (uint256(period) << 64) | id;
    }

    /// @dev Only ids of a period with a published policy: no one pre-blocks a future period's ids.
    function _revoke(uint32 period, uint64 id) private {
        if (_periods[period].budgetZon == 0) revert PolicyNotPublished(period);
        uint256 key = _key(period, id);
        if (_revoked.get(key)) revert AttestationIsRevoked(period, id);
        if (_consumed.get(key)) revert AttestationAlreadyClaimed(period, id);
        _consumed.set(key);
        _revoked.set(key);
        emit AttestationRevoked(period, id, msg.sender);
    }

    function _attestationDigest(UsageAttestation calldata a) private view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(USAGE_ATTESTATION_TYPEHASH, a)));
    }

    function _epochRootDigest(EpochRoot calldata e) private view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(EPOCH_ROOT_TYPEHASH, e)));
    }

    /// @dev Accepts a bundle of 65-byte signatures with signers strictly ascending, every one a current
    /// attestor, at least `_threshold` of them; anything else reverts naming the offending signature.
    function _verify(bytes32 digest, bytes calldata signatures) private view {
        uint256 length = signatures.length;
        if (length == 0 || length % SIGNATURE_LENGTH != 0) revert InvalidSignatureLength(length);
        uint256 count = length / SIGNATURE_LENGTH;
        address previous;
        for (uint256 i; i < count; ++i) {
            (address signer, ECDSA.RecoverError error, ) = ECDSA.tryRecoverCalldata(
                digest,
                signatures[i * SIGNATURE_LENGTH:(i + 1) * SIGNATURE_LENGTH]
            );
            if (error != ECDSA.RecoverError.NoError) revert InvalidSignature(i);
            if (signer <= previous) revert SignersNotAscending(i, signer);
            if (!_isAttestor[signer]) revert NotAttestor(i, signer);
            previous = signer;
        }
        if (count < _threshold) revert BelowThreshold(count, _threshold);
    }

    function _reward(
        Period storage p,
        uint32 period,
        uint8 category,
        uint256 usageCents
    ) private view returns (uint256) {
        if (p.budgetZon == 0) revert PolicyNotPublished(period);
        if (category >= CATEGORY_COUNT) revert UnknownCategory(category);
        if (usageCents > type(uint64).max) revert UsageOutOfRange(usageCents);
        uint256 rate = (uint256(p.rates) >> (16 * uint256(category))) & 0xffff;
        return (usageCents * weiPerCent * rate) / BPS;
    }

    /// @dev OpenZeppelin StandardMerkleTree leaf: double keccak of the ABI-encoded values.
    function _epochLeaf(
        uint256 index,
        address beneficiary,
        bytes32 customerId,
        uint8 category,
        uint256 usageCents
    ) private pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(index, beneficiary, customerId, category, usageCents))));
    }

    function _useEpochLeaf(bytes32 root, uint256 index, bytes32 leaf, bytes32[] calldata proof) private {
        BitMaps.BitMap storage claimed = _epochClaimed[root];
        if (claimed.get(index)) revert EpochLeafAlreadyClaimed(root, index);
        if (!MerkleProof.verifyCalldata(proof, root, leaf)) revert InvalidProof(root, index);
        claimed.set(index);
    }

    function _emitClaimed(UsageAttestation calldata a, uint256 reward) private {
        emit AttestationClaimed(a.period, a.id, a.beneficiary, a.customerId, a.category, a.usageCents, reward);
    }
}

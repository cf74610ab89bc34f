// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title RewardDistributor: types, events, custom errors and external functions.
interface IRewardDistributor {
    /// @notice The billing backend's statement that `beneficiary` spent `usageCents` on `category` in `period`.
    /// @dev `id` is a per-period sequence; see `RewardDistributor` for the replay-protection scheme.
    struct UsageAttestation {
        address beneficiary;
        bytes32 customerId;
        uint32 period;
        uint8 category;
        uint64 usageCents;
        uint64 id;
        uint64 deadline;
    }

    /// @notice The attestors' statement that attestation `period`/`id` must never mint (billing correction).
    struct Revocation {
        uint32 period;
        uint64 id;
    }

    /// @notice A Merkle epoch: a whole period's rewards as one root, `total` reserved from the budget.
    struct EpochRoot {
        uint32 period;
        uint32 epoch;
        bytes32 root;
        uint128 total;
        uint64 leafCount;
        uint64 claimDeadline;
    }

    /// @notice Why a batch item was skipped rather than minted.
    enum SkipReason {
        None,
        AlreadyClaimed,
        Revoked,
        Expired,
        OverBudget,
        CannotReceive // the beneficiary is frozen, or not allowlisted in allowlist mode; the item stays open
    }

    // ---------------------------------------------------------------- errors

    /// @notice No policy was published for `period`, so nothing can be claimed for it.
    error PolicyNotPublished(uint32 period);
    /// @notice `period` already has a policy: its rates never change.
    error PolicyAlreadyPublished(uint32 period);
    /// @notice A policy needs a non-zero budget (in whole ZON).
    error InvalidBudget(uint32 period, uint256 budgetZon);
    /// @notice A period's budget may only be raised: `budgetZon` is not above `currentBudgetZon`.
    error BudgetNotRaised(uint32 period, uint256 currentBudgetZon, uint256 budgetZon);
    /// @notice Minting `requested` more for `period` would pass its budget `budget` (wei); `committed` is used.
    error PeriodBudgetExceeded(uint32 period, uint256 budget, uint256 committed, uint256 requested);
    /// @notice A packed rates word has bits above the eight 16-bit rates, or a rate above 10,000 bps.
    error InvalidRates(uint256 packedRates);
    /// @notice A usage amount above 2^64 - 1 cents.
    error UsageOutOfRange(uint256 usageCents);
    /// @notice The attestor set is full (`max` attestors).
    error TooManyAttestors(uint256 max);
    /// @notice An epoch root of zero proves nothing.
    error InvalidEpochRoot();
    /// @notice `category` is not one of the eight rate slots.
    error UnknownCategory(uint8 category);
    /// @notice The attestation `period`/`id` expired at `deadline`.
    error AttestationExpired(uint32 period, uint64 id, uint64 deadline);
    /// @notice The attestation `period`/`id` was already claimed.
    error AttestationAlreadyClaimed(uint32 period, uint64 id);
    /// @notice The attestation `period`/`id` was revoked.
    error AttestationIsRevoked(uint32 period, uint64 id);
    /// @notice The signature bundle is not a whole number of 65-byte signatures.
    error InvalidSignatureLength(uint256 length);
    /// @notice Signature `index` of the bundle does not recover to a signer.
    error InvalidSignature(uint256 index);
    /// @notice Signature `index` recovers to `signer`, which is not a current attestor.
    error NotAttestor(uint256 index, address signer);
    /// @notice Signature `index` recovers to `signer`, not above the previous signer: duplicate or unordered.
    error SignersNotAscending(uint256 index, address signer);
    /// @notice The bundle holds `given` valid signatures; the threshold is `threshold`.
    error BelowThreshold(uint256 given, uint256 threshold);
    /// @notice `account` is already an attestor.
    error AlreadyAttestor(address account);
    /// @notice `account` is not a valid attestor to add (the zero address).
    error InvalidAttestor(address account);
    /// @notice `account` is not an attestor.
    error UnknownAttestor(address account);
    /// @notice Threshold `threshold` is not between 1 and the number of attestors `attestors`.
    error InvalidThreshold(uint256 threshold, uint256 attestors);
    /// @notice Nothing to rescue: `requested` is above the balance `balance` of `token` held here.
    error RescueExceedsSurplus(address token, uint256 balance, uint256 requested);
    /// @notice The batch's arrays differ in length.
    error LengthMismatch(uint256 attestations, uint256 signatures);
    /// @notice An epoch with this root (or this period/epoch number) was already published.
    error EpochAlreadyPublished(uint32 period, uint32 epoch, bytes32 root);
    /// @notice The epoch root is unknown.
    error UnknownEpoch(bytes32 root);
    /// @notice The epoch's claim deadline `claimDeadline` is not in the future (or does not fit 40 bits).
    error InvalidClaimDeadline(uint64 claimDeadline);
    /// @notice The epoch's claim window closed at `claimDeadline`.
    error EpochClaimWindowClosed(bytes32 root, uint64 claimDeadline);
    /// @notice The epoch's claim window is open until `claimDeadline`: it cannot be released yet.
    error EpochClaimWindowOpen(bytes32 root, uint64 claimDeadline);
    /// @notice The epoch was already released.
    error EpochAlreadyReleased(bytes32 root);
    /// @notice Leaf `index` of the epoch was already claimed.
    error EpochLeafAlreadyClaimed(bytes32 root, uint256 index);
    /// @notice The proof does not prove this leaf in the epoch's tree.
    error InvalidProof(bytes32 root, uint256 index);
    /// @notice Paying `requested` would take more than the `remaining` the epoch reserved.
    error EpochOverdrawn(bytes32 root, uint256 remaining, uint256 requested);
    /// @notice The epoch's total `total` does not fit the 96-bit accounting.
    error EpochTotalTooLarge(uint256 total);

    // ---------------------------------------------------------------- events

    /// @notice The policy of `period` was published: `ratesBps` packed (category i at bits 16i), budget in ZON.
    event PolicyPublished(uint32 indexed period, uint256 packedRates, uint256 budgetZon);
    /// @notice The budget of `period` was raised to `budgetZon` whole ZON.
    event BudgetRaised(uint32 indexed period, uint256 previousBudgetZon, uint256 budgetZon);
    /// @notice An attestation was claimed: `reward` ZON wei minted to `beneficiary`.
    event AttestationClaimed(
        uint32 indexed period,
        uint64 indexed id,
        address indexed beneficiary,
        bytes32 customerId,
        uint8 category,
        uint64 usageCents,
        uint256 reward
    );
    /// @notice A batch item was skipped (a relayer may retry the batch safely).
    event AttestationSkipped(uint32 indexed period, uint64 indexed id, SkipReason reason);
    /// @notice The attestation `period`/`id` was revoked before being claimed, by the admin or by k attestors'
    /// signatures that `by` submitted.
    event AttestationRevoked(uint32 indexed period, uint64 indexed id, address indexed by);
    /// @notice `amount` of `token`, sent to the distributor by mistake (it never holds tokens it owes), went to `to`.
    event TokensRescued(address indexed token, address indexed to, uint256 amount);
    /// @notice `account` joined the attestor set.
    event AttestorAdded(address indexed account);
    /// @notice `account` left the attestor set.
    event AttestorRemoved(address indexed account);
    /// @notice The signature threshold changed from `previous` to `threshold`.
    event ThresholdChanged(uint256 previous, uint256 threshold);
    /// @notice An epoch was published, reserving `total` from the period's budget.
    event EpochPublished(
        bytes32 indexed root,
        uint32 indexed period,
        uint32 epoch,
        uint256 total,
        uint64 leafCount,
        uint64 claimDeadline
    );
    /// @notice Leaf `index` of epoch `root` was claimed: `reward` minted to `beneficiary`.
    event EpochClaimed(bytes32 indexed root, uint256 indexed index, address indexed beneficiary, uint256 reward);
    /// @notice The unclaimed `released` of epoch `root` went back to the period's budget (never minted).
    event EpochReleased(bytes32 indexed root, uint32 indexed period, uint256 released);

    // ---------------------------------------------------------------- policy

    /// @notice Publishes `period`'s cashback rates and mint budget; rates can never change afterwards.
    /// @param period Billing period (e.g. 202611).
    /// @param packedRates Eight 16-bit rates in basis points, category i at bits 16i (upper half zero).
    /// @param budgetZon Most the period may mint, in whole ZON.
    function publishPolicy(uint32 period, uint256 packedRates, uint256 budgetZon) external;

    /// @notice Raises `period`'s mint budget (never lowers it, never touches the rates).
    /// @param period Billing period.
    /// @param budgetZon The new budget in whole ZON, above the current one.
    function raiseBudget(uint32 period, uint256 budgetZon) external;

    // ---------------------------------------------------------------- attestors

    /// @notice Adds `account` to the attestor set.
    /// @param account The attestor's signing address.
    function addAttestor(address account) external;

    /// @notice Removes `account` from the attestor set; its signatures stop counting at once.
    /// @param account The attestor to remove.
    function removeAttestor(address account) external;

    /// @notice Sets how many distinct attestors must sign (k of n).
    /// @param threshold k, between 1 and the number of attestors.
    function setThreshold(uint256 threshold) external;

    // ---------------------------------------------------------------- claims

    /// @notice Mints the reward of one attestation to its beneficiary.
    /// @param attestation The attestation.
    /// @param signatures k or more 65-byte signatures, concatenated, signers strictly ascending.
    /// @return reward The ZON wei minted.
    function claim(UsageAttestation calldata attestation, bytes calldata signatures) external returns (uint256 reward);

    /// @notice Mints many attestations in one transaction; claimed, revoked, expired or over-budget items,
    /// and items whose beneficiary cannot receive ZON now (frozen, or not allowlisted in allowlist mode), are
    /// skipped with an `AttestationSkipped` event. An invalid signature bundle reverts the batch.
    /// @param attestations The attestations.
    /// @param signatures One signature bundle per attestation.
    /// @return minted Total ZON wei minted.
    function claimBatch(
        UsageAttestation[] calldata attestations,
        bytes[] calldata signatures
    ) external returns (uint256 minted);

    /// @notice The admin revokes an unclaimed attestation of a period with a published policy.
    /// @param period Billing period.
    /// @param id The attestation id.
    function revoke(uint32 period, uint64 id) external;

    /// @notice Revokes an unclaimed attestation on the word of k attestors, as issuance needs: anyone may
    /// submit the signatures over the EIP-712 `Revocation`.
    /// @param revocation The period and id.
    /// @param signatures k or more attestor signatures, signers ascending.
    function revokeWithSignatures(Revocation calldata revocation, bytes calldata signatures) external;

    /// @notice The admin sends tokens held by mistake to `to` (the distributor mints; it never holds ZON).
    /// @param token The token.
    /// @param to Recipient.
    /// @param amount Amount, at most the balance held.
    function rescueERC20(address token, address to, uint256 amount) external;

    // ---------------------------------------------------------------- epochs

    /// @notice Publishes a signed epoch root, reserving its total from the period's budget.
    /// @param epochRoot The root, period, epoch number, total, leaf count and claim deadline.
    /// @param signatures k or more attestor signatures over the EIP-712 `EpochRoot`.
    function publishEpoch(EpochRoot calldata epochRoot, bytes calldata signatures) external;

    /// @notice Claims leaf `index` of epoch `root` for `beneficiary` (anyone may submit).
    /// @param root The epoch root.
    /// @param index Leaf index.
    /// @param beneficiary Who receives the reward.
    /// @param customerId Salted hash of the cloud account.
    /// @param category Service category.
    /// @param usageCents Spend in US cents.
    /// @param proof Merkle proof (OpenZeppelin StandardMerkleTree).
    /// @return reward The ZON wei minted.
    function claimEpoch(
        bytes32 root,
        uint256 index,
        address beneficiary,
        bytes32 customerId,
        uint8 category,
        uint256 usageCents,
        bytes32[] calldata proof
    ) external returns (uint256 reward);

    /// @notice After the claim deadline, returns the epoch's unclaimed remainder to the period budget.
    /// @param root The epoch root.
    function releaseEpoch(bytes32 root) external;

    // ---------------------------------------------------------------- views

    /// @notice Whether attestation `period`/`id` was claimed or revoked.
    /// @param period Billing period.
    /// @param id Attestation id.
    /// @return claimed True if claimed.
    /// @return revoked True if revoked.
    function attestationStatus(uint32 period, uint64 id) external view returns (bool claimed, bool revoked);

    /// @notice The reward the policy gives `usageCents` of `category` in `period`.
    /// @param period Billing period (its policy must be published).
    /// @param category Service category.
    /// @param usageCents Spend in US cents.
    /// @return The reward in ZON wei.
    function rewardFor(uint32 period, uint8 category, uint256 usageCents) external view returns (uint256);

    /// @notice `period`'s packed rates, budget (wei), and what is committed (minted plus reserved).
    /// @param period Billing period.
    /// @return packedRates Eight 16-bit rates.
    /// @return budget Budget in ZON wei.
    /// @return committed Minted plus reserved by open epochs, in ZON wei.
    function periodPolicy(uint32 period) external view returns (uint256 packedRates, uint256 budget, uint256 committed);

    /// @notice Whether leaf `index` of epoch `root` was claimed.
    /// @param root Epoch root.
    /// @param index Leaf index.
    /// @return True if claimed.
    function isEpochLeafClaimed(bytes32 root, uint256 index) external view returns (bool);

    /// @notice The attestor signature threshold k.
    /// @return k.
    function threshold() external view returns (uint256);

    /// @notice The number of attestors n.
    /// @return n.
    function attestorCount() external view returns (uint256);

    /// @notice Whether `account` is an attestor.
    /// @param account The account.
    /// @return True if it is an attestor.
    function isAttestor(address account) external view returns (bool);
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @notice Test helper: a one-owner contract wallet, as a Safe is to the token: it signs through ERC-1271
/// (a signature is valid when its owner signed the digest) and executes what its owner sends.
contract TestWallet is IERC1271 {
    /// @notice The key that controls the wallet.
    address public immutable owner;

    /// @notice Only the owner may execute.
    error NotOwner(address caller);
    /// @notice The call at `to` failed.
    error CallFailed(address to, bytes reason);

    /// @param owner_ The controlling key.
    constructor(address owner_) {
        owner = owner_;
    }

    /// @inheritdoc IERC1271
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address signer, ECDSA.RecoverError error, ) = ECDSA.tryRecover(hash, signature);
        return error == ECDSA.RecoverError.NoError && signer == owner ? this.isValidSignature.selector : bytes4(0);
    }

    /// @notice Executes a call from the wallet (what a Safe does with a batch's transactions).
    /// @param to Target.
    /// @param value Native value.
    /// @param data Calldata.
    function execute(address to, uint256 value, bytes calldata data) external returns (bytes memory) {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, bytes memory result) = to.call{value: value}(data);
        if (!ok) revert CallFailed(to, result);
        return result;
    }
}

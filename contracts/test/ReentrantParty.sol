// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ITokenReceiver} from "./HookToken.sol";

/// @notice Test party (buyer or seller) that is a contract: it acts through `execute`, and when it is
/// paid it makes one planned call back into the escrow, records how that call ended, and lets the
/// payment that triggered it complete.
contract ReentrantParty is ITokenReceiver {
    /// @notice The contract the planned re-entry calls.
    address public reentryTarget;
    /// @notice Calldata of the planned re-entry; empty once it was made.
    bytes public reentry;
    /// @notice Whether the re-entry was made.
    bool public attempted;
    /// @notice Whether the re-entry succeeded.
    bool public succeeded;
    /// @notice What the re-entry returned or reverted with.
    bytes public outcome;

    /// @notice Emitted when the planned re-entry has been made.
    /// @param succeeded Whether it succeeded.
    /// @param outcome Its return or revert data.
    event Reentered(bool succeeded, bytes outcome);

    /// @notice Calls `to` with `data` as this party, bubbling up a revert.
    /// @param to Contract to call.
    /// @param data Calldata.
    function execute(address to, bytes calldata data) external {
        (bool ok, bytes memory ret) = to.call(data);
        if (!ok) {
            // solhint-disable-next-line no-inline-assembly
            assembly ("memory-safe") {
                revert(add(ret, 32), mload(ret))
            }
        }
    }

    /// @notice Plans the call made when this party is next paid.
    /// @param to Contract to call.
    /// @param data Calldata.
    function planReentry(address to, bytes calldata data) external {
        reentryTarget = to;
        reentry = data;
    }

    /// @inheritdoc ITokenReceiver
    function onTokenReceived(address, uint256) external {
        if (reentry.length == 0) return;
        bytes memory data = reentry;
        delete reentry;
        attempted = true;
        (succeeded, outcome) = reentryTarget.call(data);
        emit Reentered(succeeded, outcome);
    }
}

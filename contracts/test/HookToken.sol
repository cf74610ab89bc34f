// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice Receives a `HookToken` hook when it is credited.
interface ITokenReceiver {
    /// @notice Called after `value` was credited to the receiver by a transfer from `from`.
    /// @param from The sender.
    /// @param value The amount credited.
    function onTokenReceived(address from, uint256 value) external;
}

/// @notice Test token that calls the receivers that registered for it, as ERC-777 tokens do: the re-entry
/// a hook-free ZonCoin never offers, used to attack the escrow's checks-effects-interactions.
contract HookToken is ERC20 {
    /// @notice Accounts called on every credit.
    mapping(address account => bool) public hooked;

    constructor() ERC20("Hook", "HOOK") {}

    /// @notice Registers `account` for the receive hook.
    /// @param account The receiver.
    function registerHook(address account) external {
        hooked[account] = true;
    }

    /// @notice Mints `value` to `to` (test set-up only).
    /// @param to Recipient.
    /// @param value Amount.
    function mint(address to, uint256 value) external {
        _mint(to, value);
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (from != address(0) && hooked[to]) ITokenReceiver(to).onTokenReceived(from, value);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @notice Plain OpenZeppelin ERC-20 with permit: the gas baseline of the bench and the reference the
/// ERC-20 conformance suite runs against next to ZonCoin.
contract BaselineToken is ERC20, ERC20Permit, Ownable {
    /// @param owner_ The only account allowed to mint.
    constructor(address owner_) ERC20("Baseline", "BASE") ERC20Permit("Baseline") Ownable(owner_) {}

    /// @notice Mints `amount` to `to`.
    /// @param to Recipient.
    /// @param amount Amount in wei.
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }
}

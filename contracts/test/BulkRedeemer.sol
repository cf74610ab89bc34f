// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IRedemptionGateway} from "../interfaces/IRedemptionGateway.sol";

/// @notice Bench helper: a business that makes many redemption requests in one transaction, so that the
/// load bench can put a history of 100,000 settled requests behind the fulfilment worker quickly.
contract BulkRedeemer {
    /// @notice The gateway redeemed at.
    IRedemptionGateway public immutable gateway;

    /// @param token The ZON token (the gateway may take all of this contract's ZON).
    /// @param gateway_ The redemption gateway.
    constructor(IERC20 token, IRedemptionGateway gateway_) {
        gateway = gateway_;
        token.approve(address(gateway_), type(uint256).max);
    }

    /// @notice Makes `count` requests of one unit of `sku`, each at most `price` ZON wei.
    function redeemMany(uint32 sku, uint256 price, uint256 count) external {
        for (uint256 i; i < count; ++i) gateway.redeem(sku, 1, price, bytes32(i));
    }
}

import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * ZonCoin, deployed with the deployer as its first admin so that the suite module can wire the roles;
 * the suite then hands the admin role to governance (two-step, with the delay).
 */
export default buildModule("Token", (m) => {
  const deployer = m.getAccount(0);
  const adminTransferDelay = m.getParameter<number>("adminTransferDelay");
  const maxSupply = m.getParameter<bigint>("maxSupply");
  const token = m.contract("ZonCoin", [deployer, adminTransferDelay, maxSupply]);
  return { token };
});

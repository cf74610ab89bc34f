import { id, ZeroHash } from "ethers";

/** Role identifiers of the suite's contracts (keccak256 of the role name, as the contracts define them). */
export const ROLES = {
  DEFAULT_ADMIN: ZeroHash,
  MINTER_ADMIN: id("MINTER_ADMIN_ROLE"),
  PAUSER: id("PAUSER_ROLE"),
  COMPLIANCE: id("COMPLIANCE_ROLE"),
  RECOVERY: id("RECOVERY_ROLE"),
  FORCED_TRANSFER: id("FORCED_TRANSFER_ROLE"),
  POLICY: id("POLICY_ROLE"),
  CATALOGUE: id("CATALOGUE_ROLE"),
  FULFILLER: id("FULFILLER_ROLE"),
  ESCROW_PAUSER: id("PAUSER_ROLE"),
} as const;

import { Contract, ZeroAddress, type Provider } from "ethers";

/** The part of OpenZeppelin's AccessControlDefaultAdminRules that the two-step hand-over uses. */
export const DEFAULT_ADMIN_RULES_ABI = [
  "function defaultAdmin() view returns (address)",
  "function defaultAdminDelay() view returns (uint48)",
  "function pendingDefaultAdmin() view returns (address newAdmin, uint48 schedule)",
  "function acceptDefaultAdminTransfer()",
] as const;

/** Where the default admin of one contract stands. */
export interface AdminState {
  name: string;
  address: string;
  admin: string;
  /** The account offered the role, or the zero address when no transfer is pending. */
  pending: string;
  /** When the pending account may accept (seconds since the epoch); zero without a transfer. */
  acceptableFrom: bigint;
  delay: bigint;
}

/** Reads the admin state of each named contract; a name whose address holds no code is refused. */
export async function readAdminStates(
  provider: Provider,
  contracts: Record<string, string>,
): Promise<AdminState[]> {
  return Promise.all(
    Object.entries(contracts).map(async ([name, address]) => {
      if ((await provider.getCode(address)) === "0x")
        throw new Error(`${name}: no contract at ${address} on this chain (a stale deployment record?)`);
      const c = new Contract(address, DEFAULT_ADMIN_RULES_ABI, provider);
      const [admin, [pending, acceptableFrom], delay] = await Promise.all([
        c.defaultAdmin() as Promise<string>,
        c.pendingDefaultAdmin() as Promise<[string, bigint]>,
        c.defaultAdminDelay() as Promise<bigint>,
      ]);
      return { name, address, admin, pending, acceptableFrom, delay };
    }),
  );
}

/**
 * Which contracts `account` can take the admin role of at time `now` (a block timestamp), and which it
 * already holds. Throws, naming the contract, when any of them is not offered to `account`, or not yet
 * acceptable: nothing is accepted unless everything can be.
 */
export function planAdminAcceptance(
  states: AdminState[],
  account: string,
  now: bigint,
): { accept: AdminState[]; alreadyAdmin: AdminState[] } {
  const accept: AdminState[] = [];
  const alreadyAdmin: AdminState[] = [];
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  for (const s of states) {
    if (same(s.pending, account)) {
      // OpenZeppelin accepts once the schedule is strictly in the past; the next block is later than `now`.
      if (s.acceptableFrom > now) {
        throw new Error(
          `${s.name}: the admin role offered to ${account} can be accepted from ` +
            `${new Date(Number(s.acceptableFrom) * 1000).toISOString()} (${s.acceptableFrom - now} s from now)`,
        );
      }
      accept.push(s);
    } else if (same(s.admin, account) && s.pending === ZeroAddress) {
      alreadyAdmin.push(s);
    } else {
      const offered = s.pending === ZeroAddress ? "nobody" : s.pending;
      throw new Error(
        `${s.name}: the admin role is not offered to ${account} (offered to ${offered}, admin ${s.admin})`,
      );
    }
  }
  return { accept, alreadyAdmin };
}

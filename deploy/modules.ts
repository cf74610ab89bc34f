import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { ROLES } from "../src";
import type { SuiteParameters } from "./parameters";

/*
 * Hardhat Ignition modules, one per domain plus the suite, built from validated parameters
 * (`deploy/parameters.ts`). The deployer deploys every contract as their first admin, wires the roles,
 * then starts the two-step admin transfer to governance, which accepts after the delay.
 */

type Module = ReturnType<typeof buildTokenModule>;
const cache = new WeakMap<SuiteParameters, Map<string, unknown>>();

function memo<T>(p: SuiteParameters, key: string, build: () => T): T {
  const byParams = cache.get(p) ?? new Map<string, unknown>();
  cache.set(p, byParams);
  if (!byParams.has(key)) byParams.set(key, build());
  return byParams.get(key) as T;
}

function buildTokenModule(p: SuiteParameters) {
  return buildModule("Token", (m) => {
    const deployer = m.getAccount(0);
    const token = m.contract("ZonCoin", [deployer, p.adminTransferDelay, p.maxSupply]);
    m.call(token, "grantRole", [ROLES.PAUSER, p.pauser], { id: "grantPauser" });
    m.call(token, "grantRole", [ROLES.COMPLIANCE, p.compliance], { id: "grantCompliance" });
    m.call(token, "grantRole", [ROLES.RECOVERY, p.enforcement.recoveryOfficer], { id: "grantRecovery" });
    m.call(token, "grantRole", [ROLES.FORCED_TRANSFER, p.enforcement.forcedTransferOfficer], {
      id: "grantForcedTransfer",
    });
    // The deployer is still the admin here; a zero delay is the contract's default and cannot be set again.
    if (p.enforcement.delay > 0n)
      m.call(token, "setEnforcementDelay", [p.enforcement.delay], { id: "setEnforcementDelay" });
    return { token };
  });
}

export function tokenModule(p: SuiteParameters): Module {
  return memo(p, "token", () => buildTokenModule(p));
}

export function rewardsModule(p: SuiteParameters) {
  return memo(p, "rewards", () =>
    buildModule("Rewards", (m) => {
      const deployer = m.getAccount(0);
      const { token } = m.useModule(tokenModule(p));
      const distributor = m.contract("RewardDistributor", [
        token,
        p.rewards.weiPerCent,
        deployer,
        p.adminTransferDelay,
      ]);
      const added = p.rewards.attestors.map((a, i) =>
        m.call(distributor, "addAttestor", [a], { id: `addAttestor${i}` }),
      );
      m.call(distributor, "setThreshold", [p.rewards.threshold], { after: added });
      m.call(distributor, "grantRole", [ROLES.POLICY, p.rewards.policyOfficer], { id: "grantPolicy" });
      m.call(distributor, "grantRole", [ROLES.PAUSER, p.pauser], { id: "grantPauser" });
      // The distributor is the cashback minter, bounded by its allowance.
      const minterAdmin = m.call(token, "grantRole", [ROLES.MINTER_ADMIN, deployer], {
        id: "grantMinterAdminToDeployer",
      });
      const configured = m.call(token, "configureMinter", [distributor, p.rewards.minterAllowance], {
        after: [minterAdmin],
      });
      // Renounce before granting, so that the role ends with governance even when governance deploys.
      const renounced = m.call(token, "renounceRole", [ROLES.MINTER_ADMIN, deployer], {
        id: "renounceMinterAdmin",
        after: [configured],
      });
      m.call(token, "grantRole", [ROLES.MINTER_ADMIN, p.governance], {
        id: "grantMinterAdminToGovernance",
        after: [renounced],
      });
      return { distributor };
    }),
  );
}

export function redemptionModule(p: SuiteParameters) {
  return memo(p, "redemption", () =>
    buildModule("Redemption", (m) => {
      const deployer = m.getAccount(0);
      const { token } = m.useModule(tokenModule(p));
      const gateway = m.contract("RedemptionGateway", [
        token,
        deployer,
        p.adminTransferDelay,
        p.redemption.fulfilmentTimeout,
        p.redemption.acceptanceWindow,
      ]);
      m.call(gateway, "grantRole", [ROLES.FULFILLER, p.redemption.fulfiller], { id: "grantFulfiller" });
      m.call(gateway, "grantRole", [ROLES.PAUSER, p.pauser], { id: "grantPauser" });
      const catalogueToDeployer = m.call(gateway, "grantRole", [ROLES.CATALOGUE, deployer], {
        id: "grantCatalogueToDeployer",
      });
      const listed = p.redemption.catalogue.map((item) =>
        m.call(
          gateway,
          "setSku",
          [
            item.sku,
            {
              kind: item.kind,
              price: item.price,
              limitedStock: item.limitedStock,
              stock: item.stock,
              perAccountLimit: item.perAccountLimit,
              active: item.active,
            },
          ],
          {
            id: `setSku${item.sku}`,
            after: [catalogueToDeployer],
          },
        ),
      );
      const renounced = m.call(gateway, "renounceRole", [ROLES.CATALOGUE, deployer], {
        id: "renounceCatalogue",
        after: listed,
      });
      m.call(gateway, "grantRole", [ROLES.CATALOGUE, p.redemption.catalogueManager], {
        id: "grantCatalogue",
        after: [renounced],
      });
      return { gateway };
    }),
  );
}

export function escrowModule(p: SuiteParameters) {
  return memo(p, "escrow", () =>
    buildModule("Escrow", (m) => {
      const deployer = m.getAccount(0);
      const { token } = m.useModule(tokenModule(p));
      const escrow = m.contract("B2BEscrow", [
        token,
        deployer,
        p.adminTransferDelay,
        p.escrow.treasury,
        p.escrow.feeBps,
      ]);
      m.call(escrow, "grantRole", [ROLES.PAUSER, p.pauser], { id: "grantPauser" });
      return { escrow };
    }),
  );
}

/** The whole suite; the admin of every contract is then offered to governance (two-step, delayed). */
export function suiteModule(p: SuiteParameters) {
  return memo(p, "suite", () =>
    buildModule("ZonCoinSuite", (m) => {
      const { token } = m.useModule(tokenModule(p));
      const { distributor } = m.useModule(rewardsModule(p));
      const { gateway } = m.useModule(redemptionModule(p));
      const { escrow } = m.useModule(escrowModule(p));
      // The contracts that hold ZON owed to their books: no recovery or forced transfer may touch them.
      const custodians = [
        ["Rewards", distributor],
        ["Redemption", gateway],
        ["Escrow", escrow],
      ] as const;
      const marked = custodians.map(([name, contract]) =>
        m.call(token, "setCustodian", [contract, true], { id: `custodian${name}` }),
      );
      for (const [name, contract] of [
        ["Token", token],
        ["Rewards", distributor],
        ["Redemption", gateway],
        ["Escrow", escrow],
      ] as const) {
        m.call(contract, "beginDefaultAdminTransfer", [p.governance], {
          id: `offerAdmin${name}`,
          after: name === "Token" ? marked : [],
        });
      }
      return { token, distributor, gateway, escrow };
    }),
  );
}

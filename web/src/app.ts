import { BrowserProvider, JsonRpcProvider, type Eip1193Provider, type JsonRpcSigner } from "ethers";
import {
  B2BEscrow__factory,
  RedemptionGateway__factory,
  RewardDistributor__factory,
  ZonCoin__factory,
} from "../../typechain-types";
import type { WebConfig } from "./config";

/*
 * The page's state: the deployment, a read-only provider on the chain's RPC (so that any visitor sees the
 * issuer view without a wallet), and — once connected — the wallet's signer. "Acting as a Safe" turns every
 * action into a Safe Transaction Builder file for that Safe instead of a transaction.
 */

export type Suite = ReturnType<typeof suiteAt>;

function suiteAt(config: WebConfig, runner: JsonRpcProvider | JsonRpcSigner) {
  return {
    token: ZonCoin__factory.connect(config.contracts.ZonCoin, runner),
    distributor: RewardDistributor__factory.connect(config.contracts.RewardDistributor, runner),
    gateway: RedemptionGateway__factory.connect(config.contracts.RedemptionGateway, runner),
    escrow: B2BEscrow__factory.connect(config.contracts.B2BEscrow, runner),
  };
}

export class App {
  readonly read: Suite;
  readonly provider: JsonRpcProvider;
  wallet?: { eip1193: Eip1193Provider; provider: BrowserProvider; signer: JsonRpcSigner; account: string };
  /** When set, actions are written as Safe batch files for this Safe, whose view the page shows. */
  safe?: string;
  private listeners: Array<() => void> = [];

  constructor(readonly config: WebConfig) {
    this.provider = new JsonRpcProvider(config.rpcUrl, BigInt(config.chainId), { staticNetwork: true });
    this.read = suiteAt(config, this.provider);
  }

  /** The account the views show: the Safe acted for, else the connected wallet. */
  get account(): string | undefined {
    return this.safe ?? this.wallet?.account;
  }

  /** The suite as the wallet's signer (for the transactions the wallet sends). */
  write(): Suite {
    if (!this.wallet) throw new Error("wallet: not connected; connect your wallet first");
    return suiteAt(this.config, this.wallet.signer);
  }

  /** Fee fields for the private network: zero gas price, as a legacy transaction. */
  get txOverrides(): { gasPrice?: bigint } {
    return this.config.gasPrice === "0" ? { gasPrice: 0n } : {};
  }

  onChange(listener: () => void) {
    this.listeners.push(listener);
  }

  changed() {
    for (const listener of this.listeners) listener();
  }
}

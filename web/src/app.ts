import {
  BrowserProvider,
  FetchRequest,
  JsonRpcProvider,
  type Eip1193Provider,
  type JsonRpcSigner,
} from "ethers";
import {
  B2BEscrow__factory,
  RedemptionGateway__factory,
  RewardDistributor__factory,
  ZonCoin__factory,
} from "../../typechain-types";
import type { WebConfig } from "./config";
import type { SafeInfo } from "./safe";

/*
 * The page's state: the deployment, a read-only provider on the chain's RPC (so that any visitor sees the
 * issuer view without a wallet), and — once connected — the wallet's signer. "Acting as a Safe" turns every
 * action into a Safe Transaction Builder file for that Safe instead of a transaction.
 */

export type Suite = ReturnType<typeof suiteAt>;

export interface Standing {
  paused: { token: boolean; distributor: boolean; gateway: boolean; escrow: boolean };
  frozen: boolean;
}

const CONTRACT_TITLES: Record<keyof Standing["paused"], string> = {
  token: "The ZonCoin token",
  distributor: "The cashback distributor",
  gateway: "The redemption gateway",
  escrow: "The B2B escrow",
};

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
  /** The Safe's owners and threshold, as checked on chain. */
  safeInfo?: SafeInfo;
  /** The label of the action running now (one at a time). */
  busy?: string;
  /** Whether the node stopped answering (the page retries by itself). */
  chainDown = false;
  private listeners: Array<() => void> = [];

  constructor(readonly config: WebConfig) {
    // A node that stops answering fails a read after 15 s instead of ethers' 5 minutes.
    const request = new FetchRequest(config.rpcUrl);
    request.timeout = 15_000;
    this.provider = new JsonRpcProvider(request, BigInt(config.chainId), {
      staticNetwork: true,
      pollingInterval: 1000,
    });
    this.read = suiteAt(config, this.provider);
  }

  /** The account the views show: the Safe acted for, else the connected wallet. */
  get account(): string | undefined {
    return this.safe ?? this.wallet?.account;
  }

  /** The suite's four contract addresses (for one log query over all of them). */
  get addresses(): string[] {
    const { ZonCoin, RewardDistributor, RedemptionGateway, B2BEscrow } = this.config.contracts;
    return [ZonCoin, RewardDistributor, RedemptionGateway, B2BEscrow];
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

  /** What the chain would refuse up front: which contracts are paused, whether the account is frozen. */
  async standing(): Promise<Standing> {
    const { token, distributor, gateway, escrow } = this.read;
    const account = this.account;
    const [t, d, g, e, frozen] = await Promise.all([
      token.paused(),
      distributor.paused(),
      gateway.paused(),
      escrow.paused(),
      account ? token.isFrozen(account) : false,
    ]);
    return { paused: { token: t, distributor: d, gateway: g, escrow: e }, frozen };
  }

  contractTitle(contract: keyof Standing["paused"]): string {
    return CONTRACT_TITLES[contract];
  }

  /** Whom to ask, from the portal's configuration. */
  contactLine(): string {
    return this.config.contact ? `Ask the issuer: ${this.config.contact}.` : "Ask the issuer's operators.";
  }

  /** A link to a transaction on the network's block explorer, when the configuration names one. */
  explorerLink(hash: string): { href: string; text: string } | undefined {
    if (!this.config.explorerUrl) return undefined;
    return { href: `${this.config.explorerUrl.replace(/\/+$/, "")}/tx/${hash}`, text: "view" };
  }

  onChange(listener: () => void) {
    this.listeners.push(listener);
  }

  changed() {
    for (const listener of this.listeners) listener();
  }
}

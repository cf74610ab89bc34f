/** What `npm run web` writes next to the page (`config.json`): the deployment and the chain's parameters. */
export interface WebConfig {
  network: string;
  chainId: string;
  chainName: string;
  /** The JSON-RPC URL browsers reach (also offered to wallets by wallet_addEthereumChain). */
  rpcUrl: string;
  /** "0" on the private network: transactions carry no fee. */
  gasPrice: string;
  fromBlock: number;
  /** The node's eth_getLogs range limit (Besu's --rpc-max-logs-range). */
  maxLogsRange: number;
  /** Whom a business asks about a paused contract or a frozen account (an email, a desk), if given. */
  contact?: string;
  /** The block explorer's base URL (`<url>/tx/<hash>`), if the network has one. */
  explorerUrl?: string;
  contracts: { ZonCoin: string; RewardDistributor: string; RedemptionGateway: string; B2BEscrow: string };
}

export async function loadConfig(): Promise<WebConfig> {
  const response = await fetch("./config.json", { cache: "no-store" });
  if (!response.ok)
    throw new Error(
      `config.json: not found next to the page (${response.status}); build the page with npm run web`,
    );
  return (await response.json()) as WebConfig;
}

import { BrowserProvider, getAddress, type Eip1193Provider } from "ethers";
import type { App } from "./app";

/*
 * The wallet: any EIP-1193 provider the browser injects (MetaMask, Rabby, a hardware wallet's bridge).
 * The page never asks for a key. On a wrong or unknown chain it offers the private network's parameters.
 */

declare global {
  interface Window {
    ethereum?: Eip1193Provider & {
      on?(event: string, listener: (...args: unknown[]) => void): void;
    };
  }
}

/** Wallet error code for "unrecognised chain" (EIP-3326), which calls for wallet_addEthereumChain. */
const UNKNOWN_CHAIN = 4902;

export function injectedWallet(): Eip1193Provider | undefined {
  return window.ethereum;
}

export function chainParameters(app: App) {
  return {
    // EIP-695: hex without leading zeros (wallets refuse "0x031773").
    chainId: `0x${BigInt(app.config.chainId).toString(16)}`,
    chainName: app.config.chainName,
    rpcUrls: [app.config.rpcUrl],
    // The private network charges no gas; wallets still want a native currency to show.
    nativeCurrency: { name: "Gas (free)", symbol: "GAS", decimals: 18 },
  };
}

/** The wallet's chain id, as a number. */
export async function walletChainId(eip1193: Eip1193Provider): Promise<bigint> {
  return BigInt((await eip1193.request({ method: "eth_chainId" })) as string);
}

/** Asks the wallet to switch to the private network, adding it first when the wallet does not know it. */
export async function switchToNetwork(app: App, eip1193: Eip1193Provider): Promise<void> {
  const params = chainParameters(app);
  try {
    await eip1193.request({ method: "wallet_switchEthereumChain", params: [{ chainId: params.chainId }] });
  } catch (error) {
    if ((error as { code?: number }).code !== UNKNOWN_CHAIN) throw error;
    await eip1193.request({ method: "wallet_addEthereumChain", params: [params] });
    await eip1193.request({ method: "wallet_switchEthereumChain", params: [{ chainId: params.chainId }] });
  }
}

/** Connects: asks for the account; the caller checks the chain before any action. */
export async function connect(app: App): Promise<void> {
  const eip1193 = injectedWallet();
  if (!eip1193)
    throw new Error(
      "wallet: no wallet found in this browser; install MetaMask (or another EIP-1193 wallet) and reload",
    );
  const accounts = (await eip1193.request({ method: "eth_requestAccounts" })) as string[];
  if (accounts.length === 0) throw new Error("wallet: the wallet gave no account; unlock it and try again");
  // A confirmation is looked for every second (ethers' default is 4 s; Besu makes a block every 2 s).
  const provider = new BrowserProvider(eip1193, "any", { pollingInterval: 1000 });
  const account = getAddress(accounts[0]);
  app.wallet = { eip1193, provider, signer: await provider.getSigner(account), account };
}

/**
 * Follows the wallet without a reload: another account chosen in it becomes the page's account (and its
 * views), none means disconnected; another chain re-checks the network.
 */
export function followAccounts(app: App) {
  const eip1193 = window.ethereum;
  if (!eip1193?.on || following.has(eip1193)) return;
  following.add(eip1193);
  eip1193.on("accountsChanged", (accounts: unknown) => {
    void (async () => {
      const list = Array.isArray(accounts) ? (accounts as string[]) : [];
      if (list.length === 0 || !app.wallet) app.wallet = undefined;
      else {
        const account = getAddress(list[0]);
        app.wallet = { ...app.wallet, account, signer: await app.wallet.provider.getSigner(account) };
      }
      app.changed();
    })();
  });
  eip1193.on("chainChanged", () => app.changed());
}

const following = new WeakSet<object>();

/** Whether the connected wallet is on the deployment's chain. */
export async function onRightChain(app: App): Promise<boolean> {
  if (!app.wallet) return false;
  return (await walletChainId(app.wallet.eip1193)) === BigInt(app.config.chainId);
}

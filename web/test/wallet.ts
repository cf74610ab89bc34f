/// <reference lib="dom" />
import type { Page } from "playwright-core";
import { JsonRpcProvider, Wallet, type TypedDataField } from "ethers";

/*
 * A test wallet injected into the page as `window.ethereum` (EIP-1193), backed by a test key on the local
 * chain. It can be told to be on another chain (and not know ours), or to refuse what it is asked to sign,
 * and it counts what it signed — as a user's MetaMask would behave, minus the pop-ups.
 */

export interface WalletOptions {
  /** The chain the wallet says it is on at first. */
  chainId: bigint;
  /** Chains the wallet knows (can switch to without adding). */
  knownChains: bigint[];
}

export class TestWallet {
  refuse = false;
  /** Never answers what it is asked to sign or send (a wallet whose pop-up the user walked away from). */
  hang = false;
  /** While set, signing and sending wait for it (to look at the page mid-action). */
  held?: Promise<void>;
  signatures = 0;
  transactions = 0;
  added: Array<Record<string, unknown>> = [];
  private chainId: bigint;
  private known: Set<bigint>;

  constructor(
    private key: Wallet,
    private readonly provider: JsonRpcProvider,
    options: WalletOptions,
  ) {
    this.chainId = options.chainId;
    this.known = new Set(options.knownChains);
  }

  get address() {
    return this.key.address;
  }

  use(key: Wallet) {
    this.key = key.connect(this.provider);
  }

  private async refused() {
    if (this.hang) await new Promise(() => undefined);
    await this.held;
    if (this.refuse) throw { code: 4001, message: "User rejected the request." };
  }

  /** Holds signing and sending until the returned function is called. */
  hold(): () => void {
    let release!: () => void;
    this.held = new Promise((resolve) => (release = resolve));
    return () => {
      this.held = undefined;
      release();
    };
  }

  async request(method: string, params: unknown[]): Promise<unknown> {
    switch (method) {
      case "eth_requestAccounts":
      case "eth_accounts":
        return [this.key.address];
      case "eth_chainId":
        return `0x${this.chainId.toString(16)}`;
      case "wallet_switchEthereumChain": {
        const wanted = BigInt((params[0] as { chainId: string }).chainId);
        if (!this.known.has(wanted)) throw { code: 4902, message: "Unrecognized chain ID" };
        this.chainId = wanted;
        return null;
      }
      case "wallet_addEthereumChain": {
        const chain = params[0] as Record<string, unknown>;
        this.added.push(chain);
        this.known.add(BigInt(chain.chainId as string));
        return null;
      }
      case "eth_signTypedData_v4": {
        await this.refused();
        const { domain, types, message } = JSON.parse(params[1] as string) as {
          domain: Record<string, unknown>;
          types: Record<string, TypedDataField[]>;
          message: Record<string, unknown>;
        };
        delete types.EIP712Domain;
        this.signatures++;
        return this.key.signTypedData(domain, types, message);
      }
      case "eth_sendTransaction": {
        await this.refused();
        const tx = params[0] as Record<string, string>;
        const sent = await this.key.connect(this.provider).sendTransaction({
          to: tx.to,
          data: tx.data,
          value: tx.value ?? 0,
          gasLimit: tx.gas,
          gasPrice: tx.gasPrice ?? 0,
        });
        this.transactions++;
        return sent.hash;
      }
      default:
        if (this.chainId !== BigInt((await this.provider.getNetwork()).chainId))
          throw { code: 4100, message: `the wallet is on chain ${this.chainId}` };
        return this.provider.send(method, params);
    }
  }

  /** Installs the wallet in `page` before any of its scripts run. */
  async install(page: Page) {
    await page.exposeFunction("__testWallet", async (method: string, params: unknown[]) => {
      try {
        return { result: await this.request(method, params ?? []) };
      } catch (error) {
        const e = error as {
          code?: number;
          message?: string;
          info?: { error?: { code: number; message: string; data?: string } };
        };
        const rpc = e.info?.error;
        return { error: rpc ?? { code: e.code ?? -32603, message: e.message ?? String(error) } };
      }
    });
    await page.addInitScript(() => {
      const listeners: Record<string, Array<(...args: unknown[]) => void>> = {};
      (window as unknown as { ethereum: unknown }).ethereum = {
        async request({ method, params }: { method: string; params?: unknown[] }) {
          const answer = await (
            window as unknown as {
              __testWallet(
                m: string,
                p: unknown[],
              ): Promise<{ result?: unknown; error?: { code: number; message: string; data?: string } }>;
            }
          ).__testWallet(method, params ?? []);
          if (answer.error) throw Object.assign(new Error(answer.error.message), answer.error);
          return answer.result;
        },
        on(event: string, listener: (...args: unknown[]) => void) {
          (listeners[event] ??= []).push(listener);
        },
        emit(event: string, ...args: unknown[]) {
          for (const listener of listeners[event] ?? []) listener(...args);
        },
        removeListener() {},
      };
    });
  }
}

/** Tells the page's wallet listeners that the wallet switched to `address` (as MetaMask does). */
export async function switchAccount(page: Page, wallet: TestWallet, key: Wallet) {
  wallet.use(key);
  await page.evaluate(
    (address) =>
      (window as unknown as { ethereum: { emit(e: string, a: unknown): void } }).ethereum.emit(
        "accountsChanged",
        [address],
      ),
    key.address,
  );
}

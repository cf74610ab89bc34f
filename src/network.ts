/** Chain id of the ZonCoin private network (Besu QBFT) and of its local stand-in. */
export const ZONCOIN_CHAIN_ID = 202611;

/** 60 M gas: the block gas limit of the private network's genesis (the Besu kit) and of the local chain. */
export const BLOCK_GAS_LIMIT = 60_000_000n;

const LOCAL_HOST = "127.0.0.1";
const LOCAL_PORT = 8545;
const LOCAL_BLOCK_SECONDS = 1;

/** The Besu-like local chain: anvil with the private network's chain id, no gas price, fixed blocks. */
export const BESU_LOCAL = {
  chainId: ZONCOIN_CHAIN_ID,
  /** 127.0.0.1:8545, or `BESU_LOCAL_URL` for a local chain on another port (`npm run chain -- --port N`). */
  url: process.env.BESU_LOCAL_URL ?? `http://${LOCAL_HOST}:${LOCAL_PORT}`,
  blockTimeSeconds: LOCAL_BLOCK_SECONDS,
  /** anvil's command line for this chain (on another port for tests that run their own). */
  anvilArgs(
    port: number = LOCAL_PORT,
    hardfork = "cancun",
    gasLimit: bigint = BLOCK_GAS_LIMIT,
    blockSeconds = LOCAL_BLOCK_SECONDS,
  ): string[] {
    return [
      ...["--host", LOCAL_HOST, "--port", String(port), "--chain-id", String(ZONCOIN_CHAIN_ID)],
      ...["--hardfork", hardfork, "--gas-price", "0", "--block-base-fee-per-gas", "0"],
      ...["--disable-min-priority-fee", "--block-time", String(blockSeconds)],
      // The Besu kit's genesis block gas limit (anvil's own default is half of it).
      ...["--gas-limit", String(gasLimit)],
    ];
  },
};

/** The mnemonic of Hardhat's and anvil's well-known test accounts: public, so never for a real network. */
export const TEST_MNEMONIC = "test test test test test test test test test test test junk";

/** The node behind `provider` is a local development chain (anvil, Hardhat), whatever its port or name. */
export async function isLocalNode(provider: { send(method: string, params: unknown[]): Promise<unknown> }) {
  const client = String(await provider.send("web3_clientVersion", []));
  return /^(anvil|HardhatNetwork)\//i.test(client);
}

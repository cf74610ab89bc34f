/*
 * The Besu options the kit may write into a node's config.toml, as Besu 24.12 (tag 24.12.2) names them
 * (`besu --help`: each `--name` is a TOML key `name`). One place: the kit's tests check every key it
 * writes against this list. `profile` is deliberately absent: Besu reads it from `--profile` or
 * `BESU_PROFILE` only, never from the config file.
 */
export const BESU_VERSION = "24.12.2";

export const BESU_CONFIG_OPTIONS: ReadonlySet<string> = new Set([
  "genesis-file",
  "data-path",
  "node-private-key-file",
  "sync-mode",
  "data-storage-format",
  "p2p-enabled",
  "p2p-host",
  "p2p-interface",
  "p2p-port",
  "discovery-enabled",
  "static-nodes-file",
  "max-peers",
  "min-gas-price",
  "host-allowlist",
  "rpc-http-enabled",
  "rpc-http-host",
  "rpc-http-port",
  "rpc-http-api",
  "rpc-http-cors-origins",
  "rpc-http-authentication-enabled",
  "rpc-http-authentication-credentials-file",
  "rpc-http-api-methods-no-auth",
  "rpc-max-logs-range",
  "rpc-ws-enabled",
  "rpc-ws-host",
  "rpc-ws-port",
  "rpc-ws-api",
  "permissions-nodes-config-file-enabled",
  "permissions-nodes-config-file",
  "permissions-accounts-config-file-enabled",
  "permissions-accounts-config-file",
  "metrics-enabled",
  "metrics-host",
  "metrics-port",
  "logging",
]);

/** The profile the compose file passes on Besu's command line, and the settings it requires. */
export const BESU_PROFILE = "ENTERPRISE";

/**
 * The `eth_`, `net_` and `web3_` method names Besu 24.12.2 knows (`RpcMethod.java`): Besu refuses to start
 * when `rpc-http-api-methods-no-auth` names a method outside its `RpcMethod` enum.
 */
export const BESU_PUBLIC_API_METHODS: ReadonlySet<string> = new Set([
  ..."accounts blockNumber call chainId coinbase estimateGas createAccessList feeHistory gasPrice blobBaseFee"
    .split(" ")
    .map((m) => `eth_${m}`),
  ..."getBalance getBlockByHash getBlockByNumber getBlockReceipts getBlockTransactionCountByHash"
    .split(" ")
    .map((m) => `eth_${m}`),
  ..."getBlockTransactionCountByNumber getCode getFilterChanges getFilterLogs getLogs maxPriorityFeePerGas"
    .split(" ")
    .map((m) => `eth_${m}`),
  ..."getMinerDataByBlockHash getMinerDataByBlockNumber getProof getStorageAt getTransactionByBlockHashAndIndex"
    .split(" ")
    .map((m) => `eth_${m}`),
  ..."getTransactionByBlockNumberAndIndex getTransactionByHash getTransactionCount getTransactionReceipt"
    .split(" ")
    .map((m) => `eth_${m}`),
  ..."getUncleByBlockHashAndIndex getUncleByBlockNumberAndIndex getUncleCountByBlockHash getUncleCountByBlockNumber"
    .split(" ")
    .map((m) => `eth_${m}`),
  ..."getWork hashrate mining newBlockFilter newFilter newPendingTransactionFilter protocolVersion"
    .split(" ")
    .map((m) => `eth_${m}`),
  ..."sendRawPrivateTransaction sendRawTransaction sendTransaction submitHashrate submitWork subscribe syncing"
    .split(" ")
    .map((m) => `eth_${m}`),
  "eth_uninstallFilter",
  "eth_unsubscribe",
  ..."enode listening peerCount services version".split(" ").map((m) => `net_${m}`),
  "web3_clientVersion",
]);

/**
 * What anyone reaching the RPC node may call without logging in: reading the chain, estimating, sending a
 * signed transaction, filters — what wallets (MetaMask), ethers, Hardhat's deploys and the issuer service
 * call. Not there, so behind the login: everything that changes the node (PERM, QBFT, TXPOOL) and what
 * only helps an attacker map the network (`net_enode`, `net_services`, the mining and private methods).
 */
export const PUBLIC_RPC_METHODS: readonly string[] = [
  ...["blockNumber", "call", "chainId", "estimateGas", "createAccessList", "feeHistory", "gasPrice"],
  ...["blobBaseFee", "getBalance", "getBlockByHash", "getBlockByNumber", "getBlockReceipts"],
  ...["getBlockTransactionCountByHash", "getBlockTransactionCountByNumber", "getCode", "getFilterChanges"],
  ...["getFilterLogs", "getLogs", "maxPriorityFeePerGas", "getProof", "getStorageAt"],
  ...["getTransactionByBlockHashAndIndex", "getTransactionByBlockNumberAndIndex", "getTransactionByHash"],
  ...["getTransactionCount", "getTransactionReceipt", "newBlockFilter", "newFilter"],
  ...["newPendingTransactionFilter", "sendRawTransaction", "syncing", "uninstallFilter"],
]
  .map((m) => `eth_${m}`)
  .concat(["net_version", "net_listening", "net_peerCount", "web3_clientVersion"]);

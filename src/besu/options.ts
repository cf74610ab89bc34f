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

import { subtask } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import type { HardhatUserConfig } from "hardhat/config";
import type { SolcBuild } from "hardhat/types";
import "@nomicfoundation/hardhat-toolbox";

// One pinned compiler. It comes from the `solc` npm package (WebAssembly build) so that compiling
// never downloads anything: many networks, ours included, cannot reach the compiler download site.
const SOLC_VERSION = "0.8.28";

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }): Promise<SolcBuild> => {
  if (args.solcVersion !== SOLC_VERSION) {
    throw new Error(
      `solcVersion: ${args.solcVersion} requested, but only ${SOLC_VERSION} (npm solc) is installed`,
    );
  }
  const solc = require("solc") as { version(): string };
  const longVersion = solc.version().replace(/\.Emscripten\.clang$/, "");
  if (!longVersion.startsWith(`${SOLC_VERSION}+`)) {
    throw new Error(`solc npm package: version ${longVersion} installed, ${SOLC_VERSION} expected`);
  }
  return {
    version: SOLC_VERSION,
    longVersion,
    compilerPath: require.resolve("solc/soljson.js"),
    isSolcJs: true,
  };
});

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: {
      optimizer: { enabled: true, runs: 10_000 },
      evmVersion: "cancun",
      // The storage-layout test reads this to pin the packed slots the gas design relies on.
      outputSelection: { "*": { "*": ["storageLayout"] } },
    },
  },
  networks: {
    hardhat: {
      hardfork: "cancun",
    },
  },
  gasReporter: {
    enabled: process.env.REPORT_GAS === "1",
    currency: "USD",
    offline: true,
  },
  mocha: {
    timeout: 120_000,
  },
};

export default config;

import { subtask, vars } from "hardhat/config";
import {
  TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD,
  TASK_TEST_GET_TEST_FILES,
} from "hardhat/builtin-tasks/task-names";
import type { HardhatUserConfig } from "hardhat/config";
import type { SolcBuild } from "hardhat/types";
import "@nomicfoundation/hardhat-toolbox";
import { BESU_LOCAL, ZONCOIN_CHAIN_ID } from "./src/network";
import "./tasks/admin";
import "./tasks/besu";
import "./tasks/escrow";
import "./tasks/redemption";
import "./tasks/rewards";
import "./tasks/token";
import "./tasks/enforcement";
import "./tasks/status";
import "./tasks/reconcile";
import "./tasks/safe";
import "./tasks/web";
import { installCommandLineOutput, installErrorHandling, projectTaskOnCommandLine } from "./tasks/context";

// Every task above fails with one decoded sentence and exit code 1 (a stack only with --verbose or DEBUG).
installErrorHandling();
installCommandLineOutput();

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

// Suites that drive whole processes on chains of their own take minutes: the fault suites (`npm run
// faults`) and the end-to-end ones (`npm run test:e2e`: the README walkthrough from the command line, the
// issuer service in this process). A plain `npm test` leaves them out to stay quick; CI runs all three.
// Named on the command line, any test file runs.
const SEPARATE_SUITES = [
  /[\\/]test[\\/]service[\\/]faults[^\\/]*\.test\.ts$/,
  /[\\/]test[\\/]service[\\/]issuer\.test\.ts$/,
  /[\\/]test[\\/]tasks[\\/]walkthrough\.test\.ts$/,
];
subtask(TASK_TEST_GET_TEST_FILES).setAction(async (args: { testFiles: string[] }, _hre, runSuper) => {
  const files = (await runSuper(args)) as string[];
  return args.testFiles.length > 0
    ? files
    : files.filter((file) => !SEPARATE_SUITES.some((suite) => suite.test(file)));
});

const config: HardhatUserConfig = {
  // The project's tasks, typed without --network, run on the local chain `npm run chain` keeps: the
  // embedded network starts empty with every command. Tests, scripts and the demo stay on the embedded one.
  defaultNetwork: projectTaskOnCommandLine() ? "besuLocal" : "hardhat",
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
    // In-process: the demo and the tests run here with no set-up.
    hardhat: {
      hardfork: "cancun",
    },
    // The Besu-like local chain of `npm run chain` (anvil). Its accounts are Hardhat's well-known
    // test accounts, the same mnemonic anvil funds: nothing secret.
    besuLocal: {
      url: BESU_LOCAL.url,
      chainId: BESU_LOCAL.chainId,
      gasPrice: 0,
      accounts: { mnemonic: "test test test test test test test test test test test junk" },
    },
    // A real Besu network: everything comes from Hardhat configuration variables (`npx hardhat vars set`).
    besu: {
      url: vars.get("BESU_RPC_URL", "http://127.0.0.1:8545"),
      chainId: Number(vars.get("BESU_CHAIN_ID", String(ZONCOIN_CHAIN_ID))),
      gasPrice: Number(vars.get("BESU_GAS_PRICE", "0")),
      accounts: vars.has("BESU_DEPLOYER_KEY") ? [vars.get("BESU_DEPLOYER_KEY")] : [],
    },
  },
  paths: {
    ignition: "deploy",
  },
  // Besu's QBFT blocks are final when sealed: one confirmation is enough.
  ignition: {
    requiredConfirmations: 1,
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

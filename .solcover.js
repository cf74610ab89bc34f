// Test helpers (the gas baseline and the like) are not product code: they are not measured.
// The preflight tests check real bytecode sizes against a chain's limits; instrumented bytecode is
// larger, so they run in `npm test` only. So do the command-line suites: the Hardhat processes they
// spawn compile the contracts again, which would swap the instrumented artifacts for plain ones — and so do
// the issuer service's suites, which deploy on a local chain of their own through the command line.
module.exports = {
  skipFiles: ["test/"],
  istanbulReporter: ["html", "lcov", "text", "json-summary"],
  configureYulOptimizer: true,
  mocha: { grep: "uninstrumented bytecode|command line|the issuer service", invert: true },
};

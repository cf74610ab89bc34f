// Test helpers (the gas baseline and the like) are not product code: they are not measured.
// The preflight tests check real bytecode sizes against a chain's limits; instrumented bytecode is
// larger, so they run in `npm test` only.
module.exports = {
  skipFiles: ["test/"],
  istanbulReporter: ["html", "lcov", "text", "json-summary"],
  configureYulOptimizer: true,
  mocha: { grep: "uninstrumented bytecode", invert: true },
};

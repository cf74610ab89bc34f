// Test helpers (the gas baseline and the like) are not product code: they are not measured.
module.exports = {
  skipFiles: ["test/"],
  istanbulReporter: ["html", "lcov", "text", "json-summary"],
  configureYulOptimizer: true,
};

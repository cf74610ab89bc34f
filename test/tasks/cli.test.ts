import { expect } from "chai";
import { spawnSync } from "node:child_process";
import path from "node:path";

const HARDHAT = path.join(__dirname, "..", "..", "node_modules", ".bin", "hardhat");

/** Runs a task as a user would, from the command line (its own process, the in-process network). */
function cli(args: string[], env: Record<string, string> = {}) {
  const run = spawnSync(HARDHAT, args, {
    cwd: path.join(__dirname, "..", ".."),
    encoding: "utf8",
    env: { ...process.env, ...env, DEBUG: env.DEBUG ?? "" },
    timeout: 120_000,
  });
  return { status: run.status, stderr: run.stderr.trim(), stdout: run.stdout.trim() };
}

describe("task failures on the command line", function () {
  it("print one sentence naming the field and the value, and exit 1", function () {
    const run = cli(["redeem:show", "--gateway", "0x12", "--id", "0"]);
    expect([run.status, run.stderr.split("\n"), run.stdout]).to.deep.equal([
      1,
      ['redeem:show: gateway: "0x12" is not an address'],
      "",
    ]);
  });

  it("show no stack trace and no 'An unexpected error occurred'", function () {
    const run = cli(["escrow:show", "--escrow", "0x0000000000000000000000000000000000000001", "--id", "0"]);
    expect(run.stderr).to.equal(
      "escrow:show: escrow: no contract at 0x0000000000000000000000000000000000000001 on hardhat",
    );
  });

  it("add the stack when asked with --verbose", function () {
    const run = cli(["--verbose", "redeem:show", "--gateway", "0x12", "--id", "0"]);
    expect([run.status, /\n\s+at /.test(run.stderr)]).to.deep.equal([1, true]);
  });
});

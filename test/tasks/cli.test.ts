import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { freePort } from "../helpers/net";

const HARDHAT = path.join(__dirname, "..", "..", "node_modules", ".bin", "hardhat");

/** Runs a task as a user would, from the command line (its own process). */
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
    const run = cli([
      "escrow:show",
      "--escrow",
      "0x0000000000000000000000000000000000000001",
      "--id",
      "0",
      "--network",
      "hardhat",
    ]);
    expect(run.stderr).to.equal(
      "escrow:show: escrow: no contract at 0x0000000000000000000000000000000000000001 on hardhat",
    );
  });

  it("add the stack when asked with --verbose", function () {
    const run = cli(["--verbose", "redeem:show", "--gateway", "0x12", "--id", "0"]);
    expect([run.status, /\n\s+at /.test(run.stderr)]).to.deep.equal([1, true]);
  });

  it("run a project task typed without --network on the local chain, and say so when none answers", async function () {
    const url = `http://127.0.0.1:${await freePort()}`;
    // A deployment recorded earlier (the checkout's own, if any, is not read): the task then asks the node.
    const dir = await mkdtemp(path.join(os.tmpdir(), "zon-cli-"));
    const contracts = { ZonCoin: `0x${"1".padStart(40, "0")}` };
    await writeFile(
      path.join(dir, "besuLocal.json"),
      JSON.stringify({ chainId: "202611", fromBlock: 1, contracts }),
    );
    const run = cli(["zon:status"], { BESU_LOCAL_URL: url, ZON_DEPLOYMENTS_DIR: dir });
    expect([run.status, run.stderr]).to.deep.equal([
      1,
      `zon:status: network: no JSON-RPC node answers at ${url} (besuLocal); start the local chain in another terminal: npm run chain`,
    ]);
  });

  it("say that the embedded network forgot a deployment recorded on it", async function () {
    const dir = await mkdtemp(path.join(os.tmpdir(), "zon-cli-"));
    const contracts = Object.fromEntries(
      ["ZonCoin", "RewardDistributor", "RedemptionGateway", "B2BEscrow"].map((name, i) => [
        name,
        `0x${String(i + 1).padStart(40, "0")}`,
      ]),
    );
    await writeFile(
      path.join(dir, "hardhat.json"),
      JSON.stringify({ chainId: "31337", fromBlock: 1, contracts }),
    );
    const run = cli(["zon:status", "--network", "hardhat"], { ZON_DEPLOYMENTS_DIR: dir });
    expect([run.status, run.stderr.split("\n").length]).to.deep.equal([1, 1]);
    expect(run.stderr).to.contain(
      "deployments/hardhat.json names contracts that no longer exist: the embedded network",
    );
  });

  it("print Hardhat's own refusals as one line: an unknown network, an unknown parameter", function () {
    const network = cli(["zon:status", "--network", "nowhere"], { CI: "true" });
    const param = cli(["zon:balance", "--acount", "0x12", "--network", "hardhat"], { CI: "true" });
    expect([network.status, network.stderr, network.stdout]).to.deep.equal([
      1,
      "hardhat: Network nowhere doesn't exist (networks: hardhat, besuLocal, besu; see hardhat.config.ts)",
      "",
    ]);
    expect([param.status, param.stderr]).to.deep.equal([
      1,
      "hardhat: Unrecognized param --acount; npx hardhat help <task> lists its parameters",
    ]);
  });

  it("name a missing file, and a file of the wrong kind, in one line", async function () {
    const csv = path.join(await mkdtemp(path.join(os.tmpdir(), "zon-cli-")), "usage.csv");
    await writeFile(csv, "beneficiary,customerId,period,category,usageCents\n");
    const missing = cli(["rewards:status", "--bundle", "/nowhere/bundle.json", "--network", "hardhat"]);
    const wrong = cli(["rewards:status", "--bundle", csv, "--network", "hardhat"]);
    expect([missing.status, missing.stderr]).to.deep.equal([
      1,
      "rewards:status: bundle: /nowhere/bundle.json does not exist",
    ]);
    expect([wrong.status, wrong.stderr]).to.deep.equal([
      1,
      `rewards:status: bundle: ${csv} is not a bundle (what rewards:sign writes) (not JSON: it starts "beneficiary,customerId,p")`,
    ]);
  });

  it("end quietly when the reader of its output stops early (| head)", function () {
    const script = [
      'require("./tasks/context").installCommandLineOutput();',
      'const line = "x".repeat(1023) + "\\n";',
      "for (let i = 0; i < 4096; i++) process.stdout.write(line);",
    ].join(" ");
    const run = spawnSync(
      "bash",
      [
        "-c",
        `node -r ts-node/register/transpile-only -e '${script}' | head -c 10 >/dev/null; echo "\${PIPESTATUS[0]}"`,
      ],
      { cwd: path.join(__dirname, "..", ".."), encoding: "utf8", timeout: 60_000 },
    );
    expect([run.stdout.trim(), run.stderr.trim()]).to.deep.equal(["0", ""]);
  });
});

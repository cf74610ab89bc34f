import { expect } from "chai";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { JsonRpcProvider } from "ethers";
import { BESU_LOCAL } from "../../src";
import { deployOn, hardhatOn, removeDeployJournal, startLocalChain, type LocalChain } from "../helpers/chain";

/*
 * The operator's and the businesses' walkthrough, as a user types it: every step is the Hardhat command
 * line in its own process, against a Besu-like local chain on a port of its own (a second local chain,
 * next to any on 8545), with the accounts the deploy parameters give. Output and exit codes are checked,
 * bad input included.
 */

// Hardhat's well-known test accounts, as deploy/parameters/besuLocal.json gives them roles.
const GOVERNANCE = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"; // account 0
const POLICY_OFFICER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"; // account 3
const ACME = "0x71bE63f3384f5fb98995898A86B02Fb2426c5788"; // account 11
const GLOBEX = "0xFABB0ac9d68B0B445fB7357272Ff202C5651694a"; // account 12
const NEW_WALLET = "0x1CBd3b2770909D4e10f157cABC84C7264073C9Ec"; // account 13: ACME's new wallet

describe("the README walkthrough on a local chain on another port, from the command line", function () {
  let chain: LocalChain;
  let dir: string;

  const cli = (...args: string[]) => hardhatOn(chain, dir, args);

  function ok(...args: string[]) {
    const run = cli(...args);
    expect(run.status, `${args.join(" ")}: ${run.err}`).to.equal(0);
    return run.out;
  }

  /** A refused step: exit 1 and one line on stderr, which must contain `expected`. */
  function refused(expected: string, ...args: string[]) {
    const run = cli(...args);
    expect([run.status, run.err.split("\n").length], run.err).to.deep.equal([1, 1]);
    expect(run.err).to.contain(expected);
  }

  before(async function () {
    dir = await mkdtemp(path.join(os.tmpdir(), "zon-walkthrough-"));
    chain = await startLocalChain();
    deployOn(chain, dir);
  });

  after(async function () {
    await chain?.stop();
    await rm(dir, { recursive: true, force: true });
    await removeDeployJournal(chain);
  });

  it("shows the deployment at a glance, naming the record it read", function () {
    const out = ok("zon:status");
    expect(out).to.contain(`deployment of deployments/besuLocal.json (chain 202611`);
    expect(out).to.contain(POLICY_OFFICER);
  });

  it("publishes a policy from the policy officer's account without being told which", function () {
    expect(
      ok("rewards:policy", "--period", "202701", "--rates", "compute=500,storage=300", "--budget", "100000"),
    ).to.contain("policy of period 202701 published");
  });

  it("refuses the policy from another account, naming the policy officer", function () {
    refused(
      `account ${GOVERNANCE} is not the policy officer; the policy officer is ${POLICY_OFFICER}`,
      "rewards:policy",
      "--period",
      "202702",
      "--rates",
      "compute=1",
      "--budget",
      "1",
      "--from",
      "0",
    );
  });

  it("signs a usage file with the configured attestors and submits it once", async function () {
    const usage = path.join(dir, "usage.csv");
    await writeFile(
      usage,
      "beneficiary,customerId,period,category,usageCents,id\n" +
        `${ACME},0x${"11".repeat(32)},202701,compute,100000,0\n` +
        `${GLOBEX},0x${"22".repeat(32)},202701,storage,50000,1\n`,
    );
    const deadline = String(Math.floor(Date.now() / 1000) + 30 * 86_400);
    const bundle = path.join(dir, "bundle.json");
    expect(ok("rewards:sign", "--usage", usage, "--out", bundle, "--deadline", deadline)).to.contain(
      "signed 2 attestations with 2 attestor(s)",
    );
    expect(ok("rewards:submit", "--bundle", bundle)).to.contain("claimed 2, skipped 0, minted 65 ZON");
    refused(
      "nothing could be claimed; 2 item(s) skipped (2 already claimed)",
      "rewards:submit",
      "--bundle",
      bundle,
    );
    expect(ok("zon:balance", "--account", ACME)).to.contain(`${ACME}: 50 ZON`);
  });

  it("signs the sample FOCUS export with its registry and mapping, and submits it once", function () {
    const examples = path.join(__dirname, "..", "..", "docs", "examples", "focus");
    ok(
      "rewards:policy",
      "--period",
      "202702",
      "--rates",
      "compute=500,storage=300,support=200",
      "--budget",
      "100000",
    );
    const deadline = String(Math.floor(Date.now() / 1000) + 30 * 86_400);
    const bundle = path.join(dir, "focus-bundle.json");
    const signed = ok(
      "rewards:sign",
      ...["--focus", path.join(examples, "export.csv"), "--wallets", path.join(examples, "wallets.csv")],
      ...["--mapping", path.join(examples, "mapping.json"), "--out", bundle, "--deadline", deadline],
    );
    expect(signed).to.contain(
      'not in the wallet registry: account "acme-sandbox", 4000 cents (first at row 10)',
    );
    expect(signed).to.contain("signed 4 attestations with 2 attestor(s)");
    expect(ok("rewards:submit", "--bundle", bundle)).to.contain("claimed 4, skipped 0, minted 71.403 ZON");
  });

  it("refuses a usage file with a repeated id before signing anything", async function () {
    const usage = path.join(dir, "twice.csv");
    const row = `${ACME},0x${"11".repeat(32)},202701,compute,1,7`;
    await writeFile(usage, `beneficiary,customerId,period,category,usageCents,id\n${row}\n${row}\n`);
    refused(
      'twice.csv row 3, field "id": 202701/7 repeats row 2',
      "rewards:sign",
      "--usage",
      usage,
      "--out",
      path.join(dir, "never.json"),
      "--deadline",
      String(Math.floor(Date.now() / 1000) + 86_400),
    );
  });

  it("redeems with a permit, fulfils through the worker and shows the delivery", function () {
    expect(
      ok(
        "redeem:request",
        "--sku",
        "1",
        "--quantity",
        "2",
        "--max-price",
        "20",
        "--delivery-ref",
        "acme-prod",
        "--from",
        "11",
      ),
    ).to.match(/request 0: 2 × SKU 1 for 20 ZON/);
    const ledger = path.join(dir, "ledger.jsonl");
    expect(
      ok("redeem:worker", "--ledger", ledger, "--skus", "1", "--confirmations", "0", "--once"),
    ).to.contain("accepted [0], confirmed [0]");
    const shown = ok("redeem:show", "--id", "0", "--ledger", ledger);
    expect(shown).to.contain("fulfilled (receipt 0x");
    expect(shown).to.match(/code ZON-[0-9A-F]{12}/);
  });

  it("refuses a redemption above the business's balance before signing anything", function () {
    refused(
      `from: ${GLOBEX} holds 15 ZON, the redemption costs 50 ZON`,
      "redeem:request",
      "--sku",
      "1",
      "--quantity",
      "5",
      "--max-price",
      "50",
      "--delivery-ref",
      "globex",
      "--from",
      "12",
    );
  });

  it("pauses the gateway, which then refuses redemptions with a sentence, and unpauses it", function () {
    ok("zon:pause", "--contract", "gateway");
    refused(
      "EnforcedPause: the gateway is paused; wait until the pauser unpauses it (zon:unpause --contract gateway)",
      "redeem:request",
      "--sku",
      "1",
      "--max-price",
      "10",
      "--delivery-ref",
      "globex",
      "--from",
      "12",
    );
    ok("zon:unpause", "--contract", "gateway");
  });

  it("transfers between businesses and refuses more than the balance", function () {
    expect(ok("zon:transfer", "--to", GLOBEX, "--amount", "5", "--from", "11")).to.contain(
      `5 ZON from ${ACME} to ${GLOBEX}`,
    );
    refused(
      `amount: 1,000 ZON is more than ${ACME} holds (25 ZON)`,
      "zon:transfer",
      "--to",
      GLOBEX,
      "--amount",
      "1000",
      "--from",
      "11",
    );
  });

  describe("then recovering a lost wallet and a forced transfer, as the README's second block", function () {
    const recovery = ["--lost", ACME, "--replacement", NEW_WALLET, "--case", "COURT-2026-0042"];

    it("shows the lost wallet's open positions", function () {
      expect(ok("recovery:positions", "--account", ACME)).to.contain(
        `${ACME} has no open redemption and no unsettled escrow milestone.`,
      );
    });

    it("sets a delay as governance, then announces the recovery and lists it", function () {
      expect(ok("enforcement:delay", "--seconds", "60")).to.contain("enforcement delay: 60 s");
      expect(ok("recovery:announce", ...recovery)).to.match(
        /\(case "COURT-2026-0042"\) announced as operation 0x[0-9a-f]{64} in 0x[0-9a-f]{64}; it can be carried out from /,
      );
      const pending = ok("enforcement:pending");
      // console.table quotes each string once: the case reads as typed.
      expect([pending.includes("'recovery'"), pending.includes("'COURT-2026-0042'")]).to.deep.equal([
        true,
        true,
      ]);
    });

    it("refuses the recovery until the delay has passed, then carries it out", async function () {
      refused("can be carried out from", "recovery:execute", ...recovery);
      const rpc = new JsonRpcProvider(chain.url, BESU_LOCAL.chainId, { staticNetwork: true });
      try {
        await rpc.send("evm_increaseTime", [61]);
        await rpc.send("evm_mine", []);
      } finally {
        rpc.destroy();
      }
      expect(ok("recovery:execute", ...recovery)).to.contain(
        `25 ZON moved from ${ACME} to ${NEW_WALLET} (case "COURT-2026-0042"); ${ACME} is frozen`,
      );
      expect([
        ok("zon:balance", "--account", NEW_WALLET).includes(`${NEW_WALLET}: 25 ZON\n`),
        ok("zon:balance", "--account", ACME).includes(`${ACME}: 0 ZON (frozen)\n`),
      ]).to.deep.equal([true, true]);
    });

    it("without a delay, carries out a forced transfer at once", function () {
      expect(ok("enforcement:delay", "--seconds", "0")).to.contain("enforcement delay: none");
      expect(
        ok("forced:execute", "--holder", NEW_WALLET, "--to", GLOBEX, "--amount", "1", "--case", "ORDER-17"),
      ).to.contain(`balances now: ${NEW_WALLET} 24 ZON, ${GLOBEX} 21 ZON`);
    });
  });
});

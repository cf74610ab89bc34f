import { expect } from "chai";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import { HDNodeWallet } from "ethers";
import { formatZon, TEST_MNEMONIC, type ReconcileSummary } from "../../src";
import path from "node:path";
import { IssuerService, loadIssuerConfig, type IssuerConfig } from "../../src/service/issuer";
import { takeLock } from "../../src/service/lock";
import { ACCOUNTS, RATES, startWorld, until, waiting, type World } from "./fixture";

/*
 * The issuer service in this process, on a local chain of its own: usage files through the relayer,
 * redemptions through the worker, the status endpoints, the configuration's errors, and a clean stop.
 */

describe("the issuer service", function () {
  this.timeout(180_000);
  let world: World;
  const lines: Array<Record<string, unknown>> = [];
  const running: IssuerService[] = [];

  before(async function () {
    world = await startWorld();
  });

  after(async function () {
    for (const service of running) await service.stop();
    await world?.close();
  });

  async function start(config: IssuerConfig): Promise<IssuerService> {
    process.env.ZON_DEPLOYMENTS_DIR = world.dir;
    try {
      const service = await IssuerService.create(config, world.env, (level, msg, fields) =>
        lines.push({ level, msg, ...fields }),
      );
      await service.start();
      running.push(service);
      return service;
    } finally {
      delete process.env.ZON_DEPLOYMENTS_DIR;
    }
  }

  async function stop(service: IssuerService): Promise<void> {
    running.splice(running.indexOf(service), 1);
    await service.stop();
  }

  describe("running", function () {
    let service: IssuerService;
    let config: IssuerConfig;
    let inbox: string;

    before(async function () {
      const main = world.config("main");
      // FOCUS exports are read with this registry: numbers far above the usage rows' ids.
      const wallets = path.join(world.dir, "wallets.csv");
      await writeFile(
        wallets,
        `account,wallet,number\nacme-prod,${world.wallet(ACCOUNTS.acme).address},10000000\nglobex-prod,${world.wallet(ACCOUNTS.globex).address},10000001\n`,
      );
      config = { ...main, relayer: { ...main.relayer, focus: { wallets } } };
      inbox = path.join(config.stateDir, "inbox");
      service = await start(config);
    });

    it("claims a gzip'd FOCUS export's net usage per account and category, and reports what it left out", async function () {
      const start = "2026-11-01T00:00:00Z";
      const csv = [
        "BilledCost,BillingAccountId,BillingCurrency,BillingPeriodStart,ChargeCategory,ChargeClass,ServiceCategory,ServiceName,SubAccountId,x_Note",
        `12.34,ba-1,USD,${start},Usage,,Compute,VM,acme-prod,"spot, eu"`,
        `-2.34,ba-1,USD,${start},Usage,Correction,Compute,VM,acme-prod,`,
        `5,ba-2,USD,${start},Usage,,Storage,Objects,globex-prod,`,
        `7,ba-3,USD,${start},Usage,,Storage,Objects,initech-prod,`,
      ].join("\n");
      await mkdir(inbox, { recursive: true });
      await writeFile(path.join(inbox, ".export.csv.gz.partial"), gzipSync(csv));
      await rename(path.join(inbox, ".export.csv.gz.partial"), path.join(inbox, "export.csv.gz"));
      await until("export.csv.gz is settled", () => world.result(inbox, "export.csv.gz") !== undefined);
      const claimed = (
        await world.distributor.queryFilter(world.distributor.filters.AttestationClaimed(202611))
      ).filter((e) => e.args.id >= 80_000_000n);
      const result = world.result(inbox, "export.csv.gz")!;
      expect([
        claimed.map((e) => [e.args.id, e.args.beneficiary, e.args.category, e.args.usageCents]),
        result.outcomes,
        result.focus?.unregistered,
      ]).to.deep.equal([
        [
          [80_000_000n, world.wallet(ACCOUNTS.acme).address, 0n, 1_000n],
          [80_000_009n, world.wallet(ACCOUNTS.globex).address, 1n, 500n],
        ],
        { claimed: 2 },
        { "initech-prod": { cents: "700", firstRow: 5 } },
      ]);
    });

    it("claims every row of a usage file once and moves the file to done/ with each row's outcome", async function () {
      const file = await world.drop(inbox, "usage-a.csv", world.usageRows(120));
      await until("usage-a.csv is settled", () => world.result(inbox, file.name) !== undefined);
      const counts = await world.claimCounts();
      const result = world.result(inbox, file.name)!;
      expect([result.items, result.outcomes, file.ids.every((id) => counts.get(id) === 1)]).to.deep.equal([
        120,
        { claimed: 120 },
        true,
      ]);
    });

    it("sets aside a FOCUS export with nothing to claim, saying what it held", async function () {
      const csv = [
        "BilledCost,BillingAccountId,BillingCurrency,BillingPeriodStart,ChargeCategory,ServiceCategory,SubAccountId",
        "9,ba-9,USD,2026-11-01T00:00:00Z,Usage,Compute,stranger",
      ].join("\n");
      await mkdir(inbox, { recursive: true });
      await writeFile(path.join(inbox, ".nothing.csv"), csv);
      await rename(path.join(inbox, ".nothing.csv"), path.join(inbox, "nothing.csv"));
      const note = path.join(inbox, "rejected", "nothing.csv.error.txt");
      await until("nothing.csv is set aside", () => existsSync(note));
      expect(readFileSync(note, "utf8")).to.contain(
        "no attestation to claim (rows 1, attestations 0, credits 0, corrections 0, unregisteredAccounts 1, unmappedServices 0, nonPositive 0)",
      );
    });

    it("settles a file dropped again as already claimed, minting nothing", async function () {
      const rows = world.usageRows(10);
      await world.drop(inbox, "usage-b.csv", rows);
      await until("usage-b.csv is settled", () => world.result(inbox, "usage-b.csv") !== undefined);
      const supply = await world.token.totalSupply();
      await world.drop(inbox, "usage-b-again.csv", rows);
      await until(
        "usage-b-again.csv is settled",
        () => world.result(inbox, "usage-b-again.csv") !== undefined,
      );
      expect([
        world.result(inbox, "usage-b-again.csv")!.outcomes,
        await world.token.totalSupply(),
      ]).to.deep.equal([{ alreadyClaimed: 10 }, supply]);
    });

    it("moves a file with a bad row to rejected/, with a note naming the row and the field, and claims none of it", async function () {
      const rows = world.usageRows(3);
      rows[1] = rows[1].replace(",compute,", ",teleportation,");
      await world.drop(inbox, "usage-bad.csv", rows);
      const note = path.join(inbox, "rejected", "usage-bad.csv.error.txt");
      await until("usage-bad.csv is rejected", () => existsSync(note));
      const counts = await world.claimCounts();
      expect(readFileSync(note, "utf8")).to.match(/usage-bad\.csv row 3, field "category": .*teleportation/);
      expect(rows.map((r) => counts.get(r.split(",")[5]) ?? 0)).to.deep.equal([0, 0, 0]);
    });

    it("keeps an item skipped for the period's budget open and claims it once the budget is raised", async function () {
      const period = 202612;
      const officer = world.wallet(ACCOUNTS.policyOfficer);
      await (await world.distributor.connect(officer).publishPolicy(period, RATES, 1n)).wait();
      // 1,000 cents at 5 % is 0.5 ZON: two fit into the 1 ZON budget, the third waits.
      await world.drop(inbox, "usage-budget.csv", world.usageRows(3, period));
      await until(
        "the third item is skipped",
        async () => (await world.claimCounts(period)).size === 2 && service.relayer.pendingItems() === 1,
      );
      const waitingBefore = await waiting(inbox);
      await (await world.distributor.connect(officer).raiseBudget(period, 10n)).wait();
      await until("usage-budget.csv is settled", () => world.result(inbox, "usage-budget.csv") !== undefined);
      expect([waitingBefore, world.result(inbox, "usage-budget.csv")!.outcomes]).to.deep.equal([
        ["usage-budget.csv"],
        { claimed: 3 },
      ]);
    });

    it("fulfils a business's redemption through the worker loop, with one ledger line", async function () {
      const id = await world.redeem(ACCOUNTS.acme, 2);
      await until("the request is settled", async () => !(await world.gateway.isOpen(id)));
      const endings = await world.requestEndings();
      const ledger = world.ledger(config.stateDir).filter((e) => e.redemptionKey.endsWith(`:${id}`));
      expect([endings.get(id), ledger.length]).to.deep.equal([["RedemptionFulfilled"], 1]);
    });

    it("answers /healthz with each loop's health and /metrics in Prometheus' text format", async function () {
      const base = `http://127.0.0.1:${service.statusPort()}`;
      let metrics = "";
      const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(metrics)?.[1]);
      // The confirming round counts its requests once it has ended, a moment after the chain shows them.
      await until("the worker's round has counted the confirmation", async () => {
        metrics = await (await fetch(`${base}/metrics`)).text();
        return value('zon_redemptions_total\\{outcome="confirmed"\\}') === 1;
      });
      const health = await fetch(`${base}/healthz`);
      expect([health.status, (await health.json()).loops.map((l: { loop: string }) => l.loop)]).to.deep.equal(
        [200, ["relayer", "worker"]],
      );
      expect({
        claims: value("zon_claims_total") >= 133,
        alreadyClaimed: value('zon_claim_skips_total\\{reason="alreadyClaimed"\\}'),
        overBudget: value('zon_claim_skips_total\\{reason="overBudget"\\}') >= 1,
        confirmed: value('zon_redemptions_total\\{outcome="confirmed"\\}'),
        rejectedFiles: value('zon_inbox_files_total\\{outcome="rejected"\\}'),
        lastBlock: [
          value(`zon_last_block_seen\\{loop="relayer"\\}`) > 0,
          value(`zon_last_block_seen\\{loop="worker"\\}`) > 0,
        ],
        lag: value('zon_lag_blocks\\{loop="worker"\\}') >= 0,
        inFlight: value("zon_batches_in_flight") >= 0,
      }).to.deep.equal({
        claims: true,
        alreadyClaimed: 10,
        overBudget: true,
        confirmed: 1,
        rejectedFiles: 2, // usage-bad.csv and nothing.csv
        lastBlock: [true, true],
        lag: true,
        inFlight: true,
      });
    });

    it("reconciles a period on demand over the files it settled and its ledger", async function () {
      const base = `http://127.0.0.1:${service.statusPort()}`;
      const bad = await fetch(`${base}/reconcile?period=202613`);
      const answer = await fetch(`${base}/reconcile?period=202611`);
      const summary = (await answer.json()) as ReconcileSummary;
      const supply = await world.token.totalSupply();
      expect([bad.status, answer.status]).to.deep.equal([400, 200]);
      expect(summary.issuance.rows).to.be.above(130);
      expect(summary.issuance.fates.missing ?? 0).to.equal(0);
      expect(summary.supply.totalSupply).to.equal(formatZon(supply));
      // The only claims without a row are the ones the fixture made to fund businesses (ids from 1,000,000).
      expect(summary.exceptions.filter((e) => !/^issuance: id 10000\d\d was minted/.test(e))).to.deep.equal(
        [],
      );
      expect(existsSync(path.join(config.stateDir, "reconcile", "202611", "issuance.csv"))).to.equal(true);
    });

    it("logs JSON lines that name their loop", function () {
      const taken = lines.find((l) => l.msg === "usage file taken" && l.file === "usage-a.csv");
      expect(taken).to.include({ level: "info", loop: "relayer", items: 120 });
    });

    it("refuses a second worker on the same state directory, naming the process that holds it", async function () {
      let refusal = "";
      await start(world.config("main")).catch((error: Error) => (refusal = error.message));
      expect(refusal).to.contain(
        `another process holds this lock (the issuer service's fulfilment worker, process ${process.pid} on `,
      );
    });

    it("stops cleanly: the loops end, the status port closes and the worker lock is released", async function () {
      const port = service.statusPort();
      await stop(service);
      const reached = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        () => true,
        () => false,
      );
      const lock = await takeLock(path.join(config.stateDir, "worker.lock"), "the test");
      await lock.release();
      expect(reached).to.equal(false);
    });
  });

  describe("configuration", function () {
    it("names the field and the value of a configuration it cannot use", async function () {
      const file = path.join(world.dir, "bad-config.json");
      await writeFile(
        file,
        JSON.stringify({ ...world.config("bad"), relayer: { ...world.config("bad").relayer, batchSize: 0 } }),
      );
      expect(() => loadIssuerConfig(file)).to.throw(
        `${file}: field "relayer.batchSize" is 0; it must be at least 1`,
      );
    });

    it("never logs an RPC URL's credentials or query string", async function () {
      const port = new URL(world.chain.url).port;
      const secretUrl = `http://operator:s3cret-pass@127.0.0.1:${port}/?apikey=k3y-123`;
      const seen: string[] = [];
      let refusal = "";
      const config = { ...world.config("secret-url", { loops: ["relayer"] }), rpcUrl: secretUrl };
      process.env.ZON_DEPLOYMENTS_DIR = world.dir;
      try {
        const service = await IssuerService.create(config, world.env, (level, msg, fields) =>
          seen.push(JSON.stringify({ level, msg, ...fields })),
        );
        await service.start();
        await service.stop();
        const badPort = { ...config, rpcUrl: `http://operator:s3cret-pass@127.0.0.1:1/?apikey=k3y-123` };
        await IssuerService.create(badPort, world.env, () => undefined).catch(
          (e: Error) => (refusal = e.message),
        );
      } finally {
        delete process.env.ZON_DEPLOYMENTS_DIR;
      }
      const text = [...seen, refusal].join("\n");
      expect([
        text.includes("s3cret-pass"),
        text.includes("k3y-123"),
        seen.some((l) => l.includes(`http://127.0.0.1:${port}/ (credentials hidden)`)),
        refusal.startsWith("rpcUrl: no JSON-RPC node answers at http://127.0.0.1:1/ (credentials hidden)"),
      ]).to.deep.equal([false, false, true, true]);
    });

    it("says so, naming it, when its state directory cannot be written", async function () {
      let refusal = "";
      process.env.ZON_DEPLOYMENTS_DIR = world.dir;
      await IssuerService.create({ ...world.config("x"), stateDir: "/sys" }, world.env, () => undefined)
        .catch((error: Error) => (refusal = error.message))
        .finally(() => delete process.env.ZON_DEPLOYMENTS_DIR);
      expect(refusal).to.match(
        /^stateDir: the service cannot write to \/sys \((EACCES|EROFS|EPERM)\); it keeps its inbox, ledger and records there, so it must be writable$/,
      );
    });

    it("refuses a signer that is not an attestor of the distributor, naming it", async function () {
      const config = world.config("wrong-attestor", {
        keys: { ...world.config("x").keys, attestors: ["ATTESTOR_1", "NOT_AN_ATTESTOR"] },
      });
      const stranger = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"; // test account 1
      let refusal = "";
      process.env.ZON_DEPLOYMENTS_DIR = world.dir;
      await IssuerService.create(config, { ...world.env, ZON_KEY_NOT_AN_ATTESTOR: stranger }, () => undefined)
        .catch((error: Error) => (refusal = error.message))
        .finally(() => delete process.env.ZON_DEPLOYMENTS_DIR);
      expect(refusal).to.match(
        /^keys\.attestors\[1\]: NOT_AN_ATTESTOR \(0x70997970C51812dc3A010C7d01b50e0d17dc79C8\) is not an attestor of 0x/,
      );
    });

    it("takes its keys from Hardhat's configuration variables and a keystore, as the tasks do", async function () {
      const { localAccounts } = world.config("x");
      const key = (name: string) =>
        HDNodeWallet.fromPhrase(TEST_MNEMONIC, undefined, `m/44'/60'/0'/0/${localAccounts![name]}`);
      // What `npx hardhat vars set ZON_KEY_<NAME> …` writes, under a configuration directory of the test's own.
      const configHome = path.join(world.dir, "xdg");
      await mkdir(path.join(configHome, "hardhat-nodejs"), { recursive: true });
      const stored = Object.fromEntries(
        ["RELAYER", "ATTESTOR_1", "ATTESTOR_2"].map((name) => [
          `ZON_KEY_${name}`,
          { value: key(name).privateKey },
        ]),
      );
      await writeFile(
        path.join(configHome, "hardhat-nodejs", "vars.json"),
        JSON.stringify({ _format: "hh-vars-1", vars: stored }),
      );
      const keystore = path.join(world.dir, "fulfiller-keystore.json");
      await writeFile(keystore, await key("FULFILLER").encrypt("correct horse"));
      const ready: Array<Record<string, unknown>> = [];
      const configHomeBefore = process.env.XDG_CONFIG_HOME;
      process.env.XDG_CONFIG_HOME = configHome;
      process.env.ZON_DEPLOYMENTS_DIR = world.dir;
      try {
        const service = await IssuerService.create(
          world.config("keys-from-vars", { localAccounts: {}, loops: ["relayer"] }),
          { ...world.env, ZON_KEYSTORE_FULFILLER: keystore, ZON_KEYSTORE_PASSWORD: "correct horse" },
          (_level, msg, fields) => msg === "issuer service ready" && ready.push({ ...fields }),
        );
        await service.start();
        await service.stop();
      } finally {
        if (configHomeBefore === undefined) delete process.env.XDG_CONFIG_HOME;
        else process.env.XDG_CONFIG_HOME = configHomeBefore;
        delete process.env.ZON_DEPLOYMENTS_DIR;
      }
      expect(
        ready.map(({ relayer, attestors, fulfiller }) => ({ relayer, attestors, fulfiller })),
      ).to.deep.equal([
        {
          relayer: key("RELAYER").address,
          attestors: [key("ATTESTOR_1").address, key("ATTESTOR_2").address],
          fulfiller: key("FULFILLER").address,
        },
      ]);
    });

    it("asks for a missing key by its environment variable", async function () {
      const config = world.config("no-key", { localAccounts: {} });
      let refusal = "";
      process.env.ZON_DEPLOYMENTS_DIR = world.dir;
      await IssuerService.create(config, world.env, () => undefined)
        .catch((error: Error) => (refusal = error.message))
        .finally(() => delete process.env.ZON_DEPLOYMENTS_DIR);
      expect(refusal).to.equal(
        "signer ATTESTOR_1: set its private key in ZON_KEY_ATTESTOR_1 (the environment, or npx hardhat vars set), or a keystore's path in ZON_KEYSTORE_ATTESTOR_1",
      );
    });
  });
});

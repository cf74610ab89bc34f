import { expect } from "chai";
import { existsSync, readFileSync } from "node:fs";
import { appendFile, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { toQuantity } from "ethers";
import type { IssuerConfig } from "../../src/service/issuer";
import type { FileResult } from "../../src/service/relayer";
import { startFlakyProxy } from "../helpers/flaky-proxy";
import { ACCOUNTS, PERIOD, startWorld, until, waiting, type World } from "./fixture";

/*
 * The issuer service as its own process against a local chain, under what production does to its shell:
 * a chain that stops mining and loses its pool (on free gas), a node that tells a nonce too high, a chain
 * or a relayer that makes no progress, billing exports written in place or changed after they were taken,
 * a malformed row, rows the chain refuses, ids reused for other beneficiaries, a full disk, and things in
 * the inbox that are no usage files. Each checks on chain that every row of every well-formed file was
 * claimed exactly once, and that health and the result files say what happened.
 */

const PAUSER = 1;
const RELAYER = 10;

describe("the issuer service under faults of its inputs and its environment", function () {
  this.timeout(240_000);
  let world: World;

  before(async function () {
    world = await startWorld();
  });

  afterEach(async function () {
    await world.stopProcesses();
  });

  after(async function () {
    await world?.close();
  });

  const logOf = (name: string) => {
    const file = path.join(world.dir, `${name}.log`);
    return existsSync(file) ? readFileSync(file, "utf8") : "";
  };
  const logged = (name: string, message: string) => logOf(name).includes(`"msg":"${message}`);

  /** A service configuration with quick health thresholds and timers. */
  function config(name: string, overrides: Partial<IssuerConfig["relayer"]> = {}, status = {}): IssuerConfig {
    const base = world.config(name);
    return {
      ...base,
      loops: ["relayer"],
      status: { ...base.status, headStaleAfterSeconds: 3, ...status },
      relayer: { ...base.relayer, fileStableMs: 1_000, stallAfterSeconds: 3, ...overrides },
    };
  }

  async function start(cfg: IssuerConfig, name: string, env = world.env) {
    const file = await world.configFile(cfg);
    const child = await world.startProcess(file, name, env);
    await until(`${name} is running`, () => logged(name, "status server listening"));
    return { child, base: world.statusUrl(file), inbox: path.join(cfg.stateDir, "inbox") };
  }

  const health = async (base: string) => {
    const answer = await fetch(`${base}/healthz`);
    return {
      status: answer.status,
      body: (await answer.json()) as { loops: Array<{ problems?: string[] }> },
    };
  };
  const metric = async (base: string, series: string) => {
    const text = await (await fetch(`${base}/metrics`)).text();
    const escaped = series.replace(/[{}]/g, (c) => `\\${c}`);
    return Number(new RegExp(`^${escaped} (\\S+)$`, "m").exec(text)?.[1] ?? NaN);
  };

  /** Every id claimed exactly once on chain, and the file settled in done/ with this many rows. */
  async function expectClaimedOnce(ids: string[], inbox: string, name: string, rows = ids.length) {
    const counts = await world.claimCounts();
    const result = world.result(inbox, name)!;
    expect({
      claimedOnce: ids.filter((id) => counts.get(id) !== 1),
      rows: result.items,
      waiting: await waiting(inbox),
    }).to.deep.equal({ claimedOnce: [], rows, waiting: [] });
  }

  const rowsCsv = (rows: string[]) =>
    ["beneficiary,customerId,period,category,usageCents,id", ...rows].join("\n") + "\n";

  it("on a chain of free gas that stops mining and loses its pool, sends the original again and never re-prices", async function () {
    // The fault: after a minute the pipeline replaced each transaction at 1, 2, 3 wei, which the relayer
    // (no ether) could not pay; the node refused them, only they were sent again, and the free originals
    // were gone with the node's pool: items stayed pending for good.
    const relayer = world.wallet(RELAYER).address;
    await world.provider.send("anvil_setBalance", [relayer, "0x0"]);
    const cfg = config("free-gas", { rebroadcastAfterSeconds: 1, replaceAfterSeconds: 2, batchSize: 50 });
    const { base, inbox } = await start(cfg, "free-gas");
    await world.provider.send("evm_setIntervalMining", [0]);
    const file = await world.drop(inbox, "usage.csv", world.usageRows(300));
    await until(
      "its transactions were sent again several times",
      async () => (await metric(base, 'zon_broadcasts_refused_total{reason="known"}')) >= 6,
    );
    await world.chain.restart(); // the node comes back without its pool, mining again
    await until("the file is settled", () => world.result(inbox, file.name) !== undefined, 120_000);
    expect(await metric(base, 'zon_broadcasts_refused_total{reason="funds"}')).to.equal(0);
    await expectClaimedOnce(file.ids, inbox, file.name);
  });

  it("sends again from the mined nonce when a node told a nonce too high (a gap)", async function () {
    const relayer = world.wallet(RELAYER).address.toLowerCase();
    let lied = false;
    const proxy = await startFlakyProxy(
      world.chain.url,
      { dropBefore: 0, dropAfter: 0, delay: 0, duplicate: 0, maxDelayMs: 0 },
      1,
      (call, answer) => {
        const [account, tag] = call.params as [string, string];
        if (
          call.method !== "eth_getTransactionCount" ||
          lied ||
          account.toLowerCase() !== relayer ||
          tag !== "latest"
        )
          return;
        lied = true;
        answer.result = toQuantity(BigInt(answer.result as string) + 5n);
      },
    );
    try {
      const cfg = { ...config("gap", { rebroadcastAfterSeconds: 1 }), rpcUrl: proxy.url };
      const { base, inbox } = await start(cfg, "gap", { ...world.env, ZON_RPC_URL: proxy.url });
      const file = await world.drop(inbox, "usage.csv", world.usageRows(100));
      await until("the file is settled", () => world.result(inbox, file.name) !== undefined, 60_000);
      expect([lied, await metric(base, "zon_nonce_gaps_total")]).to.deep.equal([true, 1]);
      await expectClaimedOnce(file.ids, inbox, file.name);
    } finally {
      await proxy.close();
    }
  });

  it("says unhealthy, with why, while rows make no progress and while the chain's head stands still", async function () {
    const cfg = config("health");
    const { base, inbox } = await start(cfg, "health");
    await until("healthy", async () => (await health(base)).status === 200);
    const pauser = world.wallet(PAUSER);
    await (await world.distributor.connect(pauser).pause()).wait();
    const file = await world.drop(inbox, "usage.csv", world.usageRows(20));
    await until("unhealthy for the stalled rows", async () => {
      const { status, body } = await health(base);
      return (
        status === 503 && body.loops[0].problems!.some((p) => /20 row\(s\) pending and none settled/.test(p))
      );
    });
    await (await world.distributor.connect(pauser).unpause()).wait();
    await until("the file is settled", () => world.result(inbox, file.name) !== undefined);
    await until("healthy again", async () => (await health(base)).status === 200);
    await world.provider.send("evm_setIntervalMining", [0]);
    try {
      await until("unhealthy for the head that stands still", async () => {
        const { status, body } = await health(base);
        return (
          status === 503 && body.loops[0].problems!.some((p) => /the chain's head has not moved/.test(p))
        );
      });
    } finally {
      await world.provider.send("evm_setIntervalMining", [1]);
    }
    await until("healthy once blocks come again", async () => (await health(base)).status === 200);
    await expectClaimedOnce(file.ids, inbox, file.name);
  });

  it("takes a file written in place only once it has stopped changing, and an empty one not at all", async function () {
    // The fault: a file written in place 500 lines at a time had 8,501 of 10,000 rows never claimed.
    const { inbox } = await start(config("in-place", {}), "in-place");
    const empty = path.join(inbox, "later.csv");
    await writeFile(empty, ""); // the writer has opened it, and not written yet
    const target = path.join(inbox, "usage.csv");
    const rows = world.usageRows(2_000);
    await writeFile(target, "beneficiary,customerId,period,category,usageCents,id\n");
    for (let i = 0; i < rows.length; i += 250) {
      await appendFile(target, rows.slice(i, i + 250).join("\n") + "\n");
      await new Promise((resolve) => setTimeout(resolve, 300)); // a writer's own pace, shorter than the 1 s
    }
    const later = world.usageRows(10);
    await appendFile(empty, rowsCsv(later));
    await until(
      "both files are settled",
      () => !!world.result(inbox, "usage.csv") && !!world.result(inbox, "later.csv"),
      120_000,
    );
    await expectClaimedOnce(
      rows.map((r) => r.split(",")[5]),
      inbox,
      "usage.csv",
    );
    await expectClaimedOnce(
      later.map((r) => r.split(",")[5]),
      inbox,
      "later.csv",
    );
  });

  it("sets a file back when it changes after it was taken, and settles all of it, never part of it in silence", async function () {
    const { base, inbox } = await start(config("changed", {}), "changed");
    const pauser = world.wallet(PAUSER);
    await (await world.distributor.connect(pauser).pause()).wait(); // its first rows stay pending
    try {
      const first = world.usageRows(5);
      const file = await world.drop(inbox, "usage.csv", first);
      await until("taken", () => logged("changed", "usage file taken"));
      const more = world.usageRows(3);
      await appendFile(path.join(inbox, file.name), more.join("\n") + "\n");
      await until("set back", () => logged("changed", "usage file set back"));
      await (await world.distributor.connect(pauser).unpause()).wait();
      await until("the file is settled", () => world.result(inbox, file.name) !== undefined, 60_000);
      const result = world.result(inbox, file.name) as FileResult;
      expect([
        result.changedAfterTaken,
        await metric(base, 'zon_inbox_files_total{outcome="changed"}'),
      ]).to.deep.equal([1, 1]);
      await expectClaimedOnce(
        [...first, ...more].map((r) => r.split(",")[5]),
        inbox,
        file.name,
      );
    } finally {
      if (await world.distributor.paused()) await (await world.distributor.connect(pauser).unpause()).wait();
    }
  });

  it("rejects a file with a row it cannot read, naming the row and field, and claims every other file", async function () {
    // The fault: a field whose value was an object with a toString that is not a function threw in every
    // round, and no file was ever claimed again.
    const { inbox } = await start(config("malformed", {}), "malformed");
    const [good] = world.usageRows(1);
    const [address] = good.split(",");
    const bad = JSON.stringify({
      beneficiary: address,
      customerId: { toString: 1 },
      period: PERIOD,
      category: 0,
      usageCents: 5,
      id: 1,
    });
    await mkdir(inbox, { recursive: true });
    await writeFile(path.join(inbox, ".bad.jsonl"), bad + "\n");
    await rmThenRename(inbox, ".bad.jsonl", "bad.jsonl");
    const file = await world.drop(inbox, "good.csv", world.usageRows(20));
    await until("the good file is settled", () => world.result(inbox, file.name) !== undefined);
    const note = readFileSync(path.join(inbox, "rejected", "bad.jsonl.error.txt"), "utf8");
    expect(note.trim()).to.equal('bad.jsonl row 1, field "customerId": is an object, not a text or a number');
    await expectClaimedOnce(file.ids, inbox, file.name);
  });

  it("refuses on its own a row the chain refuses, settles the rest of its file, and sends no transaction that reverts", async function () {
    // The fault: a row of a period without a policy, or with usage that overflows the reward, kept its whole
    // file in the inbox until the row's deadline, each retry a reverted transaction on chain.
    const { inbox } = await start(config("poisoned", {}), "poisoned");
    const from = await world.provider.getBlockNumber();
    const rows = world.usageRows(30);
    const [poisoned] = world.usageRows(1, 202001); // no policy for 2020-01
    // Usage whose reward exceeds the period's whole budget: it could never be paid.
    const [huge] = world.usageRows(1).map((r) => r.replace(",1000,", ",18446744073709551615,"));
    const file = await world.drop(inbox, "usage.csv", [
      ...rows.slice(0, 15),
      poisoned,
      ...rows.slice(15),
      huge,
    ]);
    await until("the file is settled", () => world.result(inbox, file.name) !== undefined, 60_000);
    const result = world.result(inbox, file.name) as FileResult;
    const refused = result.settled.filter((r) => r.outcome === "refused");
    expect([
      result.outcomes,
      refused.map((r) => [r.row, r.id]).sort(),
      refused.map((r) => /PolicyNotPublished|whole budget/.test(r.reason!)),
    ]).to.deep.equal([
      { claimed: 30, refused: 2 },
      [
        [17, poisoned.split(",")[5]],
        [33, huge.split(",")[5]],
      ],
      [true, true],
    ]);
    expect(await world.failedTransactionsFrom(world.wallet(RELAYER).address, from)).to.deep.equal([]);
    await expectClaimedOnce(
      rows.map((r) => r.split(",")[5]),
      inbox,
      file.name,
      32,
    );
  });

  it("reports a conflict, naming both rows, for an id claimed before for another beneficiary", async function () {
    // The fault: a second export reusing a period's ids for other beneficiaries was recorded
    // "alreadyClaimed" and never paid, without a word.
    const { base, inbox } = await start(config("conflict", {}), "conflict");
    const rows = world.usageRows(4);
    const first = await world.drop(inbox, "first.csv", rows);
    await until("the first export is settled", () => world.result(inbox, first.name) !== undefined);
    const globex = world.wallet(ACCOUNTS.globex).address;
    const before = await world.token.balanceOf(globex);
    // The same ids, all for globex this time; and the first row again, unchanged (a file dropped twice).
    const reused = rows.map((r, i) => (i === 0 ? r : [globex, ...r.split(",").slice(1)].join(",")));
    const second = await world.drop(inbox, "second.csv", reused);
    await until("the second export is settled", () => world.result(inbox, second.name) !== undefined);
    const result = world.result(inbox, second.name) as FileResult;
    const conflicts = result.settled.filter((r) => r.outcome === "conflict");
    const changedRows = rows.filter((r, i) => i > 0 && !r.startsWith(globex)).length;
    const acme = world.wallet(ACCOUNTS.acme).address;
    expect({
      outcomes: result.outcomes,
      named: conflicts.every((c) => c.claimed?.beneficiary === acme && c.claimed.usageCents === "1000"),
      metric: await metric(base, "zon_claim_conflicts_total"),
      logged: logOf("conflict").includes('"level":"error","msg":"conflict'),
      globexPaid: (await world.token.balanceOf(globex)) - before,
    }).to.deep.equal({
      outcomes: { alreadyClaimed: 4 - changedRows, conflict: changedRows },
      named: true,
      metric: changedRows,
      logged: changedRows > 0,
      globexPaid: 0n,
    });
  });

  it("tells two files apart that carry one (period, id) for different beneficiaries: one claimed, the other a conflict", async function () {
    const { inbox } = await start(config("twins", {}), "twins");
    const [row] = world.usageRows(1);
    const parts = row.split(",");
    const other = [world.wallet(ACCOUNTS.globex).address, ...parts.slice(1)].join(",");
    const mine = [world.wallet(ACCOUNTS.acme).address, ...parts.slice(1)].join(",");
    await Promise.all([world.drop(inbox, "a.csv", [mine]), world.drop(inbox, "b.csv", [other])]);
    await until("both are settled", () => !!world.result(inbox, "a.csv") && !!world.result(inbox, "b.csv"));
    const outcomes = ["a.csv", "b.csv"].map((n) => world.result(inbox, n)!.settled[0].outcome).sort();
    const [claim] = await world.distributor.queryFilter(
      world.distributor.filters.AttestationClaimed(PERIOD, BigInt(parts[5])),
    );
    const winner = claim.args.beneficiary === mine.split(",")[0] ? "a.csv" : "b.csv";
    expect([outcomes, world.result(inbox, winner)!.settled[0].outcome]).to.deep.equal([
      ["claimed", "conflict"],
      "claimed",
    ]);
  });

  it("leaves a usage file in the inbox while its result cannot be written (a full disk), says so, and finishes once it can", async function () {
    // The fault: the file moved to done/ with a 0-byte result, never written again.
    const cfg = config("disk-full", {});
    const inbox = path.join(cfg.stateDir, "inbox");
    await mkdir(inbox, { recursive: true });
    const file = await world.configFile(cfg);
    // The service sees its inbox as a small disk of its own (a tmpfs, in a mount namespace of its own);
    // the test reaches it through the service's root, /proc/<pid>/root.
    const child = await world.startProcess(file, "disk-full", world.env, [
      "unshare",
      "--mount",
      "--",
      "sh",
      "-c",
      `mount -t tmpfs -o size=256k tmpfs "${inbox}" && exec "$@"`,
      "sh",
    ]);
    const base = world.statusUrl(file);
    await until("running", () => logged("disk-full", "status server listening"));
    const seen = `/proc/${child.pid}/root${inbox}`;
    const usage = await world.drop(seen, "usage.csv", world.usageRows(100));
    const filler = path.join(seen, "done", ".filler");
    await mkdir(path.dirname(filler), { recursive: true });
    await writeFile(filler, Buffer.alloc(256 * 1024)).catch(() => undefined); // the disk is full
    await until("unhealthy: the result cannot be written", async () => {
      const { status, body } = await health(base);
      return (
        status === 503 &&
        body.loops[0].problems!.some((p) => /cannot write .*usage\.csv\.result\.json/.test(p))
      );
    });
    expect([await waiting(seen), existsSync(path.join(seen, "done", "usage.csv.result.json"))]).to.deep.equal(
      [["usage.csv"], false],
    );
    await rm(filler);
    await until("the file is settled", () => world.result(seen, "usage.csv") !== undefined, 30_000);
    await until("healthy again", async () => (await health(base)).status === 200);
    const counts = await world.claimCounts();
    expect([
      world.result(seen, "usage.csv")!.items,
      usage.ids.filter((id) => counts.get(id) !== 1),
      await waiting(seen),
    ]).to.deep.equal([100, [], []]);
  });

  it("takes turns between files: a small file dropped behind a large one settles first", async function () {
    // The fault: a large file was read and signed whole before anything was sent, and a 100-row file
    // dropped after it waited for all of it (~15 min for 1.47 M rows).
    const { inbox } = await start(config("turns", { batchSize: 100, windowRows: 2_000 }), "turns");
    const large = await world.drop(inbox, "large.csv", world.usageRows(8_000));
    await until("the large file is taken", () => logged("turns", "usage file taken"));
    const small = await world.drop(inbox, "small.csv", world.usageRows(20));
    await until("the small file is settled", () => world.result(inbox, small.name) !== undefined, 60_000);
    const largeStillPending = world.result(inbox, large.name) === undefined;
    await until("the large file is settled", () => world.result(inbox, large.name) !== undefined, 180_000);
    expect(largeStillPending).to.equal(true);
    await expectClaimedOnce(small.ids, inbox, small.name);
    await expectClaimedOnce(large.ids, inbox, large.name);
  });

  it("reports once what is not a usage file in the inbox (another extension, a symbolic link) and leaves it", async function () {
    const { base, inbox } = await start(config("strangers", {}), "strangers");
    await writeFile(path.join(inbox, "notes.txt"), "not usage\n");
    await symlink("/etc/hostname", path.join(inbox, "link.csv"));
    await until(
      "both reported",
      async () =>
        (await metric(base, 'zon_inbox_ignored_total{why="extension"}')) === 1 &&
        (await metric(base, 'zon_inbox_ignored_total{why="symlink"}')) === 1,
    );
    const file = await world.drop(inbox, "usage.csv", world.usageRows(3));
    await until("a later file is settled", () => world.result(inbox, file.name) !== undefined);
    const reported = logOf("strangers")
      .split("\n")
      .filter((l) => l.includes("inbox entry left alone"));
    expect([reported.length, (await waiting(inbox)).sort()]).to.deep.equal([2, ["notes.txt"]]);
  });
});

/** Lands a file written under a dot name by renaming it. */
async function rmThenRename(dir: string, from: string, to: string): Promise<void> {
  const { rename } = await import("node:fs/promises");
  await rename(path.join(dir, from), path.join(dir, to));
}

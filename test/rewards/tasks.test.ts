import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import hre from "hardhat";
import {
  cashbackCalls,
  cashbackFileName,
  computeReward,
  customerIdFor,
  decodeCashbackFile,
  LOCAL_CUSTOMER_ID_SALT,
  packRates,
} from "../../src";
import { runTask } from "../helpers/tasks";
import { customerId, PERIOD, POLICY, rewardsFixture } from "./fixture";

const run = runTask;

describe("reward tasks", function () {
  async function taskFixture() {
    const f = await rewardsFixture();
    const dir = await mkdtemp(path.join(os.tmpdir(), "zon-tasks-"));
    const distributor = await f.distributor.getAddress();
    // The task signs with test account 8, the fixture's lowest attestor (accounts 8, 9, 10).
    const attestorIndex = String(
      (await hre.ethers.getSigners()).findIndex((s) => s.address === f.attestors[0].address),
    );
    const usage = path.join(dir, "usage.csv");
    const rows = [
      `${f.alice.address},${customerId(f.alice.address)},${PERIOD},compute,10000,0`,
      `${f.bob.address},${customerId(f.bob.address)},${PERIOD},storage,20000,1`,
      `${f.carol.address},${customerId(f.carol.address)},${PERIOD},ai,30000,2`,
    ];
    await writeFile(
      usage,
      ["beneficiary,customerId,period,category,usageCents,id", ...rows].join("\n") + "\n",
    );
    return { ...f, dir, usage, distributorAddress: distributor, attestorIndex };
  }

  /** Arguments of rewards:sign for the fixture's usage file, signed by its lowest attestor. */
  function signArgs(f: Awaited<ReturnType<typeof taskFixture>>, overrides: Record<string, string> = {}) {
    return {
      distributor: f.distributorAddress,
      usage: f.usage,
      out: path.join(f.dir, "bundle.json"),
      deadline: f.deadline.toString(),
      attestorAccounts: f.attestorIndex,
      ...overrides,
    };
  }

  /** Signs the fixture's usage file into a bundle with the task; returns the bundle's path. */
  async function signBundle(f: Awaited<ReturnType<typeof taskFixture>>): Promise<string> {
    const args = signArgs(f);
    await run("rewards:sign", args);
    return args.out;
  }

  /** Builds the fixture's usage file as epoch 0 with the tasks (and publishes it); returns its directory. */
  async function buildEpochDir(
    f: Awaited<ReturnType<typeof taskFixture>>,
    publish: boolean,
  ): Promise<string> {
    const out = path.join(await mkdtemp(path.join(f.dir, "epoch-")), "epoch");
    const deadline = String(BigInt(await time.latest()) + 86_400n);
    const args = {
      distributor: f.distributorAddress,
      usage: f.usage,
      period: String(PERIOD),
      epoch: "0",
      deadline,
      out,
    };
    await run("epoch:build", { ...args, attestorAccounts: f.attestorIndex });
    if (publish) await run("epoch:publish", { dir: out });
    return out;
  }

  it("publishes a policy from category names, as the policy officer", async function () {
    const { distributor, distributorAddress, policy } = await loadFixture(taskFixture);
    await run("rewards:policy", {
      distributor: distributorAddress,
      from: policy.address,
      period: "202612",
      rates: "compute=400,ai=900",
      budget: "5000",
    });
    expect((await distributor.periodPolicy(202612))[0]).to.equal(packRates([400, 0, 0, 0, 0, 900]));
  });

  it("refuses to publish a policy from an account that is not the policy officer, naming the one that is", async function () {
    const { distributorAddress, outsider } = await loadFixture(taskFixture);
    await expect(
      run("rewards:policy", {
        distributor: distributorAddress,
        from: outsider.address,
        period: "202612",
        rates: "compute=400",
        budget: "5000",
      }),
    ).to.be.rejectedWith(
      `account ${outsider.address} is not the policy officer; the policy officer is 0x90F79bf6EB2c4f870365E785982E1f101E93b906 (deploy/parameters/hardhat.json)`,
    );
  });

  it("refuses a usage file with a repeated (period, id), naming the rows", async function () {
    const f = await loadFixture(taskFixture);
    const usage = path.join(f.dir, "twice.csv");
    const row = `${f.alice.address},${customerId(f.alice.address)},${PERIOD},compute,1,0`;
    await writeFile(usage, `beneficiary,customerId,period,category,usageCents,id\n${row}\n${row}\n`);
    await expect(run("rewards:sign", signArgs(f, { usage }))).to.be.rejectedWith(
      `twice.csv row 3, field "id": ${PERIOD}/0 repeats row 2: each (period, id) mints once`,
    );
  });

  it("refuses a deadline in the past before signing anything", async function () {
    const f = await loadFixture(taskFixture);
    await expect(run("rewards:sign", signArgs(f, { deadline: "1000" }))).to.be.rejectedWith(
      /usage\.csv row 2, field "deadline": 1000 is in the past/,
    );
  });

  it("refuses a header-only usage file", async function () {
    const f = await loadFixture(taskFixture);
    const usage = path.join(f.dir, "empty.csv");
    await writeFile(usage, "beneficiary,customerId,period,category,usageCents,id\n");
    await expect(run("rewards:sign", signArgs(f, { usage }))).to.be.rejectedWith(
      "empty.csv: no usage rows (only a header?)",
    );
  });

  it("refuses to sign with an account that is not an attestor", async function () {
    const f = await loadFixture(taskFixture);
    await expect(run("rewards:sign", signArgs(f, { attestorAccounts: "0" }))).to.be.rejectedWith(
      `attestor: account ${f.admin.address} is not an attestor of the distributor ${f.distributorAddress}`,
    );
  });

  it("signs with configured keys (the fast signer) bundles the distributor accepts", async function () {
    const f = await loadFixture(taskFixture);
    // Hardhat's well-known test key #8: one of the fixture's attestors.
    process.env.ATTESTOR_KEYS = "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97";
    try {
      const args = signArgs(f);
      delete (args as { attestorAccounts?: string }).attestorAccounts;
      await run("rewards:sign", args);
      const totals = await run<{ claimed: number }>("rewards:submit", { bundle: args.out, batchSize: 100 });
      expect(totals.claimed).to.equal(3);
    } finally {
      delete process.env.ATTESTOR_KEYS;
    }
  });

  it("signs a usage file and submits it, minting each reward once", async function () {
    const f = await loadFixture(taskFixture);
    const { token, alice, bob, carol } = f;
    const bundle = await signBundle(f);
    const totals = await run<{ claimed: number; skipped: number }>("rewards:submit", {
      bundle,
      batchSize: 2,
    });
    expect(totals).to.include({ claimed: 3, skipped: 0 });
    expect(await Promise.all([alice, bob, carol].map((s) => token.balanceOf(s.address)))).to.deep.equal([
      computeReward(POLICY, 0, 10_000n),
      computeReward(POLICY, 1, 20_000n),
      computeReward(POLICY, 5, 30_000n),
    ]);
  });

  it("signs a FOCUS export with the account registry and submits it, minting each account's net usage", async function () {
    const f = await loadFixture(taskFixture);
    const { token, alice, bob } = f;
    const header =
      "BilledCost,BillingAccountId,BillingCurrency,BillingPeriodStart,ChargeCategory,ChargeClass,ServiceCategory,ServiceName,SubAccountId,x_Tag";
    const start = "2026-11-01T00:00:00Z";
    const lines = [
      `60.25,ba-1,USD,${start},Usage,,Compute,VM,acme,"a,b"`,
      `39.75,ba-1,USD,${start},Usage,,Compute,VM,acme,`,
      `-10,ba-1,USD,${start},Credit,,Compute,VM,acme,`,
      `200,ba-2,USD,${start},Usage,,Storage,Objects,globex,`,
      `99,ba-2,USD,${start},Tax,,Other,Tax,globex,`,
    ];
    const focus = path.join(f.dir, "export.csv");
    await writeFile(focus, [header, ...lines].join("\n") + "\n");
    const wallets = path.join(f.dir, "wallets.csv");
    await writeFile(wallets, `account,wallet,number\nacme,${alice.address},0\nglobex,${bob.address},1\n`);
    const args = signArgs(f, { focus, wallets });
    delete (args as { usage?: string }).usage;
    await run("rewards:sign", args);
    const totals = await run<{ claimed: number }>("rewards:submit", { bundle: args.out });
    expect(totals).to.include({ claimed: 2 });
    expect(await Promise.all([alice, bob].map((s) => token.balanceOf(s.address)))).to.deep.equal([
      computeReward(POLICY, 0, 9_000n),
      computeReward(POLICY, 1, 20_000n),
    ]);
    const claims = await f.distributor.queryFilter(f.distributor.filters.AttestationClaimed());
    expect(claims.map((e) => [e.args.id, e.args.customerId])).to.deep.equal([
      [0n, customerIdFor(LOCAL_CUSTOMER_ID_SALT, "acme")],
      [9n, customerIdFor(LOCAL_CUSTOMER_ID_SALT, "globex")],
    ]);
  });

  it("refuses --focus together with --usage, naming both", async function () {
    const f = await loadFixture(taskFixture);
    await expect(run("rewards:sign", signArgs(f, { focus: f.usage }))).to.be.rejectedWith(
      "usage: give either --usage (the usage CSV or JSON lines) or --focus (a FOCUS export)",
    );
  });

  it("refuses --focus without the account registry", async function () {
    const f = await loadFixture(taskFixture);
    const args = signArgs(f, { focus: f.usage });
    delete (args as { usage?: string }).usage;
    await expect(run("rewards:sign", args)).to.be.rejectedWith(
      "wallets: --focus needs the account registry (a CSV of account,wallet,number)",
    );
  });

  it("re-submitting a landed bundle mints nothing and fails, counting the skips by reason", async function () {
    const f = await loadFixture(taskFixture);
    const { token } = f;
    const bundle = await signBundle(f);
    await run("rewards:submit", { bundle, batchSize: 100 });
    const supply = await token.totalSupply();
    await expect(run("rewards:submit", { bundle, batchSize: 100 })).to.be.rejectedWith(
      "bundle: nothing could be claimed; 3 item(s) skipped (3 already claimed)",
    );
    expect(await token.totalSupply()).to.equal(supply);
  });

  it("refuses a bundle whose signatures do not verify, naming the item, before sending anything", async function () {
    const f = await loadFixture(taskFixture);
    const bundle = await signBundle(f);
    const json = JSON.parse(await readFile(bundle, "utf8"));
    json.items[1].attestation.usageCents = "999999"; // altered after signing
    await writeFile(bundle, JSON.stringify(json));
    await expect(run("rewards:submit", { bundle, batchSize: 1 })).to.be.rejectedWith(
      /^bundle item 1 \(period 202611, id 1\): signature 0 recovers to 0x[0-9a-fA-F]{40}, not an attestor/,
    );
    expect(await f.token.totalSupply()).to.equal(0n);
  });

  it("shows each attestation's status", async function () {
    const f = await loadFixture(taskFixture);
    const bundle = await signBundle(f);
    await run("rewards:submit", { bundle, batchSize: 1 });
    const rows = await run<Array<{ status: string }>>("rewards:status", {
      distributor: f.distributorAddress,
      period: String(PERIOD),
      ids: "0,2,3",
    });
    expect(rows.map((r) => r.status)).to.deep.equal(["claimed", "claimed", "open"]);
  });

  it("shows a bundle's unclaimed items as expired after their deadline, and revoked ones as revoked", async function () {
    const f = await loadFixture(taskFixture);
    const bundle = await signBundle(f);
    await (await f.distributor.connect(f.admin).revoke(PERIOD, 1n)).wait();
    await time.increaseTo(f.deadline + 1n);
    const rows = await run<Array<{ id: string; status: string }>>("rewards:status", { bundle });
    expect(rows.map((r) => [r.id, r.status])).to.deep.equal([
      ["0", "expired"],
      ["1", "revoked"],
      ["2", "expired"],
    ]);
  });

  it("refuses a billing period that is not YYYYMM with a month from 01 to 12, before sending anything", async function () {
    await loadFixture(taskFixture);
    for (const period of ["202613", "202600", "2026", "26-11"])
      await expect(run("rewards:policy", { period, rates: "compute=500", budget: "1" })).to.be.rejectedWith(
        `period: "${period}" is not a billing period (YYYYMM, month 01 to 12, e.g. 202611)`,
      );
  });

  it("refuses a usage file with a bad row, naming it, and writes no bundle", async function () {
    const f = await loadFixture(taskFixture);
    const { dir, alice } = f;
    const usage = path.join(dir, "bad.csv");
    const rows = [
      `${alice.address},${customerId(alice.address)},${PERIOD},compute,1,0`,
      `${alice.address},${customerId(alice.address)},${PERIOD},quantum,1,1`,
    ];
    await writeFile(
      usage,
      ["beneficiary,customerId,period,category,usageCents,id", ...rows].join("\n") + "\n",
    );
    const bundle = path.join(dir, "never.json");
    await expect(
      run("rewards:sign", signArgs(f, { usage, out: bundle, attestorAccounts: "0" })),
    ).to.be.rejectedWith(/bad\.csv row 3, field "category": "quantum" is not a category/);
    await expect(readFile(bundle)).to.be.rejectedWith(/ENOENT/);
  });

  it("refuses a row without an attestation id", async function () {
    const f = await loadFixture(taskFixture);
    const { dir, alice } = f;
    const usage = path.join(dir, "noid.csv");
    await writeFile(
      usage,
      `beneficiary,customerId,period,category,usageCents\n${alice.address},${customerId(alice.address)},${PERIOD},compute,1\n`,
    );
    await expect(
      run("rewards:sign", signArgs(f, { usage, out: path.join(dir, "b.json"), attestorAccounts: "0" })),
    ).to.be.rejectedWith('noid.csv row 2, field "id": missing (an attestation needs its per-period id)');
  });

  it("refuses a bundle with a malformed item before submitting anything", async function () {
    const f = await loadFixture(taskFixture);
    const { token } = f;
    const bundle = await signBundle(f);
    const json = JSON.parse(await readFile(bundle, "utf8"));
    json.items[2].attestation.beneficiary = "0x1234";
    await writeFile(bundle, JSON.stringify(json));
    await expect(run("rewards:submit", { bundle, batchSize: 1 })).to.be.rejectedWith(
      'items[2].attestation.beneficiary: "0x1234" is not an address',
    );
    expect(await token.totalSupply()).to.equal(0n);
  });

  it("refuses to build an epoch into a directory that is not empty, unless forced", async function () {
    const f = await loadFixture(taskFixture);
    const out = await buildEpochDir(f, false);
    const args = {
      distributor: f.distributorAddress,
      usage: f.usage,
      period: String(PERIOD),
      epoch: "1",
      deadline: String(BigInt(await time.latest()) + 86_400n),
      out,
      attestorAccounts: f.attestorIndex,
    };
    await expect(run("epoch:build", args)).to.be.rejectedWith(
      `out: ${out} is not empty (an earlier epoch?); choose another directory or pass --force`,
    );
    await run("epoch:build", { ...args, force: true });
  });

  it("releases an epoch's unclaimed rest after its claim deadline", async function () {
    const f = await loadFixture(taskFixture);
    const out = await buildEpochDir(f, true);
    await time.increase(2 * 86_400);
    const released = await run<bigint>("epoch:release", { dir: out });
    expect([released > 0n, (await f.distributor.periodPolicy(PERIOD))[2]]).to.deep.equal([true, 0n]);
  });

  it("computes the salted customer id of a cloud account from the configured salt", async function () {
    process.env.CUSTOMER_ID_SALT = "a-test-salt-of-enough-length";
    try {
      expect(await run("rewards:customerId", { account: "acme-prod" })).to.equal(
        customerIdFor("a-test-salt-of-enough-length", "acme-prod"),
      );
    } finally {
      delete process.env.CUSTOMER_ID_SALT;
    }
  });

  it("builds, publishes and claims an epoch end to end", async function () {
    const f = await loadFixture(taskFixture);
    const { token, bob } = f;
    const out = await buildEpochDir(f, true);
    const minted = await run<bigint>("epoch:claim", { dir: out, beneficiary: bob.address });
    expect([minted, await token.balanceOf(bob.address)]).to.deep.equal(
      Array(2).fill(computeReward(POLICY, 1, 20_000n)),
    );
  });

  it("claims nothing twice when epoch:claim runs again", async function () {
    const f = await loadFixture(taskFixture);
    const { bob } = f;
    const out = await buildEpochDir(f, true);
    await run("epoch:claim", { dir: out, beneficiary: bob.address });
    expect(await run<bigint>("epoch:claim", { dir: out, beneficiary: bob.address })).to.equal(0n);
  });

  it("refuses to claim for an address that has no leaf", async function () {
    const f = await loadFixture(taskFixture);
    const { outsider } = f;
    const out = await buildEpochDir(f, false);
    await expect(run("epoch:claim", { dir: out, beneficiary: outsider.address })).to.be.rejectedWith(
      `beneficiary: ${outsider.address} has no leaf in epoch 0 of ${PERIOD}`,
    );
  });

  it("refuses a distributor address with no contract", async function () {
    const { outsider } = await loadFixture(taskFixture);
    await expect(
      run("rewards:status", { distributor: outsider.address, period: "202611", ids: "0" }),
    ).to.be.rejectedWith(`distributor: no contract at ${outsider.address} on hardhat`);
  });

  it("publishes one cashback file per business from a bundle and an epoch, which claims as the page sends it", async function () {
    const f = await loadFixture(taskFixture);
    const out = path.join(f.dir, "cashback");
    await run("web:cashback", { bundle: await signBundle(f), out });
    const written = await run<number>("web:cashback", { epoch: await buildEpochDir(f, true), out });
    expect(written).to.equal(3);
    const alice = decodeCashbackFile(
      JSON.parse(await readFile(path.join(out, cashbackFileName(f.alice.address)), "utf8")),
    );
    expect([alice.beneficiary, alice.attestations.length, alice.epochClaims.length]).to.deep.equal([
      f.alice.address,
      1,
      1,
    ]);
    // The bundle's attestation mints once; the epoch's leaf for the same usage is a separate reservation.
    for (const call of cashbackCalls(f.distributor, alice.attestations, alice.epochClaims))
      await (await f.alice.sendTransaction(call)).wait();
    const reward = computeReward(POLICY, 0, 10_000n);
    expect(await f.token.balanceOf(f.alice.address)).to.equal(2n * reward);
  });

  it("merges a re-run into the published files without repeating an attestation or a leaf", async function () {
    const f = await loadFixture(taskFixture);
    const out = path.join(f.dir, "cashback-twice");
    const bundle = await signBundle(f);
    await run("web:cashback", { bundle, out });
    await run("web:cashback", { bundle, out });
    const bob = decodeCashbackFile(
      JSON.parse(await readFile(path.join(out, cashbackFileName(f.bob.address)), "utf8")),
    );
    expect(bob.attestations.map((a) => a.attestation.id)).to.deep.equal([1n]);
  });

  it("refuses web:cashback with neither a bundle nor an epoch", async function () {
    await expect(run("web:cashback", { out: os.tmpdir() })).to.be.rejectedWith(
      "web:cashback: give --bundle, --epoch or both",
    );
  });
});

import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import hre from "hardhat";
import { computeReward, packRates } from "../../src";
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
    const out = path.join(f.dir, "epoch");
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

  it("publishes a policy from category names", async function () {
    const { distributor, distributorAddress } = await loadFixture(taskFixture);
    await distributor.grantRole(await distributor.POLICY_ROLE(), (await hre.ethers.getSigners())[0].address);
    await run("rewards:policy", {
      distributor: distributorAddress,
      period: "202612",
      rates: "compute=400,ai=900",
      budget: "5000",
    });
    expect((await distributor.periodPolicy(202612))[0]).to.equal(packRates([400, 0, 0, 0, 0, 900]));
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

  it("re-submitting a landed bundle skips every item and mints nothing", async function () {
    const f = await loadFixture(taskFixture);
    const { token } = f;
    const bundle = await signBundle(f);
    await run("rewards:submit", { bundle, batchSize: 100 });
    const supply = await token.totalSupply();
    const totals = await run<{ claimed: number; skipped: number }>("rewards:submit", {
      bundle,
      batchSize: 100,
    });
    expect([totals.claimed, totals.skipped, await token.totalSupply()]).to.deep.equal([0, 3, supply]);
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
      run("rewards:status", { distributor: outsider.address, period: "1", ids: "0" }),
    ).to.be.rejectedWith(`distributor: no contract at ${outsider.address} on hardhat`);
  });
});

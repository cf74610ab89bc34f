import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import fc from "fast-check";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { getAddress, hexlify, keccak256, toBeHex, Wallet } from "ethers";
import {
  buildEpoch,
  computeReward,
  EPOCH_LEAF_ENCODING,
  recoverEpochRootSigner,
  rewardDomain,
  type EpochFile,
  type EpochLeaf,
  type EpochProofLine,
} from "../../src";
import { PERIOD, POLICY, rewardsFixture } from "./fixture";

const HEADER = "beneficiary,customerId,period,category,usageCents";
const DOMAIN = rewardDomain(202611n, "0x000000000000000000000000000000000000dEaD");
const SIGNER = new Wallet("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b69690d");

interface Row {
  holder: number;
  category: number;
  usage: bigint;
}

const holderAddress = (h: number) => getAddress(toBeHex(0x5000 + h, 20));
const holderCustomer = (h: number) => keccak256(toBeHex(h, 32));

async function build(rows: Row[], extra: Partial<Parameters<typeof buildEpoch>[0]> = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), "zon-epoch-"));
  const usageFile = path.join(dir, "usage.csv");
  const lines = rows.map(
    (r) => `${holderAddress(r.holder)},${holderCustomer(r.holder)},${PERIOD},${r.category},${r.usage}`,
  );
  await writeFile(usageFile, [HEADER, ...lines].join("\n") + "\n");
  const outDir = path.join(dir, "out");
  const result = await buildEpoch({
    usageFile,
    outDir,
    policy: POLICY,
    period: PERIOD,
    epoch: 0,
    claimDeadline: 2_000_000_000n,
    domain: DOMAIN,
    signers: [SIGNER],
    ...extra,
  });
  const leaves: EpochLeaf[] = rows.map((r, i) => [
    BigInt(i),
    holderAddress(r.holder),
    holderCustomer(r.holder),
    r.category,
    r.usage,
  ]);
  const proofs = (await readFile(path.join(outDir, "proofs.jsonl"), "utf8"))
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as EpochProofLine);
  const epochFile = JSON.parse(await readFile(path.join(outDir, "epoch.json"), "utf8")) as EpochFile;
  return { result, leaves, proofs, epochFile, outDir, usageFile };
}

const rowArb = fc.record({
  holder: fc.integer({ min: 0, max: 5 }),
  category: fc.integer({ min: 0, max: 7 }),
  usage: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
});

describe("epoch builder", function () {
  it("builds the root OpenZeppelin's StandardMerkleTree builds, for any set of records", async function () {
    await fc.assert(
      fc.asyncProperty(fc.array(rowArb, { minLength: 1, maxLength: 40 }), async (rows) => {
        const { result, leaves } = await build(rows);
        expect(result.epochRoot.root).to.equal(StandardMerkleTree.of(leaves, [...EPOCH_LEAF_ENCODING]).root);
      }),
      { numRuns: 30, seed: 7 },
    );
  });

  it("writes for every leaf the very proof StandardMerkleTree gives", async function () {
    const rows = Array.from({ length: 23 }, (_, i) => ({
      holder: i % 4,
      category: i % 8,
      usage: BigInt(i * 1_000),
    }));
    const { leaves, proofs } = await build(rows);
    const tree = StandardMerkleTree.of(leaves, [...EPOCH_LEAF_ENCODING]);
    const written = proofs.flatMap((line) => line.claims.map((c) => [Number(c.index), c.proof] as const));
    expect(written.sort(([a], [b]) => a - b)).to.deep.equal(leaves.map((_, i) => [i, tree.getProof(i)]));
  });

  it("groups each beneficiary's leaves on one line", async function () {
    const rows = [0, 1, 0, 2, 1, 0].map((holder) => ({ holder, category: 0, usage: 100n }));
    const { proofs } = await build(rows);
    expect(proofs.map((l) => [l.beneficiary, l.claims.map((c) => c.index)])).to.deep.equal([
      [holderAddress(0), ["0", "2", "5"]],
      [holderAddress(1), ["1", "4"]],
      [holderAddress(2), ["3"]],
    ]);
  });

  it("computes each reward and the total with the policy's formula", async function () {
    const rows = [0, 1, 2, 3, 7].map((category) => ({ holder: category, category, usage: 12_345n }));
    const { result, proofs, epochFile } = await build(rows);
    const rewards = rows.map((r) => computeReward(POLICY, r.category, r.usage));
    expect(proofs.flatMap((l) => l.claims.map((c) => BigInt(c.reward)))).to.deep.equal(rewards);
    expect([result.epochRoot.total, BigInt(epochFile.total)]).to.deep.equal(
      Array(2).fill(rewards.reduce((a, b) => a + b)),
    );
  });

  it("signs the root so that it recovers to the attestor", async function () {
    const { result, epochFile } = await build([{ holder: 0, category: 0, usage: 1n }]);
    const signature = epochFile.signatures[0].signature;
    expect(recoverEpochRootSigner(DOMAIN, result.epochRoot, signature)).to.equal(SIGNER.address);
    expect(epochFile.bundle).to.equal(result.signatures);
  });

  it("writes the whole tree in OpenZeppelin's layout to tree.bin", async function () {
    const rows = Array.from({ length: 9 }, (_, i) => ({ holder: i, category: 1, usage: BigInt(i + 1) }));
    const { leaves, outDir } = await build(rows);
    const tree = StandardMerkleTree.of(leaves, [...EPOCH_LEAF_ENCODING]).dump().tree;
    const bytes = await readFile(path.join(outDir, "tree.bin"));
    const nodes = Array.from({ length: bytes.length / 32 }, (_, i) =>
      hexlify(bytes.subarray(32 * i, 32 * i + 32)),
    );
    expect(nodes).to.deep.equal(tree);
  });

  it("gives byte-identical outputs for the same input", async function () {
    const rows = Array.from({ length: 12 }, (_, i) => ({
      holder: i % 3,
      category: i % 8,
      usage: BigInt(7 * i),
    }));
    const first = await build(rows);
    const second = await build(rows);
    const read = (dir: string) =>
      Promise.all(["epoch.json", "proofs.jsonl", "tree.bin"].map((f) => readFile(path.join(dir, f))));
    expect(await read(first.outDir)).to.deep.equal(await read(second.outDir));
  });

  /** A build of a usage file holding `body` after the header, and its out dir. */
  async function buildFrom(body: string) {
    const dir = await mkdtemp(path.join(os.tmpdir(), "zon-epoch-bad-"));
    const usageFile = path.join(dir, "usage.csv");
    await writeFile(usageFile, `${HEADER}\n${body}`);
    const outDir = path.join(dir, "out");
    const options = {
      usageFile,
      outDir,
      policy: POLICY,
      period: PERIOD,
      epoch: 0,
      claimDeadline: 1n,
      domain: DOMAIN,
      signers: [SIGNER],
    };
    return { build: () => buildEpoch(options), outDir };
  }

  it("writes nothing when a row is bad, naming the row and field", async function () {
    const { build, outDir } = await buildFrom(
      `${holderAddress(0)},${holderCustomer(0)},${PERIOD},0,1\n0xnope,${holderCustomer(0)},${PERIOD},0,1\n`,
    );
    await expect(build()).to.be.rejectedWith(
      'usage.csv row 3, field "beneficiary": "0xnope" is not an address',
    );
    expect(existsSync(outDir)).to.equal(false);
  });

  it("refuses a record of another period", async function () {
    const { build } = await buildFrom(`${holderAddress(0)},${holderCustomer(0)},${PERIOD + 1},0,1\n`);
    await expect(build()).to.be.rejectedWith(
      `usage.csv row 2, field "period": ${PERIOD + 1} is not the epoch's period ${PERIOD}`,
    );
  });

  it("refuses a file without records", async function () {
    const { build } = await buildFrom("");
    await expect(build()).to.be.rejectedWith(
      'usage.csv row 1, field "records": the file has no usage records',
    );
  });

  it("produces an epoch the distributor accepts and pays out leaf by leaf", async function () {
    const f = await loadFixture(rewardsFixture);
    const holders = [f.alice, f.bob, f.carol];
    const dir = await mkdtemp(path.join(os.tmpdir(), "zon-epoch-chain-"));
    const usageFile = path.join(dir, "usage.jsonl");
    const records = holders.flatMap((h, i) =>
      [0, 5].map((category) => ({
        beneficiary: h.address,
        customerId: holderCustomer(i),
        period: PERIOD,
        category,
        usageCents: 10_000 * (i + 1),
      })),
    );
    await writeFile(usageFile, records.map((r) => JSON.stringify(r)).join("\n") + "\n");
    const claimDeadline = BigInt(await time.latest()) + 86_400n;
    const { epochRoot, signatures } = await buildEpoch({
      usageFile,
      outDir: path.join(dir, "out"),
      policy: POLICY,
      period: PERIOD,
      epoch: 0,
      claimDeadline,
      domain: f.domain,
      signers: [f.attestors[0]],
    });
    await f.distributor.publishEpoch(epochRoot, signatures);
    const lines = (await readFile(path.join(dir, "out", "proofs.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as EpochProofLine);
    for (const line of lines) {
      for (const c of line.claims) {
        await f.distributor.claimEpoch(
          epochRoot.root,
          c.index,
          line.beneficiary,
          c.customerId,
          c.category,
          c.usageCents,
          c.proof,
        );
      }
    }
    const expected = holders.map(
      (_, i) =>
        computeReward(POLICY, 0, BigInt(10_000 * (i + 1))) +
        computeReward(POLICY, 5, BigInt(10_000 * (i + 1))),
    );
    expect(await Promise.all(holders.map((h) => f.token.balanceOf(h.address)))).to.deep.equal(expected);
    expect((await f.distributor.epochOf(epochRoot.root))[0]).to.equal(0n);
  });
});

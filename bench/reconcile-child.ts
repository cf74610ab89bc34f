import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { AbiCoder, Interface, keccak256, toBeHex, toQuantity } from "ethers";
import { reconcile, type Deployment } from "../src";

/*
 * Reconciles a period of ROWS usage rows, every one claimed on chain, in its own process (its time and
 * peak memory its own). The chain is a stand-in that serves the claims' logs as a node would (5,000 blocks
 * a query, one claim a block): what is measured is the reconciler, not a node's eth_getLogs.
 * Prints one JSON line: {"seconds", "peakMiB", "rows", "claimed", "exceptions"}.
 */
const ROWS = Number(process.argv[2] ?? 1_000_000);
const PERIOD = 202611;
const TOPIC = {
  claimed: new Interface([
    "event AttestationClaimed(uint32 indexed period, uint64 indexed id, address indexed beneficiary, bytes32 customerId, uint8 category, uint64 usageCents, uint256 reward)",
  ]).getEvent("AttestationClaimed")!.topicHash,
};
const beneficiary = (i: number) => "0x" + (0x1000_0000 + (i % 200_000)).toString(16).padStart(40, "0");
const customerIds = new Map<number, string>();
const customerId = (i: number) => {
  const holder = i % 200_000;
  let id = customerIds.get(holder);
  if (id === undefined) customerIds.set(holder, (id = keccak256(toBeHex(holder, 32))));
  return id;
};
const cents = (i: number) => BigInt(1_000 + (i % 5_000_000));

async function writeRows(file: string): Promise<void> {
  const out = createWriteStream(file);
  out.write("beneficiary,customerId,period,category,usageCents,id\n");
  for (let i = 0; i < ROWS; i++)
    if (!out.write(`${beneficiary(i)},${customerId(i)},${PERIOD},${i % 8},${cents(i)},${i}\n`))
      await once(out, "drain");
  out.end();
  await once(out, "finish");
}

/** The node stand-in: claim `i` is in block `i + 1`; every view answers zeros but the policy's use. */
function standInProvider(head: number) {
  const coder = AbiCoder.defaultAbiCoder();
  const reward = (i: number) => (cents(i) * 500n * 10n ** 16n) / 10_000n;
  let committed = 0n;
  for (let i = 0; i < ROWS; i++) committed += reward(i);
  const periodPolicy = new Interface([
    "function periodPolicy(uint32) view returns (uint256,uint256,uint256)",
  ]);
  return {
    async getBlock() {
      return { number: head, timestamp: 1_800_000_000 };
    },
    async call(tx: { data: string }) {
      if (tx.data.startsWith(periodPolicy.getFunction("periodPolicy")!.selector))
        return coder.encode(["uint256", "uint256", "uint256"], [0n, 10n ** 12n, committed]);
      return coder.encode(["uint256"], [0n]);
    },
    async send(method: string, [filter]: Array<{ topics: string[]; fromBlock: string; toBlock: string }>) {
      if (method !== "eth_getLogs") throw new Error(`${method}: not served by the stand-in`);
      if (filter.topics[0] !== TOPIC.claimed) return [];
      const logs = [];
      const word = (value: bigint | number) => value.toString(16).padStart(64, "0");
      for (let block = Number(filter.fromBlock); block <= Number(filter.toBlock) && block <= ROWS; block++) {
        const i = block - 1;
        logs.push({
          topics: [
            TOPIC.claimed,
            "0x" + word(PERIOD),
            "0x" + word(i),
            "0x" + beneficiary(i).slice(2).padStart(64, "0"),
          ],
          data: "0x" + customerId(i).slice(2) + word(i % 8) + word(cents(i)) + word(reward(i)),
          transactionHash: "0x" + word(i + 1),
          blockNumber: toQuantity(block),
        });
      }
      return logs;
    },
  };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "zon-reconcile-bench-"));
  try {
    const usage = path.join(dir, "usage.csv");
    await writeRows(usage);
    const deployment: Deployment = {
      network: "bench",
      chainId: "202611",
      fromBlock: 1,
      contracts: {
        ZonCoin: "0x0000000000000000000000000000000000000001",
        RewardDistributor: "0x0000000000000000000000000000000000000002",
        RedemptionGateway: "0x0000000000000000000000000000000000000003",
        B2BEscrow: "0x0000000000000000000000000000000000000004",
      },
    };
    for (let holder = 0; holder < Math.min(ROWS, 200_000); holder++) customerId(holder); // the stand-in's own hashing
    const provider = standInProvider(ROWS + 10);
    const started = process.hrtime.bigint();
    const summary = await reconcile({
      provider: provider as never,
      deployment,
      period: PERIOD,
      exports: [usage],
      ledgers: [],
      outDir: path.join(dir, "out"),
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const peakMiB = process.resourceUsage().maxRSS / 1024;
    console.log(
      JSON.stringify({
        seconds,
        peakMiB,
        rows: summary.issuance.rows,
        claimed: summary.issuance.fates.claimed ?? 0,
        exceptions: summary.exceptions.length,
      }),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

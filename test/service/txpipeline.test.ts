import { expect } from "chai";
import { HDNodeWallet, JsonRpcProvider, toQuantity, Transaction, Wallet } from "ethers";
import { BESU_LOCAL, TEST_MNEMONIC } from "../../src";
import { TxPipeline, type BroadcastRefusal, type MinedReceipt } from "../../src/service/txpipeline";
import { startLocalChain, type LocalChain } from "../helpers/chain";

/*
 * The relayer's transaction pipeline against a local chain whose mining the tests hold and release, with
 * a clock of their own: many transactions from one key, a node that drops one, one left unmined, a nonce
 * taken by another sender.
 */

const SINK = "0x000000000000000000000000000000000000dEaD";
const REBROADCAST_MS = 5_000;
const REPLACE_MS = 30_000;

describe("the transaction pipeline (many in flight from one key)", function () {
  this.timeout(120_000);
  let chain: LocalChain;
  let provider: JsonRpcProvider;
  let account = 30;

  before(async function () {
    chain = await startLocalChain();
    provider = new JsonRpcProvider(chain.url, BESU_LOCAL.chainId, { staticNetwork: true, cacheTimeout: -1 });
  });

  after(async function () {
    provider?.destroy();
    await chain?.stop();
  });

  /**
   * A pipeline on a test account of its own (1 ETH, or `balance`), mining held, and a clock the test moves;
   * `refusals` and `gaps` count what it reports.
   */
  async function setup(
    maxInFlight = 4,
    options: { gasPriceWei?: bigint; balance?: bigint; provider?: JsonRpcProvider } = {},
  ) {
    await provider.send("evm_setIntervalMining", [0]);
    await provider.send("evm_setAutomine", [false]);
    const key = HDNodeWallet.fromPhrase(TEST_MNEMONIC, undefined, `m/44'/60'/0'/0/${account++}`).privateKey;
    await provider.send("anvil_setBalance", [
      new Wallet(key).address,
      toQuantity(options.balance ?? 10n ** 18n),
    ]);
    const clock = { now: 1_000_000 };
    const via = options.provider ?? provider;
    const wallet = new Wallet(key, via);
    const refusals: BroadcastRefusal[] = [];
    let gaps = 0;
    const pipeline = new TxPipeline({
      wallet,
      provider: via,
      chainId: BigInt(BESU_LOCAL.chainId),
      maxInFlight,
      gasPriceWei: options.gasPriceWei ?? 0n,
      rebroadcastAfterMs: REBROADCAST_MS,
      replaceAfterMs: REPLACE_MS,
      now: () => clock.now,
      onBroadcastRefused: (reason) => refusals.push(reason),
      onNonceGap: () => gaps++,
    });
    const pool = async () => {
      const content = await provider.send("txpool_content", []);
      const mine = Object.entries(content.pending as Record<string, Record<string, { hash: string }>>).find(
        ([sender]) => sender.toLowerCase() === wallet.address.toLowerCase(),
      );
      return Object.values(mine?.[1] ?? {});
    };
    const mine = () => provider.send("evm_mine", []);
    return { pipeline, wallet, clock, pool, mine, refusals, gaps: () => gaps };
  }

  afterEach(async function () {
    await provider.send("evm_setAutomine", [true]);
  });

  it("sends many payloads from one key under consecutive nonces, never more in flight than allowed", async function () {
    const { pipeline, mine } = await setup(4);
    const receipts: MinedReceipt[] = [];
    const sent = Array.from({ length: 10 }, (_, i) =>
      pipeline.send({ to: SINK, data: "0x" + i.toString(16).padStart(2, "0") }).then((r) => receipts.push(r)),
    );
    let most = 0;
    while (receipts.length < 10) {
      await pipeline.tick();
      most = Math.max(most, pipeline.inFlightCount());
      await mine();
    }
    await Promise.all(sent);
    const nonces = await Promise.all(
      receipts.map(async (r) => (await provider.getTransaction(r.hash))!.nonce),
    );
    expect([most, nonces.sort((a, b) => a - b), receipts.every((r) => r.status === 1)]).to.deep.equal([
      4,
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      true,
    ]);
  });

  it("broadcasts again, as signed, a transaction the node dropped from its pool", async function () {
    const { pipeline, clock, pool, mine } = await setup();
    const receipt = pipeline.send({ to: SINK, data: "0x01" });
    await pipeline.tick();
    const [first] = await pool();
    await provider.send("anvil_dropAllTransactions", []);
    const afterDrop = (await pool()).length;
    clock.now += REBROADCAST_MS;
    await pipeline.tick();
    const [again] = await pool();
    await mine();
    await pipeline.tick();
    expect([afterDrop, again.hash, (await receipt).hash]).to.deep.equal([0, first.hash, first.hash]);
  });

  it("replaces a transaction left unmined with one paying more, under the same nonce, on a chain with a gas price", async function () {
    const { pipeline, clock, pool, mine } = await setup(4, { gasPriceWei: 8n });
    const receipt = pipeline.send({ to: SINK, data: "0x02" });
    await pipeline.tick();
    const [first] = await pool();
    clock.now += REPLACE_MS;
    await pipeline.tick();
    await mine();
    await pipeline.tick();
    const mined = await receipt;
    const replacement = Transaction.from((await provider.getTransaction(mined.hash))!);
    expect([mined.hash === first.hash, replacement.nonce, replacement.gasPrice]).to.deep.equal([
      false,
      0,
      10n,
    ]);
  });

  /** The node loses its pool: after the rebroadcast delay the pipeline sends again; what it sent, then mined. */
  async function afterPoolLost(
    t: Pick<Awaited<ReturnType<typeof setup>>, "pipeline" | "clock" | "pool" | "mine">,
  ) {
    await provider.send("anvil_dropAllTransactions", []);
    t.clock.now += REBROADCAST_MS;
    await t.pipeline.tick();
    const inPool = (await t.pool()).map((tx) => tx.hash);
    await t.mine();
    await t.pipeline.tick();
    return inPool;
  }

  it("never re-prices on a chain whose gas is free: after the node lost its pool, the original is sent again", async function () {
    // The fault: 1, 2, 3 wei replacements the relayer (no ether) could not pay were refused, only they were
    // sent again, and the free original was gone with the node's pool.
    const { pipeline, clock, pool, mine, refusals } = await setup(4, { balance: 0n });
    const receipt = pipeline.send({ to: SINK, data: "0x06" });
    await pipeline.tick();
    const [first] = await pool();
    for (let i = 0; i < 3; i++) {
      clock.now += REPLACE_MS;
      await pipeline.tick();
    }
    const inPool = await afterPoolLost({ pipeline, clock, pool, mine });
    const mined = Transaction.from((await provider.getTransaction((await receipt).hash))!);
    expect([inPool, mined.hash, mined.gasPrice, refusals.filter((r) => r === "funds")]).to.deep.equal([
      [first.hash],
      first.hash,
      0n,
      [],
    ]);
  });

  it("never replaces a transaction with one its account cannot pay for, and keeps sending the one it can", async function () {
    // 21,000 gas at 8 wei is paid for; the 10 wei replacement (210,000 wei) is not.
    const { pipeline, clock, pool, mine } = await setup(4, { gasPriceWei: 8n, balance: 200_000n });
    const receipt = pipeline.send({ to: SINK, data: "0x", gasLimit: 21_000n });
    await pipeline.tick();
    const [first] = await pool();
    clock.now += REPLACE_MS;
    await pipeline.tick();
    const inPool = await afterPoolLost({ pipeline, clock, pool, mine });
    expect([inPool, (await receipt).hash]).to.deep.equal([[first.hash], first.hash]);
  });

  it("counts every broadcast the node refuses, by reason", async function () {
    const { pipeline, clock, refusals } = await setup();
    void pipeline.send({ to: SINK, data: "0x07" });
    await pipeline.tick();
    clock.now += REBROADCAST_MS;
    await pipeline.tick(); // sent again while still in the pool: "already known"
    expect(refusals).to.deep.equal(["known"]);
  });

  it("sends its payloads again from the mined nonce when a node over-reported the nonce (a gap)", async function () {
    // The fault: one nonce read too high, and nothing was claimed again while the rounds "succeeded".
    let lie = 3;
    const lying = new JsonRpcProvider(chain.url, BESU_LOCAL.chainId, {
      staticNetwork: true,
      cacheTimeout: -1,
    });
    const send = lying.send.bind(lying);
    lying.send = async (method: string, params: unknown[]) => {
      const answer = await send(method, params);
      if (method === "eth_getTransactionCount" && lie > 0) {
        const told = toQuantity(BigInt(answer) + BigInt(lie));
        lie = 0;
        return told;
      }
      return answer;
    };
    try {
      const { pipeline, clock, mine, gaps } = await setup(4, { provider: lying });
      const receipts = [0, 1].map((i) => pipeline.send({ to: SINK, data: `0x0${8 + i}` }));
      await pipeline.tick(); // sent under nonces 3 and 4: a gap below them
      await mine();
      await pipeline.tick();
      clock.now += REBROADCAST_MS;
      await pipeline.tick(); // the gap is found
      await pipeline.tick(); // sent again from nonce 0
      await mine();
      await pipeline.tick();
      const nonces = await Promise.all(
        receipts.map(async (r) => (await provider.getTransaction((await r).hash))!.nonce),
      );
      expect([gaps(), nonces]).to.deep.equal([1, [0, 1]]);
    } finally {
      lying.destroy();
    }
  });

  it("sends a payload again under a new nonce when another sender of the same key took its nonce", async function () {
    const { pipeline, wallet, mine, clock } = await setup();
    const receipt = pipeline.send({ to: SINK, data: "0x03" });
    await pipeline.tick();
    // A second process with the same key replaces it in the pool (it pays more) and gets nonce 0 mined.
    await wallet.sendTransaction({ to: SINK, data: "0xff", nonce: 0, gasPrice: 10n, type: 0 });
    await mine();
    await pipeline.tick(); // no receipt of its own under nonce 0: not taken yet (a node may be slow to serve it)
    clock.now += 2_000;
    await pipeline.tick(); // still none: taken by another, sent again under nonce 1
    await mine();
    await pipeline.tick();
    const mined = await receipt;
    const tx = (await provider.getTransaction(mined.hash))!;
    expect([tx.nonce, tx.data, mined.status]).to.deep.equal([1, "0x03", 1]);
  });

  it("fails every queued and sent payload when abandoned, so no caller waits forever", async function () {
    const { pipeline } = await setup(1);
    const first = pipeline.send({ to: SINK, data: "0x04" });
    const second = pipeline.send({ to: SINK, data: "0x05" });
    await pipeline.tick();
    pipeline.abandon("the service stopped");
    const outcomes = await Promise.allSettled([first, second]);
    expect(outcomes.map((o) => o.status === "rejected" && (o.reason as Error).message)).to.deep.equal([
      "the service stopped",
      "the service stopped",
    ]);
  });
});

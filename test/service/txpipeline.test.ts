import { expect } from "chai";
import { HDNodeWallet, JsonRpcProvider, Transaction, Wallet } from "ethers";
import { BESU_LOCAL, TEST_MNEMONIC } from "../../src";
import { TxPipeline, type MinedReceipt } from "../../src/service/txpipeline";
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

  /** A pipeline on a test account of its own, mining held, and a clock the test moves. */
  async function setup(maxInFlight = 4) {
    await provider.send("evm_setIntervalMining", [0]);
    await provider.send("evm_setAutomine", [false]);
    const key = HDNodeWallet.fromPhrase(TEST_MNEMONIC, undefined, `m/44'/60'/0'/0/${account++}`).privateKey;
    await provider.send("anvil_setBalance", [new Wallet(key).address, "0xde0b6b3a7640000"]);
    const clock = { now: 1_000_000 };
    const wallet = new Wallet(key, provider);
    const pipeline = new TxPipeline({
      wallet,
      provider,
      chainId: BigInt(BESU_LOCAL.chainId),
      maxInFlight,
      gasPriceWei: 0n,
      rebroadcastAfterMs: REBROADCAST_MS,
      replaceAfterMs: REPLACE_MS,
      now: () => clock.now,
    });
    const pool = async () => {
      const content = await provider.send("txpool_content", []);
      const mine = Object.entries(content.pending as Record<string, Record<string, { hash: string }>>).find(
        ([sender]) => sender.toLowerCase() === wallet.address.toLowerCase(),
      );
      return Object.values(mine?.[1] ?? {});
    };
    const mine = () => provider.send("evm_mine", []);
    return { pipeline, wallet, clock, pool, mine };
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

  it("replaces a transaction left unmined with one paying more, under the same nonce", async function () {
    const { pipeline, clock, pool, mine } = await setup();
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
      1n,
    ]);
  });

  it("sends a payload again under a new nonce when another sender of the same key took its nonce", async function () {
    const { pipeline, wallet, mine } = await setup();
    const receipt = pipeline.send({ to: SINK, data: "0x03" });
    await pipeline.tick();
    // A second process with the same key replaces it in the pool (it pays more) and gets nonce 0 mined.
    await wallet.sendTransaction({ to: SINK, data: "0xff", nonce: 0, gasPrice: 10n, type: 0 });
    await mine();
    await pipeline.tick();
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

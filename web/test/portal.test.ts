/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { expect } from "chai";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { HDNodeWallet, JsonRpcProvider, parseUnits, Wallet } from "ethers";
import {
  BESU_LOCAL,
  bundleSignatures,
  encodeBundle,
  packRates,
  readDeployment,
  recoverAttestationSigner,
  rewardDomain,
  signAttestation,
  TEST_MNEMONIC,
  type Deployment,
  type UsageAttestation,
} from "../../src";
import {
  B2BEscrow__factory,
  RedemptionGateway__factory,
  RewardDistributor__factory,
  TestWallet__factory,
  ZonCoin__factory,
} from "../../typechain-types";
import { servePortal } from "../../tasks/web";
import {
  deployOn,
  hardhatOn,
  removeDeployJournal,
  startLocalChain,
  type LocalChain,
} from "../../test/helpers/chain";
import { freePort } from "../../test/helpers/net";
import { TestWallet } from "./wallet";

/*
 * The business portal in a real browser (Debian's Chromium, driven by playwright-core): the suite deployed
 * on a Besu-like local chain of its own, the page built by `hardhat web` and served as the static files an
 * issuer hosts, and a test wallet injected as `window.ethereum`. Each flow is checked on chain; each view
 * leaves a screenshot in web/test-results/.
 */

const ROOT = path.join(__dirname, "..", "..");
const RESULTS = path.join(ROOT, "web", "test-results");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const PERIOD = 202611;
const ZON = (value: string) => parseUnits(value, 18);
const key = (index: number) => HDNodeWallet.fromPhrase(TEST_MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`);

describe("the business portal in a browser", function () {
  this.timeout(180_000);
  let chain: LocalChain;
  let dir: string;
  let url: string;
  let provider: JsonRpcProvider;
  let deployment: Deployment;
  let server: Server;
  let page_url: string;
  let browser: Browser;
  const acme = key(11);
  const globex = key(12);
  const arbiter = key(13);
  const safeOwner = key(14);

  function cli(...args: string[]) {
    const run = hardhatOn(chain, dir, args);
    expect(run.status, `${args.join(" ")}: ${run.err}`).to.equal(0);
    return run.out;
  }

  const suite = () => ({
    token: ZonCoin__factory.connect(deployment.contracts.ZonCoin, provider),
    distributor: RewardDistributor__factory.connect(deployment.contracts.RewardDistributor, provider),
    gateway: RedemptionGateway__factory.connect(deployment.contracts.RedemptionGateway, provider),
    escrow: B2BEscrow__factory.connect(deployment.contracts.B2BEscrow, provider),
  });

  async function mined(tx: Promise<{ wait(): Promise<unknown> }>) {
    await (await tx).wait();
  }

  /** Acme's month: three attestations of 1,000 USD of compute at 5 % (50 ZON each); the third is revoked. */
  async function publishCashback() {
    const { distributor } = suite();
    await mined(
      distributor
        .connect(key(3).connect(provider))
        .publishPolicy(PERIOD, packRates([500]), 1_000_000n, { gasPrice: 0 }),
    );
    const domain = rewardDomain(BigInt(deployment.chainId), deployment.contracts.RewardDistributor);
    const now = BigInt((await provider.getBlock("latest"))!.timestamp);
    const items = [];
    for (const id of [0n, 1n, 2n]) {
      const attestation: UsageAttestation = {
        beneficiary: acme.address,
        customerId: `0x${(id + 1n).toString(16).padStart(64, "0")}`,
        period: PERIOD,
        category: 0,
        usageCents: 100_000n,
        id,
        deadline: now + 30n * 86_400n,
      };
      const signatures = await Promise.all(
        [key(4), key(5)].map((k) => signAttestation(k, domain, attestation)),
      );
      items.push({
        attestation,
        signatures: bundleSignatures(signatures, (s) => recoverAttestationSigner(domain, attestation, s)),
      });
    }
    await mined(distributor.connect(key(0).connect(provider)).revoke(PERIOD, 2, { gasPrice: 0 }));
    const bundle = path.join(dir, "bundle.json");
    await writeFile(
      bundle,
      JSON.stringify(encodeBundle(BigInt(deployment.chainId), deployment.contracts.RewardDistributor, items)),
    );
    cli("web:cashback", "--bundle", bundle, "--out", path.join(dir, "cashback"));
  }

  before(async function () {
    await mkdir(RESULTS, { recursive: true });
    dir = await mkdtemp(path.join(os.tmpdir(), "zon-portal-"));
    chain = await startLocalChain();
    url = chain.url;
    provider = new JsonRpcProvider(url, BESU_LOCAL.chainId, { staticNetwork: true, pollingInterval: 200 });
    deployOn(chain, dir);
    process.env.ZON_DEPLOYMENTS_DIR = dir;
    deployment = readDeployment("besuLocal");
    delete process.env.ZON_DEPLOYMENTS_DIR;
    await publishCashback();
    cli("web", "--build-only", "--out", path.join(dir, "dist"), "--rpc-url", url);
    const webPort = await freePort();
    server = await servePortal(path.join(dir, "dist"), path.join(dir, "cashback"), webPort);
    page_url = `http://127.0.0.1:${webPort}/`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"], headless: true });
  });

  after(async function () {
    await browser?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    provider?.destroy();
    await chain?.stop();
    await rm(dir, { recursive: true, force: true });
    await removeDeployJournal(chain);
  });

  function walletFor(signer: HDNodeWallet, chainId = BigInt(BESU_LOCAL.chainId)) {
    return new TestWallet(new Wallet(signer.privateKey, provider), provider, {
      chainId,
      knownChains: [1n, chainId],
    });
  }

  /** A fresh tab on `view`, with `wallet` injected (none: a visitor without a wallet), connected. */
  async function open(
    view: string,
    wallet?: TestWallet,
    viewport = { width: 1280, height: 900 },
  ): Promise<Page> {
    const context = await browser.newContext({ viewport, acceptDownloads: true });
    const page = await context.newPage();
    if (wallet) await wallet.install(page);
    await page.goto(`${page_url}#${view}`);
    await ready(page);
    if (wallet) {
      await page.getByRole("button", { name: "Connect wallet" }).click();
      await page.getByTestId("connected").waitFor();
      await ready(page);
    }
    return page;
  }

  async function ready(page: Page) {
    await page.waitForSelector('#view[data-ready="true"]');
  }

  /** Waits for the newest activity line to settle; returns its state and sentence. */
  async function outcome(page: Page, label: string) {
    const line = page.locator(".activity .line", { hasText: label }).first();
    await page.waitForFunction(
      (l) => {
        const el = [...document.querySelectorAll(".activity .line")].find((e) => e.textContent?.includes(l));
        return (
          el !== undefined && ["confirmed", "failed", "declined"].includes((el as HTMLElement).dataset.state!)
        );
      },
      label,
      { timeout: 60_000 },
    );
    return { state: await line.getAttribute("data-state"), text: (await line.textContent())! };
  }

  /** Waits for an action to be confirmed; a failure shows the page's own sentence. */
  async function confirmed(page: Page, label: string) {
    const result = await outcome(page, label);
    expect(result.state, result.text).to.equal("confirmed");
  }

  async function shot(page: Page, name: string) {
    await page.screenshot({ path: path.join(RESULTS, `${name}.png`), fullPage: true });
  }

  it("shows the issuer's figures as charts to a visitor without a wallet, and says a wallet is needed to act", async function () {
    const page = await open("issuer");
    await page.getByTestId("supply").waitFor();
    expect(await page.locator("svg.chart").count()).to.equal(3);
    expect(await page.locator("#network").textContent()).to.contain("No wallet in this browser");
    expect(await page.getByTestId("held").textContent()).to.contain("open redemptions: 0 ZON");
    await shot(page, "issuer");
    await page.context().close();
  });

  it("offers the private network to a wallet on another chain, adding it with its RPC URL and chain id", async function () {
    const wallet = new TestWallet(new Wallet(acme.privateKey, provider), provider, {
      chainId: 1n,
      knownChains: [1n],
    });
    const page = await open("overview", wallet);
    await page.getByRole("button", { name: /Switch to ZonCoin/ }).click();
    await confirmed(page, "Switch network");
    expect(wallet.added).to.deep.equal([
      {
        chainId: "0x31773",
        chainName: "ZonCoin (besuLocal)",
        rpcUrls: [url],
        nativeCurrency: { name: "Gas (free)", symbol: "GAS", decimals: 18 },
      },
    ]);
    await page.waitForFunction(() => (document.getElementById("network") as HTMLElement).hidden);
    await page.context().close();
  });

  it("refuses to redeem from an empty balance before asking for any signature, saying what to do", async function () {
    const wallet = walletFor(globex);
    const page = await open("redeem", wallet);
    await page.locator('[data-sku="1"]').getByRole("textbox").nth(1).fill("globex-prod");
    await page.locator('[data-sku="1"]').getByRole("button", { name: "Redeem" }).click();
    const result = await outcome(page, "Redeem SKU 1");
    expect(result.state).to.equal("failed");
    expect(result.text).to.contain(
      "you hold 0 ZON, 1 × SKU 1 costs 10 ZON; claim your cashback or receive ZON first",
    );
    expect([wallet.signatures, wallet.transactions]).to.deep.equal([0, 0]);
    await page.context().close();
  });

  it("shows a business its cashback with the policy's reward and claims what is left in one click", async function () {
    const { token } = suite();
    const page = await open("cashback", walletFor(acme));
    expect(await page.getByTestId("claimable").textContent()).to.equal("100 ZON to claim");
    expect(await page.locator('tr[data-status="revoked"]').count()).to.equal(1);
    await shot(page, "cashback");
    await page.getByRole("button", { name: "Claim all" }).click();
    await confirmed(page, "Claim cashback");
    expect(await token.balanceOf(acme.address)).to.equal(ZON("100"));
    await page.waitForFunction(() => document.querySelectorAll('tr[data-status="claimed"]').length === 2);
    await page.context().close();
  });

  it("shows the balance and each movement in the history", async function () {
    const page = await open("overview", walletFor(acme));
    expect(await page.getByTestId("balance").textContent()).to.equal("100 ZON");
    expect(await page.getByTestId("history").locator("tr").count()).to.equal(2);
    await shot(page, "overview");
    await page.context().close();
  });

  it("leaves nothing behind when the wallet refuses to sign the permit", async function () {
    const { token, gateway } = suite();
    const wallet = walletFor(acme);
    const page = await open("redeem", wallet);
    wallet.refuse = true;
    await page.locator('[data-sku="1"]').getByRole("textbox").nth(1).fill("acme-prod");
    await page.locator('[data-sku="1"]').getByRole("button", { name: "Redeem" }).click();
    const result = await outcome(page, "Redeem SKU 1");
    expect([result.state, result.text]).to.deep.equal([
      "declined",
      "Redeem SKU 1: You declined in your wallet: nothing was sent and nothing changed.",
    ]);
    expect([
      await token.nonces(acme.address),
      await gateway.nextRequestId(),
      await token.balanceOf(acme.address),
    ]).to.deep.equal([0n, 0n, ZON("100")]);
    await page.context().close();
  });

  it("redeems with one permit signature and follows the request live until its owner may cancel it", async function () {
    const { token, gateway } = suite();
    const wallet = walletFor(acme);
    const page = await open("redeem", wallet);
    await page.locator('[data-sku="1"]').getByRole("textbox").first().fill("2");
    await page.locator('[data-sku="1"]').getByRole("textbox").nth(1).fill("acme-prod");
    await page.locator('[data-sku="1"]').getByRole("button", { name: "Redeem" }).click();
    await confirmed(page, "Redeem SKU 1");
    expect([wallet.signatures, wallet.transactions]).to.deep.equal([1, 1]);
    expect([
      await token.balanceOf(acme.address),
      await gateway.isOpen(0),
      await gateway.openTotal(),
    ]).to.deep.equal([ZON("80"), true, ZON("20")]);
    await page.locator('[data-request="0"]', { hasText: "waiting for the fulfiller" }).waitFor();
    await shot(page, "redeem");
    await provider.send("evm_increaseTime", [3 * 86_400 + 60]);
    await provider.send("evm_mine", []);
    await page
      .locator('[data-request="0"]')
      .getByRole("button", { name: "Cancel" })
      .click({ timeout: 15_000 });
    await confirmed(page, "Cancel redemption #0");
    expect([await token.balanceOf(acme.address), await gateway.isOpen(0)]).to.deep.equal([ZON("100"), false]);
    await page.locator('[data-request="0"]', { hasText: "cancelled" }).waitFor();
    await page.context().close();
  });

  it("shows a transaction the contract refuses as its decoded sentence, and nothing changes", async function () {
    const { escrow } = suite();
    const page = await open("escrow", walletFor(acme));
    const form = page.getByTestId("create-agreement");
    await form.getByLabel("Seller", { exact: true }).fill(acme.address);
    await form.getByLabel("Contract reference").fill("PO-1");
    await form.getByLabel("Milestones (ZON, comma-separated)").fill("10");
    await form.getByRole("button", { name: "Create and fund" }).click();
    const result = await outcome(page, "Create agreement");
    expect(result.state).to.equal("failed");
    expect(result.text).to.contain(
      `InvalidSeller (seller=${acme.address}): ${acme.address} cannot be the seller`,
    );
    expect(result.text).not.to.match(/0x[0-9a-f]{8}\b(?![0-9a-f])/i);
    expect(await escrow.nextAgreementId()).to.equal(0n);
    await page.context().close();
  });

  it("runs an agreement through acceptance, delivery, release, dispute and the arbiter's split", async function () {
    const { escrow, token } = suite();
    const buyer = await open("escrow", walletFor(acme));
    const form = buyer.getByTestId("create-agreement");
    await form.getByLabel("Seller", { exact: true }).fill(globex.address);
    await form.getByLabel("Arbiter (optional)").fill(arbiter.address);
    await form.getByLabel("Contract reference").fill("PO-2");
    await form.getByLabel("Milestones (ZON, comma-separated)").fill("30, 20");
    await form.getByRole("button", { name: "Create and fund" }).click();
    await confirmed(buyer, "Create agreement");
    expect(await escrow.lockedTotal()).to.equal(ZON("50"));

    const seller = await open("escrow", walletFor(globex));
    const card = () => seller.locator('[data-agreement="0"]');
    await card().getByRole("button", { name: "Accept" }).click();
    await confirmed(seller, "Accept #0");
    for (const index of [0, 1]) {
      await card()
        .locator(`[data-milestone="${index}"]`)
        .getByRole("button", { name: "Mark delivered" })
        .click();
      await confirmed(seller, `Mark delivered #0.${index}`);
    }
    await buyer.reload();
    await ready(buyer);
    await buyer.getByRole("button", { name: "Connect wallet" }).click();
    await buyer
      .locator('[data-agreement="0"] [data-milestone="1"]')
      .getByRole("button", { name: "Dispute" })
      .waitFor();
    await buyer
      .locator('[data-agreement="0"] [data-milestone="0"]')
      .getByRole("button", { name: "Release" })
      .click();
    await confirmed(buyer, "Release #0.0");
    await buyer
      .locator('[data-agreement="0"] [data-milestone="1"]')
      .getByRole("button", { name: "Dispute" })
      .click();
    await confirmed(buyer, "Dispute #0.1");

    const judge = await open("escrow", walletFor(arbiter));
    const disputed = judge.locator('[data-agreement="0"] [data-milestone="1"]');
    await disputed.getByLabel("Buyer's share (ZON)").fill("5");
    expect(await disputed.locator(".hint").textContent()).to.equal(
      "buyer 5 ZON · seller 14.85 ZON · fee 0.15 ZON",
    );
    await disputed.getByRole("button", { name: "Resolve" }).click();
    await confirmed(judge, "Resolve #0.1");
    await judge.locator('[data-agreement="0"] details summary').click();
    await shot(judge, "escrow");

    const [m0, m1] = [await escrow.milestone(0, 0), await escrow.milestone(0, 1)];
    expect([m0.status, m1.status, await escrow.lockedTotal()]).to.deep.equal([4n, 5n, 0n]);
    // 30 released (1 % fee) + 15 of the 20 disputed (1 % fee on the seller's part): 29.7 + 14.85.
    expect([await token.balanceOf(globex.address), await token.balanceOf(acme.address)]).to.deep.equal([
      ZON("44.55"),
      ZON("55"),
    ]);
    for (const page of [buyer, seller, judge]) await page.context().close();
  });

  it("lists an agreement to settle as pending, and cancels it when buyer and seller both ask", async function () {
    const { escrow, token } = suite();
    const buyer = await open("escrow", walletFor(acme));
    const form = buyer.getByTestId("create-agreement");
    await form.getByLabel("Seller", { exact: true }).fill(globex.address);
    await form.getByLabel("Contract reference").fill("PO-3");
    await form.getByLabel("Milestones (ZON, comma-separated)").fill("10");
    await form.getByRole("button", { name: "Create and fund" }).click();
    await confirmed(buyer, "Create agreement");
    await buyer.locator('[data-agreement="1"]').getByRole("button", { name: "Ask to cancel" }).click();
    await confirmed(buyer, "Ask to cancel #1");

    const seller = await open("overview", walletFor(globex));
    expect(await seller.getByTestId("pending").textContent()).to.contain(
      "Agreement #1: 1 milestone(s) to settle (10 ZON), funded",
    );
    await seller.getByRole("link", { name: "Escrow" }).click();
    await seller.locator('[data-agreement="1"]').getByRole("button", { name: "Ask to cancel" }).click();
    await confirmed(seller, "Ask to cancel #1");
    expect([
      (await escrow.milestone(1, 0)).status,
      await escrow.lockedTotal(),
      await token.balanceOf(acme.address),
    ]).to.deep.equal([6n, 0n, ZON("55")]);
    // The view re-reads the chain once the transaction is confirmed; the timeline then tells the cancel.
    await seller
      .locator('[data-agreement="1"] .timeline li', {
        hasText: "cancelled by both: 10 ZON back to the buyer",
      })
      .waitFor({ state: "attached" });
    for (const page of [buyer, seller]) await page.context().close();
  });

  it("writes a Safe Transaction Builder file for an action, which the Safe executes", async function () {
    const { token, gateway } = suite();
    const owner = new Wallet(safeOwner.privateKey, provider);
    const safe = await new TestWallet__factory(owner).deploy(owner.address, { gasPrice: 0 });
    await safe.waitForDeployment();
    const safeAddress = await safe.getAddress();
    await mined(
      token.connect(new Wallet(acme.privateKey, provider)).transfer(safeAddress, ZON("25"), { gasPrice: 0 }),
    );

    const page = await open("redeem", walletFor(safeOwner));
    await page.getByLabel("Safe address").fill(safeAddress);
    await page.getByRole("button", { name: "Use Safe" }).click();
    await page.getByTestId("safe").waitFor();
    await ready(page);
    await page.locator('[data-sku="2"]').getByRole("textbox").nth(1).fill("safe-warehouse");
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.locator('[data-sku="2"]').getByRole("button", { name: "Redeem" }).click(),
    ]);
    expect((await outcome(page, "Redeem SKU 2")).text).to.contain(
      "Safe batch file zoncoin-redeem-sku-2.json written (2 call(s))",
    );
    const batch = JSON.parse(await readFile((await download.path())!, "utf8"));
    expect([batch.chainId, batch.meta.createdFromSafeAddress, batch.transactions.length]).to.deep.equal([
      deployment.chainId,
      safeAddress,
      2,
    ]);
    for (const call of batch.transactions)
      await mined(safe.execute(call.to, call.value, call.data, { gasPrice: 0 }));
    expect([
      await token.balanceOf(safeAddress),
      await gateway.redeemedBy(2, safeAddress),
      await gateway.isOpen(1),
    ]).to.deep.equal([0n, 1n, true]);
    await page.context().close();
  });

  it("fits every view on a 360 px wide screen", async function () {
    for (const view of ["overview", "cashback", "redeem", "escrow", "issuer"]) {
      const page = await open(view, walletFor(acme), { width: 360, height: 740 });
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(width, view).to.be.at.most(360);
      await shot(page, `mobile-${view}`);
      await page.context().close();
    }
  });

  it("shows the chain's state of the issuer view after all this: open redemptions and supply", async function () {
    const page = await open("issuer");
    await page.getByTestId("supply").waitFor();
    expect(await page.getByTestId("supply").textContent()).to.equal("100 ZON in supply");
    expect(await page.getByTestId("held").textContent()).to.equal(
      "circulating: 75 ZON · open redemptions: 25 ZON · in escrow: 0 ZON",
    );
    await shot(page, "issuer-after");
    await page.context().close();
  });

  it("shows the issuer's books as zon:reconcile last published them, exceptions in words", async function () {
    const before = await open("issuer");
    await before.getByTestId("books").waitFor();
    const unpublished = await before.getByTestId("books").textContent();
    await before.context().close();
    // No export given: every claim of the period is one no usage row accounts for.
    const run = hardhatOn(chain, dir, [
      ...["zon:reconcile", "--period", String(PERIOD), "--out", path.join(dir, "books")],
      ...["--publish", "--publish-dir", path.join(dir, "reconcile")],
    ]);
    expect([run.status, run.err]).to.deep.equal([
      1,
      `zon:reconcile: 2 exception(s) in period ${PERIOD}; see ${path.join(dir, "books")}`,
    ]);
    const page = await open("issuer");
    await page.getByTestId("book-exceptions").waitFor();
    expect(unpublished).to.match(/^No reconciliation published yet/);
    expect(await page.getByTestId("books").textContent()).to.match(
      /^Reconciled at block \d+ \(.+\): 2 exception\(s\) for the issuer to clear\.$/,
    );
    expect(await page.getByTestId("book-exceptions").locator("li").allTextContents()).to.have.length(2);
    await shot(page, "issuer-books");
    await page.context().close();
  });
});

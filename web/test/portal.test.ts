/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { expect } from "chai";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { ethers, HDNodeWallet, JsonRpcProvider, NonceManager, parseUnits, Wallet } from "ethers";
import {
  batchChecksum,
  BESU_LOCAL,
  bundleSignatures,
  createSafe,
  deploySafeContracts,
  executeSafeTx,
  multiSendTx,
  encodeBundle,
  packRates,
  readDeployment,
  recoverAttestationSigner,
  rewardDomain,
  signAttestation,
  TEST_MNEMONIC,
  type Deployment,
  formatZon,
  referenceHash,
  requestFromEvent,
  type SafeBatchFile,
  type UsageAttestation,
} from "../../src";
import {
  B2BEscrow__factory,
  RedemptionGateway__factory,
  RewardDistributor__factory,
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
import { switchAccount, TestWallet } from "./wallet";

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
const CONTACT = "operations@zoncoin.example";
const EXPLORER = "https://explorer.zoncoin.example";
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
    cli(
      ...["web", "--build-only", "--out", path.join(dir, "dist"), "--rpc-url", url],
      ...["--catalogue", path.join(ROOT, "docs", "examples", "catalogue.json")],
      ...["--contact", CONTACT, "--explorer-url", EXPLORER],
    );
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
      await shownFor(page, wallet.address);
    }
    return page;
  }

  async function ready(page: Page) {
    await page.waitForSelector('#view[data-ready="true"]');
  }

  /** Waits until the view shows `account`'s state (after connecting, switching account or acting as a Safe). */
  async function shownFor(page: Page, account: string) {
    await page.waitForSelector(`#view[data-ready="true"][data-account="${account}"]`);
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
    expect(await page.locator("svg.chart").count()).to.equal(1);
    expect(await page.locator(".share-bars").count()).to.equal(2);
    expect(await page.locator(".share-values").first().textContent()).to.equal(
      "minted 0 ZON (0 %) · reserved 0 ZON (0 %) · budget 1,000,000 ZON",
    );
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
    await page.locator('[data-sku="1"]').getByLabel("Deliver to").fill("globex-prod");
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
    expect(await page.getByTestId("history").locator("th").allTextContents()).to.deep.equal([
      "Date",
      "What",
      "Amount",
    ]);
    const rows = await page.getByTestId("history").locator("tbody tr").all();
    expect(rows).to.have.length(2);
    for (const row of rows) {
      const [date, what, amount] = await row.locator("td").allTextContents();
      expect(date).to.match(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);
      expect(what).to.equal("cashback for period 2026-11 ↗");
      expect(amount).to.equal("+50 ZON");
    }
    expect(await rows[0].locator("a").getAttribute("href")).to.match(
      new RegExp(`^${EXPLORER}/tx/0x[0-9a-f]{64}$`),
    );
    await shot(page, "overview");
    await page.context().close();
  });

  it("leaves nothing behind when the wallet refuses to sign the permit", async function () {
    const { token, gateway } = suite();
    const wallet = walletFor(acme);
    const page = await open("redeem", wallet);
    wallet.refuse = true;
    await page.locator('[data-sku="1"]').getByLabel("Deliver to").fill("acme-prod");
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
    await page.locator('[data-sku="1"]').getByLabel("Quantity").fill("2");
    await page.locator('[data-sku="1"]').getByLabel("Deliver to").fill("acme-prod");
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
    await form.getByLabel("Milestone 1 (ZON)").fill("10");
    await form.getByRole("button", { name: "Create and fund" }).click();
    const result = await outcome(page, "Create agreement");
    expect(result.state).to.equal("failed");
    const line = page.locator(".activity .line", { hasText: "Create agreement" }).first();
    expect(await line.locator(".summary").textContent()).to.equal(
      `${acme.address} cannot be the seller (the zero address, or the buyer).`,
    );
    expect(await line.locator("details").getAttribute("open")).to.equal(null);
    expect(await line.locator("details code").textContent()).to.equal(
      `InvalidSeller (seller=${acme.address})`,
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
    await form.getByLabel("Milestone 1 (ZON)").fill("30");
    await form.getByRole("button", { name: "Add milestone" }).click();
    await form.getByLabel("Milestone 2 (ZON)").fill("20");
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
    await judge.locator('[data-agreement="0"] details summary', { hasText: "Timeline" }).click();
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
    await form.getByLabel("Milestone 1 (ZON)").fill("10");
    await form.getByRole("button", { name: "Create and fund" }).click();
    await confirmed(buyer, "Create agreement");
    await buyer.locator('[data-agreement="1"]').getByRole("button", { name: "Ask to cancel" }).click();
    await confirmed(buyer, "Ask to cancel #1");

    const seller = await open("overview", walletFor(globex));
    expect(await seller.getByTestId("pending").textContent()).to.contain(
      "Agreement #1 (PO-3): 1 milestone(s) to settle (10 ZON), funded",
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

  it("checks that a Safe address is a Safe, shows its owners, and writes a batch file the real Safe executes", async function () {
    const { token, gateway } = suite();
    const deployer = new NonceManager(new Wallet(key(0).privateKey, provider));
    const safeOwners = [safeOwner, key(15), key(16)].map((k) => new Wallet(k.privateKey, provider));
    const contracts = await deploySafeContracts(deployer, { gasPrice: 0 });
    const safeAddress = await createSafe(
      contracts,
      deployer,
      safeOwners.map((o) => o.address),
      2,
      0n,
      { gasPrice: 0 },
    );
    await mined(
      token.connect(new Wallet(acme.privateKey, provider)).transfer(safeAddress, ZON("25"), { gasPrice: 0 }),
    );

    const page = await open("redeem", walletFor(safeOwner));
    const tryAsSafe = async (address: string) => {
      await page.getByLabel("Safe address").fill(address);
      await page
        .locator("#account")
        .getByRole("button", { name: /Use Safe|Change/ })
        .click();
      return outcome(page, "Act as a Safe");
    };
    expect((await tryAsSafe(deployment.contracts.ZonCoin)).text).to.contain(
      `is a contract but not a Safe (it does not answer getOwners and getThreshold)`,
    );
    expect((await tryAsSafe(acme.address)).text).to.contain(`${acme.address} has no contract on`);
    await page.locator(".activity .dismiss-all").click();
    await tryAsSafe(safeAddress);
    await shownFor(page, safeAddress);
    expect(await page.getByTestId("safe").textContent()).to.contain(
      `(2 of 3: ${safeOwners.map((o) => `${o.address.slice(0, 6)}…${o.address.slice(-4)}`).join(", ")})`,
    );
    await page.locator('[data-sku="2"]').getByLabel("Deliver to").fill("safe-warehouse");
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.locator('[data-sku="2"]').getByRole("button", { name: "Redeem" }).click(),
    ]);
    expect((await outcome(page, "Redeem SKU 2")).text).to.contain(
      "Safe batch file zoncoin-redeem-sku-2.json written (2 call(s))",
    );
    const batch = JSON.parse(await readFile((await download.path())!, "utf8")) as SafeBatchFile;
    const { checksum, ...meta } = batch.meta;
    expect([
      batch.chainId,
      meta.createdFromSafeAddress,
      meta.createdFromOwnerAddress,
      batch.transactions.length,
      checksum,
    ]).to.deep.equal([
      deployment.chainId,
      safeAddress,
      safeOwner.address,
      2,
      batchChecksum({ ...batch, meta }),
    ]);
    await executeSafeTx(
      safeAddress,
      multiSendTx(contracts, batch.transactions),
      safeOwners.slice(1),
      deployer,
      { gasPrice: 0 },
    );
    expect([
      await token.balanceOf(safeAddress),
      await gateway.redeemedBy(2, safeAddress),
      await gateway.isOpen(1),
    ]).to.deep.equal([0n, 1n, true]);
    // The delivery reference travelled inside the Safe's transaction, and the page reads it from there.
    await page.locator('[data-request="1"]', { hasText: "deliver to safe-warehouse" }).waitFor();
    await shot(page, "safe");
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
    // 100 ZON minted beside a 1,000,000 ZON budget: printed, and drawn as a visible sliver.
    const period = page.locator(".share-row", { hasText: "2026-11" });
    expect(await period.locator(".share-values").textContent()).to.equal(
      "minted 100 ZON (0.01 %) · reserved 0 ZON (0 %) · budget 1,000,000 ZON",
    );
    const minted = await period.locator(".seg.s0").evaluate((el) => el.getBoundingClientRect().width);
    expect(minted).to.be.at.least(3);
    const panel = async (id: string) => (await page.getByTestId(id).locator("td").textContent())!;
    expect(await panel("panel-paused")).to.equal("nothing");
    expect(await panel("panel-frozen")).to.equal("none");
    expect(await panel("panel-attestors")).to.equal(
      "2 of 3 must sign: 0x15d3…6A65, 0x9965…A4dc, 0x976E…0aa9",
    );
    expect(await panel("panel-minters")).to.match(/: 99,999,900 ZON$/);
    expect(await panel("panel-open")).to.match(/^under an hour: [01] \(/);
    expect(await panel("panel-unpaid")).to.equal(
      "unknown: no reconciliation published (zon:reconcile --publish)",
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

  // The unhappy paths of issue 26: each checked on chain and in what the page shows.

  /** Every action button of the view, and whether each is disabled. */
  async function viewButtonsDisabled(page: Page): Promise<boolean[]> {
    return page
      .locator("#view button")
      .evaluateAll((buttons) => buttons.map((b) => (b as HTMLButtonElement).disabled));
  }

  it("asks for one signature when Redeem is clicked twice, every action button disabled until it settles", async function () {
    const { gateway, token } = suite();
    const wallet = walletFor(acme);
    const page = await open("redeem", wallet);
    const before = [await gateway.nextRequestId(), await token.balanceOf(acme.address)];
    const release = wallet.hold();
    const sku = page.locator('[data-sku="1"]');
    await sku.getByLabel("Deliver to").fill("acme-prod");
    await sku.getByRole("button", { name: "Redeem" }).dblclick();
    await page.locator(".activity .line .spinner").first().waitFor();
    expect(await viewButtonsDisabled(page)).to.satisfy(
      (all: boolean[]) => all.length >= 3 && all.every(Boolean),
    );
    expect(await sku.getByRole("button", { name: "Redeem" }).getAttribute("aria-busy")).to.equal("true");
    await shot(page, "redeem-busy");
    release();
    await confirmed(page, "Redeem SKU 1");
    expect([wallet.signatures, wallet.transactions]).to.deep.equal([1, 1]);
    expect(await page.locator(".activity .line", { hasText: "Redeem SKU 1" }).count()).to.equal(1);
    expect([await gateway.nextRequestId(), await token.balanceOf(acme.address)]).to.deep.equal([
      before[0] + 1n,
      before[1] - ZON("10"),
    ]);
    await page.waitForFunction(() =>
      [...document.querySelectorAll("#view button")].some((b) => !(b as HTMLButtonElement).disabled),
    );
    await page.context().close();
  });

  it("lets a wallet that never answers be abandoned: nothing is sent and the buttons come back", async function () {
    const { gateway, token } = suite();
    const wallet = walletFor(acme);
    const page = await open("redeem", wallet);
    const before = [await token.nonces(acme.address), await gateway.nextRequestId()];
    wallet.hang = true;
    const sku = page.locator('[data-sku="1"]');
    await sku.getByLabel("Deliver to").fill("acme-prod");
    await sku.getByRole("button", { name: "Redeem" }).click();
    await page
      .locator(".activity .line", { hasText: "sign the permit" })
      .getByRole("button", { name: "Abandon" })
      .click();
    const result = await outcome(page, "Redeem SKU 1");
    expect([result.state, result.text]).to.deep.equal([
      "declined",
      "Redeem SKU 1: Abandoned: nothing more will be asked or sent. If your wallet still shows the request, reject it there.",
    ]);
    expect(await sku.getByRole("button", { name: "Redeem" }).isDisabled()).to.equal(false);
    expect([
      await token.nonces(acme.address),
      await gateway.nextRequestId(),
      wallet.transactions,
    ]).to.deep.equal([...before, 0]);
    await page.context().close();
  });

  it("refuses a per-account limit and a paused gateway before asking for any signature, and says so up front", async function () {
    const { gateway } = suite();
    const wallet = walletFor(acme);
    const page = await open("redeem", wallet);
    const sku2 = page.locator('[data-sku="2"]');
    await sku2.getByLabel("Quantity").fill("6");
    await sku2.getByLabel("Deliver to").fill("acme-office");
    await sku2.getByRole("button", { name: "Redeem" }).click();
    expect((await outcome(page, "Redeem SKU 2")).text).to.contain(
      "quantity: you have redeemed 0 of the 5 allowed per account, so at most 5 more, not 6; nothing was asked or sent",
    );
    await mined(gateway.connect(key(1).connect(provider)).pause({ gasPrice: 0 }));
    await page.getByTestId("standing").getByText("The redemption gateway is paused").waitFor();
    expect(await page.getByTestId("standing").textContent()).to.equal(
      `The redemption gateway is paused by the issuer: nothing can be redeemed or cancelled until it is unpaused. Ask the issuer: ${CONTACT}.`,
    );
    await shot(page, "paused");
    await page.locator(".activity .dismiss-all").click();
    const sku1 = page.locator('[data-sku="1"]');
    await sku1.getByLabel("Deliver to").fill("acme-prod");
    await sku1.getByRole("button", { name: "Redeem" }).click();
    expect((await outcome(page, "Redeem SKU 1")).text).to.contain(
      "The redemption gateway is paused by the issuer, so this cannot go through now; nothing was asked or sent.",
    );
    expect([wallet.signatures, wallet.transactions]).to.deep.equal([0, 0]);
    await mined(gateway.connect(key(1).connect(provider)).unpause({ gasPrice: 0 }));
    await page.getByTestId("standing").waitFor({ state: "hidden" });
    await page.context().close();
  });

  it("tells a frozen account so on every view and whom to ask, and refuses its actions before any signature", async function () {
    const { token } = suite();
    const compliance = key(2).connect(provider);
    await mined(token.connect(compliance).setFrozen(globex.address, true, { gasPrice: 0 }));
    const wallet = walletFor(globex);
    const page = await open("overview", wallet);
    expect(await page.getByTestId("standing").textContent()).to.equal(
      `Your account ${globex.address} is frozen by compliance: it cannot send, receive or spend ZON. Ask the issuer: ${CONTACT}.`,
    );
    await shot(page, "frozen");
    await page.getByRole("link", { name: "Redeem" }).click();
    await ready(page);
    const sku = page.locator('[data-sku="1"]');
    await sku.getByLabel("Deliver to").fill("globex-prod");
    await sku.getByRole("button", { name: "Redeem" }).click();
    expect((await outcome(page, "Redeem SKU 1")).text).to.contain(
      `Your account ${globex.address} is frozen by compliance`,
    );
    expect([wallet.signatures, wallet.transactions]).to.deep.equal([0, 0]);
    await mined(token.connect(compliance).setFrozen(globex.address, false, { gasPrice: 0 }));
    await page.context().close();
  });

  it("refuses an ambiguous milestone like 5,010 and shows the total of one amount per row before funding", async function () {
    const wallet = walletFor(acme);
    const page = await open("escrow", wallet);
    const form = page.getByTestId("create-agreement");
    await form.getByLabel("Seller", { exact: true }).fill(globex.address);
    await form.getByLabel("Contract reference").fill("PO-5010");
    await form.getByLabel("Milestone 1 (ZON)").fill("5,010");
    expect(await page.getByTestId("milestone-total").textContent()).to.equal(
      'milestone 1: "5,010" is not an amount of ZON (digits, at most 18 after the point)',
    );
    await form.getByRole("button", { name: "Create and fund" }).click();
    expect((await outcome(page, "Create agreement")).state).to.equal("failed");
    expect([wallet.signatures, wallet.transactions]).to.deep.equal([0, 0]);
    await form.getByLabel("Milestone 1 (ZON)").fill("5");
    await form.getByRole("button", { name: "Add milestone" }).click();
    await form.getByLabel("Milestone 2 (ZON)").fill("10");
    await form.getByRole("button", { name: "Add milestone" }).click();
    await form.getByLabel("Milestone 3 (ZON)").fill("0.5");
    expect(await page.getByTestId("milestone-total").textContent()).to.equal(
      "Total to fund: 15.5 ZON in 3 milestone(s): 5 + 10 + 0.5",
    );
    await shot(page, "milestones");
    await form.getByRole("button", { name: "Remove milestone 2" }).click();
    expect(await page.getByTestId("milestone-total").textContent()).to.equal(
      "Total to fund: 5.5 ZON in 2 milestone(s): 5 + 0.5",
    );
    await page.context().close();
  });

  it("shows every party the agreement's reference and terms, and the buyer's page follows the seller's acceptance live", async function () {
    const { escrow } = suite();
    const reference = "PO-2026-118 cloud migration, phase 1";
    const buyer = await open("escrow", walletFor(acme));
    const form = buyer.getByTestId("create-agreement");
    await form.getByLabel("Seller", { exact: true }).fill(globex.address);
    await form.getByLabel("Arbiter (optional)").fill(arbiter.address);
    await form.getByLabel("Contract reference").fill(reference);
    await form.getByLabel("Milestone 1 (ZON)").fill("2");
    await form.getByRole("button", { name: "Create and fund" }).click();
    await confirmed(buyer, "Create agreement");
    const id = (await escrow.nextAgreementId()) - 1n;
    const buyerCard = buyer.locator(`[data-agreement="${id}"]`);
    await buyerCard.getByText("not accepted yet").waitFor();

    const seller = await open("escrow", walletFor(globex));
    const card = seller.locator(`[data-agreement="${id}"]`);
    expect(await card.locator("h3").textContent()).to.equal(
      `Agreement #${id}: ${reference} — you are the seller`,
    );
    expect(await card.getByTestId("reference").textContent()).to.equal(`For: ${reference}`);
    expect(await card.locator("details[open] summary").first().textContent()).to.equal(
      "What accepting commits you to",
    );
    const terms = await card.getByTestId("terms").locator("li").allTextContents();
    expect(terms[0]).to.equal("2 ZON in 1 milestone(s): 2");
    expect(terms[3]).to.match(
      new RegExp(
        `^arbiter ${arbiter.address} splits a dispute within 14 day\\(s\\); if silent, the buyer gets 50 %$`,
      ),
    );
    expect(terms[4]).to.equal("platform fee 1 % of what the seller is paid");
    await shot(seller, "agreement-seller");
    await card.getByRole("button", { name: "Accept" }).click();
    await confirmed(seller, `Accept #${id}`);

    // No reload: the buyer's page sees the acceptance within a few seconds and drops the take-back button.
    await buyerCard.getByText(/· accepted/).waitFor({ timeout: 15_000 });
    expect(await buyerCard.getByRole("button", { name: "Take back (not accepted)" }).count()).to.equal(0);
    for (const page of [buyer, seller]) await page.context().close();
  });

  it("lets a party check a reference given off chain against the agreement's hash when none was published", async function () {
    const { escrow, token } = suite();
    const buyer = new Wallet(acme.privateKey, provider);
    const now = BigInt((await provider.getBlock("latest"))!.timestamp);
    await mined(token.connect(buyer).approve(deployment.contracts.B2BEscrow, ZON("1"), { gasPrice: 0 }));
    await mined(
      escrow.connect(buyer).createAndFund(
        {
          seller: globex.address,
          arbiter: "0x0000000000000000000000000000000000000000",
          termsHash: referenceHash("reference", "PO-OFFCHAIN-7"),
          deliveryDeadline: now + 30n * 86_400n,
          reviewWindow: 3600n * 72n,
          acceptDeadline: now + 7n * 86_400n,
          arbitrationWindow: 14n * 86_400n,
          fallbackBuyerBps: 5_000n,
        },
        [ZON("1")],
        { gasPrice: 0 },
      ),
    );
    const id = (await escrow.nextAgreementId()) - 1n;
    const seller = await open("escrow", walletFor(globex));
    const check = seller.locator(`[data-agreement="${id}"]`).getByTestId("reference");
    await check.getByLabel("Reference to check").fill("PO-OFFCHAIN-8");
    await check.getByRole("button", { name: "Check" }).click();
    expect(await check.locator(".hint").textContent()).to.equal(
      "does not match: this agreement is for another contract",
    );
    await check.getByLabel("Reference to check").fill("PO-OFFCHAIN-7");
    await check.getByRole("button", { name: "Check" }).click();
    expect(await check.locator(".hint").textContent()).to.equal(
      "matches: this agreement is for PO-OFFCHAIN-7",
    );
    await seller.context().close();
  });

  it("says the network cannot be reached, retries by itself, and recovers without a reload", async function () {
    const page = await open("overview", walletFor(acme));
    const balance = await page.getByTestId("balance").textContent();
    const rpc = (u: URL) => u.href.startsWith(url);
    await page.route(rpc, (route) => route.abort("connectionrefused"));
    await page
      .locator("#chain")
      .getByText("The ZonCoin network cannot be reached")
      .waitFor({ timeout: 15_000 });
    const first = await page.locator("#chain").textContent();
    await page.waitForFunction((text) => document.getElementById("chain")!.textContent !== text, first, {
      timeout: 15_000,
    });
    expect(await page.locator("#chain").textContent()).to.match(/attempt [2-9]/);
    await page.getByRole("link", { name: "Cashback" }).click();
    await page.getByTestId("unreachable").waitFor();
    expect(await page.locator("#view").textContent()).not.to.contain("Failed to fetch");
    await shot(page, "chain-down");
    await page.unroute(rpc);
    await page.locator("#chain").waitFor({ state: "hidden", timeout: 15_000 });
    await page.getByTestId("claimable").waitFor({ timeout: 15_000 });
    await page.getByRole("link", { name: "Overview" }).click();
    expect(await page.getByTestId("balance").textContent()).to.equal(balance);
    // A node that takes the connection and never answers is down too, once the 3 s probe gives up.
    await page.route(rpc, () => undefined);
    await page
      .locator("#chain")
      .getByText("The ZonCoin network cannot be reached")
      .waitFor({ timeout: 15_000 });
    await page.unroute(rpc);
    await page.locator("#chain").waitFor({ state: "hidden", timeout: 15_000 });
    await page.context().close();
  });

  it("follows an account change in the wallet without a reload", async function () {
    const wallet = walletFor(acme);
    const page = await open("overview", wallet);
    const { token } = suite();
    await switchAccount(page, wallet, new Wallet(globex.privateKey));
    await shownFor(page, globex.address);
    await page
      .getByTestId("connected")
      .getByText(`${globex.address.slice(0, 6)}…`)
      .waitFor();
    await page
      .getByTestId("balance")
      .getByText(formatZon(await token.balanceOf(globex.address)))
      .waitFor();
    expect(await page.getByTestId("history").locator("tbody td").allTextContents()).to.include(
      "agreement #0, milestone 0 paid ↗",
    );
    await shot(page, "overview-after");
    await page.context().close();
  });

  it("names catalogue items as the operator published them, shows the total, and a delivered redemption's reference", async function () {
    const { gateway } = suite();
    const page = await open("redeem", walletFor(acme));
    const sku = page.locator('[data-sku="1"]');
    expect(await sku.locator("h3").textContent()).to.equal("Cloud credit, 10 USD");
    expect(await sku.locator(".description").textContent()).to.equal(
      "Credited to the cloud account you name, within a day.",
    );
    await sku.getByLabel("Quantity").fill("2");
    expect(await page.getByTestId("total-1").textContent()).to.equal("Total: 20 ZON");
    // The fulfiller delivers acme's open redemption: the page then says so, with where it went.
    const fulfiller = key(7).connect(provider);
    const open_ = [];
    for (const log of await gateway.queryFilter(gateway.filters.RedemptionRequested(undefined, acme.address)))
      if (await gateway.isOpen(log.args.id)) open_.push(requestFromEvent(log).request);
    expect(open_.length).to.be.greaterThan(0);
    const request = open_[0];
    await mined(gateway.connect(fulfiller).accept([request], ethers.ZeroHash, { gasPrice: 0 }));
    await mined(gateway.connect(fulfiller).confirm(request, ethers.id("receipt-1"), { gasPrice: 0 }));
    const item = page.locator(`[data-request="${request.id}"]`);
    await item.getByText("delivered (the fulfiller's receipt").waitFor({ timeout: 15_000 });
    expect(await item.locator(".reference").textContent()).to.equal("deliver to acme-prod");
    await shot(page, "redeem-delivered");
    await page.context().close();
  });

  it("links each confirmed transaction to the block explorer, and lets the activity be dismissed", async function () {
    const page = await open("cashback", walletFor(acme));
    const notFound: string[] = [];
    page.on(
      "response",
      (r) => r.status() === 404 && !r.url().includes("/cashback/") && notFound.push(r.url()),
    );
    await page.reload();
    await ready(page);
    await page.getByRole("button", { name: "Connect wallet" }).click();
    await page.getByTestId("connected").waitFor();
    await page.getByRole("link", { name: "Escrow" }).click();
    await ready(page);
    const card = page.locator("[data-agreement]").first();
    await card.getByRole("button", { name: "Ask to cancel" }).first().click();
    const line = page.locator(".activity .line", { hasText: "Ask to cancel" }).first();
    await outcome(page, "Ask to cancel");
    const href = await line.locator("a").getAttribute("href");
    expect(href).to.match(new RegExp(`^${EXPLORER}/tx/0x[0-9a-f]{64}$`));
    const height = await page.locator(".activity").evaluate((el) => el.getBoundingClientRect().height);
    expect(height).to.be.at.most(900 * 0.22 + 1);
    await line.getByRole("button", { name: "dismiss" }).click();
    expect(await page.locator(".activity .line", { hasText: "Ask to cancel" }).count()).to.equal(0);
    await page.locator(".activity .dismiss-all").click();
    expect(await page.locator(".activity").isVisible()).to.equal(false);
    expect(notFound).to.deep.equal([]);
    await page.context().close();
  });

  it("shows an error's words first and its details behind a toggle, all within a 375 px screen", async function () {
    const page = await open("escrow", walletFor(acme), { width: 375, height: 740 });
    const form = page.getByTestId("create-agreement");
    await form.getByLabel("Seller", { exact: true }).fill(acme.address);
    await form.getByLabel("Contract reference").fill("PO-SELF");
    await form.getByLabel("Milestone 1 (ZON)").fill("1");
    await form.getByRole("button", { name: "Create and fund" }).click();
    await outcome(page, "Create agreement");
    const line = page.locator(".activity .line", { hasText: "Create agreement" }).first();
    expect(await line.locator("details code").isVisible()).to.equal(false);
    await line.locator("details summary").click();
    expect(await line.locator("details code").isVisible()).to.equal(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).to.be.at.most(375);
    const overflow = await line.evaluate((el) => el.scrollWidth - el.clientWidth);
    expect(overflow).to.equal(0);
    await shot(page, "mobile-error");
    await page.context().close();
  });
});

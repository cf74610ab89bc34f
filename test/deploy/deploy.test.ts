import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { readFileSync } from "node:fs";
import path from "node:path";
import hre, { ethers } from "hardhat";
import { deploySuite } from "../../deploy/deploy";
import { loadParameters, parseParameters, refuseTestAccounts } from "../../deploy/parameters";
import { ROLES } from "../../src";

const HARDHAT_PARAMETERS = JSON.parse(
  readFileSync(path.join(__dirname, "../../deploy/parameters/hardhat.json"), "utf8"),
);

function withChange(change: (p: Record<string, any>) => void): unknown {
  const copy = structuredClone(HARDHAT_PARAMETERS);
  change(copy);
  return copy;
}

describe("deploy parameters", function () {
  it("accepts every committed parameter file", function () {
    for (const network of ["hardhat", "besuLocal"])
      expect(loadParameters(network).rewards.attestors).to.have.length(3);
  });

  it("names a missing parameter", function () {
    expect(() =>
      parseParameters(
        withChange((p) => delete p.rewards.policyOfficer),
        "p.json",
      ),
    ).to.throw("p.json: rewards.policyOfficer is missing");
  });

  it("names a malformed address", function () {
    expect(() =>
      parseParameters(
        withChange((p) => (p.escrow.treasury = "0x12")),
        "p.json",
      ),
    ).to.throw('p.json: escrow.treasury: "0x12" is not a non-zero address');
  });

  it("names an attestor entry that is not an address", function () {
    expect(() =>
      parseParameters(
        withChange((p) => (p.rewards.attestors[1] = "bob")),
        "p.json",
      ),
    ).to.throw('p.json: rewards.attestors.1: "bob" is not a non-zero address');
  });

  it("refuses a threshold above the number of attestors", function () {
    expect(() =>
      parseParameters(
        withChange((p) => (p.rewards.threshold = 4)),
        "p.json",
      ),
    ).to.throw("p.json: rewards.threshold: 4 is not at most the 3 attestors");
  });

  it("refuses an amount given as a number", function () {
    expect(() =>
      parseParameters(
        withChange((p) => (p.maxSupply = 5)),
        "p.json",
      ),
    ).to.throw('p.json: maxSupply: 5 is not an amount of ZON as a string (e.g. "1000000")');
  });

  it("refuses an unknown SKU kind", function () {
    expect(() =>
      parseParameters(
        withChange((p) => (p.redemption.catalogue[0].kind = "gift")),
        "p.json",
      ),
    ).to.throw(
      'p.json: redemption.catalogue.0.kind: "gift" is not one of cloudCredit, catalogueItem, subscription',
    );
  });

  it("refuses a platform fee above the contract's hard cap", function () {
    expect(() =>
      parseParameters(
        withChange((p) => (p.escrow.feeBps = 2_000)),
        "p.json",
      ),
    ).to.throw("p.json: escrow.feeBps: 2000 is not at most 1000 (the contract's hard cap)");
  });

  it("refuses an acceptance window above the contract's 30-day cap", function () {
    expect(() =>
      parseParameters(
        withChange((p) => (p.redemption.acceptanceWindow = 31 * 86_400)),
        "p.json",
      ),
    ).to.throw(
      "p.json: redemption.acceptanceWindow: 2678400 is not at most 2592000 (30 days, the contract's cap)",
    );
  });

  it("refuses an enforcement delay above the token's 30-day cap", function () {
    expect(() =>
      parseParameters(
        withChange((p) => (p.enforcement.delay = 30 * 86_400 + 1)),
        "p.json",
      ),
    ).to.throw("p.json: enforcement.delay: 2592001 is not at most 2592000 (30 days, the contract's cap)");
  });

  it("names a missing enforcement section", function () {
    expect(() =>
      parseParameters(
        withChange((p) => delete p.enforcement),
        "p.json",
      ),
    ).to.throw("p.json: enforcement is missing");
  });

  it("refuses, for a real network, the example parameters copied as is, naming the fields", function () {
    const example = loadParameters("besu.example");
    expect(() => refuseTestAccounts(example, "deploy/parameters/besu.json")).to.throw(
      /^deploy\/parameters\/besu\.json: governance 0x0000000000000000000000000000000000000001, pauser 0x70997970C51812dc3A010C7d01b50e0d17dc79C8, .* are a placeholder or one of Hardhat's well-known test accounts, whose keys are public/,
    );
  });

  it("accepts, for a real network, roles held by the operator's own keys", function () {
    const p = loadParameters("besu.example");
    const own = () => ethers.Wallet.createRandom().address;
    const mine = {
      ...p,
      governance: own(),
      pauser: own(),
      compliance: own(),
      rewards: { ...p.rewards, policyOfficer: own(), attestors: [own(), own()] },
      redemption: { ...p.redemption, fulfiller: own(), catalogueManager: own() },
      escrow: { ...p.escrow, treasury: own() },
      enforcement: { ...p.enforcement, recoveryOfficer: own(), forcedTransferOfficer: own() },
      issuerService: { relayer: own() },
    };
    expect(() => refuseTestAccounts(mine, "besu.json")).to.not.throw();
  });

  it("refuses, for a real network, an issuer-service relayer that is a well-known test account", function () {
    const p = loadParameters("besu.example");
    expect(() => refuseTestAccounts(p, "besu.json")).to.throw(
      /issuerService\.relayer 0xBcd4042DE499D14e55001CcbB24a551F3b954096/,
    );
  });

  it("names an issuer-service relayer that is not an address", function () {
    expect(() =>
      parseParameters(
        withChange((p) => (p.issuerService = { relayer: "0x12" })),
        "p.json",
      ),
    ).to.throw('p.json: issuerService.relayer: "0x12" is not a non-zero address');
  });

  it("names a network without a parameter file", function () {
    expect(() => loadParameters("mainnet")).to.throw(
      "deploy/parameters/mainnet.json: missing (one parameter file per network)",
    );
  });
});

describe("suite deployment (Ignition)", function () {
  // A finished deploy re-run changing nothing is shown on a persistent chain by .ci/besu-local.sh:
  // on the in-process network Ignition keeps no journal.
  async function suite() {
    return deploySuite(hre);
  }
  const deployed = () => loadFixture(suite);

  it("makes the distributor the only cashback minter, within its allowance", async function () {
    const { token, distributor, params } = await deployed();
    const address = await distributor.getAddress();
    expect([await token.isMinter(address), await token.minterAllowance(address)]).to.deep.equal([
      true,
      params.rewards.minterAllowance,
    ]);
  });

  it("leaves the minter admin role with governance, not the deployer", async function () {
    const { token, params } = await deployed();
    const [deployer] = await hre.ethers.getSigners();
    expect([
      await token.hasRole(ROLES.MINTER_ADMIN, params.governance),
      await token.hasRole(ROLES.MINTER_ADMIN, deployer.address),
    ]).to.deep.equal([params.governance === deployer.address, params.governance === deployer.address]);
  });

  it("sets up the attestor set and its threshold", async function () {
    const { distributor, params } = await deployed();
    const attestors = await Promise.all(params.rewards.attestors.map((a) => distributor.isAttestor(a)));
    expect([attestors, await distributor.threshold()]).to.deep.equal([
      [true, true, true],
      params.rewards.threshold,
    ]);
  });

  it("lists the catalogue and hands it to the catalogue manager", async function () {
    const { gateway, params } = await deployed();
    expect((await gateway.skuOf(2)).stock).to.equal(100n);
    expect(await gateway.hasRole(ROLES.CATALOGUE, params.redemption.catalogueManager)).to.equal(true);
  });

  it("gives recovery and forced transfer to the officers the parameters name", async function () {
    const { token, params } = await deployed();
    expect([
      await token.hasRole(ROLES.RECOVERY, params.enforcement.recoveryOfficer),
      await token.hasRole(ROLES.FORCED_TRANSFER, params.enforcement.forcedTransferOfficer),
      await token.enforcementDelay(),
    ]).to.deep.equal([true, true, params.enforcement.delay]);
  });

  it("sets the enforcement delay the parameters give", async function () {
    const params = loadParameters("hardhat");
    const { token } = await deploySuite(hre, {
      ...params,
      enforcement: { ...params.enforcement, delay: 3_600n },
    });
    expect(await token.enforcementDelay()).to.equal(3_600n);
  });

  it("offers every contract's admin role to governance", async function () {
    const { token, distributor, gateway, escrow, params } = await deployed();
    const pending = await Promise.all(
      [token, distributor, gateway, escrow].map(async (c) => (await c.pendingDefaultAdmin())[0]),
    );
    expect(pending).to.deep.equal(Array(4).fill(params.governance));
  });
});

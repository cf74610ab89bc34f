import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { encryptKeystoreJson, id as keccakOfText, parseUnits } from "ethers";
import hre, { ethers } from "hardhat";
import { deploySuite } from "../../deploy/deploy";
import { ROLES } from "../../src";
import { runTask } from "../helpers/tasks";

/*
 * The operations tasks against the suite as the deploy leaves it (roles on the accounts of
 * deploy/parameters/hardhat.json), its addresses taken from the deployment record, not from flags.
 */

const PERIOD = "202703";

/** An ethers JSON keystore of `key` (a cheap scrypt: a test need not be slow). */
async function keystoreOf(key: string, password: string): Promise<string> {
  const { address } = new ethers.Wallet(key);
  return encryptKeystoreJson({ address, privateKey: key }, password, { scrypt: { N: 1024 } });
}

describe("operations tasks on a deployed suite", function () {
  async function deployedFixture() {
    process.env.ZON_DEPLOYMENTS_DIR = await mkdtemp(path.join(os.tmpdir(), "zon-deployments-"));
    const suite = await deploySuite(hre);
    const signers = await ethers.getSigners();
    return { ...suite, signers, acme: signers[11], globex: signers[12] };
  }

  after(function () {
    delete process.env.ZON_DEPLOYMENTS_DIR;
  });

  it("freezes and unfreezes an account as the compliance officer", async function () {
    const { token, acme } = await loadFixture(deployedFixture);
    await runTask("zon:freeze", { account: acme.address });
    expect(await token.isFrozen(acme.address)).to.equal(true);
    await runTask("zon:unfreeze", { account: acme.address });
    expect(await token.isFrozen(acme.address)).to.equal(false);
  });

  it("refuses a freeze from an account without the compliance role, naming the one configured", async function () {
    const { acme } = await loadFixture(deployedFixture);
    await expect(runTask("zon:freeze", { account: acme.address, from: "11" })).to.be.rejectedWith(
      `account ${acme.address} is not the compliance officer; the compliance officer is 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC`,
    );
  });

  it("adds an account to the holder allowlist and removes it", async function () {
    const { token, acme } = await loadFixture(deployedFixture);
    await runTask("zon:allowlist", { account: acme.address, remove: false });
    expect(await token.isAllowlisted(acme.address)).to.equal(true);
    await runTask("zon:allowlist", { account: acme.address, remove: true });
    expect(await token.isAllowlisted(acme.address)).to.equal(false);
  });

  it("makes a minter, raises and lowers its allowance, and removes it, as the minter admin", async function () {
    const { token, acme } = await loadFixture(deployedFixture);
    await runTask("zon:minter", { minter: acme.address, allowance: "10", remove: false });
    await runTask("zon:minter", { minter: acme.address, increase: "5", remove: false });
    await runTask("zon:minter", { minter: acme.address, decrease: "3", remove: false });
    expect(await token.minterAllowance(acme.address)).to.equal(parseUnits("12", 18));
    await runTask("zon:minter", { minter: acme.address, remove: true });
    expect(await token.isMinter(acme.address)).to.equal(false);
  });

  it("refuses a minter change that gives no single action", async function () {
    const { acme } = await loadFixture(deployedFixture);
    await expect(
      runTask("zon:minter", { minter: acme.address, allowance: "1", increase: "1", remove: false }),
    ).to.be.rejectedWith("minter: give exactly one of --allowance, --increase, --decrease, --remove");
  });

  it("suggests its own flags when a minter is made a second time", async function () {
    const { acme } = await loadFixture(deployedFixture);
    await runTask("zon:minter", { minter: acme.address, allowance: "5", remove: false });
    await expect(
      runTask("zon:minter", { minter: acme.address, allowance: "7", remove: false }),
    ).to.be.rejectedWith(
      `${acme.address} is already a minter (allowance 5 ZON); change its allowance with zon:minter --minter ${acme.address} --increase N or --decrease N`,
    );
  });

  it("pauses and unpauses each contract as the pauser, and refuses a second pause", async function () {
    const { token, distributor, gateway, escrow } = await loadFixture(deployedFixture);
    for (const name of ["token", "distributor", "gateway", "escrow"])
      await runTask("zon:pause", { contract: name });
    expect(await Promise.all([token, distributor, gateway, escrow].map((c) => c.paused()))).to.deep.equal([
      true,
      true,
      true,
      true,
    ]);
    await expect(runTask("zon:pause", { contract: "escrow" })).to.be.rejectedWith(
      "contract: the escrow is already paused",
    );
    for (const name of ["token", "distributor", "gateway", "escrow"])
      await runTask("zon:unpause", { contract: name });
    expect(await escrow.paused()).to.equal(false);
  });

  it("refuses an unknown contract to pause, naming it", async function () {
    await loadFixture(deployedFixture);
    await expect(runTask("zon:pause", { contract: "bank" })).to.be.rejectedWith(
      'contract: "bank" is not one of token, distributor, gateway, escrow',
    );
  });

  it("raises a period's budget as the policy officer", async function () {
    const { distributor } = await loadFixture(deployedFixture);
    await runTask("rewards:policy", { period: PERIOD, rates: "compute=500", budget: "100" });
    await runTask("rewards:raiseBudget", { period: PERIOD, budget: "250" });
    expect((await distributor.periodPolicy(PERIOD))[1]).to.equal(parseUnits("250", 18));
  });

  it("revokes attestations with the configured attestors' signatures, whoever sends them", async function () {
    const { distributor } = await loadFixture(deployedFixture);
    await runTask("rewards:policy", { period: PERIOD, rates: "compute=500", budget: "100" });
    await runTask("rewards:revoke", { period: PERIOD, ids: "4,5", asAdmin: false });
    expect((await distributor.attestationStatus(PERIOD, 5))[1]).to.equal(true);
  });

  it("revokes as the admin with --as-admin", async function () {
    const { distributor } = await loadFixture(deployedFixture);
    await runTask("rewards:policy", { period: PERIOD, rates: "compute=500", budget: "100" });
    await runTask("rewards:revoke", { period: PERIOD, ids: "9", asAdmin: true });
    expect((await distributor.attestationStatus(PERIOD, 9))[1]).to.equal(true);
  });

  it("refuses to revoke an id already revoked, before sending anything", async function () {
    await loadFixture(deployedFixture);
    await runTask("rewards:policy", { period: PERIOD, rates: "compute=500", budget: "100" });
    await runTask("rewards:revoke", { period: PERIOD, ids: "1", asAdmin: true });
    await expect(runTask("rewards:revoke", { period: PERIOD, ids: "2,1", asAdmin: true })).to.be.rejectedWith(
      `ids: attestation ${PERIOD}/1 is already revoked`,
    );
  });

  it("names the paused contract when a transfer is refused by a pause", async function () {
    const { token, acme, globex, signers } = await loadFixture(deployedFixture);
    await token.connect(signers[0]).configureMinter(signers[0].address, parseUnits("10", 18));
    await token.connect(signers[0]).mint(acme.address, parseUnits("10", 18));
    await runTask("zon:pause", { contract: "token" });
    await expect(
      runTask("zon:transfer", { to: globex.address, amount: "1", from: acme.address }),
    ).to.be.rejectedWith(
      "EnforcedPause: the token is paused; wait until the pauser unpauses it (zon:unpause --contract token)",
    );
    expect(await token.balanceOf(globex.address)).to.equal(0n);
  });

  it("refuses a transfer of 0 ZON before sending anything", async function () {
    const { acme, globex } = await loadFixture(deployedFixture);
    const nonce = await ethers.provider.getTransactionCount(acme.address);
    await expect(
      runTask("zon:transfer", { to: globex.address, amount: "0", from: acme.address }),
    ).to.be.rejectedWith("amount: 0 ZON moves nothing; give an amount above 0");
    expect(await ethers.provider.getTransactionCount(acme.address)).to.equal(nonce);
  });

  it("lets a business cancel its request after the timeout, and refuses anyone else", async function () {
    const { gateway, token, acme, globex, signers } = await loadFixture(deployedFixture);
    const distributorMinter = signers[0]; // governance holds the minter admin role after the deploy
    await token.connect(distributorMinter).configureMinter(distributorMinter.address, parseUnits("100", 18));
    await token.connect(distributorMinter).mint(acme.address, parseUnits("100", 18));
    await token.connect(acme).approve(await gateway.getAddress(), parseUnits("10", 18));
    await gateway.connect(acme).redeem(1, 1, parseUnits("10", 18), keccakOfText("acme"));
    await time.increase(Number(await gateway.fulfilmentTimeout()) + 1);
    await expect(runTask("redeem:cancel", { id: "0", from: globex.address })).to.be.rejectedWith(
      `from: ${globex.address} is not the owner of request 0; the owner is ${acme.address}`,
    );
    await runTask("redeem:cancel", { id: "0", from: acme.address });
    expect(await token.balanceOf(acme.address)).to.equal(parseUnits("100", 18));
  });

  it("shows the deployment at a glance: budgets, holdings, roles and pauses", async function () {
    await loadFixture(deployedFixture);
    await runTask("rewards:policy", { period: PERIOD, rates: "compute=500", budget: "100" });
    const status = await runTask<{
      periods: Array<{ period: number; budget: string }>;
      holdings: { openRedemptions: number; lockedInEscrow: string };
      roles: Array<{ contract: string; role: string; account: string }>;
      paused: Record<string, boolean>;
    }>("zon:status", { maxLogsRange: "3" });
    expect(status.periods).to.deep.equal([
      { period: Number(PERIOD), budget: "100 ZON", mintedOrReserved: "0 ZON", left: "100 ZON" },
    ]);
    expect(status.holdings).to.include({ openRedemptions: 0, lockedInEscrow: "0 ZON" });
    expect(status.roles).to.deep.include({
      contract: "distributor",
      role: "policy officer",
      account: "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
    });
    expect(status.paused).to.deep.equal({ token: false, distributor: false, gateway: false, escrow: false });
  });

  it("checks a role against the chain, not only the parameters", async function () {
    const { gateway, signers } = await loadFixture(deployedFixture);
    const manager = signers.find((s) => s.address === "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f")!;
    await gateway.connect(manager).renounceRole(ROLES.CATALOGUE, manager.address);
    await expect(
      runTask("catalogue:set", { sku: "5", kind: "cloudCredit", price: "1", limit: "0", inactive: false }),
    ).to.be.rejectedWith(
      `account ${manager.address}, the catalogue manager of deploy/parameters/hardhat.json, does not hold that role on ${await gateway.getAddress()}`,
    );
  });

  describe("named signers", function () {
    const COMPLIANCE_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"; // test account 2
    afterEach(function () {
      for (const name of [
        "ZON_KEY_COMPLIANCE",
        "ZON_KEYSTORE_COMPLIANCE",
        "ZON_KEYSTORE_PASSWORD",
        "ATTESTOR_KEYS",
      ])
        delete process.env[name];
    });

    it("sends as the role's named key when one is configured", async function () {
      const { token, acme } = await loadFixture(deployedFixture);
      process.env.ZON_KEY_COMPLIANCE = COMPLIANCE_KEY;
      await runTask("zon:freeze", { account: acme.address });
      expect(await token.isFrozen(acme.address)).to.equal(true);
    });

    it("decrypts a named keystore with the password from the environment", async function () {
      const { token, acme } = await loadFixture(deployedFixture);
      const file = path.join(await mkdtemp(path.join(os.tmpdir(), "zon-keystore-")), "compliance.json");
      await writeFile(file, await keystoreOf(COMPLIANCE_KEY, "correct horse"));
      process.env.ZON_KEYSTORE_COMPLIANCE = file;
      process.env.ZON_KEYSTORE_PASSWORD = "correct horse";
      await runTask("zon:freeze", { account: acme.address });
      expect(await token.isFrozen(acme.address)).to.equal(true);
    });

    it("refuses a keystore with a wrong password without printing anything of it", async function () {
      const { acme } = await loadFixture(deployedFixture);
      const file = path.join(await mkdtemp(path.join(os.tmpdir(), "zon-keystore-")), "compliance.json");
      await writeFile(file, await keystoreOf(COMPLIANCE_KEY, "correct horse"));
      process.env.ZON_KEYSTORE_COMPLIANCE = file;
      process.env.ZON_KEYSTORE_PASSWORD = "wrong";
      await expect(runTask("zon:freeze", { account: acme.address })).to.be.rejectedWith(
        `keystore ${file}: cannot be decrypted with the password given (or is not an ethers keystore)`,
      );
    });

    it("names a bad key by its variable, never echoing it", async function () {
      const { acme } = await loadFixture(deployedFixture);
      process.env.ZON_KEY_COMPLIANCE = "0xdeadbeefsecret";
      const error = await runTask("zon:freeze", { account: acme.address }).catch((e: Error) => e);
      expect((error as Error).message).to.equal(
        "configuration variable ZON_KEY_COMPLIANCE: not a private key (32 bytes of hex); set it again",
      );
    });

    it("names a bad attestor key by its position, never echoing it", async function () {
      await loadFixture(deployedFixture);
      await runTask("rewards:policy", { period: PERIOD, rates: "compute=500", budget: "100" });
      process.env.ATTESTOR_KEYS = `${COMPLIANCE_KEY},not-a-key-secret`;
      const error = await runTask("rewards:revoke", { period: PERIOD, ids: "1", asAdmin: false }).catch(
        (e: Error) => e,
      );
      expect((error as Error).message).to.equal(
        "configuration variable ATTESTOR_KEYS: entry 2 is not a private key (32 bytes of hex)",
      );
    });
  });
});

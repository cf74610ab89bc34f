import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import { deploySuite } from "../../deploy/deploy";
import { loadParameters } from "../../deploy/parameters";
import { readAdminStates, type AdminState } from "../../src";
import { runTask } from "../helpers/tasks";

const GOVERNANCE_ACCOUNT = 9;

/** The suite deployed by account 0 with governance a separate account: every admin role is offered to it. */
async function offeredFixture() {
  const signers = await hre.ethers.getSigners();
  const governance = signers[GOVERNANCE_ACCOUNT];
  const params = { ...loadParameters("hardhat"), governance: governance.address };
  const suite = await deploySuite(hre, params);
  const contracts = [suite.token, suite.distributor, suite.gateway, suite.escrow];
  return { ...suite, contracts, deployer: signers[0], governance, outsider: signers[5] };
}

describe("admin tasks", function () {
  it("shows every contract's admin and the transfer offered to governance", async function () {
    const { deployer, governance } = await loadFixture(offeredFixture);
    const states = await runTask<AdminState[]>("admin:status", {});
    expect(states.map((s) => [s.name, s.admin, s.pending])).to.deep.equal(
      ["ZonCoin", "RewardDistributor", "RedemptionGateway", "B2BEscrow"].map((name) => [
        name,
        deployer.address,
        governance.address,
      ]),
    );
  });

  it("refuses acceptance before the delay, naming the contract and when it becomes possible", async function () {
    const { governance } = await loadFixture(offeredFixture);
    await expect(runTask("admin:accept", { account: GOVERNANCE_ACCOUNT })).to.be.rejectedWith(
      new RegExp(
        `^ZonCoin: the admin role offered to ${governance.address} can be accepted from \\S+Z \\(\\d+ s from now\\)$`,
      ),
    );
  });

  it("hands every contract to governance once the delay is over", async function () {
    const { contracts, params, governance } = await loadFixture(offeredFixture);
    await time.increase(params.adminTransferDelay + 1n);
    const accepted = await runTask<string[]>("admin:accept", { account: GOVERNANCE_ACCOUNT });
    const admins = await Promise.all(contracts.map((c) => c.defaultAdmin()));
    expect([accepted, admins]).to.deep.equal([
      ["ZonCoin", "RewardDistributor", "RedemptionGateway", "B2BEscrow"],
      Array(4).fill(governance.address),
    ]);
  });

  it("accepts nothing on a second run, governance being the admin already", async function () {
    const { params } = await loadFixture(offeredFixture);
    await time.increase(params.adminTransferDelay + 1n);
    await runTask("admin:accept", { account: GOVERNANCE_ACCOUNT });
    expect(await runTask<string[]>("admin:accept", { account: GOVERNANCE_ACCOUNT })).to.deep.equal([]);
  });

  it("refuses an account the role is not offered to, naming the contract and the offer", async function () {
    const { deployer, governance, outsider } = await loadFixture(offeredFixture);
    await expect(runTask("admin:accept", { account: 5 })).to.be.rejectedWith(
      `ZonCoin: the admin role is not offered to ${outsider.address} (offered to ${governance.address}, admin ${deployer.address})`,
    );
  });

  it("accepts nothing when one contract's offer was withdrawn", async function () {
    const { escrow, token, params, deployer } = await loadFixture(offeredFixture);
    await time.increase(params.adminTransferDelay + 1n);
    await escrow.connect(deployer).cancelDefaultAdminTransfer();
    await expect(runTask("admin:accept", { account: GOVERNANCE_ACCOUNT })).to.be.rejectedWith(
      /^B2BEscrow: the admin role is not offered to 0x[0-9a-fA-F]{40} \(offered to nobody/,
    );
    expect(await token.defaultAdmin()).to.equal(deployer.address);
  });

  it("refuses an account index that is not configured", async function () {
    await loadFixture(offeredFixture);
    await expect(runTask("admin:accept", { account: 99 })).to.be.rejectedWith(
      "account: 99 is not one of the 20 configured accounts",
    );
  });

  it("refuses a deployment record naming an address without code", async function () {
    await loadFixture(offeredFixture);
    const address = "0x000000000000000000000000000000000000dEaD";
    await expect(readAdminStates(hre.ethers.provider, { B2BEscrow: address })).to.be.rejectedWith(
      `B2BEscrow: no contract at ${address} on this chain (a stale deployment record?)`,
    );
  });
});

import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { MaxUint256, ZeroAddress, type Signer } from "ethers";
import { ethers } from "hardhat";
import type { ERC20 } from "../../typechain-types";

/** What the shared ERC-20 suite needs: a token in which `holder` alone holds `initialBalance`. */
export interface Erc20Setup {
  token: ERC20;
  holder: Signer;
  recipient: Signer;
  spender: Signer;
  initialBalance: bigint;
}

/**
 * ERC-20 conformance as OpenZeppelin's ERC20 defines it: balances, transfers, allowances, infinite
 * allowance, zero-address and zero-amount rules, `IERC20Errors` errors and events. Run against a plain
 * OpenZeppelin token and against ZonCoin, it proves they behave the same.
 */
export function shouldBehaveLikeERC20(setup: () => Promise<Erc20Setup>): void {
  async function fixture() {
    const s = await setup();
    return {
      ...s,
      holderAddress: await s.holder.getAddress(),
      recipientAddress: await s.recipient.getAddress(),
      spenderAddress: await s.spender.getAddress(),
    };
  }

  describe("ERC-20 conformance", function () {
    describe("balances", function () {
      it("reports the total supply as the holder's balance", async function () {
        const { token, initialBalance } = await loadFixture(fixture);
        expect(await token.totalSupply()).to.equal(initialBalance);
      });

      it("reports the holder's balance", async function () {
        const { token, holderAddress, initialBalance } = await loadFixture(fixture);
        expect(await token.balanceOf(holderAddress)).to.equal(initialBalance);
      });

      it("reports zero for an account that never held tokens", async function () {
        const { token, recipientAddress } = await loadFixture(fixture);
        expect(await token.balanceOf(recipientAddress)).to.equal(0n);
      });
    });

    describe("transfer", function () {
      it("moves the amount from the sender to the recipient", async function () {
        const { token, holder, recipient, recipientAddress } = await loadFixture(fixture);
        await expect(token.connect(holder).transfer(recipientAddress, 100n)).to.changeTokenBalances(
          token,
          [holder, recipient],
          [-100n, 100n],
        );
      });

      it("emits a Transfer event", async function () {
        const { token, holder, holderAddress, recipientAddress } = await loadFixture(fixture);
        await expect(token.connect(holder).transfer(recipientAddress, 100n))
          .to.emit(token, "Transfer")
          .withArgs(holderAddress, recipientAddress, 100n);
      });

      it("returns true", async function () {
        const { token, holder, recipientAddress } = await loadFixture(fixture);
        expect(await token.connect(holder).transfer.staticCall(recipientAddress, 1n)).to.equal(true);
      });

      it("moves the whole balance", async function () {
        const { token, holder, holderAddress, recipientAddress, initialBalance } = await loadFixture(fixture);
        await token.connect(holder).transfer(recipientAddress, initialBalance);
        expect(await token.balanceOf(holderAddress)).to.equal(0n);
      });

      it("reverts with ERC20InsufficientBalance above the balance", async function () {
        const { token, holder, holderAddress, recipientAddress, initialBalance } = await loadFixture(fixture);
        await expect(token.connect(holder).transfer(recipientAddress, initialBalance + 1n))
          .to.be.revertedWithCustomError(token, "ERC20InsufficientBalance")
          .withArgs(holderAddress, initialBalance, initialBalance + 1n);
      });

      it("reverts with ERC20InsufficientBalance from an empty account", async function () {
        const { token, recipient, recipientAddress, holderAddress } = await loadFixture(fixture);
        await expect(token.connect(recipient).transfer(holderAddress, 1n))
          .to.be.revertedWithCustomError(token, "ERC20InsufficientBalance")
          .withArgs(recipientAddress, 0n, 1n);
      });

      it("reverts with ERC20InvalidReceiver when sending to the zero address", async function () {
        const { token, holder } = await loadFixture(fixture);
        await expect(token.connect(holder).transfer(ZeroAddress, 1n))
          .to.be.revertedWithCustomError(token, "ERC20InvalidReceiver")
          .withArgs(ZeroAddress);
      });

      it("transfers a zero amount and emits a Transfer event", async function () {
        const { token, recipient, recipientAddress, holderAddress } = await loadFixture(fixture);
        await expect(token.connect(recipient).transfer(holderAddress, 0n))
          .to.emit(token, "Transfer")
          .withArgs(recipientAddress, holderAddress, 0n);
      });

      it("keeps the balance on a transfer to oneself", async function () {
        const { token, holder, holderAddress } = await loadFixture(fixture);
        await expect(token.connect(holder).transfer(holderAddress, 100n)).to.changeTokenBalance(
          token,
          holder,
          0n,
        );
      });
    });

    describe("approve", function () {
      it("sets the allowance", async function () {
        const { token, holder, holderAddress, spenderAddress } = await loadFixture(fixture);
        await token.connect(holder).approve(spenderAddress, 500n);
        expect(await token.allowance(holderAddress, spenderAddress)).to.equal(500n);
      });

      it("emits an Approval event", async function () {
        const { token, holder, holderAddress, spenderAddress } = await loadFixture(fixture);
        await expect(token.connect(holder).approve(spenderAddress, 500n))
          .to.emit(token, "Approval")
          .withArgs(holderAddress, spenderAddress, 500n);
      });

      it("replaces a previous allowance", async function () {
        const { token, holder, holderAddress, spenderAddress } = await loadFixture(fixture);
        await token.connect(holder).approve(spenderAddress, 500n);
        await token.connect(holder).approve(spenderAddress, 7n);
        expect(await token.allowance(holderAddress, spenderAddress)).to.equal(7n);
      });

      it("allows approving more than the balance", async function () {
        const { token, holder, holderAddress, spenderAddress, initialBalance } = await loadFixture(fixture);
        await token.connect(holder).approve(spenderAddress, initialBalance * 2n);
        expect(await token.allowance(holderAddress, spenderAddress)).to.equal(initialBalance * 2n);
      });

      it("reverts with ERC20InvalidSpender for the zero address", async function () {
        const { token, holder } = await loadFixture(fixture);
        await expect(token.connect(holder).approve(ZeroAddress, 1n))
          .to.be.revertedWithCustomError(token, "ERC20InvalidSpender")
          .withArgs(ZeroAddress);
      });
    });

    describe("transferFrom", function () {
      async function approvedFixture() {
        const s = await loadFixture(fixture);
        await s.token.connect(s.holder).approve(s.spenderAddress, 300n);
        return s;
      }

      it("moves the amount from the owner to the recipient", async function () {
        const { token, holder, recipient, spender, holderAddress, recipientAddress } =
          await approvedFixture();
        await expect(
          token.connect(spender).transferFrom(holderAddress, recipientAddress, 200n),
        ).to.changeTokenBalances(token, [holder, recipient], [-200n, 200n]);
      });

      it("decreases the allowance by the amount", async function () {
        const { token, spender, holderAddress, recipientAddress, spenderAddress } = await approvedFixture();
        await token.connect(spender).transferFrom(holderAddress, recipientAddress, 200n);
        expect(await token.allowance(holderAddress, spenderAddress)).to.equal(100n);
      });

      it("emits a Transfer event and no Approval event", async function () {
        const { token, spender, holderAddress, recipientAddress } = await approvedFixture();
        const tx = token.connect(spender).transferFrom(holderAddress, recipientAddress, 200n);
        await expect(tx).to.emit(token, "Transfer").withArgs(holderAddress, recipientAddress, 200n);
        await expect(tx).not.to.emit(token, "Approval");
      });

      it("returns true", async function () {
        const { token, spender, holderAddress, recipientAddress } = await approvedFixture();
        expect(
          await token.connect(spender).transferFrom.staticCall(holderAddress, recipientAddress, 1n),
        ).to.equal(true);
      });

      it("reverts with ERC20InsufficientAllowance above the allowance", async function () {
        const { token, spender, holderAddress, recipientAddress, spenderAddress } = await approvedFixture();
        await expect(token.connect(spender).transferFrom(holderAddress, recipientAddress, 301n))
          .to.be.revertedWithCustomError(token, "ERC20InsufficientAllowance")
          .withArgs(spenderAddress, 300n, 301n);
      });

      it("reverts with ERC20InsufficientBalance when the allowance exceeds the balance", async function () {
        const { token, holder, spender, holderAddress, recipientAddress, spenderAddress, initialBalance } =
          await loadFixture(fixture);
        await token.connect(holder).approve(spenderAddress, initialBalance + 1n);
        await expect(
          token.connect(spender).transferFrom(holderAddress, recipientAddress, initialBalance + 1n),
        )
          .to.be.revertedWithCustomError(token, "ERC20InsufficientBalance")
          .withArgs(holderAddress, initialBalance, initialBalance + 1n);
      });

      it("reverts with ERC20InvalidReceiver when sending to the zero address", async function () {
        const { token, spender, holderAddress } = await approvedFixture();
        await expect(token.connect(spender).transferFrom(holderAddress, ZeroAddress, 1n))
          .to.be.revertedWithCustomError(token, "ERC20InvalidReceiver")
          .withArgs(ZeroAddress);
      });

      it("reverts with ERC20InvalidApprover when taking from the zero address", async function () {
        const { token, spender, recipientAddress } = await approvedFixture();
        await expect(token.connect(spender).transferFrom(ZeroAddress, recipientAddress, 0n))
          .to.be.revertedWithCustomError(token, "ERC20InvalidApprover")
          .withArgs(ZeroAddress);
      });

      it("moves a zero amount without an allowance", async function () {
        const { token, spender, holderAddress, recipientAddress } = await loadFixture(fixture);
        await expect(token.connect(spender).transferFrom(holderAddress, recipientAddress, 0n))
          .to.emit(token, "Transfer")
          .withArgs(holderAddress, recipientAddress, 0n);
      });

      it("does not decrease an infinite allowance", async function () {
        const { token, holder, spender, holderAddress, recipientAddress, spenderAddress } =
          await loadFixture(fixture);
        await token.connect(holder).approve(spenderAddress, MaxUint256);
        await token.connect(spender).transferFrom(holderAddress, recipientAddress, 200n);
        expect(await token.allowance(holderAddress, spenderAddress)).to.equal(MaxUint256);
      });
    });
  });
}

/** Typed view of any deployed ERC-20 through OpenZeppelin's ERC20 ABI (its errors included). */
export async function asERC20(address: string): Promise<ERC20> {
  return ethers.getContractAt("ERC20", address);
}

import {
  isError,
  makeError,
  type AbstractProvider,
  type ContractTransactionReceipt,
  type ContractTransactionResponse,
} from "ethers";

/*
 * Waiting for a transaction by reading its receipt (`wait(0)`: one eth_getTransactionReceipt) until it is
 * there. ethers' `wait(1)` follows new blocks through a subscription instead, which failed the suite twice:
 * a failed poll is an unhandled rejection, which ends the process (the issuer service behind a flaky link),
 * and on a chain that mines on demand it can miss the one block that holds the transaction and then wait
 * for a next block that never comes (the load bench's history build).
 */

export interface ReceiptPolling {
  /** Give up (an ethers TIMEOUT error) when not mined within this long; default: never. */
  timeoutMs?: number;
  /**
   * The longest wait between reads; default: the provider's polling interval, at least 50 ms. The first
   * reads come sooner (25 ms, then doubling up to it): a chain that mines at once must not cost a whole
   * interval per transaction.
   */
  pollMs?: number;
  /** Failed reads in a row before the last error is thrown; default 6. */
  attempts?: number;
  /** The wait after the `attempt`-th failed read in a row; default: `pollMs`. */
  backoff?: (attempt: number) => Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The receipt of `tx` once mined; a reverted transaction throws ethers' CALL_EXCEPTION, as `wait` does. */
export async function minedReceipt(
  tx: ContractTransactionResponse,
  options: ReceiptPolling = {},
): Promise<ContractTransactionReceipt> {
  const pollMs = options.pollMs ?? Math.max(50, (tx.provider as AbstractProvider).pollingInterval ?? 1_000);
  const attempts = options.attempts ?? 6;
  const backoff = options.backoff ?? (() => sleep(pollMs));
  const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
  for (let failures = 0, reads = 0; ; reads++) {
    try {
      const receipt = await tx.wait(0);
      if (receipt) return receipt;
      failures = 0;
    } catch (error) {
      if (isError(error, "CALL_EXCEPTION") || ++failures >= attempts) throw error;
      await backoff(failures);
      continue;
    }
    if (Date.now() >= deadline)
      throw makeError(`transaction ${tx.hash} not mined within ${options.timeoutMs} ms`, "TIMEOUT", {
        operation: "receipt",
        reason: "timeout",
      });
    await sleep(Math.min(pollMs, 25 * 2 ** reads));
  }
}

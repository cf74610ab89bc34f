import type { JsonRpcApiProvider, Provider } from "ethers";

/** One check of a chain before a deploy. */
export interface PreflightRow {
  check: string;
  ok: boolean;
  detail: string;
}

export interface PreflightOptions {
  expectedChainId: bigint;
  deployer: string;
  /** Largest runtime bytecode of the suite, in bytes. */
  largestContractBytes: number;
  /** The suite's deploy transactions (creation code and constructor arguments), estimated on the chain. */
  deploys: Array<{ name: string; data: string }>;
}

// Cancun opcodes in init code: TSTORE 1 at slot 0, TLOAD it, add BLOBBASEFEE, return the word.
const CANCUN_PROBE = "0x60015f5d5f5c4a015f5260205ff3";

/** Init code returning `size` zero bytes: deploys a contract of exactly that size. */
function sizeProbe(size: number): string {
  return "0x61" + size.toString(16).padStart(4, "0") + "5ff3";
}

async function attempt<T>(call: () => Promise<T>): Promise<{ value?: T; error?: string }> {
  try {
    return { value: await call() };
  } catch (error) {
    return {
      error: ((error as { shortMessage?: string }).shortMessage ?? (error as Error).message).split("\n")[0],
    };
  }
}

/**
 * Checks that a chain can take the suite: chain id, gas price (zero accepted or deployer funded), the EVM
 * version (Cancun opcodes run), the contract size limit, the block gas limit, and that the deployer may
 * transact. Each failing row says what to change.
 */
export async function runPreflight(provider: Provider, o: PreflightOptions): Promise<PreflightRow[]> {
  const rows: PreflightRow[] = [];
  const chainId = (await provider.getNetwork()).chainId;
  rows.push({
    check: "chain id",
    ok: chainId === o.expectedChainId,
    detail:
      chainId === o.expectedChainId
        ? `${chainId}`
        : `node says ${chainId}, the configuration ${o.expectedChainId}: fix the network's chainId or the genesis`,
  });

  const rpc = provider as unknown as JsonRpcApiProvider;
  const gasPrice = BigInt(await rpc.send("eth_gasPrice", []));
  const balance = await provider.getBalance(o.deployer);
  const gasOk = gasPrice === 0n || balance > 0n;
  rows.push({
    check: "gas price",
    ok: gasOk,
    detail:
      gasPrice === 0n
        ? "zero gas price accepted"
        : gasOk
          ? `gas price ${gasPrice}, deployer funded (${balance} wei)`
          : `gas price ${gasPrice} and the deployer has no funds: set min-gas-price=0 (and zeroBaseFee) or fund ${o.deployer}`,
  });

  const cancun = await attempt(() => provider.call({ from: o.deployer, data: CANCUN_PROBE }));
  rows.push({
    check: "EVM version (Cancun)",
    ok: cancun.value !== undefined,
    detail:
      cancun.value !== undefined
        ? "TSTORE, TLOAD and BLOBBASEFEE run"
        : `Cancun opcodes fail (${cancun.error}): set shanghaiTime: 0 and cancunTime: 0 in the genesis`,
  });

  const size = await attempt(() =>
    provider.estimateGas({ from: o.deployer, data: sizeProbe(o.largestContractBytes) }),
  );
  rows.push({
    check: "contract size limit",
    ok: size.value !== undefined,
    detail:
      size.value !== undefined
        ? `a ${o.largestContractBytes}-byte contract deploys`
        : `a ${o.largestContractBytes}-byte contract does not deploy (${size.error}): raise contractSizeLimit in the genesis`,
  });

  const block = await provider.getBlock("latest");
  const gasLimit = block?.gasLimit ?? 0n;
  let largest = { name: "", gas: 0n };
  let failure = "";
  for (const deploy of o.deploys) {
    const estimate = await attempt(() => provider.estimateGas({ from: o.deployer, data: deploy.data }));
    if (estimate.value === undefined) failure ||= `${deploy.name} cannot be deployed (${estimate.error})`;
    else if (estimate.value > largest.gas) largest = { name: deploy.name, gas: estimate.value };
  }
  const fits = failure === "" && gasLimit >= largest.gas;
  rows.push({
    check: "block gas limit",
    ok: fits,
    detail: fits
      ? `${gasLimit} >= ${largest.gas} (${largest.name}, the largest deploy)`
      : failure
        ? `${failure}: check gasLimit and contractSizeLimit in the genesis`
        : `${gasLimit} < ${largest.gas} needed by ${largest.name}: raise gasLimit in the genesis`,
  });

  const transact = await attempt(() => provider.estimateGas({ from: o.deployer, to: o.deployer, value: 0n }));
  rows.push({
    check: "deployer may transact",
    ok: transact.value !== undefined,
    detail:
      transact.value !== undefined
        ? `${o.deployer} can send`
        : `${o.deployer} cannot send (${transact.error}): add it to the accounts allowlist (perm_addAccountsToAllowlist)`,
  });
  return rows;
}

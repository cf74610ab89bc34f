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
  /** The gas price the deploy will send (the network's configured `gasPrice`); undefined: the node's own. */
  deployGasPrice?: bigint;
  /** Every account the deploy parameters give a role: each must be allowed to transact too. */
  roleAccounts?: Array<{ field: string; address: string }>;
  /** Whether roleAccounts holds the issuer service's relayer (the parameters' issuerService.relayer). */
  issuerRelayerGiven?: boolean;
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
 * Checks that a chain can take the suite: chain id, the gas price the deploy offers against the node's
 * (and the deployer's funds), the EVM version (Cancun opcodes run), the contract size limit, the block gas
 * limit, that the deployer may transact, and — where the node exposes PERM — that the deployer and every
 * role account are on its accounts allowlist. Each failing row says what to change.
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
  // Besu answers eth_gasPrice with at least its min-gas-price: the least a transaction may offer.
  const nodePrice = BigInt(await rpc.send("eth_gasPrice", []));
  const sent = o.deployGasPrice ?? nodePrice;
  const balance = await provider.getBalance(o.deployer);
  const priceOk = sent >= nodePrice;
  const fundsOk = sent === 0n || balance > 0n;
  rows.push({
    check: "gas price",
    ok: priceOk && fundsOk,
    detail: !priceOk
      ? `the deploy offers ${sent} wei per gas, the node asks at least ${nodePrice} (its min-gas-price): set BESU_GAS_PRICE to ${nodePrice}, or min-gas-price=0 on every node`
      : !fundsOk
        ? `the deploy offers ${sent} wei per gas and the deployer has no funds: set min-gas-price=0 (and zeroBaseFee) or fund ${o.deployer}`
        : sent === 0n
          ? `the deploy offers 0 wei per gas and the node accepts it (eth_gasPrice ${nodePrice})`
          : `the deploy offers ${sent} wei per gas (node asks ${nodePrice}); deployer funded (${balance} wei)`,
  });

  const cancun = await attempt(() => provider.call({ from: o.deployer, data: CANCUN_PROBE }));
  rows.push({
    check: "EVM version (Cancun)",
    ok: cancun.value !== undefined,
    detail:
      cancun.value !== undefined
        ? "TSTORE, TLOAD and BLOBBASEFEE run"
        : `Cancun opcodes fail (${cancun.error}): a new chain needs shanghaiTime: 0 and cancunTime: 0 in its genesis; a running chain needs cancunTime set to a future timestamp in every node's genesis, and every node restarted before then`,
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

  // eth_estimateGas ignores Besu's accounts allowlist: read the list itself where the node exposes PERM.
  // A contract (a Safe) never signs a transaction: its owners' keys do, and they are not known here.
  const candidates = [{ field: "deployer", address: o.deployer }, ...(o.roleAccounts ?? [])];
  const codes = await Promise.all(candidates.map((a) => provider.getCode(a.address)));
  const accounts = candidates.filter((_, i) => codes[i] === "0x");
  const contracts = candidates.filter((_, i) => codes[i] !== "0x");
  const contractNote =
    contracts.length === 0
      ? ""
      : `; ${contracts.map((c) => `${c.field} ${c.address}`).join(", ")} ${contracts.length > 1 ? "are contracts" : "is a contract"} (a Safe?): the keys of its owners send its transactions and must be on the allowlist`;
  const relayerMissing = o.roleAccounts !== undefined && o.issuerRelayerGiven === false;
  const allowlist = await attempt(async () => (await rpc.send("perm_getAccountsAllowlist", [])) as string[]);
  if (allowlist.value === undefined) {
    rows.push({
      check: "accounts allowlist",
      ok: true,
      detail: `cannot be checked: the node does not answer perm_getAccountsAllowlist (${allowlist.error}); make sure the deployer and every role account are on every node's allowlist (preflight --besu-dir checks every node)${contractNote}`,
    });
  } else {
    const listed = new Set(allowlist.value.map((a) => a.toLowerCase()));
    const missing = accounts.filter((a) => !listed.has(a.address.toLowerCase()));
    rows.push({
      check: "accounts allowlist",
      ok: missing.length === 0 && !relayerMissing,
      detail:
        (missing.length === 0
          ? `the deployer and ${accounts.length - 1} role account(s) are on the node's allowlist`
          : `not on the node's allowlist: ${missing.map((m) => `${m.field} ${m.address}`).join(", ")}; add each on every node (npx hardhat besu:member --dir <network> --account <address>)`) +
        (relayerMissing
          ? "; the parameters have no issuerService.relayer: the issuer service's sending account cannot be checked (add it)"
          : "") +
        contractNote,
    });
  }
  return rows;
}

// Named trace.ts, not breakdown.ts: Node resolves "./breakdown" to the breakdown.json this writes.
import { getBytes } from "ethers";

/** One EVM step of a `debug_traceTransaction` struct log. */
interface StructLog {
  op: string;
  gas: number;
  gasCost: number;
  depth: number;
  stack?: string[];
}

/** The JSON-RPC call this module needs: Hardhat's in-process provider has it. */
export interface TraceProvider {
  send(method: string, params: unknown[]): Promise<unknown>;
}

/**
 * Where the gas of one transaction went. The parts add up exactly:
 * `gasUsed = intrinsic + calldata + Σ(sload, sstore, coldAccounts, precompiles, logs, keccak, execution).gas
 * − refund`.
 */
export interface GasBreakdown {
  gasUsed: number;
  intrinsic: number;
  calldata: number;
  sloadCold: Part;
  sloadWarm: Part;
  sstore: Part;
  coldAccounts: Part;
  precompiles: Part;
  logs: Part;
  keccak: Part;
  /** Every other opcode: arithmetic, memory, jumps, ABI coding, warm call overhead. */
  execution: number;
  refund: number;
}

interface Part {
  count: number;
  gas: number;
}

const TX_BASE = 21_000;
const COLD_SLOAD = 2_100;
const COLD_ACCOUNT = 2_600;
const CALLS = new Set(["CALL", "STATICCALL", "DELEGATECALL", "CALLCODE"]);
const ACCOUNT_READS = new Set(["EXTCODESIZE", "EXTCODEHASH", "EXTCODECOPY", "BALANCE"]);
const LAST_PRECOMPILE = 0x11n;

/** EIP-2028 calldata cost (Cancun has no EIP-7623 floor): 4 per zero byte, 16 per other byte. */
export function calldataGas(data: string): number {
  let gas = 0;
  for (const byte of getBytes(data)) gas += byte === 0 ? 4 : 16;
  return gas;
}

/**
 * Traces transaction `hash` (a call to a contract, not a deployment) and sorts its gas into parts.
 * A call's own cost is what the caller pays before and after the callee runs (account access, memory,
 * value); a precompile's work counts under `precompiles`, a contract callee's steps under their own parts.
 */
export async function gasBreakdown(provider: TraceProvider, hash: string): Promise<GasBreakdown> {
  const tx = (await provider.send("eth_getTransactionByHash", [hash])) as {
    input: string;
    to: string | null;
  };
  if (!tx?.to) throw new Error(`hash: ${hash} is not a mined call to a contract`);
  const receipt = (await provider.send("eth_getTransactionReceipt", [hash])) as { gasUsed: string };
  const trace = (await provider.send("debug_traceTransaction", [
    hash,
    { disableMemory: true, disableStorage: true },
  ])) as { structLogs: StructLog[] };
  const logs = trace.structLogs;

  const part = (): Part => ({ count: 0, gas: 0 });
  const b: GasBreakdown = {
    gasUsed: Number(BigInt(receipt.gasUsed)),
    intrinsic: TX_BASE,
    calldata: calldataGas(tx.input),
    sloadCold: part(),
    sloadWarm: part(),
    sstore: part(),
    coldAccounts: part(),
    precompiles: part(),
    logs: part(),
    keccak: part(),
    execution: 0,
    refund: 0,
  };
  const add = (p: Part, gas: number) => {
    p.count += 1;
    p.gas += gas;
  };

  for (let i = 0; i < logs.length; i++) {
    const step = logs[i];
    if (CALLS.has(step.op)) {
      const own = callOwnCost(logs, i);
      if (own.precompile) {
        add(b.precompiles, own.gas);
        continue;
      }
      if (own.gas >= COLD_ACCOUNT) {
        add(b.coldAccounts, COLD_ACCOUNT);
        b.execution += own.gas - COLD_ACCOUNT;
      } else b.execution += own.gas;
    } else if (step.op === "SLOAD") add(step.gasCost >= COLD_SLOAD ? b.sloadCold : b.sloadWarm, step.gasCost);
    else if (step.op === "SSTORE") add(b.sstore, step.gasCost);
    else if (step.op.startsWith("LOG")) add(b.logs, step.gasCost);
    else if (step.op === "KECCAK256") add(b.keccak, step.gasCost);
    else if (ACCOUNT_READS.has(step.op) && step.gasCost >= COLD_ACCOUNT) {
      add(b.coldAccounts, COLD_ACCOUNT);
      b.execution += step.gasCost - COLD_ACCOUNT;
    } else b.execution += step.gasCost;
  }
  const charged =
    b.intrinsic +
    b.calldata +
    b.execution +
    [b.sloadCold, b.sloadWarm, b.sstore, b.coldAccounts, b.precompiles, b.logs, b.keccak].reduce(
      (sum, p) => sum + p.gas,
      0,
    );
  b.refund = charged - b.gasUsed;
  return b;
}

/**
 * The caller-side cost of the call at `logs[i]`: its gas before the call, minus its gas after, minus what
 * the callee spent. A precompile has no steps of its own, so all of it is the call's.
 */
function callOwnCost(logs: StructLog[], i: number): { gas: number; precompile: boolean } {
  const call = logs[i];
  let after = i + 1;
  while (after < logs.length && logs[after].depth > call.depth) after++;
  if (after >= logs.length) throw new Error(`trace: the call at step ${i} never returns`);
  const spent = call.gas - logs[after].gas;
  if (after === i + 1) {
    const target = call.stack ? BigInt(call.stack[call.stack.length - 2]) : LAST_PRECOMPILE + 1n;
    return { gas: spent, precompile: target <= LAST_PRECOMPILE && target !== 0n };
  }
  const first = logs[i + 1];
  const last = logs[after - 1];
  const calleeSpent = first.gas - (last.gas - last.gasCost);
  return { gas: spent - calleeSpent, precompile: false };
}

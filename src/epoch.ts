import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import path from "node:path";
import { once } from "node:events";
import { createKeccak, type IHasher } from "hash-wasm";
import { getAddress, hexlify, type Signer, type TypedDataDomain } from "ethers";
import {
  bundleSignatures,
  computeReward,
  EPOCH_LEAF_ENCODING,
  recoverEpochRootSigner,
  signEpochRoot,
  type AttestorSignature,
  type EpochRoot,
  type PeriodPolicy,
} from "./rewards";
import { readUsageFile, UsageFileError } from "./usage";

/*
 * The epoch builder: usage records in; out, in one directory:
 * - `epoch.json`: the signed `EpochRoot` (period, epoch, root, total, leafCount, claimDeadline), the
 *   domain it was signed for, and the attestors' signatures (bundled as the contract wants them);
 * - `proofs.jsonl`: one line per beneficiary, `{beneficiary, claims: [{index, customerId, category,
 *   usageCents, reward, proof}]}`, all numbers as decimal strings;
 * - `tree.bin`: every node of the tree, 32 bytes each, in OpenZeppelin's layout (node i's children are
 *   2i+1 and 2i+2; the root is node 0; the leaves, sorted by hash, fill the end) — enough to rebuild any
 *   proof, and byte-for-byte the tree `StandardMerkleTree.of(values, EPOCH_LEAF_ENCODING)` builds.
 * The tree is built in flat byte arrays and WebAssembly keccak, so a million records fit in memory and
 * build in seconds; the root and proofs are OpenZeppelin StandardMerkleTree's exactly.
 */

export interface EpochBuildOptions {
  usageFile: string;
  outDir: string;
  policy: PeriodPolicy;
  period: number;
  epoch: number;
  claimDeadline: bigint;
  /** The distributor's EIP-712 domain (chain id and address) the root is signed for. */
  domain: TypedDataDomain;
  /** Attestors that sign the root (k of them, or more). */
  signers: Signer[];
}

export interface EpochBuildResult {
  epochRoot: EpochRoot;
  signatures: string;
  beneficiaries: number;
}

export interface EpochFile {
  period: number;
  epoch: number;
  root: string;
  total: string;
  leafCount: string;
  claimDeadline: string;
  chainId: string;
  distributor: string;
  signatures: AttestorSignature[];
  bundle: string;
}

export interface EpochClaim {
  index: string;
  customerId: string;
  category: number;
  usageCents: string;
  reward: string;
  proof: string[];
}

export interface EpochProofLine {
  beneficiary: string;
  claims: EpochClaim[];
}

const LEAF_ABI_BYTES = 32 * EPOCH_LEAF_ENCODING.length;

/**
 * Growable store of the per-leaf fields in flat typed arrays (a JS object per leaf would not fit), with
 * beneficiaries interned: a leaf keeps the number of its beneficiary, in order of first appearance.
 */
class LeafStore {
  count = 0;
  holderOf = new Uint32Array(1024);
  customerIds = new Uint8Array(32 * 1024);
  categories = new Uint8Array(1024);
  usage = new BigUint64Array(1024);
  hashes = new Uint8Array(32 * 1024);
  /** Beneficiaries as lowercase hex without 0x, by holder number. */
  readonly holders: string[] = [];
  private readonly holderNumbers = new Map<string, number>();

  push(beneficiary: string, customerId: Uint8Array, category: number, usageCents: bigint, hash: Uint8Array) {
    if (this.count === this.categories.length) this.grow();
    const i = this.count++;
    let holder = this.holderNumbers.get(beneficiary);
    if (holder === undefined) {
      holder = this.holders.push(beneficiary) - 1;
      this.holderNumbers.set(beneficiary, holder);
    }
    this.holderOf[i] = holder;
    this.customerIds.set(customerId, 32 * i);
    this.categories[i] = category;
    this.usage[i] = usageCents;
    this.hashes.set(hash, 32 * i);
  }

  private grow() {
    const double = <T extends Uint8Array | Uint32Array | BigUint64Array>(a: T): T => {
      const next = new (a.constructor as new (n: number) => T)(a.length * 2);
      next.set(a as never);
      return next;
    };
    this.holderOf = double(this.holderOf);
    this.customerIds = double(this.customerIds);
    this.categories = double(this.categories);
    this.usage = double(this.usage);
    this.hashes = double(this.hashes);
  }
}

function compareBytes(
  a: Uint8Array,
  aOffset: number,
  b: Uint8Array,
  bOffset: number,
  length: number,
): number {
  for (let k = 0; k < length; k++) {
    const d = a[aOffset + k] - b[bOffset + k];
    if (d !== 0) return d;
  }
  return 0;
}

function hexToBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.slice(2), "hex"));
}

/** EIP-55 checksum casing with the WebAssembly keccak (ethers' getAddress is too slow for millions). */
function checksummed(hasher: IHasher, lowerHex: string): string {
  const digest = keccakInto(hasher, Buffer.from(lowerHex, "ascii"));
  let out = "0x";
  for (let i = 0; i < 40; i++) {
    const nibble = (digest[i >> 1] >> (i % 2 === 0 ? 4 : 0)) & 0xf;
    out += nibble >= 8 ? lowerHex[i].toUpperCase() : lowerHex[i];
  }
  return out;
}

function keccakInto(hasher: IHasher, data: Uint8Array): Uint8Array {
  hasher.init();
  hasher.update(data);
  return hasher.digest("binary");
}

/** Builds, signs and writes an epoch. Fails before writing anything if any record is bad. */
export async function buildEpoch(options: EpochBuildOptions): Promise<EpochBuildResult> {
  const hasher = await createKeccak(256);
  const store = new LeafStore();
  const encoded = new Uint8Array(LEAF_ABI_BYTES);
  let total = 0n;

  for await (const record of readUsageFile(options.usageFile)) {
    if (record.period !== options.period) {
      throw new UsageFileError(
        options.usageFile,
        record.row,
        "period",
        `${record.period} is not the epoch's period ${options.period}`,
      );
    }
    const index = store.count;
    const beneficiary = hexToBytes(record.beneficiary);
    const customerId = hexToBytes(record.customerId);
    // abi.encode(uint256 index, address beneficiary, bytes32 customerId, uint8 category, uint256 usageCents)
    encoded.fill(0);
    new DataView(encoded.buffer).setUint32(28, index);
    encoded.set(beneficiary, 32 + 12);
    encoded.set(customerId, 64);
    encoded[127] = record.category;
    new DataView(encoded.buffer).setBigUint64(152, record.usageCents);
    const leafHash = keccakInto(hasher, keccakInto(hasher, encoded));
    store.push(record.beneficiary.slice(2), customerId, record.category, record.usageCents, leafHash);
    total += computeReward(options.policy, record.category, record.usageCents);
  }
  const n = store.count;
  if (n === 0) throw new UsageFileError(options.usageFile, 1, "records", "the file has no usage records");

  // Leaves sorted by hash, as StandardMerkleTree sorts them; `order[k]` is the record at sorted place k.
  const prefix = new Float64Array(n);
  for (let i = 0; i < n; i++) prefix[i] = Buffer.from(store.hashes.buffer, 32 * i, 6).readUIntBE(0, 6);
  const order = new Uint32Array(n).map((_, i) => i);
  order.sort((a, b) => prefix[a] - prefix[b] || compareBytes(store.hashes, 32 * a, store.hashes, 32 * b, 32));
  const nodes = 2 * n - 1;
  const tree = new Uint8Array(32 * nodes);
  const treeIndexOf = new Uint32Array(n);
  for (let k = 0; k < n; k++) {
    const node = nodes - 1 - k;
    tree.set(store.hashes.subarray(32 * order[k], 32 * order[k] + 32), 32 * node);
    treeIndexOf[order[k]] = node;
  }
  const pair = new Uint8Array(64);
  for (let i = nodes - 1 - n; i >= 0; i--) {
    const left = 32 * (2 * i + 1);
    const right = 32 * (2 * i + 2);
    const leftFirst = compareBytes(tree, left, tree, right, 32) <= 0;
    pair.set(tree.subarray(leftFirst ? left : right, (leftFirst ? left : right) + 32), 0);
    pair.set(tree.subarray(leftFirst ? right : left, (leftFirst ? right : left) + 32), 32);
    tree.set(keccakInto(hasher, pair), 32 * i);
  }
  store.hashes = new Uint8Array(0);

  const epochRoot: EpochRoot = {
    period: options.period,
    epoch: options.epoch,
    root: hexlify(tree.subarray(0, 32)),
    total,
    leafCount: BigInt(n),
    claimDeadline: options.claimDeadline,
  };
  const signatures = await Promise.all(
    options.signers.map((s) => signEpochRoot(s, options.domain, epochRoot)),
  );
  const bundle = bundleSignatures(signatures, (sig) =>
    recoverEpochRootSigner(options.domain, epochRoot, sig),
  );

  await mkdir(options.outDir, { recursive: true });
  const epochFile: EpochFile = {
    period: epochRoot.period,
    epoch: epochRoot.epoch,
    root: epochRoot.root,
    total: total.toString(),
    leafCount: String(n),
    claimDeadline: options.claimDeadline.toString(),
    chainId: String(options.domain.chainId),
    distributor: getAddress(String(options.domain.verifyingContract)),
    signatures,
    bundle,
  };
  await writeFile(path.join(options.outDir, "epoch.json"), JSON.stringify(epochFile, null, 2) + "\n");
  await writeFile(path.join(options.outDir, "tree.bin"), tree);
  const beneficiaries = await writeProofs(options, store, tree, treeIndexOf, hasher);
  return { epochRoot, signatures: bundle, beneficiaries };
}

/** Writes `proofs.jsonl`, one line per beneficiary (in order of first appearance), streaming. */
async function writeProofs(
  options: EpochBuildOptions,
  store: LeafStore,
  tree: Uint8Array,
  treeIndexOf: Uint32Array,
  hasher: IHasher,
): Promise<number> {
  const n = store.count;
  const holders = store.holders.length;
  // Counting sort of leaves by holder: `start[h]` .. `start[h + 1]` in `byHolder` are holder h's leaves.
  const start = new Uint32Array(holders + 1);
  for (let i = 0; i < n; i++) start[store.holderOf[i] + 1]++;
  for (let h = 0; h < holders; h++) start[h + 1] += start[h];
  const byHolder = new Uint32Array(n);
  const fill = start.slice(0, holders);
  for (let i = 0; i < n; i++) byHolder[fill[store.holderOf[i]]++] = i;

  // Hex of every node once; a proof element is then a slice (upper nodes recur in many proofs).
  const treeHex = Buffer.from(tree.buffer, tree.byteOffset, tree.byteLength).toString("hex");
  const nodeHex = (node: number) => "0x" + treeHex.slice(64 * node, 64 * node + 64);
  const customerHex = Buffer.from(store.customerIds.buffer, 0, 32 * n).toString("hex");

  const out = createWriteStream(path.join(options.outDir, "proofs.jsonl"));
  for (let h = 0; h < holders; h++) {
    const claims: EpochClaim[] = [];
    for (let k = start[h]; k < start[h + 1]; k++) {
      const i = byHolder[k];
      const proof: string[] = [];
      for (let node = treeIndexOf[i]; node > 0; node = (node - 1) >> 1)
        proof.push(nodeHex(node % 2 === 1 ? node + 1 : node - 1));
      claims.push({
        index: String(i),
        customerId: "0x" + customerHex.slice(64 * i, 64 * i + 64),
        category: store.categories[i],
        usageCents: store.usage[i].toString(),
        reward: computeReward(options.policy, store.categories[i], store.usage[i]).toString(),
        proof,
      });
    }
    const line: EpochProofLine = { beneficiary: checksummed(hasher, store.holders[h]), claims };
    if (!out.write(JSON.stringify(line) + "\n")) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  return holders;
}

/** The signed root of an epoch directory (`epoch.json`). */
export async function readEpochFile(dir: string): Promise<EpochFile> {
  return JSON.parse(await readFile(path.join(dir, "epoch.json"), "utf8")) as EpochFile;
}

/** The lines of an epoch directory's `proofs.jsonl`, one beneficiary each, streamed. */
export async function* readProofLines(dir: string): AsyncGenerator<EpochProofLine> {
  for await (const text of createInterface({ input: createReadStream(path.join(dir, "proofs.jsonl")) }))
    if (text.trim() !== "") yield JSON.parse(text) as EpochProofLine;
}

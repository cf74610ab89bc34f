import { ecdsaSign } from "secp256k1";
import { getBytes, toBeArray } from "ethers";
import { hexToBytes, keccak256Bytes } from "../keccak";

/*
 * Signing a legacy (EIP-155) transaction with 60 KB of calldata — a batch of 100 claims — takes ethers about
 * 50 ms and reading its hash back another 40 ms: its RLP works on hex strings. The relayer signs ten or
 * more such batches a second on one thread, so it encodes the RLP over bytes here, hashes natively and signs
 * the digest with libsecp256k1, as the fast attestation signer does. The result is the very transaction ethers would sign
 * (RFC 6979 nonces), which the tests check.
 */

function encodeLength(length: number, offset: number): Uint8Array {
  if (length < 56) return Uint8Array.of(offset + length);
  const bytes = toBeArray(length);
  return Uint8Array.of(offset + 55 + bytes.length, ...bytes);
}

function rlpItem(value: Uint8Array): Uint8Array[] {
  if (value.length === 1 && value[0] < 0x80) return [value];
  return [encodeLength(value.length, 0x80), value];
}

function rlpList(items: Uint8Array[]): Uint8Array {
  const parts = items.flatMap(rlpItem);
  const length = parts.reduce((sum, p) => sum + p.length, 0);
  const head = encodeLength(length, 0xc0);
  const out = new Uint8Array(head.length + length);
  out.set(head, 0);
  let at = head.length;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** A whole number as RLP wants it: big-endian, no leading zeros, zero as the empty string. */
const quantity = (value: bigint | number): Uint8Array =>
  BigInt(value) === 0n ? new Uint8Array() : toBeArray(value);

export interface LegacyTransaction {
  chainId: bigint;
  nonce: number;
  gasPrice: bigint;
  gasLimit: bigint;
  to: string;
  data: string;
}

/** Signs `tx` with `privateKey` (EIP-155); returns the raw transaction and its hash. */
export function signLegacyTransaction(
  privateKey: string,
  tx: LegacyTransaction,
): { raw: string; hash: string } {
  const fields = [
    quantity(tx.nonce),
    quantity(tx.gasPrice),
    quantity(tx.gasLimit),
    hexToBytes("to", tx.to),
    new Uint8Array(),
    hexToBytes("data", tx.data),
  ];
  const unsigned = rlpList([...fields, quantity(tx.chainId), new Uint8Array(), new Uint8Array()]);
  const { signature, recid } = ecdsaSign(keccak256Bytes(unsigned), getBytes(privateKey));
  const strip = (bytes: Uint8Array) => quantity(BigInt("0x" + Buffer.from(bytes).toString("hex")));
  const v = tx.chainId * 2n + 35n + BigInt(recid);
  const raw = rlpList([
    ...fields,
    quantity(v),
    strip(signature.subarray(0, 32)),
    strip(signature.subarray(32)),
  ]);
  return { raw: "0x" + Buffer.from(raw).toString("hex"), hash: "0x" + keccak256Bytes(raw).toString("hex") };
}

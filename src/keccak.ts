import createKeccakHash from "keccak";

/*
 * keccak-256 over bytes, in native code (the `keccak` package's binding; its own JavaScript where the
 * binding does not load). ethers hashes with @noble/hashes in JavaScript: 4 ms for a 70 kB claim batch
 * against 0.25 ms here, and twice as slow on the 256-byte structs of attestations — the relayer's
 * largest costs after signing (a profile of `npm run bench:load`).
 */
export function keccak256Bytes(data: Uint8Array): Buffer {
  return createKeccakHash("keccak256")
    .update(Buffer.from(data.buffer, data.byteOffset, data.byteLength))
    .digest();
}

/** `0x…` hex as bytes, natively; throws, naming `field`, on anything else. */
export function hexToBytes(field: string, hex: string): Buffer {
  if (!/^0x[0-9a-fA-F]*$/.test(hex) || hex.length % 2 !== 0)
    throw new Error(`${field}: ${JSON.stringify(hex.slice(0, 80))} is not hex bytes`);
  return Buffer.from(hex.slice(2), "hex");
}

/** `0x…` hex as exactly `length` bytes (an address, a bytes32), natively; throws, naming `field`, otherwise. */
export function fixedBytes(field: string, hex: string, length: number): Buffer {
  const bytes = hexToBytes(field, hex);
  if (bytes.length !== length)
    throw new Error(`${field}: ${JSON.stringify(hex.slice(0, 80))} is not ${length} bytes of hex`);
  return bytes;
}

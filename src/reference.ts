import { hexlify, keccak256, toUtf8Bytes, toUtf8String } from "ethers";

/*
 * A reference a business types — an agreement's PO or contract id, a redemption's delivery address — is
 * kept on chain only as its keccak256 (an agreement's termsHash, a request's deliveryRef). So that the
 * other party can read it, the text travels after the calldata of the call that commits to it: the ABI
 * decoder ignores trailing bytes, so the contracts are unchanged, and a reader trusts the text only when
 * it hashes to the committed value. Layout: UTF-8 text, its length (2 bytes), "ZREF".
 */

const MARK = "5a524546";
/** Longest reference carried (bytes of UTF-8). */
export const MAX_REFERENCE_BYTES = 512;

function checkedReference(field: string, reference: string): string {
  const text = reference.trim();
  if (text === "") throw new Error(`${field}: "" is empty`);
  if (toUtf8Bytes(text).length > MAX_REFERENCE_BYTES)
    throw new Error(
      `${field}: ${JSON.stringify(text.slice(0, 40))}… is longer than ${MAX_REFERENCE_BYTES} bytes; give an id, not a document`,
    );
  return text;
}

/** The hash a reference commits to on chain (the text trimmed, as UTF-8). */
export function referenceHash(field: string, reference: string): string {
  return keccak256(toUtf8Bytes(checkedReference(field, reference)));
}

/** `data` with the reference appended, for the call that commits to its hash. */
export function withReference(field: string, data: string, reference: string): string {
  const text = toUtf8Bytes(checkedReference(field, reference));
  return `${data}${hexlify(text).slice(2)}${text.length.toString(16).padStart(4, "0")}${MARK}`;
}

/**
 * The reference carried anywhere in a transaction's input that hashes to `hash` — sent directly, or
 * nested in a Safe's execTransaction and a MultiSend — else undefined.
 */
export function findReference(input: string, hash: string): string | undefined {
  const hex = input.toLowerCase().replace(/^0x/, "");
  for (let at = hex.indexOf(MARK); at >= 0; at = hex.indexOf(MARK, at + 1)) {
    if (at % 2 !== 0 || at < 4) continue;
    const start = at - 4 - parseInt(hex.slice(at - 4, at), 16) * 2;
    if (start < 0) continue;
    const bytes = `0x${hex.slice(start, at - 4)}`;
    if (keccak256(bytes) === hash.toLowerCase()) return toUtf8String(bytes);
  }
  return undefined;
}

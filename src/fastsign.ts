import { ecdsaSign } from "secp256k1";
import { getBytes, keccak256, TypedDataEncoder, Wallet, type TypedDataDomain } from "ethers";
import { fixedBytes, keccak256Bytes } from "./keccak";
import { USAGE_ATTESTATION_TYPES, type UsageAttestation } from "./rewards";

/*
 * Attestation signing at the rate a busy chain needs (the issuer's relayer signs every usage line of a
 * billing month). The EIP-712 type hash and domain separator are computed once; each attestation is
 * ABI-encoded into one reused 256-byte buffer and hashed natively, and the digest is signed with libsecp256k1
 * (the `secp256k1` package's native binding). The signatures are the very ones ethers' `signTypedData`
 * gives — both use RFC 6979 deterministic nonces — which the tests check.
 */

const TYPE_HASH = getBytes(
  keccak256(
    new TextEncoder().encode(TypedDataEncoder.from(USAGE_ATTESTATION_TYPES).encodeType("UsageAttestation")),
  ),
);

function putUint(buffer: Uint8Array, slot: number, value: bigint): void {
  let v = value;
  for (let i = slot * 32 + 31; i >= slot * 32; i--) {
    buffer[i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** One attestor's fast signer for one distributor (its EIP-712 domain). */
export class AttestationSigner {
  readonly address: string;
  /** The EIP-712 domain separator, as hex: signers with the same one share each attestation's digest. */
  readonly domainSeparator: string;
  private readonly key: Uint8Array;
  private readonly struct = new Uint8Array(8 * 32);
  private readonly message = new Uint8Array(2 + 32 + 32);

  constructor(privateKey: string, domain: TypedDataDomain) {
    this.address = new Wallet(privateKey).address;
    this.key = getBytes(privateKey);
    this.struct.set(TYPE_HASH, 0);
    this.message.set([0x19, 0x01], 0);
    this.domainSeparator = TypedDataEncoder.hashDomain(domain);
    this.message.set(getBytes(this.domainSeparator), 2);
  }

  /** The EIP-712 digest of `a` under this signer's domain. */
  digest(a: UsageAttestation): Uint8Array {
    const s = this.struct;
    s.fill(0, 32);
    // Exact sizes: a short value would sign another attestation than the one meant.
    s.set(fixedBytes("beneficiary", a.beneficiary, 20), 32 + 12);
    s.set(fixedBytes("customerId", a.customerId, 32), 64);
    putUint(s, 3, BigInt(a.period));
    putUint(s, 4, BigInt(a.category));
    putUint(s, 5, a.usageCents);
    putUint(s, 6, a.id);
    putUint(s, 7, a.deadline);
    this.message.set(keccak256Bytes(s), 34);
    return keccak256Bytes(this.message);
  }

  /** The 65-byte signature (r ‖ s ‖ v, v = 27 or 28), as hex. */
  sign(a: UsageAttestation): string {
    return this.signDigest(this.digest(a));
  }

  /** The signature of a digest this signer's `digest` gave (or one with the same domain's). */
  signDigest(digest: Uint8Array): string {
    const { signature, recid } = ecdsaSign(digest, this.key);
    const out = Buffer.alloc(65);
    out.set(signature, 0);
    out[64] = 27 + recid;
    return "0x" + out.toString("hex");
  }
}

/**
 * Attestors' fast signers in the order the distributor wants their signatures (ascending by attestor
 * address), sorted once: `sign` gives the bundle `claim` and `claimBatch` take for one attestation.
 */
export class AttestorBundle {
  private readonly signers: AttestationSigner[];
  /** Attestors of one distributor share its domain, so each attestation's digest is computed once. */
  private readonly sharedDomain: boolean;

  constructor(signers: readonly AttestationSigner[]) {
    this.signers = [...signers].sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
    this.sharedDomain =
      this.signers.length > 0 &&
      this.signers.every((s) => s.domainSeparator === this.signers[0].domainSeparator);
  }

  /** The bundle of the attestors holding `privateKeys`, all signing for one distributor's `domain`. */
  static fromKeys(privateKeys: readonly string[], domain: TypedDataDomain): AttestorBundle {
    return new AttestorBundle(privateKeys.map((key) => new AttestationSigner(key, domain)));
  }

  /** One 65-byte signature per attestor, concatenated, as hex. */
  sign(a: UsageAttestation): string {
    const digest = this.sharedDomain ? this.signers[0].digest(a) : undefined;
    return "0x" + this.signers.map((s) => (digest ? s.signDigest(digest) : s.sign(a)).slice(2)).join("");
  }
}

/** The signature bundle of `a` by `signers`, in any order (for one-off claims; a loop keeps an `AttestorBundle`). */
export function bundledSignature(signers: readonly AttestationSigner[], a: UsageAttestation): string {
  return new AttestorBundle(signers).sign(a);
}

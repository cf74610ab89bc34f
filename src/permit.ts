import {
  getAddress,
  Signature,
  TypedDataEncoder,
  type BaseContract,
  type Signer,
  type TypedDataDomain,
  type TypedDataField,
} from "ethers";
import { combineSafeSignatures, signSafeMessage } from "./safe";

/** ERC-2612 `Permit` struct, as OpenZeppelin's ERC20Permit hashes it. */
export const PERMIT_TYPES: Record<string, TypedDataField[]> = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/**
 * ZonCoin overloads `permit`: ERC-2612's (v, r, s) and one taking the signature as bytes (contract
 * wallets, ERC-1271). Call either by its full signature.
 */
export const PERMIT_VRS = "permit(address,address,uint256,uint256,uint8,bytes32,bytes32)";
export const PERMIT_BYTES = "permit(address,address,uint256,uint256,bytes)";

/** The parts of an ERC-20 with ERC-2612 and ERC-5267 that signing a permit needs. */
export interface PermitToken {
  getAddress(): Promise<string>;
  nonces(owner: string): Promise<bigint>;
  eip712Domain(): Promise<[string, string, string, bigint, string, string, bigint[]]>;
}

export interface SignedPermit {
  owner: string;
  spender: string;
  value: bigint;
  deadline: bigint;
  v: number;
  r: string;
  s: string;
}

/** Reads the token's EIP-712 domain on chain (ERC-5267), so a signature can never target another chain. */
export async function readDomain(token: PermitToken): Promise<TypedDataDomain> {
  const [, name, version, chainId, verifyingContract] = await token.eip712Domain();
  return { name, version, chainId, verifyingContract };
}

/**
 * Signs an ERC-2612 permit letting `spender` spend `value` of `owner`'s tokens until `deadline`.
 * The nonce is read from the token unless given.
 */
export async function signPermit(
  token: PermitToken,
  owner: Signer,
  spender: string,
  value: bigint,
  deadline: bigint,
  options: { nonce?: bigint; domain?: TypedDataDomain } = {},
): Promise<SignedPermit> {
  const ownerAddress = await owner.getAddress();
  const nonce = options.nonce ?? (await token.nonces(ownerAddress));
  const domain = options.domain ?? (await readDomain(token));
  const signature = await owner.signTypedData(domain, PERMIT_TYPES, {
    owner: ownerAddress,
    spender,
    value,
    nonce,
    deadline,
  });
  const { v, r, s } = Signature.from(signature);
  return { owner: ownerAddress, spender, value, deadline, v, r, s };
}

/** A permit whose signature is bytes: for the `permit` overload that contract wallets can use. */
export interface BytesPermit {
  owner: string;
  spender: string;
  value: bigint;
  deadline: bigint;
  signature: string;
}

/** The EIP-712 digest of a permit, and the nonce it was made for (read from the token unless given). */
export async function permitDigest(
  token: PermitToken,
  owner: string,
  spender: string,
  value: bigint,
  deadline: bigint,
  nonce?: bigint,
): Promise<{ digest: string; nonce: bigint; domain: TypedDataDomain }> {
  const domain = await readDomain(token);
  const n = nonce ?? (await token.nonces(owner));
  const digest = TypedDataEncoder.hash(domain, PERMIT_TYPES, { owner, spender, value, nonce: n, deadline });
  return { digest, nonce: n, domain };
}

/**
 * Signs a permit for `owner` through the bytes overload. When `owner` is the signer's own address it is an
 * EOA's signature; otherwise `owner` is a Safe and `signers` are its owners: each signs the Safe's
 * `SafeMessage` of the permit digest, and the signatures are combined as the Safe checks them (at least its
 * threshold of owners must sign).
 */
export async function signBytesPermit(
  token: PermitToken,
  owner: string,
  signers: Signer | Signer[],
  spender: string,
  value: bigint,
  deadline: bigint,
): Promise<BytesPermit> {
  const list = Array.isArray(signers) ? signers : [signers];
  const { digest, domain, nonce } = await permitDigest(token, owner, spender, value, deadline);
  if (list.length === 1 && getAddress(await list[0].getAddress()) === getAddress(owner)) {
    const signature = await list[0].signTypedData(domain, PERMIT_TYPES, {
      owner,
      spender,
      value,
      nonce,
      deadline,
    });
    return { owner, spender, value, deadline, signature };
  }
  const chainId = BigInt(domain.chainId!);
  const signatures = await Promise.all(list.map((s) => signSafeMessage(s, chainId, owner, digest)));
  return { owner, spender, value, deadline, signature: combineSafeSignatures(signatures) };
}

/** Sends a signed ERC-2612 permit through ZonCoin's (v, r, s) overload, from whoever `token` is connected to. */
export function submitPermit(token: Pick<BaseContract, "getFunction">, p: SignedPermit) {
  return token.getFunction(PERMIT_VRS)(p.owner, p.spender, p.value, p.deadline, p.v, p.r, p.s);
}

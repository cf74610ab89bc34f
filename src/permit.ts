import { Signature, type BaseContract, type Signer, type TypedDataDomain, type TypedDataField } from "ethers";

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

/**
 * Signs a permit for `owner`, an account that may be a contract wallet: `signer` signs the EIP-712
 * digest, which the wallet accepts through ERC-1271 (a Safe asks its owners for exactly this message).
 * Submit it with the `PERMIT_BYTES` overload.
 */
export async function signBytesPermit(
  token: PermitToken,
  owner: string,
  signer: Signer,
  spender: string,
  value: bigint,
  deadline: bigint,
): Promise<BytesPermit> {
  const nonce = await token.nonces(owner);
  const signature = await signer.signTypedData(await readDomain(token), PERMIT_TYPES, {
    owner,
    spender,
    value,
    nonce,
    deadline,
  });
  return { owner, spender, value, deadline, signature };
}

/** Sends a signed ERC-2612 permit through ZonCoin's (v, r, s) overload, from whoever `token` is connected to. */
export function submitPermit(token: Pick<BaseContract, "getFunction">, p: SignedPermit) {
  return token.getFunction(PERMIT_VRS)(p.owner, p.spender, p.value, p.deadline, p.v, p.r, p.s);
}

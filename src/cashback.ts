import { getAddress, isHexString } from "ethers";
import { decodeBundle, encodeBundle, type SignedAttestation } from "./bundle";
import type { EpochClaim, EpochFile, EpochProofLine } from "./epoch";
import { parseAddress } from "./rewards";

/*
 * What the issuer publishes next to the web page for each business: one static file per beneficiary
 * (`cashback/<address in lower case>.json`) with its signed attestations and its epoch leaves with their
 * proofs. The page reads its visitor's file; anyone may send the claims (they mint to the beneficiary).
 */

/** One epoch leaf of a beneficiary, with what `claimEpoch` needs. */
export interface CashbackEpochClaim {
  root: string;
  period: number;
  epoch: number;
  claimDeadline: bigint;
  index: bigint;
  beneficiary: string;
  customerId: string;
  category: number;
  usageCents: bigint;
  /** The reward the epoch was built with (the chain's `rewardFor` is what counts). */
  reward: bigint;
  proof: string[];
}

export interface CashbackFile {
  chainId: bigint;
  distributor: string;
  beneficiary: string;
  attestations: SignedAttestation[];
  epochClaims: CashbackEpochClaim[];
}

/** The file name a beneficiary's cashback is published under. */
export function cashbackFileName(beneficiary: string): string {
  return `${getAddress(beneficiary).toLowerCase()}.json`;
}

/** Groups a bundle's attestations and an epoch's proof lines by beneficiary, merged into `files`. */
export function addToCashbackFiles(
  files: Map<string, CashbackFile>,
  source: { chainId: bigint; distributor: string },
  attestations: SignedAttestation[],
  epoch?: { file: EpochFile; lines: EpochProofLine[] },
): Map<string, CashbackFile> {
  const distributor = getAddress(source.distributor);
  const fileOf = (beneficiary: string): CashbackFile => {
    const key = getAddress(beneficiary);
    let file = files.get(key);
    if (!file) {
      file = { chainId: source.chainId, distributor, beneficiary: key, attestations: [], epochClaims: [] };
      files.set(key, file);
    }
    if (file.chainId !== source.chainId || file.distributor !== distributor)
      throw new Error(
        `distributor: ${key}'s cashback file is for ${file.distributor} on chain ${file.chainId}, not ${distributor} on chain ${source.chainId}`,
      );
    return file;
  };
  for (const item of attestations) {
    const file = fileOf(item.attestation.beneficiary);
    const known = file.attestations.some(
      (a) => a.attestation.period === item.attestation.period && a.attestation.id === item.attestation.id,
    );
    if (!known) file.attestations.push(item);
  }
  if (epoch) {
    const e = epoch.file;
    if (BigInt(e.chainId) !== source.chainId || getAddress(e.distributor) !== distributor)
      throw new Error(`epoch: built for ${e.distributor} on chain ${e.chainId}, not ${distributor}`);
    for (const line of epoch.lines) {
      const file = fileOf(line.beneficiary);
      for (const c of line.claims) {
        const index = BigInt(c.index);
        if (file.epochClaims.some((k) => k.root === e.root && k.index === index)) continue;
        file.epochClaims.push(epochClaimOf(e, line.beneficiary, c));
      }
    }
  }
  return files;
}

function epochClaimOf(e: EpochFile, beneficiary: string, c: EpochClaim): CashbackEpochClaim {
  return {
    root: e.root,
    period: e.period,
    epoch: e.epoch,
    claimDeadline: BigInt(e.claimDeadline),
    index: BigInt(c.index),
    beneficiary: getAddress(beneficiary),
    customerId: c.customerId,
    category: c.category,
    usageCents: BigInt(c.usageCents),
    reward: BigInt(c.reward),
    proof: c.proof,
  };
}

/** A cashback file as JSON (numbers as decimal strings). */
export function encodeCashbackFile(file: CashbackFile): unknown {
  const bundle = encodeBundle(file.chainId, file.distributor, file.attestations);
  return {
    chainId: bundle.chainId,
    distributor: bundle.distributor,
    beneficiary: file.beneficiary,
    attestations: bundle.items,
    epochClaims: file.epochClaims.map((c) => ({
      ...c,
      claimDeadline: c.claimDeadline.toString(),
      index: c.index.toString(),
      usageCents: c.usageCents.toString(),
      reward: c.reward.toString(),
    })),
  };
}

/** Parses a published cashback file; every error names the field. */
export function decodeCashbackFile(json: unknown): CashbackFile {
  const raw = json as Record<string, unknown>;
  if (typeof raw !== "object" || raw === null || !Array.isArray(raw.epochClaims))
    throw new Error("cashback: not a cashback file (expected attestations and epochClaims)");
  const bundle = decodeBundle({
    chainId: raw.chainId,
    distributor: raw.distributor,
    items: raw.attestations,
  });
  const beneficiary = parseAddress("beneficiary", raw.beneficiary);
  const whole = (field: string, value: unknown) => {
    if (typeof value !== "string" || !/^[0-9]+$/.test(value))
      throw new Error(`${field}: ${JSON.stringify(value)} is not a whole number`);
    return BigInt(value);
  };
  const epochClaims = (raw.epochClaims as Array<Record<string, unknown>>).map((c, i) => {
    const at = (field: string) => `epochClaims[${i}].${field}`;
    for (const field of ["root", "customerId"])
      if (typeof c[field] !== "string" || !isHexString(c[field], 32))
        throw new Error(`${at(field)}: ${JSON.stringify(c[field])} is not a 32-byte hex value`);
    if (!Array.isArray(c.proof) || !c.proof.every((p) => typeof p === "string" && isHexString(p, 32)))
      throw new Error(`${at("proof")}: not a list of 32-byte hex values`);
    return {
      root: c.root as string,
      period: Number(whole(at("period"), String(c.period))),
      epoch: Number(whole(at("epoch"), String(c.epoch))),
      claimDeadline: whole(at("claimDeadline"), c.claimDeadline),
      index: whole(at("index"), c.index),
      beneficiary: parseAddress(at("beneficiary"), c.beneficiary),
      customerId: c.customerId as string,
      category: Number(whole(at("category"), String(c.category))),
      usageCents: whole(at("usageCents"), c.usageCents),
      reward: whole(at("reward"), c.reward),
      proof: c.proof as string[],
    };
  });
  for (const a of bundle.items)
    if (a.attestation.beneficiary !== beneficiary)
      throw new Error(`attestations: one is for ${a.attestation.beneficiary}, not ${beneficiary}`);
  return {
    chainId: bundle.chainId,
    distributor: bundle.distributor,
    beneficiary,
    attestations: bundle.items,
    epochClaims,
  };
}

import { getAddress, isHexString } from "ethers";
import { parseAddress, type UsageAttestation } from "./rewards";

/**
 * A signed-attestation bundle file, as `rewards:sign` writes it and `rewards:submit` reads it: the
 * distributor and chain it was signed for, and per attestation the signature bundle. Numbers are decimal
 * strings (JSON has no big integers).
 */
export interface BundleFile {
  chainId: string;
  distributor: string;
  items: Array<{ attestation: Record<keyof UsageAttestation, string | number>; signatures: string }>;
}

export interface SignedAttestation {
  attestation: UsageAttestation;
  signatures: string;
}

export function encodeBundle(chainId: bigint, distributor: string, items: SignedAttestation[]): BundleFile {
  return {
    chainId: chainId.toString(),
    distributor: getAddress(distributor),
    items: items.map(({ attestation: a, signatures }) => ({
      attestation: {
        beneficiary: a.beneficiary,
        customerId: a.customerId,
        period: a.period,
        category: a.category,
        usageCents: a.usageCents.toString(),
        id: a.id.toString(),
        deadline: a.deadline.toString(),
      },
      signatures,
    })),
  };
}

/** Parses a bundle file; every error names the item and the field. */
export function decodeBundle(json: unknown): {
  chainId: bigint;
  distributor: string;
  items: SignedAttestation[];
} {
  const file = json as Partial<BundleFile>;
  if (typeof file !== "object" || file === null || !Array.isArray(file.items)) {
    throw new Error('bundle: not a bundle file (expected {"chainId", "distributor", "items": [...]})');
  }
  const whole = (field: string, value: unknown): bigint => {
    if (
      (typeof value === "string" && /^[0-9]+$/.test(value)) ||
      (typeof value === "number" && Number.isSafeInteger(value) && value >= 0)
    ) {
      return BigInt(value);
    }
    throw new Error(`${field}: ${JSON.stringify(value)} is not a whole number`);
  };
  const chainId = whole("chainId", file.chainId);
  const distributor = parseAddress("distributor", file.distributor);
  const items = file.items.map((item, i) => {
    const a = (item?.attestation ?? {}) as Record<string, unknown>;
    const at = (field: string) => `items[${i}].attestation.${field}`;
    const customerId = a.customerId;
    if (typeof customerId !== "string" || !isHexString(customerId, 32)) {
      throw new Error(`${at("customerId")}: ${JSON.stringify(customerId)} is not a 32-byte hex value`);
    }
    if (
      typeof item.signatures !== "string" ||
      !isHexString(item.signatures) ||
      (item.signatures.length - 2) % 130 !== 0
    ) {
      throw new Error(
        `items[${i}].signatures: ${JSON.stringify(item.signatures)} is not a bundle of 65-byte signatures`,
      );
    }
    return {
      attestation: {
        beneficiary: parseAddress(at("beneficiary"), a.beneficiary),
        customerId,
        period: Number(whole(at("period"), a.period)),
        category: Number(whole(at("category"), a.category)),
        usageCents: whole(at("usageCents"), a.usageCents),
        id: whole(at("id"), a.id),
        deadline: whole(at("deadline"), a.deadline),
      },
      signatures: item.signatures,
    };
  });
  return { chainId, distributor, items };
}

/** Parses `compute=500,storage=300` (or `0=500,1=300`) into the eight per-category rates. */
export function parseRates(spec: string, parseCategory: (name: string) => number): number[] {
  const rates = Array<number>(8).fill(0);
  for (const part of spec
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name, value] = part.split("=");
    if (value === undefined || !/^[0-9]+$/.test(value.trim())) {
      throw new Error(`rates: ${JSON.stringify(part)} is not category=basisPoints`);
    }
    rates[parseCategory(/^[0-9]+$/.test(name.trim()) ? String(Number(name)) : name)] = Number(value);
  }
  return rates;
}

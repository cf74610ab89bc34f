import { formatUnits, parseUnits } from "ethers";

/*
 * ZON amounts as people type and read them: 18 decimals, parsed and formatted in integers (no floats), so
 * "0.1" is exactly 10^17 wei and a balance prints to its last digit. The tasks and the web page use these.
 */

export const ZON_DECIMALS = 18;

/** An amount of ZON as typed ("10", "2.5"), in wei; the error names the field and the value. */
export function parseZon(field: string, value: string): bigint {
  const typed = value.trim();
  if (!/^[0-9]+(\.[0-9]{1,18})?$/.test(typed))
    throw new Error(
      `${field}: ${JSON.stringify(value)} is not an amount of ZON (digits, at most 18 after the point)`,
    );
  return parseUnits(typed, ZON_DECIMALS);
}

/** Wei as ZON for a reader: "1,234.5 ZON" — thousands grouped, no trailing zeros, never rounded. */
export function formatZon(wei: bigint, unit = true): string {
  const negative = wei < 0n;
  const [whole, fraction] = formatUnits(negative ? -wei : wei, ZON_DECIMALS).split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const digits = fraction === "0" ? "" : `.${fraction}`;
  return `${negative ? "-" : ""}${grouped}${digits}${unit ? " ZON" : ""}`;
}

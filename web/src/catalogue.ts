/*
 * The catalogue's words: names and descriptions the operator publishes with the portal (`web --catalogue`),
 * beside the chain's prices, stock and limits. Without the file the page names items by SKU and kind.
 */

export interface CatalogueEntry {
  name: string;
  description?: string;
}

let loaded: Promise<Record<string, CatalogueEntry>> | undefined;

async function load(): Promise<Record<string, CatalogueEntry>> {
  const response = await fetch("./catalogue.json", { cache: "no-store" });
  if (!response.ok) return {};
  return ((await response.json()) as { skus?: Record<string, CatalogueEntry> }).skus ?? {};
}

/** The published name and description of `sku`, if the operator gave them. */
export async function catalogueEntry(sku: bigint): Promise<CatalogueEntry | undefined> {
  loaded ??= load().catch(() => ({}));
  return (await loaded)[sku.toString()];
}

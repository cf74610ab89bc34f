import { artifacts } from "hardhat";

export interface StorageEntry {
  label: string;
  slot: string;
  offset: number;
}

/** The compiler's storage layout of `source:name` (the gas design of each contract depends on it). */
export async function layoutOf(source: string, name: string): Promise<StorageEntry[]> {
  const buildInfo = await artifacts.getBuildInfo(`${source}:${name}`);
  if (!buildInfo) throw new Error(`no build info for ${source}:${name}`);
  const contract = buildInfo.output.contracts[source][name] as unknown as {
    storageLayout: { storage: StorageEntry[] };
  };
  return contract.storageLayout.storage;
}

/** The slot of each label, in order. */
export async function slotsOf(
  source: string,
  name: string,
  labels: string[],
): Promise<Array<string | undefined>> {
  const layout = await layoutOf(source, name);
  return labels.map((label) => layout.find((e) => e.label === label)?.slot);
}

import hre from "hardhat";

/** Runs a Hardhat task with its console output held back; tests read return values and state instead. */
export async function runTask<T>(name: string, args: Record<string, unknown>): Promise<T> {
  const { log, table } = console;
  console.log = () => undefined;
  console.table = () => undefined;
  try {
    return (await hre.run(name, args)) as T;
  } finally {
    console.log = log;
    console.table = table;
  }
}

import { emptyFocusReport, focusContext, readUsageFile } from "../src";

/*
 * Turns one FOCUS export into attestation records in its own process, so that its time and peak memory
 * are its own. Usage: focus-child <export> <wallet registry>. Prints one JSON line:
 * {"seconds", "peakMiB", "rows", "attestations"}.
 */
async function main(): Promise<void> {
  const [file, wallets] = process.argv.slice(2);
  if (!file || !wallets) throw new Error("usage: focus-child <export> <wallet registry>");
  const started = process.hrtime.bigint();
  const focus = focusContext({ wallets, salt: "a-benchmark-salt-of-no-value" });
  const report = emptyFocusReport();
  let attestations = 0;
  for await (const record of readUsageFile(file, { focus, focusReport: report }))
    if (record.id !== undefined) attestations++;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const peakMiB = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ seconds, peakMiB, rows: report.rows, attestations }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

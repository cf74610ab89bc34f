import { readFileSync } from "node:fs";
import path from "node:path";

// DESIGN.md quality bar for contracts/: every line, and nearly every branch.
const THRESHOLDS = { lines: 100, branches: 95 } as const;

interface Totals {
  lines: { pct: number };
  branches: { pct: number };
}

const summaryFile = path.join(process.cwd(), "coverage", "coverage-summary.json");
const summary = JSON.parse(readFileSync(summaryFile, "utf8")) as Record<string, Totals>;

const failures: string[] = [];
for (const [file, totals] of Object.entries(summary)) {
  const name = file === "total" ? "all contracts" : path.relative(process.cwd(), file);
  for (const metric of ["lines", "branches"] as const) {
    if (totals[metric].pct < THRESHOLDS[metric]) {
      failures.push(`${name}: ${metric} ${totals[metric].pct}% is under ${THRESHOLDS[metric]}%`);
    }
  }
}

const total = summary.total;
console.log(`coverage of contracts/: lines ${total.lines.pct}%, branches ${total.branches.pct}%`);
if (failures.length > 0) {
  console.error(failures.join("\n"));
  process.exit(1);
}
console.log(`coverage thresholds met (lines >= ${THRESHOLDS.lines}%, branches >= ${THRESHOLDS.branches}%)`);

import { spawn } from "node:child_process";
import path from "node:path";

/*
 * `npm run fuzz -- [--runs N] [--seed S] [--path P --replay-path R] [--stats]`: a long campaign of the
 * model-based test of the whole economy (test/invariants/economy.ts). It prints the seed first; a failure
 * prints the shrunk sequence of steps as an entry to paste into test/invariants/regressions.ts, and the
 * command line that replays exactly that failure.
 */

const USAGE = "usage: npm run fuzz -- [--runs N] [--seed S] [--path P [--replay-path R]] [--stats]";

function option(argv: string[], name: string): string | undefined {
  const at = argv.indexOf(name);
  if (at === -1) return undefined;
  const value = argv[at + 1];
  if (value === undefined || value.startsWith("--")) throw new Error(`${name}: a value is needed; ${USAGE}`);
  return value;
}

function whole(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^[0-9]+$/.test(value) || Number(value) > 2 ** 31 - 1)
    throw new Error(`${name}: ${JSON.stringify(value)} is not a whole number up to 2^31 - 1`);
  return Number(value);
}

function main(): void {
  const argv = process.argv.slice(2);
  const known = ["--runs", "--seed", "--path", "--replay-path", "--stats"];
  const unknown = argv.find(
    (a, i) => a.startsWith("--") && !known.includes(a) && !known.includes(argv[i - 1]),
  );
  if (unknown) throw new Error(`${unknown}: not an option; ${USAGE}`);
  const runs = whole("--runs", option(argv, "--runs"), 1_000);
  const seed = whole("--seed", option(argv, "--seed"), Date.now() % 2 ** 31);
  const runPath = option(argv, "--path");
  const replayPath = option(argv, "--replay-path");
  if (runs < 1) throw new Error(`--runs: ${runs} must be at least 1`);
  if (replayPath !== undefined && runPath === undefined)
    throw new Error(`--replay-path: goes with the --path of the same failure; ${USAGE}`);
  console.log(`fuzz: ${runs} runs from seed ${seed}${runPath ? `, path ${runPath}` : ""}`);
  const hardhat = path.join(__dirname, "..", "node_modules", ".bin", "hardhat");
  const child = spawn(hardhat, ["test", "test/invariants/economy.test.ts"], {
    cwd: path.join(__dirname, ".."),
    stdio: "inherit",
    env: {
      ...process.env,
      ZON_FUZZ_RUNS: String(runs),
      ZON_FUZZ_SEED: String(seed),
      ZON_FUZZ_PATH: runPath ?? "",
      ZON_FUZZ_REPLAY_PATH: replayPath ?? "",
      ZON_FUZZ_STATS: argv.includes("--stats") ? "1" : "",
    },
  });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  process.on("SIGINT", forward("SIGINT"));
  process.on("SIGTERM", forward("SIGTERM"));
  child.on("exit", (code) => {
    if (code !== 0)
      console.log(
        "fuzz: failed. Paste the entry printed above into test/invariants/regressions.ts (npm test then replays" +
          `\n      it); or replay it alone: npm run fuzz -- --seed ${seed} --path <its path> --replay-path <its replayPath>`,
      );
    process.exit(code ?? 1);
  });
}

try {
  main();
} catch (error) {
  console.error(`fuzz: ${(error as Error).message}`);
  process.exit(1);
}

import path from "node:path";
import { describeError } from "../src/errors";
import { IssuerService, loadIssuerConfig } from "../src/service/issuer";

/*
 * `npm run issuer [-- --config FILE]` (or `zon-issuer`): the issuer's backend as a long-running process.
 * Stops gracefully on SIGTERM or SIGINT; a second signal stops at once (a restart loses nothing).
 */

const USAGE = "usage: zon-issuer [--config deploy/issuer/besuLocal.json]";

function configPath(argv: string[]): string {
  const at = argv.indexOf("--config");
  if (at === -1) return path.join("deploy", "issuer", "besuLocal.json");
  const value = argv[at + 1];
  if (value === undefined || value.startsWith("--")) throw new Error(`--config: a file is needed; ${USAGE}`);
  return value;
}

async function main(): Promise<void> {
  const unknown = process.argv
    .slice(2)
    .filter((a, i, all) => a.startsWith("--") && a !== "--config" && all[i - 1] !== "--config");
  if (unknown.length > 0) throw new Error(`${unknown[0]}: not an option; ${USAGE}`);
  const service = await IssuerService.create(loadIssuerConfig(configPath(process.argv.slice(2))));
  await service.start();
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    console.error(
      JSON.stringify({ time: new Date().toISOString(), level: "info", msg: `${signal}: stopping` }),
    );
    service.stop().then(
      () => process.exit(0),
      (error) => {
        console.error(`zon-issuer: ${describeError(error)}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

// A promise nobody waits for failed (a library's, most likely): state is unknown, so stop and let the
// supervisor restart the service, which reads everything again from the chain. One JSON line, no stack.
process.on("unhandledRejection", (error) => {
  console.error(
    JSON.stringify({
      time: new Date().toISOString(),
      level: "fatal",
      msg: "unhandled failure; exiting for a restart",
      error: describeError(error),
    }),
  );
  process.exit(1);
});

main().catch((error) => {
  console.error(`zon-issuer: ${describeError(error)}`);
  process.exit(1);
});

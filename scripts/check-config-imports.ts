import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

// `hardhat compile` loads hardhat.config.ts, and with it every module the tasks import, before a fresh
// checkout has any `typechain-types/`: one value import of the bindings on that path and nothing runs,
// compile included. Type-only imports are erased; bindings needed at run time are required on first use.
const root = process.cwd();
const importPattern = /^\s*(import|export)\s+(type\s+)?([^"';]*?)\s*from\s+["']([^"']+)["']/gm;

function resolveModule(from: string, specifier: string): string | undefined {
  const base = path.resolve(path.dirname(from), specifier);
  return [`${base}.ts`, path.join(base, "index.ts")].find((candidate) => existsSync(candidate));
}

const offences: string[] = [];
const seen = new Set<string>();
const queue = [path.join(root, "hardhat.config.ts")];
while (queue.length > 0) {
  const file = queue.pop()!;
  if (seen.has(file)) continue;
  seen.add(file);
  const text = readFileSync(file, "utf8");
  for (const match of text.matchAll(importPattern)) {
    const [, , typeOnly, clause, specifier] = match;
    if (!specifier.startsWith(".")) continue;
    if (specifier.endsWith("typechain-types")) {
      const allTypes =
        typeOnly !== undefined ||
        (/^\{[^}]*\}$/.test(clause) &&
          clause
            .slice(1, -1)
            .split(",")
            .map((name) => name.trim())
            .filter((name) => name.length > 0)
            .every((name) => name.startsWith("type ")));
      if (!allTypes) offences.push(`${path.relative(root, file)}: imports values from ${specifier}`);
      continue;
    }
    if (typeOnly !== undefined) continue;
    const target = resolveModule(file, specifier);
    if (target !== undefined) queue.push(target);
  }
  for (const bare of text.matchAll(/^\s*import\s+["'](\.[^"']+)["']/gm)) {
    const target = resolveModule(file, bare[1]);
    if (target !== undefined) queue.push(target);
  }
}

console.log(`hardhat.config.ts loads ${seen.size} project modules`);
if (offences.length > 0) {
  console.error(`A fresh checkout could not load hardhat.config.ts (no typechain-types/ before compiling):`);
  console.error(offences.join("\n"));
  process.exit(1);
}

import { expect } from "chai";
import { readFileSync } from "node:fs";
import path from "node:path";
import hre from "hardhat";

/*
 * Every example of the README's command tables names a task that exists, with flags that task takes and
 * every parameter it requires: an example that would fail as printed (a renamed flag, a missing value)
 * fails here. The walkthrough test runs the README's sequences on a chain.
 */

const README = readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8");
const GLOBAL_FLAGS = new Set(["network", "verbose", "showStackTraces", "config"]);

interface Example {
  line: number;
  task: string;
  words: string[];
}

/**
 * The examples of the table rows: `npx hardhat task …`; after one, `task …` (its own flags), a bare
 * `task` said to take the same flags, or `--flag …` (the same task with other flags than the first).
 */
function tableExamples(): Example[] {
  const examples: Example[] = [];
  README.split("\n").forEach((text, index) => {
    if (!text.startsWith("| ")) return;
    let last: Example | undefined;
    for (const match of text.matchAll(/`([^`]+)`/g)) {
      const span = match[1];
      const words = span
        .replace(/^npx hardhat /, "")
        .split(/\s+/)
        .filter((word) => word !== "" && !/^\[.*\]$/.test(word) && word !== "…");
      // Hardhat's own `vars` scope is not one of the project's tasks.
      if (words.length === 0 || words[0] === "vars") continue;
      const sameFlags = /^( \/ `[^`]+`)* \(same flags\)/.test(text.slice(match.index! + match[0].length));
      if (span.startsWith("npx hardhat ") || (last !== undefined && hre.tasks[words[0]] !== undefined)) {
        const inherits = words.length === 1 && sameFlags && last !== undefined;
        last = { line: index + 1, task: words[0], words: inherits ? last!.words : words.slice(1) };
        examples.push(last);
      } else if (words[0].startsWith("--") && last !== undefined) {
        examples.push({ line: index + 1, task: last.task, words: [...last.words.slice(0, 2), ...words] });
      }
    }
  });
  return examples;
}

function isOption(word: string): boolean {
  return /^--[a-z][a-zA-Z-]*$/.test(word);
}

function camel(flag: string): string {
  return flag.replace(/^--/, "").replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** What is wrong with an example, if anything. */
function problems(example: Example): string[] {
  const task = hre.tasks[example.task];
  if (task === undefined) return [`no task ${example.task}`];
  const found: string[] = [];
  const given = new Set<string>();
  for (let i = 0; i < example.words.length; i++) {
    const word = example.words[i];
    if (!isOption(word)) continue;
    const name = camel(word);
    given.add(name);
    if (GLOBAL_FLAGS.has(name)) {
      if (name === "network") i++;
      continue;
    }
    const param = task.paramDefinitions[name];
    if (param === undefined) {
      found.push(`${example.task} has no ${word}`);
      continue;
    }
    if (!param.isFlag) {
      const value = example.words[i + 1];
      if (value === undefined || isOption(value)) found.push(`${example.task} ${word} needs a value`);
      i++;
    }
  }
  for (const [name, param] of Object.entries(task.paramDefinitions))
    if (!param.isOptional && !param.isFlag && param.defaultValue === undefined && !given.has(name))
      found.push(`${example.task} needs --${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
  return found;
}

describe("the README's command tables", function () {
  const examples = tableExamples();

  it("hold examples of the tasks (the reader above finds them)", function () {
    expect(examples.length).to.be.at.least(45);
    expect(examples.map((e) => e.task)).to.include.members(["rewards:sign", "zon:minter", "recovery:cancel"]);
  });

  it("give each task only flags it takes, and every parameter it requires", function () {
    const wrong = examples.flatMap((example) =>
      problems(example).map((problem) => `README.md:${example.line}: ${problem}`),
    );
    expect(wrong).to.deep.equal([]);
  });

  it("would catch an example with a flag its task does not take", function () {
    expect(
      problems({ line: 0, task: "escrow:cancel", words: ["--id", "0", "--account", "3"] }),
    ).to.deep.equal(["escrow:cancel has no --account"]);
    expect(problems({ line: 0, task: "zon:transfer", words: ["--to", "0x…"] })).to.deep.equal([
      "zon:transfer needs --amount",
    ]);
  });
});

import { expect } from "chai";
import { Wallet } from "ethers";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { configLookup, hardhatVars, namedKey } from "../../src/keys";

/* Keys by name from the environment, Hardhat's configuration variables or a keystore (src/keys.ts). */

const KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"; // test account 1

describe("signing keys by name", function () {
  let dir: string;
  let varsFile: string;

  before(async function () {
    dir = await mkdtemp(path.join(os.tmpdir(), "zon-keys-"));
    varsFile = path.join(dir, "vars.json");
    // The file `npx hardhat vars set ZON_KEY_RELAYER` writes.
    await writeFile(
      varsFile,
      JSON.stringify({
        _format: "hh-vars-1",
        vars: { ZON_KEY_RELAYER: { value: KEY }, SHARED: { value: "stored" } },
      }),
    );
  });

  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads a key set with npx hardhat vars set", async function () {
    expect(await namedKey("RELAYER", configLookup({}, hardhatVars(varsFile)))).to.equal(KEY);
  });

  it("takes the environment before Hardhat's configuration variables, also as HARDHAT_VAR_", function () {
    const stored = hardhatVars(varsFile);
    expect([
      configLookup({ SHARED: "from env" }, stored)("SHARED"),
      configLookup({ HARDHAT_VAR_SHARED: "from HARDHAT_VAR_" }, stored)("SHARED"),
      configLookup({}, stored)("SHARED"),
    ]).to.deep.equal(["from env", "from HARDHAT_VAR_", "stored"]);
  });

  it("finds no configuration variables where Hardhat has written none", function () {
    expect(hardhatVars(path.join(dir, "none.json"))("ZON_KEY_RELAYER")).to.equal(undefined);
  });

  it("refuses a vars file that is not Hardhat's JSON, naming the file", async function () {
    const broken = path.join(dir, "broken.json");
    await writeFile(broken, "{ not json");
    expect(() => hardhatVars(broken)).to.throw(
      `Hardhat's configuration variables: ${broken} is not the JSON file Hardhat writes`,
    );
  });

  it("decrypts a keystore named by ZON_KEYSTORE_<NAME> with its own password", async function () {
    const file = path.join(dir, "fulfiller.json");
    await writeFile(file, await new Wallet(KEY).encrypt("correct horse"));
    const env = { ZON_KEYSTORE_FULFILLER: file, ZON_KEYSTORE_PASSWORD_FULFILLER: "correct horse" };
    expect(
      await namedKey(
        "FULFILLER",
        configLookup(env, () => undefined),
        env,
      ),
    ).to.equal(KEY);
  });

  it("asks for a keystore's password by its variable", async function () {
    const env = { ZON_KEYSTORE_FULFILLER: path.join(dir, "fulfiller.json") };
    const error = await namedKey(
      "FULFILLER",
      configLookup(env, () => undefined),
      env,
    ).catch((e: Error) => e);
    expect((error as Error).message).to.equal(
      `keystore ${env.ZON_KEYSTORE_FULFILLER}: set its password in ZON_KEYSTORE_PASSWORD_FULFILLER (or ZON_KEYSTORE_PASSWORD)`,
    );
  });

  it("names the variable of a value that is not a key, without printing the value", async function () {
    const error = await namedKey(
      "RELAYER",
      configLookup({ ZON_KEY_RELAYER: "0xdeadbeefsecret" }, () => undefined),
    ).catch((e: Error) => e);
    expect([(error as Error).message, (error as Error).message.includes("deadbeef")]).to.deep.equal([
      "configuration variable ZON_KEY_RELAYER: not a private key (32 bytes of hex); set it again",
      false,
    ]);
  });

  it("gives nothing for a name with neither a key nor a keystore", async function () {
    expect(
      await namedKey(
        "NOBODY",
        configLookup({}, () => undefined),
      ),
    ).to.equal(undefined);
  });
});

import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { Wallet } from "ethers";
import { getVarsFilePath } from "hardhat/internal/util/global-dir";

/*
 * Signing keys by name, one way for the tasks and the issuer service: `ZON_KEY_<NAME>` (a private key) or
 * `ZON_KEYSTORE_<NAME>` (the path of an encrypted JSON keystore, ethers' format, its password in
 * `ZON_KEYSTORE_PASSWORD_<NAME>` or `ZON_KEYSTORE_PASSWORD`), each looked up in the environment first,
 * then in Hardhat's configuration variables (`npx hardhat vars set`). Key material is never printed, not
 * even in an error.
 */

/** A configuration value by name, or undefined. */
export type ConfigLookup = (name: string) => string | undefined;

/**
 * Hardhat's configuration variables as `npx hardhat vars set` stores them, read from its file without a
 * Hardhat process (the issuer service runs without one); none when the file does not exist.
 */
export function hardhatVars(file: string = getVarsFilePath()): ConfigLookup {
  if (!existsSync(file)) return () => undefined;
  let stored: Record<string, { value?: unknown }>;
  try {
    stored = (JSON.parse(readFileSync(file, "utf8")) as { vars?: typeof stored }).vars ?? {};
  } catch {
    throw new Error(`Hardhat's configuration variables: ${file} is not the JSON file Hardhat writes`);
  }
  return (name) => {
    const value = stored[name]?.value;
    return typeof value === "string" ? value : undefined;
  };
}

/** The environment first (also as Hardhat's `HARDHAT_VAR_<NAME>`), then Hardhat's configuration variables. */
export function configLookup(
  env: NodeJS.ProcessEnv = process.env,
  stored: ConfigLookup = hardhatVars(),
): ConfigLookup {
  return (name) => env[name] ?? env[`HARDHAT_VAR_${name}`] ?? stored(name);
}

/**
 * The private key named `suffix` (`ZON_KEY_<suffix>`, or the keystore `ZON_KEYSTORE_<suffix>` decrypted
 * with its password from `env`), or undefined when neither is set.
 */
export async function namedKey(
  suffix: string,
  lookup: ConfigLookup,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  const key = lookup(`ZON_KEY_${suffix}`)?.trim();
  if (key !== undefined && key !== "") {
    try {
      return new Wallet(key).privateKey;
    } catch {
      throw new Error(
        `configuration variable ZON_KEY_${suffix}: not a private key (32 bytes of hex); set it again`,
      );
    }
  }
  const file = lookup(`ZON_KEYSTORE_${suffix}`);
  if (file === undefined || file === "") return undefined;
  if (!existsSync(file))
    throw new Error(`configuration variable ZON_KEYSTORE_${suffix}: no keystore file at ${file}`);
  const password = env[`ZON_KEYSTORE_PASSWORD_${suffix}`] ?? env.ZON_KEYSTORE_PASSWORD;
  if (password === undefined)
    throw new Error(
      `keystore ${file}: set its password in ZON_KEYSTORE_PASSWORD_${suffix} (or ZON_KEYSTORE_PASSWORD)`,
    );
  try {
    return (await Wallet.fromEncryptedJson(await readFile(file, "utf8"), password)).privateKey;
  } catch {
    throw new Error(
      `keystore ${file}: cannot be decrypted with the password given (or is not an ethers keystore)`,
    );
  }
}

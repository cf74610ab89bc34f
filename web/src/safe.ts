import { readSafe, type SafeInfo } from "../../src/safe";
import type { App } from "./app";

export type { SafeInfo };

/** Checks that `address` is a Safe on the portal's chain before any batch file is written for it. */
export function checkSafe(app: App, address: string): Promise<SafeInfo> {
  return readSafe(app.provider, address, app.config.chainName);
}

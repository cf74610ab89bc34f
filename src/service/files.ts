import { createReadStream } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";

/*
 * Files the service writes for others to read (results, records): each appears whole or not at all. It is
 * written under a temporary name beside its final one, flushed to the disk, renamed, and the directory
 * flushed, so that a crash or a full disk leaves either the old state or the new, never a 0-byte or
 * half-written file under the final name.
 */

/** Writes `parts` (texts, or async sources of lines) to `file` atomically; throws (leaving nothing) on failure. */
export async function writeFileAtomic(
  file: string,
  parts: Array<string | AsyncIterable<string>>,
): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const handle = await open(temporary, "w");
  try {
    for (const part of parts) {
      if (typeof part === "string") await handle.write(part);
      else for await (const chunk of part) await handle.write(chunk);
    }
    await handle.sync();
    await handle.close();
    await rename(temporary, file);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
  await syncDirectory(path.dirname(file));
}

/** Flushes a directory's entries (a rename is durable once its directory is). */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The lines of a text file, streamed. */
export async function* linesOf(file: string): AsyncGenerator<string> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) if (line !== "") yield line;
}

/**
 * A URL as it may be logged: without the user name and password (`user:password@`) and without the query
 * string, where providers put API keys.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const hidden = parsed.username !== "" || parsed.password !== "" || parsed.search !== "";
    if (!hidden) return url;
    parsed.username = "";
    parsed.password = "";
    parsed.search = "";
    return `${parsed.toString()} (credentials hidden)`;
  } catch {
    return url.replace(/\/\/[^/@]*@/, "//").replace(/\?.*$/, "");
  }
}

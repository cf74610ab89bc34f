import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/** A lock this process holds; the kernel releases it if the process dies, however it dies. */
export interface HeldLock {
  file: string;
  /** Releases it (idempotent). */
  release(): Promise<void>;
  /** Settles if the lock is lost while held (its holder process ended): the caller must stop at once. */
  lost: Promise<string>;
}

/** The exit code `flock` uses here for "someone else holds it". */
const HELD_ELSEWHERE = 75;

/**
 * Takes an exclusive advisory lock (flock(2)) on `file`, or says who holds it. Node has no flock, so a
 * `flock` process (util-linux) takes it and holds it for as long as its standard input, a pipe from this
 * process, stays open: when this process ends — exit, crash, `kill -9` — the kernel closes the pipe, the
 * holder exits and the kernel drops the lock. Nothing names a process id, so a restart in a container,
 * where the new process has the old one's PID 1, is never mistaken for a live holder.
 */
export async function takeLock(file: string, holder: string): Promise<HeldLock> {
  await mkdir(path.dirname(file), { recursive: true });
  const flock = ["/usr/bin/flock", "/bin/flock"].find((candidate) => existsSync(candidate)) ?? "flock";
  // Once it holds the lock: names the holder in the file (for the next one's message), says so, and waits
  // for the end of its standard input.
  const script = `printf '%s\\n' "$1" > "$2"; echo locked; exec cat >/dev/null`;
  const child = spawn(
    flock,
    [
      "--exclusive",
      "--nonblock",
      "--conflict-exit-code",
      String(HELD_ELSEWHERE),
      file,
      "sh",
      "-c",
      script,
      "sh",
      holder,
      file,
    ],
    // A session of its own: the signals sent to this process's group (a supervisor's SIGTERM, a terminal's
    // Ctrl-C) are for this process to handle; the holder ends only when this process's pipe closes.
    { stdio: ["pipe", "pipe", "pipe"], detached: true },
  );
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const started = await Promise.race([
    new Promise<"locked">((resolve) => child.stdout!.once("data", () => resolve("locked"))),
    exited.then((code) => code),
    new Promise<"error">((resolve) => child.once("error", () => resolve("error"))),
  ]);
  if (started !== "locked") {
    child.stdin!.destroy();
    if (started === HELD_ELSEWHERE) {
      const by = (await readFile(file, "utf8").catch(() => "")).trim();
      throw new Error(
        `${file}: another process holds this lock${by ? ` (${by})` : ""}; it is released the moment that process ends`,
      );
    }
    throw new Error(
      `${file}: cannot take the lock with ${flock} (util-linux): ${started === "error" ? "it is not installed" : stderr.trim() || `exit ${started}`}`,
    );
  }
  let releasing = false;
  const lost = exited.then((code) =>
    releasing ? "released" : `the lock holder of ${file} ended (exit ${code}); the lock is gone`,
  );
  return {
    file,
    lost,
    async release() {
      if (releasing) return;
      releasing = true;
      child.stdin!.end();
      await exited;
    },
  };
}

/** Who holds a lock, as a reader of the lock file sees it. */
export function lockHolder(role: string): string {
  return `${role}, process ${process.pid} on ${os.hostname()}, since ${new Date().toISOString()}`;
}

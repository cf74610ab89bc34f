import { watch, type FSWatcher } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
import path from "node:path";

/*
 * What the relayer's inbox holds, and when a file in it is whole. A file renamed into the inbox after its
 * last write (the ".name, then rename" convention, or `mv`) is whole at once: the kernel's notification
 * (inotify) says it was moved in and not written since; and a rename changes the inode's status time, so
 * its status time is later than its modification time, which writes in place never leave.
 * Any other file is taken once it has stopped changing: its size and modification time the same, and
 * non-zero, for `stableForMs` (a writer that appends in place, with pauses shorter than that, is waited
 * for). Should a file still change after it was taken, the relayer sees it and takes it again. Anything
 * else in the inbox — another extension, a symbolic link, a directory other than the relayer's own — is
 * reported once and left where it is.
 */

/** Usage files: CSV, JSON lines. Names starting with "." are being written. */
export const USAGE_FILE = /^[^.].*\.(csv|jsonl|json|csv\.gz|parquet)$/i;

/** The relayer's own folders inside the inbox. */
const OWN_FOLDERS = new Set(["done", "rejected"]);

/** A file of the inbox as it was when seen whole. */
export interface Snapshot {
  name: string;
  size: number;
  mtimeMs: number;
  ino: number;
}

export type Ignored = "extension" | "symlink" | "directory" | "other";

export interface InboxScan {
  /** Files that have stopped changing, oldest-named first. */
  whole: Snapshot[];
  /** Entries reported for the first time, and why they are left alone. */
  ignored: Array<{ name: string; why: Ignored }>;
  /** Usage files still changing (or empty), with how long they have been seen so. */
  growing: Array<{ name: string; forMs: number }>;
}

export class InboxWatcher {
  private readonly seen = new Map<
    string,
    { size: number; mtimeMs: number; since: number; firstSeen: number }
  >();
  private readonly reported = new Set<string>();
  /** What the kernel said of each name since it was last taken: moved in (or created), and written. */
  private readonly events = new Map<string, { arrived: boolean; written: boolean }>();
  private notifier?: FSWatcher;

  constructor(
    readonly dir: string,
    private readonly stableForMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Follows the inbox's changes through the kernel (inotify): `onChange` is told of each, so that a file is
   * taken the moment it lands rather than at the next round. Without notifications (a file system that has
   * none), the rounds alone find files, and the stability time alone says when they are whole.
   */
  follow(onChange: () => void): void {
    try {
      this.notifier = watch(this.dir, (type, name) => {
        if (!name) return;
        const seen = this.events.get(name) ?? { arrived: false, written: false };
        if (type === "rename") seen.arrived = true;
        else seen.written = true;
        this.events.set(name, seen);
        onChange();
      });
      this.notifier.on("error", () => this.unfollow());
    } catch {
      this.notifier = undefined;
    }
  }

  /** Stops following the inbox's changes. */
  unfollow(): void {
    this.notifier?.close();
    this.notifier = undefined;
    this.events.clear();
  }

  /** Moved in, and not written since, as the kernel told it. */
  private movedIn(name: string): boolean {
    const seen = this.events.get(name);
    return this.notifier !== undefined && seen !== undefined && seen.arrived && !seen.written;
  }

  /** Looks at the inbox once; `taken` names the files already taken (not looked at again). */
  async scan(taken: ReadonlySet<string>): Promise<InboxScan> {
    const result: InboxScan = { whole: [], ignored: [], growing: [] };
    const now = this.now();
    const present = new Set<string>();
    const entries = (await readdir(this.dir, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    );
    for (const entry of entries) {
      const { name } = entry;
      present.add(name);
      if (name.startsWith(".") || taken.has(name)) continue;
      const why: Ignored | undefined = entry.isSymbolicLink()
        ? "symlink"
        : entry.isDirectory()
          ? OWN_FOLDERS.has(name)
            ? undefined
            : "directory"
          : !entry.isFile()
            ? "other"
            : !USAGE_FILE.test(name)
              ? "extension"
              : undefined;
      if (why !== undefined) {
        if (!this.reported.has(name)) result.ignored.push({ name, why });
        this.reported.add(name);
        continue;
      }
      if (!entry.isFile()) continue;
      let stat;
      try {
        stat = await lstat(path.join(this.dir, name));
      } catch {
        continue; // moved meanwhile
      }
      const last = this.seen.get(name);
      if (stat.size > 0 && (this.movedIn(name) || (!last && landedWhole(stat)))) {
        result.whole.push({ name, size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino });
        continue;
      }
      if (!last || last.size !== stat.size || last.mtimeMs !== stat.mtimeMs) {
        this.seen.set(name, {
          size: stat.size,
          mtimeMs: stat.mtimeMs,
          since: now,
          firstSeen: last?.firstSeen ?? now,
        });
        result.growing.push({ name, forMs: now - (last?.firstSeen ?? now) });
        continue;
      }
      // An empty file is one whose writer has not started: never taken as it is.
      if (stat.size === 0 || now - last.since < this.stableForMs) {
        if (stat.size > 0 && landedWhole(stat)) {
          result.whole.push({ name, size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino });
          continue;
        }
        result.growing.push({ name, forMs: now - last.firstSeen });
        continue;
      }
      result.whole.push({ name, size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino });
    }
    for (const name of [...this.seen.keys()])
      if (!present.has(name) || taken.has(name)) this.seen.delete(name);
    for (const name of [...this.events.keys()])
      if (!present.has(name) || taken.has(name)) this.events.delete(name);
    for (const name of [...this.reported]) if (!present.has(name)) this.reported.delete(name);
    return result;
  }

  /** Forgets what was seen of `name` (taken again from scratch once whole). */
  forget(name: string): void {
    this.seen.delete(name);
    this.events.delete(name);
  }
}

/** Renamed (or otherwise touched) after its last write: its status changed later than its content. */
function landedWhole(stat: { ctimeMs: number; mtimeMs: number }): boolean {
  return stat.ctimeMs > stat.mtimeMs;
}

/** Whether `name`'s file is still the one snapshotted (same inode, size and time); false if gone or changed. */
export async function unchanged(dir: string, snapshot: Snapshot): Promise<boolean | "gone"> {
  try {
    const stat = await lstat(path.join(dir, snapshot.name));
    return stat.ino === snapshot.ino && stat.size === snapshot.size && stat.mtimeMs === snapshot.mtimeMs;
  } catch {
    return "gone";
  }
}

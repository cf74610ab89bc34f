import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Shares of the calls that the proxy spoils (each between 0 and 1; they add up to at most 1). */
export interface Faults {
  /** Never forwarded: the connection closes without an answer. */
  dropBefore: number;
  /** Forwarded, and the answer lost: the node acted, the caller does not know. */
  dropAfter: number;
  /** Held back up to `maxDelayMs` before being forwarded. */
  delay: number;
  /** Forwarded twice; the caller gets the first answer. */
  duplicate: number;
  maxDelayMs: number;
}

/** A JSON-RPC call and the node's answer, which a proxy may change (a faulty node behind a balancer). */
export type Rewrite = (call: { method: string; params: unknown[] }, answer: { result?: unknown }) => void;

/**
 * A JSON-RPC proxy in front of a node that drops, delays and duplicates a seeded pseudo-random share of
 * the calls (a load balancer in trouble, a flaky network), and lets `rewrite` change an answer (one call
 * at a time, not batches). `counts` says how often each fault struck.
 */
export async function startFlakyProxy(upstream: string, faults: Faults, seed: number, rewrite?: Rewrite) {
  let state = seed >>> 0;
  const random = () => {
    // mulberry32: small, fast and seedable, so a failing run can be replayed.
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const counts = { calls: 0, dropBefore: 0, dropAfter: 0, delay: 0, duplicate: 0 };
  const forward = async (body: string) =>
    (await fetch(upstream, { method: "POST", headers: { "content-type": "application/json" }, body })).text();

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString();
      counts.calls++;
      const roll = random();
      let edge = faults.dropBefore;
      const kind =
        roll < edge
          ? "dropBefore"
          : roll < (edge += faults.dropAfter)
            ? "dropAfter"
            : roll < (edge += faults.delay)
              ? "delay"
              : roll < (edge += faults.duplicate)
                ? "duplicate"
                : "pass";
      if (kind !== "pass") counts[kind]++;
      const answer = async () => {
        if (kind === "dropBefore") return undefined;
        if (kind === "delay")
          await new Promise((resolve) => setTimeout(resolve, random() * faults.maxDelayMs));
        let first = await forward(body);
        if (kind === "duplicate") await forward(body);
        const call = JSON.parse(body) as { method?: string; params?: unknown[] };
        if (rewrite && typeof call.method === "string") {
          const parsed = JSON.parse(first) as { result?: unknown };
          rewrite({ method: call.method, params: call.params ?? [] }, parsed);
          first = JSON.stringify(parsed);
        }
        return kind === "dropAfter" ? undefined : first;
      };
      answer().then(
        (text) =>
          text === undefined
            ? request.socket.destroy()
            : response.writeHead(200, { "content-type": "application/json" }).end(text),
        () => request.socket.destroy(), // the node itself is down
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

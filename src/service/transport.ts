import http from "node:http";
import https from "node:https";
import {
  JsonRpcProvider,
  type JsonRpcApiProviderOptions,
  type JsonRpcPayload,
  type JsonRpcResult,
  type Networkish,
} from "ethers";

/*
 * JSON-RPC over HTTP for the issuer service. ethers' own transport converts every request and answer
 * between strings and UTF-8 bytes in JavaScript, a code point at a time; with 100-claim batches (70 kB out)
 * and their receipts (200 logs back) that was a third of the relayer's CPU under load (a profile of
 * `npm run bench:load`). Node's Buffer does the same natively, and a keep-alive agent reuses connections.
 */

/**
 * How the service's loops talk to the node: the chain id is known (no detection calls), nothing is cached
 * (a loop reads state it has just changed), no batching (ethers holds each call 10 ms to batch it, which a
 * loop that awaits its calls pays every time), and four polls per block of the private network (ethers'
 * default waits 4 s between polls).
 */
export const SERVICE_PROVIDER_OPTIONS: JsonRpcApiProviderOptions = {
  staticNetwork: true,
  cacheTimeout: -1,
  batchMaxCount: 1,
  pollingInterval: 250,
};

/** No answer within this long fails the call (the caller retries; the chain decides what happened). */
export const RPC_TIMEOUT_MS = 120_000;

export class JsonRpcHttp {
  private readonly endpoint: URL;
  private readonly client: typeof http | typeof https;
  private readonly agent: http.Agent;

  constructor(url: string) {
    this.endpoint = new URL(url);
    if (this.endpoint.protocol !== "http:" && this.endpoint.protocol !== "https:")
      throw new Error(`rpcUrl: ${JSON.stringify(url)} is not an http:// or https:// URL`);
    this.client = this.endpoint.protocol === "https:" ? https : http;
    this.agent = new this.client.Agent({ keepAlive: true });
  }

  /** Posts one payload or a batch; resolves with the answers as a list, as `JsonRpcProvider._send` must. */
  post(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const body = Buffer.from(JSON.stringify(payload), "utf8");
    const { username, password } = this.endpoint;
    return new Promise((resolve, reject) => {
      const request = this.client.request(
        this.endpoint,
        {
          method: "POST",
          agent: this.agent,
          timeout: RPC_TIMEOUT_MS,
          headers: { "content-type": "application/json", "content-length": body.length },
          ...(username ? { auth: `${decodeURIComponent(username)}:${decodeURIComponent(password)}` } : {}),
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("error", reject);
          response.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            const status = response.statusCode ?? 0;
            if (status < 200 || status >= 300)
              return reject(
                new Error(`the node answered HTTP ${status} ${response.statusMessage ?? ""}`.trim()),
              );
            try {
              const parsed = JSON.parse(text) as JsonRpcResult | JsonRpcResult[];
              resolve(Array.isArray(parsed) ? parsed : [parsed]);
            } catch {
              reject(new Error(`the node's answer is not JSON: ${JSON.stringify(text.slice(0, 120))}`));
            }
          });
        },
      );
      request.on("timeout", () =>
        request.destroy(new Error(`no answer from the node within ${RPC_TIMEOUT_MS} ms`)),
      );
      request.on("error", reject);
      request.end(body);
    });
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.agent.destroy();
  }
}

/** What a provider reports of its calls: how many went out (a batch counts each), and each that failed. */
export interface RpcCallHooks {
  onCalls?(count: number): void;
  onError?(error: unknown): void;
  /** Each answered call or batch, with the milliseconds from sending it to its whole answer. */
  onAnswer?(payload: JsonRpcPayload | JsonRpcPayload[], ms: number): void;
}

/** ethers' JsonRpcProvider over `JsonRpcHttp`: the same provider, without the JavaScript UTF-8 conversions. */
export class FastJsonRpcProvider extends JsonRpcProvider {
  private readonly http: JsonRpcHttp;

  constructor(
    url: string,
    network?: Networkish,
    options?: JsonRpcApiProviderOptions,
    private readonly hooks: RpcCallHooks = {},
  ) {
    super(url, network, options);
    this.http = new JsonRpcHttp(url);
  }

  async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    this.hooks.onCalls?.(Array.isArray(payload) ? payload.length : 1);
    const started = performance.now();
    try {
      const answer = await this.http.post(payload);
      this.hooks.onAnswer?.(payload, performance.now() - started);
      return answer;
    } catch (error) {
      this.hooks.onError?.(error);
      throw error;
    }
  }

  destroy(): void {
    super.destroy();
    this.http.close();
  }
}

import { expect } from "chai";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { FastJsonRpcProvider, JsonRpcHttp, SERVICE_PROVIDER_OPTIONS } from "../../src/service/transport";

/** A stand-in node that answers every POST with `status` and `body(request)`. */
async function node(
  status: number,
  body: (request: string) => string,
): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(body(Buffer.concat(chunks).toString("utf8")));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe("the issuer service's JSON-RPC transport", function () {
  const servers: Server[] = [];
  const clients: JsonRpcHttp[] = [];
  const client = (url: string) => {
    const c = new JsonRpcHttp(url);
    clients.push(c);
    return c;
  };

  afterEach(async function () {
    for (const c of clients.splice(0)) c.close();
    for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
  });

  it("sends a call as UTF-8 JSON and gives its answer as a list", async function () {
    const { url, server } = await node(200, (request) => {
      const { id, params } = JSON.parse(request);
      return JSON.stringify({ jsonrpc: "2.0", id, result: params[0] });
    });
    servers.push(server);
    expect(
      await client(url).post({ jsonrpc: "2.0", id: 7, method: "echo", params: ["zoncoin ✓"] }),
    ).to.deep.equal([{ jsonrpc: "2.0", id: 7, result: "zoncoin ✓" }]);
  });

  it("gives a batch's answers as they come", async function () {
    const { url, server } = await node(200, (request) =>
      JSON.stringify(
        JSON.parse(request).map((p: { id: number }) => ({ jsonrpc: "2.0", id: p.id, result: p.id * 2 })),
      ),
    );
    servers.push(server);
    const batch = [1, 2].map((id) => ({ jsonrpc: "2.0" as const, id, method: "double", params: [] }));
    expect((await client(url).post(batch)).map((r) => r.result)).to.deep.equal([2, 4]);
  });

  it("fails with the HTTP status when the node answers with an error status", async function () {
    const { url, server } = await node(503, () => "busy");
    servers.push(server);
    await expect(client(url).post({ jsonrpc: "2.0", id: 1, method: "x", params: [] })).to.be.rejectedWith(
      "the node answered HTTP 503 Service Unavailable",
    );
  });

  it("fails, quoting it, when the answer is not JSON", async function () {
    const { url, server } = await node(200, () => "<html>proxy error</html>");
    servers.push(server);
    await expect(client(url).post({ jsonrpc: "2.0", id: 1, method: "x", params: [] })).to.be.rejectedWith(
      `the node's answer is not JSON: "<html>proxy error</html>"`,
    );
  });

  it("refuses a URL that is not http or https, naming it", function () {
    expect(() => new JsonRpcHttp("ws://127.0.0.1:8546")).to.throw(
      'rpcUrl: "ws://127.0.0.1:8546" is not an http:// or https:// URL',
    );
  });

  it("tells its hooks how many calls went out, a batch's calls each", async function () {
    const { url, server } = await node(200, (request) => {
      const parsed = JSON.parse(request);
      const answer = (p: { id: number }) => ({ jsonrpc: "2.0", id: p.id, result: "0x1" });
      return JSON.stringify(Array.isArray(parsed) ? parsed.map(answer) : answer(parsed));
    });
    servers.push(server);
    const counts: number[] = [];
    const provider = new FastJsonRpcProvider(url, 1, SERVICE_PROVIDER_OPTIONS, {
      onCalls: (count) => counts.push(count),
    });
    try {
      await provider._send({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] });
      await provider._send(
        [1, 2, 3].map((id) => ({ jsonrpc: "2.0" as const, id, method: "eth_blockNumber", params: [] })),
      );
    } finally {
      provider.destroy();
    }
    expect(counts).to.deep.equal([1, 3]);
  });

  it("tells its hooks of each call that failed, and still fails it", async function () {
    const { url, server } = await node(503, () => "busy");
    servers.push(server);
    const errors: string[] = [];
    const provider = new FastJsonRpcProvider(url, 1, SERVICE_PROVIDER_OPTIONS, {
      onError: (error) => errors.push((error as Error).message),
    });
    try {
      await expect(
        provider._send({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] }),
      ).to.be.rejectedWith("the node answered HTTP 503");
    } finally {
      provider.destroy();
    }
    expect(errors).to.deep.equal(["the node answered HTTP 503 Service Unavailable"]);
  });
});

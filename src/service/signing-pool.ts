import path from "node:path";
import { Worker } from "node:worker_threads";
import type { TypedDataDomain } from "ethers";
import { AttestorBundle } from "../fastsign";
import type { UsageAttestation } from "../rewards";

/*
 * Attestation signing off the relayer's thread. The relayer's one thread also parses files, encodes and
 * signs the claim transactions and reads their receipts; under load it was the service's bottleneck
 * (`npm run bench:load`: the service at a full core, the chain at half of one), and the attestors'
 * signatures of a second's usage file took a quarter of it. Each thread holds the attestors' keys (the
 * same process's memory) and signs whole chunks of a file; the answers come back in order.
 */

/** What a signing thread is given: the attestors' keys and their distributor's EIP-712 domain. */
export interface SigningSetup {
  keys: string[];
  domain: TypedDataDomain;
}

interface Job {
  resolve: (bundles: string[]) => void;
  reject: (error: Error) => void;
}

interface Thread {
  worker: Worker;
  jobs: Map<number, Job>;
}

// Rows per message: large enough that posting costs nothing beside the signing, small enough to share.
const CHUNK = 500;

const WORKER_SCRIPT = path.join(__dirname, `signing-thread${path.extname(__filename)}`);

/** Starts a thread; under ts-node (the service and the tests), the thread registers it first. */
function startWorker(setup: SigningSetup): Worker {
  if (path.extname(__filename) !== ".ts") return new Worker(WORKER_SCRIPT, { workerData: setup });
  const project = path.join(__dirname, "..", "..", "tsconfig.json");
  const bootstrap = `require("ts-node").register({ transpileOnly: true, project: ${JSON.stringify(project)} });
require(${JSON.stringify(WORKER_SCRIPT)});`;
  return new Worker(bootstrap, { eval: true, workerData: setup });
}

/** Signs attestations with the attestors' bundle: on threads of its own (`SigningPool`) or on the caller's. */
export interface AttestationSigning {
  /** The signature bundles of `attestations`, in their order. */
  sign(attestations: UsageAttestation[]): Promise<string[]>;
  close(): Promise<void>;
}

/** Signing on the caller's thread (`signingThreads: 0`). */
export class InThreadSigning implements AttestationSigning {
  private readonly bundle: AttestorBundle;

  constructor(setup: SigningSetup) {
    this.bundle = AttestorBundle.fromKeys(setup.keys, setup.domain);
  }

  async sign(attestations: UsageAttestation[]): Promise<string[]> {
    return attestations.map((a) => this.bundle.sign(a));
  }

  async close(): Promise<void> {}
}

/** A pool of signing threads; `sign` gives each attestation's signature bundle, as `AttestorBundle` does. */
export class SigningPool implements AttestationSigning {
  private readonly threads: Array<Thread | undefined>;
  private next = 0;
  private nextJob = 0;
  private closed = false;

  constructor(
    private readonly setup: SigningSetup,
    threads: number,
  ) {
    if (!Number.isInteger(threads) || threads < 1)
      throw new Error(`signingThreads: ${threads} is not a positive whole number`);
    this.threads = Array.from({ length: threads }, () => undefined);
  }

  async sign(attestations: UsageAttestation[]): Promise<string[]> {
    const chunks: Array<Promise<string[]>> = [];
    for (let i = 0; i < attestations.length; i += CHUNK)
      chunks.push(this.post(attestations.slice(i, i + CHUNK)));
    return (await Promise.all(chunks)).flat();
  }

  /** Ends the threads; signing after this fails. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.threads.map((thread) => thread?.worker.terminate()));
  }

  private post(attestations: UsageAttestation[]): Promise<string[]> {
    if (this.closed) return Promise.reject(new Error("the signing threads are stopped"));
    const index = this.next++ % this.threads.length;
    const thread = (this.threads[index] ??= this.spawn(index));
    const id = this.nextJob++;
    return new Promise((resolve, reject) => {
      thread.jobs.set(id, { resolve, reject });
      thread.worker.postMessage({ id, attestations });
    });
  }

  /** A thread for slot `index`; one that fails fails its jobs and is replaced at the next use. */
  private spawn(index: number): Thread {
    const worker = startWorker(this.setup);
    worker.unref(); // an idle pool never keeps the process alive
    const thread: Thread = { worker, jobs: new Map() };
    const fail = (error: Error) => {
      if (this.threads[index] === thread) this.threads[index] = undefined;
      for (const job of thread.jobs.values()) job.reject(error);
      thread.jobs.clear();
    };
    worker.on("message", (answer: { id: number; bundles?: string[]; error?: string }) => {
      const job = thread.jobs.get(answer.id);
      if (!job) return;
      thread.jobs.delete(answer.id);
      if (answer.bundles) job.resolve(answer.bundles);
      else job.reject(new Error(`signing thread: ${answer.error}`));
    });
    worker.on("error", (error) => fail(new Error(`signing thread failed: ${error.message}`)));
    worker.on("exit", (code) => fail(new Error(`signing thread exited (code ${code})`)));
    return thread;
  }
}

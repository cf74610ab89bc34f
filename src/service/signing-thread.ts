import { parentPort, workerData } from "node:worker_threads";
import { AttestorBundle } from "../fastsign";
import type { UsageAttestation } from "../rewards";
import type { SigningSetup } from "./signing-pool";

/* A signing thread of `SigningPool`: signs each chunk it is sent with the attestors' bundle. */

const { keys, domain } = workerData as SigningSetup;
const bundle = AttestorBundle.fromKeys(keys, domain);

parentPort!.on("message", ({ id, attestations }: { id: number; attestations: UsageAttestation[] }) => {
  try {
    parentPort!.postMessage({ id, bundles: attestations.map((a) => bundle.sign(a)) });
  } catch (error) {
    parentPort!.postMessage({ id, error: (error as Error).message });
  }
});

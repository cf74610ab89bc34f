/*
 * What a rejection's reason code means: the worker's own codes and the file adapter's. Kept apart from the
 * worker so that the portal can say it without bundling the worker.
 */

/** Reason codes the worker itself rejects with (the adapter's own codes stay below 900). */
export const WORKER_REASONS = {
  /** The acceptance ran out before the request could be delivered with the safety margin. */
  acceptanceLapsed: 900,
} as const;

/** What a rejection's reason code means, for the business that reads it (worker and file adapter codes). */
export function describeReasonCode(code: number): string {
  if (code === WORKER_REASONS.acceptanceLapsed)
    return "the fulfiller could not deliver before its acceptance ran out; your ZON came back";
  if (code === 1) return "this SKU cannot be delivered by the fulfilment service; your ZON came back";
  return `reason code ${code} of the fulfilment service; your ZON came back`;
}

// wait: polls GET /simulate/status/{job_id} with exponential backoff until
// the job ends; returns its final status document. Throws when it does not
// end within timeout_seconds, or (fail_on_partial) when a model-day failed.
import { call, sleep, type TraderApi } from "./common.ts";

const FINAL = ["completed", "partial", "failed", "cancelled"];

export async function main(
  trader: TraderApi,
  job_id: string | null,
  timeout_seconds = 3600,
  first_delay_seconds = 1,
  max_delay_seconds = 60,
  fail_on_partial = false,
) {
  if (!job_id) return { status: "current", message: "nothing to wait for" };
  const deadline = Date.now() + timeout_seconds * 1000;
  let delay = first_delay_seconds * 1000;
  for (;;) {
    const job = await call(trader, "GET", `/simulate/status/${encodeURIComponent(job_id)}`);
    if (FINAL.includes(job.status)) {
      if (job.status === "failed" || job.status === "cancelled" ||
          (fail_on_partial && job.status === "partial")) {
        throw new Error(`job ${job_id} ended ${job.status}: ${job.error ?? ""}`);
      }
      return job;
    }
    if (Date.now() + delay > deadline) {
      throw new Error(`job ${job_id} still ${job.status} after ${timeout_seconds} s`);
    }
    await sleep(delay);
    delay = Math.min(delay * 2, max_delay_seconds * 1000);
  }
}

// performance: GET /performance (return, risk and cost per model against
// QQQ) for a job or a date range; returns the answer with a short
// leaderboard text for notifications.
import { call, type TraderApi } from "./common.ts";

export async function main(
  trader: TraderApi,
  job_id?: string,
  start_date?: string,
  end_date?: string,
  models?: string[],
) {
  const perf = await call(trader, "GET", "/performance", {
    job_id,
    start_date,
    end_date,
    models: models && models.length ? models.join(",") : undefined,
  });
  const pct = (x: number | null) => (x === null ? "n/a" : `${x.toFixed(2)}%`);
  const lines = perf.models.map(
    (m: any) => `${m.rank}. ${m.model} ${pct(m.total_return_pct)}`,
  );
  lines.push(`QQQ ${pct(perf.benchmark.total_return_pct)}`);
  return { ...perf, leaderboard: lines.join("\n") };
}

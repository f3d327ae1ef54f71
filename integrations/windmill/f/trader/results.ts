// results: GET /results for a job (or a date, or a date range), minimal or
// full detail. An empty answer (404 no_data) is returned as count 0.
import { call, TraderError, type TraderApi } from "./common.ts";

export async function main(
  trader: TraderApi,
  job_id?: string,
  date?: string,
  start_date?: string,
  end_date?: string,
  model?: string,
  detail: "minimal" | "full" = "minimal",
) {
  try {
    return await call(trader, "GET", "/results", { job_id, date, start_date, end_date, model, detail });
  } catch (e) {
    if (e instanceof TraderError && e.code === "no_data") return { count: 0, results: [] };
    throw e;
  }
}

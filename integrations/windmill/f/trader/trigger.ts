// trigger: starts a simulation (POST /simulate/trigger). No dates = catch up
// every enabled model to the latest trading day. Returns the job to wait for:
// {job_id, status, ...}; job_id is null when everything is already up to date.
import { call, type TraderApi } from "./common.ts";

export async function main(
  trader: TraderApi,
  start_date?: string,
  end_date?: string,
  models?: string[],
  config_path?: string,
  replace_existing = false,
  callback_url?: string,
) {
  const body: Record<string, unknown> = {};
  if (start_date) body.start_date = start_date;
  if (end_date) body.end_date = end_date;
  if (models && models.length) body.models = models;
  if (config_path) body.config_path = config_path;
  if (replace_existing) body.replace_existing = true;
  if (callback_url) body.callback_url = callback_url;
  const answer = await call(trader, "POST", "/simulate/trigger", {}, body);
  return { ...answer, job_id: answer.job_id ?? null };
}

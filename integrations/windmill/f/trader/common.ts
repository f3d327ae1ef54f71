// common: what the trader scripts share. A Windmill script may import
// another script of its workspace by relative path; only fetch is used, so
// the scripts run on Bun, Deno or Node alike.

// The resource type trader_api (resource_type.trader_api.json): where the
// service is and, when it has API keys, the key to send.
export type TraderApi = {
  base_url: string;
  api_key?: string;
};

export class TraderError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
  ) {
    super(`trader ${status} ${code}: ${message}`);
  }
}

// Calls the API: JSON in and out, the key as a Bearer token. A non-2xx answer
// throws TraderError with the API's error code and message.
export async function call(
  api: TraderApi,
  method: "GET" | "POST",
  path: string,
  query: Record<string, string | number | undefined> = {},
  body?: unknown,
): Promise<any> {
  const url = new URL(api.base_url.replace(/\/+$/, "") + path);
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== "") url.searchParams.set(k, String(v));
  }
  const headers: Record<string, string> = { Accept: "application/json" };
  if (api.api_key) headers.Authorization = `Bearer ${api.api_key}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let data: any = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    throw new TraderError(res.status, "invalid_json", text.slice(0, 200));
  }
  if (!res.ok) throw new TraderError(res.status, data?.error ?? "error", data?.message ?? text);
  return data;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

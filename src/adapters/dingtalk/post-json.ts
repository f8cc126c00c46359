/**
 * One JSON POST/PUT to DingTalk (OpenAPI, oapi, custom robot): 10 s header and body timeouts, the answer
 * parsed as a JSON object when it is one (an HTML error page becomes `{ message: <its start> }`).
 * Network errors propagate; callers decide whether to retry and how to word the error.
 */
import { request } from 'undici';

export type Json = Record<string, unknown>;

export interface JsonAnswer {
  status: number;
  body: Json;
  headers: Record<string, string | string[] | undefined>;
}

export async function postJson(url: string, body: unknown, o: { method?: 'POST' | 'PUT'; headers?: Record<string, string> } = {}): Promise<JsonAnswer> {
  const res = await request(url, {
    method: o.method ?? 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', accept: 'application/json', ...(o.headers ?? {}) },
    body: JSON.stringify(body),
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  const text = await res.body.text();
  let parsed: Json;
  try {
    const v: unknown = text ? JSON.parse(text) : {};
    parsed = v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
  } catch {
    parsed = { message: text.slice(0, 200) };
  }
  return { status: res.statusCode, body: parsed, headers: res.headers };
}

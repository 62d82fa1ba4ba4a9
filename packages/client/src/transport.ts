// The openapi-fetch client both the QzzClient and the Kingdee provider send through: every call bounded by a timeout.
import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './generated/schema.js';

export function timedClient({ baseUrl, fetch, timeoutMs }: { baseUrl: string; fetch?: typeof globalThis.fetch; timeoutMs: number }): Client<paths> {
  const fetchImpl = fetch ?? globalThis.fetch.bind(globalThis);
  return createClient<paths>({
    baseUrl,
    fetch: (request: Request) => fetchImpl(request, { signal: AbortSignal.any([request.signal, AbortSignal.timeout(timeoutMs)]) }),
  });
}

// MSW (2.x) handlers that answer through the in-process mock (fetch.js), for a team whose tests or Storybook
// already intercept requests with MSW: every request under `baseUrl` is the mock's, answered as the HTTP mock
// answers it.
import { HttpResponse, http } from 'msw';
import { ConnectionLost, createMockFetch } from './fetch.js';

/**
 * What `createMockHandlers` takes: the base URL the client calls (an origin, and a path prefix if it has one,
 * which the mock does not see), and either a started in-process mock (`mock`: yours to close) or the options to
 * start one with.
 * @typedef {import('./core.js').MockOptions & { baseUrl: string | URL, mock?: import('./fetch.js').MockFetch }} MockHandlersOptions
 */

/**
 * MSW handlers answering every request under `baseUrl` as the mock does. Resolves once the mock has loaded the
 * bundle: `server.use(...(await createMockHandlers({ baseUrl })))`, or `setupServer(...handlers)`.
 * @param {MockHandlersOptions} options
 * @returns {Promise<import('msw').HttpHandler[]>}
 */
export async function createMockHandlers({ baseUrl, mock, ...options }) {
  const base = new URL(baseUrl);
  const prefix = base.pathname.replace(/\/+$/, '');
  const answer = mock ?? (await createMockFetch(options));
  return [
    http.all(`${base.origin}${prefix}/*`, async ({ request }) => {
      const url = new URL(request.url);
      // The mock sees the path under the base URL, as a mock served at that base would (joined as text: a path
      // `//x` resolved against the origin would become a host).
      const target = new URL(`${base.origin}${url.pathname.slice(prefix.length)}${url.search}`);
      const body = request.body ? await request.arrayBuffer() : undefined;
      // A `reset` fault is a lost connection: MSW's network error, not an answer (a thrown error would be its 500).
      // So is a request its caller aborted (a stall ends so): the caller's fetch has rejected already.
      return answer(target, { method: request.method, headers: request.headers, body, signal: request.signal }).catch((error) => {
        if (error instanceof ConnectionLost || request.signal.aborted) return HttpResponse.error();
        throw error;
      });
    }),
  ];
}

// The proxy's planted exchanges as HAR entries, written the ways the tools write them: secrets in the query,
// headers, cookies (as headers and as HAR's cookie lists, Set-Cookie included), form bodies (text and `params`),
// base64 and gzip bodies, with answers that echo every planted value in every encoding. The proxy's HAR replay and
// @qzz/check's (`check --har`) both read them.
import { gzipSync } from 'node:zlib';
import { harHeaders } from './har-files.js';
import { EXCHANGES, echoAnswer, PLANTED } from './planted.js';

/** How an entry writes the request's body and cookies, and the answer's body. */
export const VARIANTS = [
  { body: 'text', cookies: 'header', answer: 'plain' },
  { body: 'params', cookies: 'list', answer: 'base64' },
  { body: 'base64', cookies: 'both', answer: 'gzip' },
];

/** The answer the stand-in of the proxy's replay gives: every named planted value, echoed in every encoding. */
function answerOf(path, echo) {
  const answer = echoAnswer(echo);
  return path.startsWith('/mxoc_planted/text-answer')
    ? { mimeType: 'text/plain', text: answer.data.sentence }
    : { mimeType: 'application/json', text: JSON.stringify(answer) };
}

/** One planted exchange as a HAR entry, written as `variant` says. */
function plantedEntry({ path, headers, body, echo }, variant) {
  const cookie = headers.cookie;
  const requestHeaders = Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'cookie' || variant.cookies !== 'list'));
  const cookies =
    cookie && variant.cookies !== 'header'
      ? cookie.split('; ').map((pair) => ({ name: pair.split('=')[0], value: pair.slice(pair.indexOf('=') + 1) }))
      : [];
  const mimeType = headers['content-type'] ?? 'application/json';
  const isForm = mimeType === 'application/x-www-form-urlencoded';
  const postData =
    variant.body === 'params' && isForm
      ? { mimeType, params: [...new URLSearchParams(body)].map(([name, value]) => ({ name, value })) }
      : variant.body === 'base64'
        ? { mimeType, text: Buffer.from(body).toString('base64'), encoding: 'base64' }
        : { mimeType, text: body, params: [] };
  const { mimeType: answerType, text } = answerOf(path, echo);
  const gzip = variant.answer === 'gzip';
  const content =
    variant.answer === 'plain'
      ? { size: text.length, mimeType: answerType, text }
      : {
          size: text.length,
          mimeType: answerType,
          text: (gzip ? gzipSync(text) : Buffer.from(text)).toString('base64'),
          encoding: 'base64',
        };
  // The answer sets the session cookie again: as a Set-Cookie header, or only in HAR's cookie list.
  const setCookie = `SESSIONID=${PLANTED.cookieSession}; Path=/; HttpOnly`;
  return {
    startedDateTime: '2026-11-29T06:02:11.512Z',
    request: { method: 'POST', url: `https://api.kingdee.com${path}`, headers: harHeaders(requestHeaders), cookies, postData },
    response: {
      status: 200,
      headers: harHeaders({
        'content-type': answerType,
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
        ...(variant.cookies === 'list' ? {} : { 'set-cookie': setCookie }),
      }),
      cookies: variant.cookies === 'header' ? [] : [{ name: 'SESSIONID', value: PLANTED.cookieSession }],
      content,
    },
  };
}

/** Every planted exchange in every variant, as HAR entries. */
export const plantedEntries = () => EXCHANGES.flatMap((exchange) => VARIANTS.map((variant) => plantedEntry(exchange, variant)));

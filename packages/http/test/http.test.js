// The plumbing on its own: what each reader accepts and refuses, and a guarded server that outlives a failing
// handler and answers Node's own refusals with a reason. The servers built on it have their own attack tests.
import { once } from 'node:events';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { close, guardedServer, listen, parseMediaType, parsePort, parseTarget, Refusal, sendProblem } from '../src/index.js';

/** @type {import('node:http').Server[]} */
const servers = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => close(server)));
});

/** Starts `server` on a free loopback port. */
async function started(server) {
  servers.push(server);
  return listen(server, 0, '127.0.0.1');
}

/** Sends raw bytes; resolves with what came back once the server closes the connection. */
async function raw(url, bytes) {
  const socket = connect(Number(new URL(url).port), '127.0.0.1');
  let data = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk) => {
    data += chunk;
  });
  socket.write(Buffer.from(bytes, 'latin1'));
  await once(socket, 'close');
  return data;
}

describe('parseTarget', () => {
  it('reads the path percent-decoded and the query as form data', () => {
    expect(parseTarget('/a%20b/c?x=1&y=two+words&z&=v')).toEqual({ path: '/a b/c', query: { x: '1', y: 'two words', z: '', '': 'v' } });
  });

  it('reads an absolute-form target by its path and query only', () => {
    expect(parseTarget('http://elsewhere:81/p?q=1')).toEqual({ path: '/p', query: { q: '1' } });
  });

  it.each([
    ['', /absolute path/],
    ['*', /absolute path/],
    ['p', /absolute path/],
    ['//host/p', /starts with "\/\/"/],
    ['/%', /not followed by two hex digits/],
    ['/a?b=%zz', /not followed by two hex digits/],
    ['/%C0%AF', /not valid UTF-8/],
    ['http://[/', /cannot be parsed/],
  ])('refuses %j with a 400 that says why', (target, reason) => {
    let refusal;
    try {
      parseTarget(target);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(Refusal);
    expect(refusal.status).toBe(400);
    expect(refusal.message).toMatch(reason);
  });
});

describe('parseMediaType', () => {
  it('reads a type, lower-cased, and its parameters, quoted or not', () => {
    expect(parseMediaType('Application/JSON ; Charset=UTF-8; x="a \\"b\\""')).toEqual({
      essence: 'application/json',
      params: { charset: 'UTF-8', x: 'a "b"' },
    });
  });

  it.each(['json', ';;;=', 'application/json, text/plain', 'text/', '/json', 'a/b; c', 'a/b; c="unclosed'])(
    'is undefined for %j, which is not one media type',
    (header) => {
      expect(parseMediaType(header)).toBeUndefined();
    },
  );

  it('reads any header in time linear in its length: a stray character after many separators fails at once', async () => {
    // Headers up to Node's 16 KiB limit that end in a character no media type has. A pattern that can read a
    // stretch of spaces two ways tries every split of them: 20 `; ` pairs took 53 s, 200 would take longer than
    // the universe has existed. Run in a worker so that such a pattern fails this test instead of hanging it.
    const headers = [
      `a/b${' ; '.repeat(5000)}x`,
      `a/b${' ;'.repeat(8000)} x`,
      `a/b;${' '.repeat(16_000)}x`,
      `a/b;x=${'y'.repeat(16_000)}@`,
      // recheck's attack on the grammar written as one regular expression (250 bytes of it took 1.5 s).
      `!/!;!="${'\t!=";\t;!=";'.repeat(1_400)}\t!=!`,
    ];
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       import(workerData.module).then(({ parseMediaType }) => parentPort.postMessage(workerData.headers.map(parseMediaType)));`,
      { eval: true, workerData: { module: new URL('../src/index.js', import.meta.url).href, headers } },
    );
    // The deadline is no speed check: a linear reading takes well under a millisecond, a backtracking one ages.
    const deadline = setTimeout(() => worker.terminate(), 20_000);
    const [results] = await Promise.race([once(worker, 'message'), once(worker, 'exit').then(() => [['terminated']])]);
    clearTimeout(deadline);
    await worker.terminate();
    expect(results).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});

describe('parseMediaType against the grammar', () => {
  // RFC 9110's grammar as one regular expression: right, but exponential on some headers, so it is only an
  // oracle here, on short headers.
  const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
  const GRAMMAR = new RegExp(`^(${TOKEN})/(${TOKEN})((?:[ \\t]*;[ \\t]*(?:${TOKEN}=(?:${TOKEN}|"(?:[^"\\\\]|\\\\.)*"))?)*)[ \\t]*$`);
  const PARAMETER = new RegExp(`;[ \\t]*(${TOKEN})=(${TOKEN}|"(?:[^"\\\\]|\\\\.)*")`, 'g');
  const byGrammar = (header) => {
    const match = GRAMMAR.exec(header.trim());
    if (!match) return undefined;
    const params = {};
    for (const [, name, value] of match[3].matchAll(PARAMETER))
      params[name.toLowerCase()] = value.startsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value;
    return { essence: `${match[1]}/${match[2]}`.toLowerCase(), params };
  };

  it('reads every short header as the grammar does', () => {
    const piece = fc.constantFrom('a', 'B', '/', ';', '=', '"', '\\', ' ', '\t', ',', 'x-y', '+json', '?', 'é');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 16 }), (pieces) => {
        const header = pieces.join('');
        expect(parseMediaType(header)).toEqual(byGrammar(header));
      }),
      { numRuns: 20_000, seed: 20261205 },
    );
  });

  it('reads a long header of many parameters', () => {
    expect(parseMediaType(`text/plain${'; a="b;c"'.repeat(1_500)}`)?.params).toEqual({ a: 'b;c' });
  });
});

describe('parsePort', () => {
  it('takes a whole number from 0 to 65535, or the fallback when none is given', () => {
    expect(parsePort('0', 9)).toBe(0);
    expect(parsePort('65535', 9)).toBe(65535);
    expect(parsePort(undefined, 9)).toBe(9);
  });

  it.each(['', '-1', '65536', '1.5', 'abc', '0x10', '1e3', ' 80', '+80'])('refuses %j and says what it takes', (value) => {
    expect(() => parsePort(value, 9)).toThrow(/--port must be a whole number from 0 to 65535/);
  });
});

describe('listen', () => {
  it('says what to do when the port is taken', async () => {
    const url = await started(createServer());
    const port = Number(new URL(url).port);
    await expect(listen(createServer(), port, '127.0.0.1')).rejects.toThrow(`Port ${port} is in use`);
  });
});

describe('guardedServer', () => {
  it('logs and answers 500 when a handler fails, and keeps serving', async () => {
    const lines = [];
    let calls = 0;
    const url = await started(
      guardedServer(
        async (_req, res) => {
          if (++calls === 1) throw new Error('boom');
          res.end('fine');
        },
        { name: '@qzz/test', log: (line) => lines.push(line) },
      ),
    );
    const failed = await fetch(url);
    expect(failed.status).toBe(500);
    expect((await failed.json()).detail).toBe('The server failed: this is a bug in @qzz/test.');
    expect(lines).toEqual([expect.stringMatching(/^internal error: Error: boom/)]);
    expect(await (await fetch(url)).text()).toBe('fine');
  });

  it('answers a Refusal with its status, reason and headers, as problem details', async () => {
    const url = await started(
      guardedServer(
        async () => {
          throw new Refusal(405, 'Only POST here.', { allow: 'POST' });
        },
        { name: '@qzz/test', log: () => {} },
      ),
    );
    const res = await fetch(url);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toEqual({ type: 'about:blank', title: 'Method Not Allowed', status: 405, detail: 'Only POST here.' });
  });

  it.each([
    ['malformed framing', 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', 400],
    ['CONNECT', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 405],
    ['an HTTP/1.1 request without Host', 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n', 400],
    ['an unknown expectation', 'POST / HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nContent-Length: 0\r\nConnection: close\r\n\r\n', 417],
  ])('answers %s with a reason and keeps serving', async (_name, bytes, status) => {
    const url = await started(guardedServer(async (_req, res) => void res.end('fine'), { name: '@qzz/test', log: () => {} }));
    const answer = await raw(url, bytes);
    expect(answer).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).detail).toBeTruthy();
    expect(await (await fetch(url)).text()).toBe('fine');
  });
});

describe('sendProblem', () => {
  it('writes the status, the problem type and an exact Content-Length', async () => {
    const url = await started(createServer((_req, res) => sendProblem(res, { status: 418, detail: 'Short and stout: 短' })));
    const res = await fetch(url);
    const text = await res.text();
    expect(res.status).toBe(418);
    expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(text));
    expect(JSON.parse(text)).toMatchObject({ status: 418, title: "I'm a Teapot", detail: 'Short and stout: 短' });
  });
});

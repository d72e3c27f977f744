/**
 * Unit tests for the Bedrock plugin's SigV4 signer and event-stream decoder against published vectors:
 * - AWS Signature Version 4 test suite (docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html):
 *   get-vanilla, post-vanilla and get-vanilla-query-order-key-case, with the suite's credentials
 *   AKIDEXAMPLE / wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, us-east-1, service "service",
 *   20150830T123600Z; and the get-vanilla canonical request hash bb579772...
 * - AWS event-stream framing: the encoding examples published with the Elixir `event_stream` package
 *   (hex.pm event_stream 0.1.0, lib/event_stream.ex): `{"foo": "bar"}` without headers and with
 *   content-type: application/json, byte for byte; plus a hand-built frame with every header type.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { canonicalUri, sha256Hex, signRequest } from '../../plugins/providers/bedrock/sigv4.js';
import {
  EventStreamDecoder,
  EventStreamError,
  crc32,
  decodeEventStream,
} from '../../plugins/providers/bedrock/eventstream.js';

const suite = {
  region: 'us-east-1',
  service: 'service',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  now: new Date('2015-08-30T12:36:00Z'),
};

test('SigV4: get-vanilla from the AWS test suite', () => {
  const s = signRequest({ ...suite, method: 'GET', url: 'https://example.amazonaws.com/' });
  assert.equal(
    s.canonicalRequest,
    'GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n' +
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  );
  assert.equal(sha256Hex(s.canonicalRequest), 'bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63');
  assert.equal(
    s.stringToSign,
    'AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n' +
      'bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63',
  );
  assert.equal(s.signature, '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31');
  assert.equal(
    s.headers.authorization,
    'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ' +
      'SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
  );
  assert.equal(s.headers['x-amz-date'], '20150830T123600Z');
  assert.equal(s.headers.host, undefined, 'host is signed but left for the HTTP client to send');
});

test('SigV4: post-vanilla from the AWS test suite', () => {
  const s = signRequest({ ...suite, method: 'POST', url: 'https://example.amazonaws.com/' });
  assert.equal(s.signature, '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b');
});

test('SigV4: get-vanilla-query-order-key-case from the AWS test suite', () => {
  const s = signRequest({ ...suite, method: 'GET', url: 'https://example.amazonaws.com/?Param2=value2&Param1=value1' });
  assert.equal(s.canonicalRequest.split('\n')[2], 'Param1=value1&Param2=value2');
  assert.equal(s.signature, 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500');
});

test('SigV4: session token is signed; Bedrock model ids are double-encoded in the canonical URI', () => {
  assert.equal(
    canonicalUri('/model/us.anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse'),
    '/model/us.anthropic.claude-3-5-sonnet-20241022-v2%253A0/converse',
  );
  assert.equal(canonicalUri(''), '/');
  assert.equal(canonicalUri('/a/./b/../c/'), '/a/c/');
  const s = signRequest({
    method: 'POST',
    url: 'https://bedrock-runtime.us-west-2.amazonaws.com/model/amazon.nova-lite-v1%3A0/converse',
    headers: { 'Content-Type': 'application/json' },
    body: '{"messages":[]}',
    region: 'us-west-2',
    service: 'bedrock',
    credentials: { ...suite.credentials, sessionToken: 'token-123' },
    now: suite.now,
  });
  assert.equal(s.headers['x-amz-security-token'], 'token-123');
  assert.equal(s.headers['content-type'], 'application/json');
  assert.match(
    s.headers.authorization,
    new RegExp(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20150830\/us-west-2\/bedrock\/aws4_request, /.source +
        /SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/.source,
    ),
  );
  const lines = s.canonicalRequest.split('\n');
  assert.equal(lines[1], '/model/amazon.nova-lite-v1%253A0/converse');
  assert.equal(lines.at(-1), sha256Hex('{"messages":[]}'));
});

// Published bytes (Elixir event_stream docs): {"foo": "bar"} with no headers, and with content-type.
const FOO_NO_HEADERS = Uint8Array.from([
  0, 0, 0, 30, 0, 0, 0, 0, 186, 242, 246, 138, 123, 34, 102, 111, 111, 34, 58, 32, 34, 98, 97, 114, 34, 125, 174, 114,
  88, 228,
]);
const FOO_CONTENT_TYPE = Uint8Array.from([
  0, 0, 0, 62, 0, 0, 0, 32, 64, 93, 249, 70, 12, 99, 111, 110, 116, 101, 110, 116, 45, 116, 121, 112, 101, 7, 0, 16, 97,
  112, 112, 108, 105, 99, 97, 116, 105, 111, 110, 47, 106, 115, 111, 110, 123, 34, 102, 111, 111, 34, 58, 32, 34, 98,
  97, 114, 34, 125, 111, 162, 191, 59,
]);

test('event stream: CRC32 is the gzip one', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.equal(crc32(FOO_NO_HEADERS, 0, 8), 0xbaf2f68a);
});

test('event stream: decodes the published frames, together and split byte by byte', () => {
  const d = new EventStreamDecoder();
  const both = new Uint8Array([...FOO_NO_HEADERS, ...FOO_CONTENT_TYPE]);
  const msgs = d.push(both);
  assert.equal(msgs.length, 2);
  assert.deepEqual(msgs[0].headers, {});
  assert.equal(new TextDecoder().decode(msgs[0].payload), '{"foo": "bar"}');
  assert.deepEqual(msgs[1].headers, { 'content-type': 'application/json' });
  assert.equal(new TextDecoder().decode(msgs[1].payload), '{"foo": "bar"}');
  assert.equal(d.pending, 0);

  const d2 = new EventStreamDecoder();
  const out = [];
  for (const b of both) out.push(...d2.push(Uint8Array.of(b)));
  assert.equal(out.length, 2);
  assert.deepEqual(out[1].headers, { 'content-type': 'application/json' });
  assert.equal(new TextDecoder().decode(out[1].payload), '{"foo": "bar"}');
});

/** Build a frame by hand, with CRCs from node:zlib (independent of the decoder's own CRC). */
function frame(headerBytes: number[], payload: string): Uint8Array {
  const p = Buffer.from(payload, 'utf8');
  const total = 12 + headerBytes.length + p.length + 4;
  const buf = Buffer.alloc(total);
  buf.writeUInt32BE(total, 0);
  buf.writeUInt32BE(headerBytes.length, 4);
  buf.writeUInt32BE(zlibCrc32(buf.subarray(0, 8)), 8);
  Buffer.from(headerBytes).copy(buf, 12);
  p.copy(buf, 12 + headerBytes.length);
  buf.writeUInt32BE(zlibCrc32(buf.subarray(0, total - 4)), total - 4);
  return buf;
}
const name = (s: string) => [s.length, ...Buffer.from(s)];
const str = (s: string) => [7, 0, s.length, ...Buffer.from(s)];

test('event stream: a hand-built Bedrock event with every header type', () => {
  const headers = [
    ...name(':event-type'),
    ...str('contentBlockDelta'),
    ...name(':message-type'),
    ...str('event'),
    ...name('t'),
    0,
    ...name('f'),
    1,
    ...name('b'),
    2,
    0xff,
    ...name('s'),
    3,
    0x01,
    0x02,
    ...name('i'),
    4,
    0x00,
    0x00,
    0x01,
    0x00,
    ...name('l'),
    5,
    0,
    0,
    0,
    0,
    0,
    0,
    0x10,
    0x00,
    ...name('bin'),
    6,
    0,
    3,
    1,
    2,
    3,
    ...name('ts'),
    8,
    0,
    0,
    0x01,
    0x8f,
    0x0e,
    0x2b,
    0x6a,
    0x00,
    ...name('u'),
    9,
    ...Array.from({ length: 16 }, (_, k) => k),
  ];
  const payload = '{"contentBlockIndex":0,"delta":{"text":"Hi"},"p":"abc"}';
  const [m] = new EventStreamDecoder().push(frame(headers, payload));
  assert.equal(m.headers[':event-type'], 'contentBlockDelta');
  assert.equal(m.headers[':message-type'], 'event');
  assert.equal(m.headers.t, true);
  assert.equal(m.headers.f, false);
  assert.equal(m.headers.b, -1);
  assert.equal(m.headers.s, 258);
  assert.equal(m.headers.i, 256);
  assert.equal(m.headers.l, 4096n);
  assert.deepEqual(m.headers.bin, Uint8Array.of(1, 2, 3));
  assert.equal((m.headers.ts as Date).getTime(), 0x018f0e2b6a00);
  assert.deepEqual(
    m.headers.u,
    Uint8Array.from({ length: 16 }, (_, k) => k),
  );
  assert.deepEqual(JSON.parse(new TextDecoder().decode(m.payload)), {
    contentBlockIndex: 0,
    delta: { text: 'Hi' },
    p: 'abc',
  });
});

test('event stream: both CRCs are verified', () => {
  const badPrelude = Uint8Array.from(FOO_CONTENT_TYPE);
  badPrelude[11] ^= 1;
  assert.throws(
    () => new EventStreamDecoder().push(badPrelude),
    (e: unknown) => e instanceof EventStreamError && /prelude CRC/.test(e.message),
  );
  const badMessage = Uint8Array.from(FOO_CONTENT_TYPE);
  badMessage[50] ^= 1; // flip a payload bit
  assert.throws(
    () => new EventStreamDecoder().push(badMessage),
    (e: unknown) => e instanceof EventStreamError && /message CRC/.test(e.message),
  );
});

test('event stream: a cut-off message is reported as trailing bytes', async () => {
  async function* body() {
    yield FOO_NO_HEADERS;
    yield FOO_CONTENT_TYPE.subarray(0, 20);
  }
  let trailing = 0;
  const got = [];
  for await (const m of decodeEventStream(body(), (n) => {
    trailing = n;
  }))
    got.push(m);
  assert.equal(got.length, 1);
  assert.equal(trailing, 20);
});

/**
 * Media the multimodal contract sends, generated here rather than read from files: a tiny PNG (2x2 RGBA,
 * built chunk by chunk with zlib and CRC-32 as the PNG specification lays out) and a short WAV clip
 * (50 ms of a 440 Hz tone, 8 kHz 16-bit mono PCM in a RIFF/WAVE container), with helpers that check what
 * comes back (a WAV header).
 */
import { crc32, deflateSync } from 'node:zlib';

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** A 2x2 RGBA PNG: red, green / blue, white. */
export function tinyPng(): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(2, 0); // width
  ihdr.writeUInt32BE(2, 4); // height
  ihdr.writeUInt8(8, 8); // bit depth
  ihdr.writeUInt8(6, 9); // colour type RGBA
  // compression, filter and interlace methods: 0
  const rows = Buffer.from([
    0,
    255,
    0,
    0,
    255,
    0,
    255,
    0,
    255, // filter byte 0, red, green
    0,
    0,
    0,
    255,
    255,
    255,
    255,
    255,
    255, // filter byte 0, blue, white
  ]);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(rows)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** 50 ms of a 440 Hz tone as a WAV file (8 kHz, 16-bit, mono). */
export function tinyWav(): Buffer {
  const rate = 8000;
  const samples = rate / 20;
  const pcm = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++)
    pcm.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * i) / rate) * 8000), i * 2);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + pcm.length, 4);
  h.write('WAVEfmt ', 8, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([h, pcm]);
}

export const PNG_BASE64 = tinyPng().toString('base64');
export const PNG_DATA_URL = `data:image/png;base64,${PNG_BASE64}`;
export const PNG_HTTPS_URL = 'https://images.example.com/contract/tiny.png';
export const WAV_BASE64 = tinyWav().toString('base64');

/** The WAV header of base64 audio: channels, sample rate, bits and data bytes; throws if it is not a WAV. */
export function wavInfo(base64: string): { channels: number; rate: number; bits: number; dataBytes: number } {
  const b = Buffer.from(base64, 'base64');
  if (b.length < 44 || b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE')
    throw new Error('not a RIFF/WAVE file');
  return {
    channels: b.readUInt16LE(22),
    rate: b.readUInt32LE(24),
    bits: b.readUInt16LE(34),
    dataBytes: b.readUInt32LE(40),
  };
}

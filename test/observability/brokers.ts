/**
 * Broker helpers for the export tests: read back a JetStream stream, drain a RabbitMQ queue, run a
 * private nats-server (restart tests never touch the shared one), and a TCP proxy we can cut.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect as natsConnect } from '@nats-io/transport-node';
import amqp from 'amqplib';

export const NATS_URL = 'nats://127.0.0.1:4222';
export const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';

/** Resolves true when something accepts a TCP connection on 127.0.0.1:port within 2 s. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Why the broker tests cannot run here (a `skip` reason), or false. `.ci/run` starts NATS and RabbitMQ when
 * they are installed; on a machine without them these tests skip and say so.
 */
export async function brokerSkips(): Promise<{
  nats: string | false;
  rabbit: string | false;
  privateRabbit: string | false;
}> {
  const nats = (await listening(4222)) ? false : 'no NATS server on 127.0.0.1:4222 (start nats-server -js)';
  const rabbit = (await listening(5672)) ? false : 'no RabbitMQ on 127.0.0.1:5672 (start rabbitmq-server)';
  const privateRabbit =
    rabbit || (existsSync('/usr/lib/rabbitmq/bin/rabbitmq-server') ? false : 'rabbitmq-server is not installed');
  return {
    nats: nats || (existsSync('/usr/sbin/nats-server') ? false : 'nats-server is not installed'),
    rabbit,
    privateRabbit,
  };
}

export const unique = (p: string) => `${p}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;

/** Every message of a JetStream stream, parsed (and the stream's message count). */
export async function readStream(servers: string, stream: string): Promise<any[]> {
  const nc = await natsConnect({ servers, timeout: 2000 });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(stream);
    const out: any[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq });
      if (m) out.push({ subject: m.subject, msgId: m.header?.get('Nats-Msg-Id'), event: m.json() });
    }
    return out;
  } finally {
    await nc.close();
  }
}

export async function deleteStream(servers: string, stream: string): Promise<void> {
  const nc = await natsConnect({ servers, timeout: 2000 }).catch(() => undefined);
  if (!nc) return;
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(stream).catch(() => undefined);
  } finally {
    await nc.close();
  }
}

/** Take every message currently in a queue (acknowledged), with its AMQP properties. */
export async function drainQueue(
  queue: string,
): Promise<Array<{ props: amqp.MessageProperties; routingKey: string; event: any }>> {
  const conn = await amqp.connect(AMQP_URL);
  try {
    const ch = await conn.createChannel();
    const out: Array<{ props: amqp.MessageProperties; routingKey: string; event: any }> = [];
    for (;;) {
      const m = await ch.get(queue, { noAck: true });
      if (!m) break;
      out.push({ props: m.properties, routingKey: m.fields.routingKey, event: JSON.parse(m.content.toString()) });
    }
    return out;
  } finally {
    await conn.close();
  }
}

export async function withChannel<T>(fn: (ch: amqp.Channel) => Promise<T>): Promise<T> {
  const conn = await amqp.connect(AMQP_URL);
  try {
    return await fn(await conn.createChannel());
  } finally {
    await conn.close().catch(() => undefined);
  }
}

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function waitForPort(port: number, up: boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const open = await new Promise<boolean>((r) => {
      const c = net.connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        r(true);
      });
      c.once('error', () => r(false));
    });
    if (open === up) return;
    if (Date.now() > end) throw new Error(`port ${port} did not become ${up ? 'open' : 'closed'}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A private nats-server with JetStream on its own port and store directory. */
export class PrivateNats {
  readonly dir = mkdtempSync(join(tmpdir(), 'sy-nats-'));
  #proc: ChildProcess | undefined;
  constructor(readonly port: number) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.#proc = spawn('/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.dir], {
      stdio: 'ignore',
    });
    await waitForPort(this.port, true);
  }

  /** Kill it hard (a crash, not a graceful shutdown); the store directory stays. */
  async kill(): Promise<void> {
    const p = this.#proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
    await waitForPort(this.port, false);
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A TCP proxy to a target port whose connections we can cut (and refuse) at will. */
export class CuttableProxy {
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  #refusing = false;
  port = 0;

  constructor(private readonly targetPort: number) {
    this.#server = net.createServer((client) => {
      if (this.#refusing) return client.destroy();
      const upstream = net.connect(this.targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.once('close', () => this.#sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.#server.address() as net.AddressInfo).port;
  }

  /** Cut every connection and refuse new ones until restore(). */
  cut(): void {
    this.#refusing = true;
    for (const s of this.#sockets) s.destroy();
  }

  restore(): void {
    this.#refusing = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }
}

/**
 * A private RabbitMQ node for the export restart test: its own node name, AMQP and distribution ports,
 * data, log and config files and Erlang cookie (HOME) under a temporary directory, no plugins. The
 * shared broker on 5672 and its node are never touched. The node runs in its own process group, so a
 * crash (SIGKILL) takes down the VM and its helper processes together; the data directory stays for
 * the restart. stop() is safe to call at any point, and an exit hook kills the node if a test dies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { freePort } from './brokers.js';

/** The broker's own start script; /usr/sbin/rabbitmq-server would switch to the rabbitmq user and drop our env. */
const SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';

async function portOpen(port: number): Promise<boolean> {
  return new Promise<boolean>((r) => {
    const c = net.connect(port, '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      r(true);
    });
    c.once('error', () => r(false));
  });
}

export interface QueuedMessage {
  props: amqp.MessageProperties;
  event: any;
}

export class PrivateRabbit {
  readonly dir = mkdtempSync(join(tmpdir(), 'sy-rmq-'));
  readonly node = `sy-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}@localhost`;
  port = 0;
  #distPort = 0;
  #proc: ChildProcess | undefined;
  #starts = 0;
  readonly #onExit = () => this.#killGroup();

  get url(): string {
    return `amqp://guest:guest@127.0.0.1:${this.port}`;
  }

  /** Start the node (again, on the same ports and data) and wait until it accepts an AMQP connection. */
  async start(timeoutMs = 45_000): Promise<number> {
    if (!this.port) {
      this.port = await freePort();
      this.#distPort = await freePort();
      writeFileSync(join(this.dir, 'enabled_plugins'), '[].\n');
      writeFileSync(join(this.dir, 'rabbitmq-env.conf'), ''); // not /etc/rabbitmq's (the shared node's name)
      writeFileSync(join(this.dir, 'rabbitmq.conf'), `listeners.tcp.local = 127.0.0.1:${this.port}\n`);
      process.once('exit', this.#onExit);
    }
    const began = Date.now();
    const log = openSync(join(this.dir, `start-${++this.#starts}.log`), 'w');
    try {
      this.#proc = spawn(SERVER, [], {
        cwd: this.dir,
        detached: true, // its own process group: the sh wrapper, beam.smp, erl_child_setup, inet_gethost
        stdio: ['ignore', log, log],
        env: {
          ...process.env,
          HOME: this.dir, // the Erlang cookie
          RABBITMQ_NODENAME: this.node,
          RABBITMQ_NODE_PORT: String(this.port),
          RABBITMQ_DIST_PORT: String(this.#distPort),
          RABBITMQ_MNESIA_BASE: join(this.dir, 'mnesia'),
          RABBITMQ_LOG_BASE: join(this.dir, 'log'),
          RABBITMQ_CONFIG_FILE: join(this.dir, 'rabbitmq.conf'),
          RABBITMQ_CONF_ENV_FILE: join(this.dir, 'rabbitmq-env.conf'),
          RABBITMQ_ENABLED_PLUGINS_FILE: join(this.dir, 'enabled_plugins'),
          RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
          ERL_EPMD_ADDRESS: '127.0.0.1',
        },
      });
    } finally {
      closeSync(log);
    }
    const proc = this.#proc;
    const deadline = began + timeoutMs;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`private RabbitMQ exited at start:\n${this.#logTail()}`);
      }
      if (await portOpen(this.port)) {
        const conn = await amqp.connect(this.url, { timeout: 2000 }).catch(() => undefined);
        if (conn) {
          await conn.close().catch(() => undefined);
          return Date.now() - began;
        }
      }
      if (Date.now() > deadline) {
        this.#killGroup();
        throw new Error(`private RabbitMQ not up after ${timeoutMs} ms:\n${this.#logTail()}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Crash it (SIGKILL to the whole process group) and wait until the wrapper exited and the port is closed. */
  async kill(): Promise<void> {
    await this.#down('SIGKILL');
  }

  /**
   * Stop it the way an operator restarts a broker (SIGTERM: RabbitMQ shuts down cleanly, closing client
   * connections), with a SIGKILL after 30 s; wait until the ports are closed.
   */
  async shutdown(): Promise<void> {
    await this.#down('SIGTERM');
  }

  async #down(signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    const p = this.#proc;
    if (!p) return;
    const exited = p.exitCode !== null || p.signalCode !== null ? undefined : new Promise((r) => p.once('exit', r));
    this.#signalGroup(signal);
    const forced = signal === 'SIGTERM' ? setTimeout(() => this.#killGroup(), 30_000) : undefined;
    await exited;
    clearTimeout(forced);
    const end = Date.now() + 20_000;
    for (const port of [this.port, this.#distPort]) {
      while (await portOpen(port)) {
        if (Date.now() > end) throw new Error(`port ${port} still open after the kill`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** Every message currently in `queue` (acknowledged), with its AMQP properties. */
  async drain(queue: string): Promise<QueuedMessage[]> {
    const conn = await amqp.connect(this.url, { timeout: 2000 });
    try {
      const ch = await conn.createChannel();
      const out: QueuedMessage[] = [];
      for (;;) {
        const m = await ch.get(queue, { noAck: true });
        if (!m) break;
        out.push({ props: m.properties, event: JSON.parse(m.content.toString()) });
      }
      return out;
    } finally {
      await conn.close().catch(() => undefined);
    }
  }

  /** Kill the node and remove its directory. */
  async stop(): Promise<void> {
    try {
      await this.kill();
    } finally {
      process.removeListener('exit', this.#onExit);
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  #killGroup(): void {
    this.#signalGroup('SIGKILL');
  }

  #signalGroup(signal: NodeJS.Signals): void {
    const pid = this.#proc?.pid;
    if (!pid) return;
    try {
      process.kill(-pid, signal); // only the group we started
    } catch {
      // already gone
    }
  }

  #logTail(): string {
    try {
      return readFileSync(join(this.dir, `start-${this.#starts}.log`), 'utf8')
        .split('\n')
        .slice(-15)
        .join('\n');
    } catch {
      return '(no start log)';
    }
  }
}

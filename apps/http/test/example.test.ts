/**
 * The routing example as a user runs it: a child process on a free port, real requests, `/healthz` and the
 * Prometheus `/metrics`, then SIGTERM and a graceful exit.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const example = fileURLToPath(new URL('../src/example.ts', import.meta.url));

describe('the routing example', () => {
  it('serves /healthz and /metrics, and shuts down on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--conditions=@zokio/source', '--import', 'tsx', example, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "listening" line in 15 s: ${output}`)), 15_000);
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk;
        const match = /listening on (http:\/\/\S+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code} before listening: ${output}`)));
    });
    const health = await fetch(`${url}healthz`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('ok\n');
    await fetch(url); // one more request, so the metrics have something to count
    const metrics = await fetch(`${url}metrics`);
    expect(metrics.headers.get('content-type')).toBe('text/plain; version=0.0.4');
    const text = await metrics.text();
    expect(text).toMatch(/^# HELP zokio_tasks_spawned_total /m);
    expect(Number(/^zokio_tasks_spawned_total (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(3);
    expect(text).toMatch(/^zokio_io_ops_submitted_total\{op="accept"\} \d+$/m);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toMatch(/shut down: \d+ connections served, 0 abandoned/);
  }, 30_000);
});

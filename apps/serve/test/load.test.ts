/**
 * Bounded load on every driver: 100 concurrent keep-alive clients × 20 requests of small files, every answer
 * `200` with the file's exact bytes, within a few seconds; and every fd given back once the server shut down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpServer } from '@zokio/http';
import { staticFiles } from '../src/index.js';
import { drivers, fdCount, KeepAliveClient, makeSite, runtimeOn, type Site } from './harness.js';

const CLIENTS = 100;
const REQUESTS = 20;
const BUDGET_MS = 10_000;
const FILES = ['index.html', 'style.css', 'app.js', 'data.json', 'logo.svg', 'small.txt', 'dir/page.html', 'pic.png'];

async function settleFds(target: number, maxMs = 1000): Promise<number> {
  for (const start = Date.now(); fdCount() !== target && Date.now() - start < maxMs;)
    await new Promise((r) => setTimeout(r, 20));
  return fdCount();
}

describe.each(drivers)('load on %s', (driver) => {
  let site: Site;
  beforeAll(() => {
    site = makeSite();
  });
  afterAll(() => site?.cleanup());

  it(
    `${CLIENTS} keep-alive clients × ${REQUESTS} requests: all 200 with exact bodies, fds back to baseline`,
    async () => {
      const { run } = runtimeOn(driver);
      const handler = await run(staticFiles(site.root));
      // Warm the runtime (its I/O driver's fds open on first use), then take the baseline.
      {
        const warm = await run(HttpServer.bind('127.0.0.1:0', handler));
        const served = run(warm.serve());
        const address = warm.address;
        if (address.family === 'unix') throw new Error('Expected TCP');
        const c = await KeepAliveClient.connect(address.port);
        expect((await c.request('GET', '/small.txt')).status).toBe(200);
        c.destroy();
        warm.shutdown(1000);
        await served;
      }
      const baseline = await settleFds(-1, 200);

      const server = await run(HttpServer.bind('127.0.0.1:0', handler, { backlog: 512 }));
      const address = server.address;
      if (address.family === 'unix') throw new Error('Expected TCP');
      const served = run(server.serve());
      const started = performance.now();
      let ok = 0;
      let peak = 0;
      const failures: string[] = [];
      await Promise.all(
        Array.from({ length: CLIENTS }, async (_, i) => {
          const client = await KeepAliveClient.connect(address.port);
          try {
            peak = Math.max(peak, fdCount());
            for (let r = 0; r < REQUESTS; r++) {
              const name = FILES[(i + r) % FILES.length]!;
              const res = await client.request('GET', '/' + name);
              if (res.status === 200 && res.body.equals(site.files[name]!)) ok++;
              else failures.push(`${name}: ${res.status} (${res.body.length} bytes)`);
            }
          } finally {
            client.destroy();
          }
        }),
      );
      const took = performance.now() - started;
      expect(failures).toEqual([]);
      expect(ok).toBe(CLIENTS * REQUESTS);
      expect(took).toBeLessThan(BUDGET_MS);
      // The check below is not vacuous: the clients' and the server's sockets were open at once.
      expect(peak).toBeGreaterThan(baseline + CLIENTS);

      server.shutdown(1000);
      const report = await served;
      expect(report).toEqual({ accepted: CLIENTS, abandoned: 0 });
      expect(await settleFds(baseline)).toBe(baseline);
    },
    BUDGET_MS + 10_000,
  );
});

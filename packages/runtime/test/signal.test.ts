/**
 * `signal`/`ctrlC` futures on real signals sent to this process, and `main`'s graceful shutdown on SIGTERM in a
 * child process.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fn, race, ready, yieldNow } from '@zokio/future';
import { Runtime, signal } from '@zokio/runtime';

describe('signal()', () => {
  it('completes when the signal arrives, then stops listening', async () => {
    const rt = Runtime.create();
    const before = process.listenerCount('SIGUSR2');
    const handle = rt.spawn(signal('SIGUSR2'));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(process.listenerCount('SIGUSR2')).toBe(before + 1);
    process.kill(process.pid, 'SIGUSR2');
    expect(await handle).toBe('SIGUSR2');
    expect(process.listenerCount('SIGUSR2')).toBe(before);
    await rt.shutdown();
  });

  it('is cancel-safe: a dropped signal future removes its listener', async () => {
    const rt = Runtime.create();
    const before = process.listenerCount('SIGUSR2');
    const winner = await rt.blockOn(
      fn(function* () {
        yield* yieldNow();
        return yield* race([signal('SIGUSR2'), ready('other')]);
      })(),
    );
    expect(winner).toBe('other');
    expect(process.listenerCount('SIGUSR2')).toBe(before);
    await rt.shutdown();
  });

  it('refuses a signal no program can catch', () => {
    expect(() => signal('SIGKILL')).toThrow(/Expected a signal a program can catch .* got the string "SIGKILL"/);
  });
});

describe('main on SIGTERM', () => {
  const script = fileURLToPath(new URL('./fixtures/main-signal.ts', import.meta.url));
  const run = async (args: string[], act: (child: ReturnType<typeof spawn>) => void) => {
    const child = spawn(process.execPath, ['--conditions=@zokio/source', '--import', 'tsx', script, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const first = !output.includes('ready') && (output + chunk).includes('ready');
      output += chunk;
      if (first) act(child);
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    return { code, output };
  };

  it('cancels the body, awaits its clean-up, shuts down, and exits 143', async () => {
    const { code, output } = await run([], (child) => child.kill('SIGTERM'));
    expect(output).toContain('cleaned up');
    expect(code).toBe(143);
  }, 20_000);

  it('two main()s in one process both stop on SIGTERM: neither takes the other for the program', async () => {
    const { code, output } = await run(['--twice'], (child) => setTimeout(() => child.kill('SIGTERM'), 100));
    expect(output).toContain('cleaned up a');
    expect(output).toContain('cleaned up b');
    expect(code).toBe(143);
  }, 20_000);

  it('leaves the signal to a program that listens for it', async () => {
    const { code, output } = await run(['--own-handler'], (child) => {
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGUSR2'), 200);
    });
    expect(output).toContain('the program saw SIGTERM');
    expect(output).toContain('done on SIGUSR2');
    expect(code).toBe(0);
  }, 20_000);
});

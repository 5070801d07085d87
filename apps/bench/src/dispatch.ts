/**
 * How much one dispatch costs: a microtask (`queueMicrotask`) against a macrotask (`setImmediate`), the two ways the
 * scheduler can start a tick. Prints µs per dispatch, median of 5 runs of 200,000 chained dispatches each.
 *
 * Run: `node dist/dispatch.js` in `apps/bench` after a build.
 *
 * @module
 */
export {};

const N = 200_000;

function chain(dispatch: (f: () => void) => void): Promise<number> {
  return new Promise((resolve) => {
    const start = performance.now();
    let n = 0;
    const step = () => (++n < N ? dispatch(step) : resolve(((performance.now() - start) / N) * 1e3));
    dispatch(step);
  });
}

async function medianOf(dispatch: (f: () => void) => void): Promise<number> {
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) runs.push(await chain(dispatch));
  return runs.sort((a, b) => a - b)[2]!;
}

const micro = await medianOf(queueMicrotask);
const macro = await medianOf((f) => setImmediate(f));
console.log(`queueMicrotask: ${micro.toFixed(3)} µs per dispatch`);
console.log(`setImmediate:   ${macro.toFixed(3)} µs per dispatch (${(macro / micro).toFixed(1)}× a microtask)`);

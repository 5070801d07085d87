/**
 * {@link toPrometheus}: a runtime's metrics in Prometheus' text exposition format (version 0.0.4), for a
 * `/metrics` endpoint. Counters end in `_total`; per-worker and per-op-kind series carry a label; the poll-time
 * histogram is a Prometheus histogram in seconds (cumulative buckets, `+Inf`, `_sum`, `_count`).
 *
 * @module
 */
import { expected } from '@zokio/future';
import type { RuntimeMetrics } from './runtime.js';

type Labels = Readonly<Record<string, string>>;

/** Renders `metrics` (from `rt.metrics()`) with every name prefixed by `prefix`. @category Runtime */
export function toPrometheus(metrics: RuntimeMetrics, prefix = 'zokio'): string {
  if (typeof metrics !== 'object' || metrics === null || !Array.isArray(metrics.workers))
    expected('the metrics of a runtime (rt.metrics())', metrics, 'toPrometheus');
  if (typeof prefix !== 'string' || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix))
    expected('a Prometheus metric name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*)', prefix, 'toPrometheus');
  const out: string[] = [];
  const family = (name: string, type: 'counter' | 'gauge' | 'histogram', help: string) => {
    out.push(`# HELP ${prefix}_${name} ${help}`, `# TYPE ${prefix}_${name} ${type}`);
  };
  const sample = (name: string, value: number, labels: Labels = {}) => {
    const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
    out.push(`${prefix}_${name}${pairs.length === 0 ? '' : `{${pairs.join(',')}}`} ${formatValue(value)}`);
  };
  const one = (name: string, type: 'counter' | 'gauge', help: string, value: number) => {
    family(name, type, help);
    sample(name, value);
  };

  one('tasks_spawned_total', 'counter', 'Tasks spawned on the main thread.', metrics.spawned);
  one('tasks_completed_total', 'counter', 'Tasks finished on the main thread.', metrics.completed);
  one('tasks_alive', 'gauge', 'Tasks alive on the main thread.', metrics.alive);
  one('polls_total', 'counter', 'Task polls on the main thread.', metrics.polls);
  one('budget_forced_yields_total', 'counter', 'Polls ended by the coop budget.', metrics.budgetForcedYields);
  one('local_queue_depth', 'gauge', 'Tasks in the local run queue.', metrics.localQueueDepth);
  one('remote_queue_depth', 'gauge', 'Tasks in the remote run queue.', metrics.remoteQueueDepth);
  one('busy_seconds_total', 'counter', 'Time spent polling tasks on the main thread.', metrics.busyTimeMs / 1000);
  one('slow_polls_total', 'counter', 'Polls longer than the slow-poll threshold.', metrics.slowPolls);

  const histogram = metrics.pollTimeHistogram;
  if (histogram !== undefined) {
    family('poll_duration_seconds', 'histogram', 'Task poll durations on the main thread.');
    let cumulative = 0;
    histogram.bucketsUs.forEach((bound, i) => {
      cumulative += histogram.counts[i]!;
      sample('poll_duration_seconds_bucket', cumulative, { le: formatValue(bound / 1e6) });
    });
    cumulative += histogram.counts[histogram.bucketsUs.length]!;
    sample('poll_duration_seconds_bucket', cumulative, { le: '+Inf' });
    sample('poll_duration_seconds_sum', histogram.sumUs / 1e6);
    sample('poll_duration_seconds_count', cumulative);
  }

  if (metrics.workers.length > 0) {
    const perWorker = (
      name: string,
      type: 'counter' | 'gauge',
      help: string,
      pick: (w: RuntimeMetrics['workers'][number]) => number,
    ) => {
      family(name, type, help);
      metrics.workers.forEach((worker, i) => sample(name, pick(worker), { worker: String(i + 1) }));
    };
    one('workers', 'gauge', 'Worker threads of the pool.', metrics.workers.length);
    perWorker('worker_jobs_total', 'counter', 'Jobs a worker started.', (w) => w.jobs);
    perWorker('worker_polls_total', 'counter', 'Task polls on a worker.', (w) => w.polls);
    perWorker('worker_steals_total', 'counter', 'Successful steals by a worker.', (w) => w.steals);
    perWorker('worker_parks_total', 'counter', 'Times a worker parked.', (w) => w.parks);
    perWorker('worker_queue_depth', 'gauge', "Jobs in a worker's deque.", (w) => w.queueDepth);
    perWorker('worker_busy_seconds_total', 'counter', 'Time a worker spent running jobs.', (w) => w.busyTimeMs / 1000);
    one('inject_queue_depth', 'gauge', "Jobs in the pool's inject queue.", metrics.injectQueueDepth);
    one('jobs_in_flight', 'gauge', 'Jobs spawned from the main thread, not finished.', metrics.jobsInFlight);
    one('worker_crashes_total', 'counter', 'Workers that died and were replaced.', metrics.workerCrashes);
  }
  one('blocking_threads', 'gauge', 'Threads of the blocking pool.', metrics.blockingThreads);
  one('blocking_idle_threads', 'gauge', 'Idle threads of the blocking pool.', metrics.blockingIdleThreads);
  one('blocking_queue_depth', 'gauge', 'Calls waiting for a blocking thread.', metrics.blockingQueueDepth);

  const io = metrics.io;
  if (io !== undefined) {
    one('io_ops_in_flight', 'gauge', 'I/O ops submitted, not yet completed.', io.inFlight);
    const kinds = Object.entries(io.byKind);
    family('io_ops_submitted_total', 'counter', 'I/O ops submitted, by kind.');
    for (const [kind, counts] of kinds) sample('io_ops_submitted_total', counts.submitted, { op: kind });
    family('io_ops_completed_total', 'counter', 'I/O ops completed, by kind.');
    for (const [kind, counts] of kinds) sample('io_ops_completed_total', counts.completed, { op: kind });
  }
  const timers = metrics.timers;
  if (timers !== undefined) {
    one('timers_pending', 'gauge', 'Timers waiting in the wheel.', timers.pending);
    one('timers_registered_total', 'counter', 'Timers registered.', timers.registered);
    one('timers_fired_total', 'counter', 'Timers fired.', timers.fired);
  }
  return `${out.join('\n')}\n`;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

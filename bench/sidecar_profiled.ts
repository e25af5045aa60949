// Bench-only launcher (bench/profile.ts): the sidecar's own main, with V8's CPU profiler started and stopped on
// the parent's word over IPC, so the profile holds the measured requests only (not start-up or warm-up). Nothing
// of it is in the product: the sidecar is imported unchanged.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

const session = new Session();
session.connect();
process.on('message', (message) => {
  void (async () => {
    if (message === 'start') {
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: Number(process.env.BENCH_CPU_SAMPLE_US ?? 200) });
      await session.post('Profiler.start');
    } else if (message === 'stop') {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(process.env.BENCH_CPU_PROFILE_FILE!, JSON.stringify(profile));
    }
    process.send!(message);
  })();
});
await import('../sidecar/src/main.js');

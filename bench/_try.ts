import { startServer } from './servers';
import { startLoadGenerator } from '../main/engine/load/controller';
import { epochNow } from '../main/engine/load/feed-tracker';
const s = await startServer('baseline');
const g = await startLoadGenerator({ target: s.url, reportIntervalMs: 250 });
g.onReport((r) => {
  const k = r.kinds['long-poll'];
  if (k.delivery.count)
    console.log(
      Date.now() % 100000,
      'delivery',
      JSON.stringify(k.delivery),
      'rtt',
      JSON.stringify(k.rtt),
      r.generator.warning,
      r.generator.eventLoopP99Ms,
    );
});
await g.command({ type: 'spawn', kind: 'long-poll', count: 500, rampPerS: 0 });
await new Promise((r) => setTimeout(r, 3000));
for (let n = 0; n < 5; n++) {
  const t0 = epochNow();
  const res = await fetch(`${s.url}/feed`, { method: 'POST', body: `{"t":${t0.toFixed(3)},"n":${n},"g":1}` });
  await res.text();
  console.log(Date.now() % 100000, 'publish took', (epochNow() - t0).toFixed(1));
  await new Promise((r) => setTimeout(r, 1500));
}
await g.close();
await s.stop();

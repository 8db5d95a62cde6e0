/**
 * Issue 9's slow-client probe: `npx tsx bench/probes/slow.ts PORT` opens a silent socket, one
 * that stops halfway through its headers and one that stops halfway through its body, and prints
 * when and how the server closes each (gives up after 60 s).
 */
import { connect } from 'node:net';

const port = Number(process.argv[2] ?? 8888);
const started = Date.now();

function probe(name: string, data: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(data));
    let got = '';
    const giveUp = setTimeout(() => socket.destroy(), 60_000);
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (got += c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(giveUp);
      const s = ((Date.now() - started) / 1000).toFixed(1);
      console.log(`${name}: closed after ${s} s ${JSON.stringify(got.split('\r\n')[0] ?? '')}`);
      resolve();
    });
  });
}

await Promise.all([
  probe('silent', ''),
  probe('partial headers', 'GET / HTTP/1.1\r\nHost: x\r\n'),
  probe('partial body', 'POST /feed HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc'),
]);

/**
 * `loopscope serve|load|attach|report …` (npm run serve / load / attach / report). Each command module exports
 * run(argv) → exit code; they are imported on demand so one command never pays for the other's
 * start-up.
 */
const USAGE = 'usage: loopscope <serve|load|attach|report> [flags]   (see --help of each command)';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return (await import('./serve')).run(rest);
    case 'load':
      return (await import('./load')).run(rest);
    case 'attach':
      return (await import('./attach')).run(rest);
    case 'report':
      return (await import('./report')).run(rest);
    default:
      console.error(command === undefined ? USAGE : `unknown command ${JSON.stringify(command)}\n${USAGE}`);
      return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));

export {};

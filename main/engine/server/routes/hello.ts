/** docs/protocol.md §1: Tornado's first example. */
import type { Route } from '../context';

export const helloRoutes: Route[] = [
  { method: 'GET', path: '/', handle: (ex) => ex.text(200, 'Hello, world') },
];

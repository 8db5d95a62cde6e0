/** How the dashboard names each client kind: the one list in common/, also read by the app's notices. */
export { KIND_LABELS } from '../common/kind-labels';

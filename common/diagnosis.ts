/**
 * docs/protocol.md §12, why clients wait: a diagnosis is an episode with one cause, its figures
 * (`evidence`) and what is behind it (`culprit`), open while it lasts (`endedAt` null).
 */
export const DIAGNOSIS_CAUSES = ['loop', 'gc', 'threadpool', 'upstream', 'cpu', 'memory'] as const;
export type DiagnosisCause = (typeof DIAGNOSIS_CAUSES)[number];

export interface Diagnosis {
  type: 'diagnosis';
  id: number;
  /** Epoch ms. */
  startedAt: number;
  endedAt: number | null;
  cause: DiagnosisCause;
  /** One sentence for a person, with the figures. */
  summary: string;
  evidence: Record<string, number | string>;
  culprit: Record<string, number | string>;
}

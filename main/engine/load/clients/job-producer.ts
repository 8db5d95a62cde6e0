/**
 * job-producer: POSTs {"count", "workMs"} to /jobs, as spawned clients (every intervalMs) or as the
 * jobRate sender. The default (waiting) mode is used, so queue back-pressure shows up as latency.
 */
import type { KindOptions } from '../../../../common/load';
import { RequestKind, type RequestSpec } from '../request-kind';
import type { Target } from '../target';

interface JobShape {
  count: number;
  workMs: number;
}

export class JobProducerKind extends RequestKind {
  private userJobs: JobShape = { count: 1, workMs: 0 };
  private rateJobs: JobShape = { count: 1, workMs: 0 };

  constructor(target: Target) {
    super('job-producer', target);
  }

  configure(options: KindOptions): void {
    if (options.intervalMs !== undefined) this.intervalMs = Math.max(1, options.intervalMs);
    if (options.jobsPerRequest !== undefined)
      this.userJobs = { ...this.userJobs, count: options.jobsPerRequest };
    if (options.workMs !== undefined) this.userJobs = { ...this.userJobs, workMs: options.workMs };
  }

  setJobRate(perS: number, jobsPerRequest: number, workMs: number): void {
    this.rateJobs = { count: jobsPerRequest, workMs };
    this.setRate(perS);
  }

  protected request(rate: boolean): RequestSpec {
    const jobs = rate ? this.rateJobs : this.userJobs;
    return {
      method: 'POST',
      path: '/jobs',
      body: JSON.stringify(jobs),
      contentType: 'application/json',
      expectStatus: 202,
    };
  }
}

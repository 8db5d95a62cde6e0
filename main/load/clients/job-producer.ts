/**
 * job-producer: POSTs {"count", "workMs"} to /jobs, as spawned clients (every intervalMs) or as the
 * jobRate sender. The default (waiting) mode is used, so queue back-pressure shows up as latency.
 */
import type { KindOptions } from '../../../common/load';
import { RequestKind } from '../request-kind';
import type { Target } from '../target';

interface JobShape {
  count: number;
  workMs: number;
}

/** The jobRate sender in force (perS 0: none). */
export interface JobRate {
  perS: number;
  jobsPerRequest: number;
  workMs: number;
}

export class JobProducerKind extends RequestKind {
  private userJobs: JobShape = { count: 1, workMs: 0 };
  private rateJobs: JobShape = { count: 1, workMs: 0 };

  constructor(target: Target, connectTimeoutMs: number) {
    super('job-producer', target, connectTimeoutMs);
    this.expectStatus = 202;
  }

  configure(options: KindOptions): void {
    this.configureCommon(options);
    if (options.jobsPerRequest !== undefined)
      this.userJobs = { ...this.userJobs, count: options.jobsPerRequest };
    if (options.workMs !== undefined) this.userJobs = { ...this.userJobs, workMs: options.workMs };
  }

  setJobRate(perS: number, jobsPerRequest: number, workMs: number): void {
    this.rateJobs = { count: jobsPerRequest, workMs };
    this.setRate(perS);
  }

  jobRate(): JobRate {
    return { perS: this.ratePerS(), jobsPerRequest: this.rateJobs.count, workMs: this.rateJobs.workMs };
  }

  protected request(rate: boolean): string {
    return this.build(
      'POST',
      '/jobs',
      JSON.stringify(rate ? this.rateJobs : this.userJobs),
      'application/json',
    );
  }
}

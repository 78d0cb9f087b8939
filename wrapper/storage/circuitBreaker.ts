// Keeps a failing remote from costing every compile a timeout: after `threshold` consecutive
// failures the circuit opens and the tier is skipped for `cooldownMs`; then one request is let
// through (half-open) and its outcome closes the circuit or opens it again.

export type CircuitState = 'closed' | 'open' | 'half-open';

export class CircuitBreaker {
  private consecutiveFailures = 0;
  private openedAt: number | undefined;
  private trialRunning = false;

  constructor(
    private readonly threshold: number,
    private readonly cooldownMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): CircuitState {
    if (this.openedAt === undefined) return 'closed';
    return this.now() - this.openedAt >= this.cooldownMs ? 'half-open' : 'open';
  }

  /** Whether a request may go to the tier now; in half-open state only one at a time. */
  allow(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.trialRunning) return false;
    this.trialRunning = true;
    return true;
  }

  succeeded(): void {
    this.consecutiveFailures = 0;
    this.openedAt = undefined;
    this.trialRunning = false;
  }

  /** Records a failure; returns true when this failure opened the circuit. */
  failed(): boolean {
    this.consecutiveFailures++;
    const wasTrial = this.trialRunning;
    this.trialRunning = false;
    if (wasTrial || (this.openedAt === undefined && this.consecutiveFailures >= this.threshold)) {
      this.openedAt = this.now();
      return true;
    }
    return false;
  }
}

/**
 * Issue 21's budget per scenario, checked on every run: reads at ≥ 0.80 of BASE's req/s with APP's CPU per request
 * at most 1.25× BASE's, writes at ≥ 0.85, and everywhere a p99 no more than 1.5× BASE's. A figure is measured
 * against its target and every miss is named, so a change that breaks the budget shows in the run that made it.
 */
export interface Budget {
  kind: 'read' | 'write';
  /** Minimum APP/BASE req/s (median of the paired rounds). */
  minRpsRatio: number;
  /** Maximum APP/BASE CPU µs per request (reads only). */
  maxCpuRatio?: number;
  /** Maximum APP p99 / BASE p99. */
  maxP99Ratio: number;
}

export interface BudgetCheck extends Budget {
  rpsRatio?: number;
  cpuRatio?: number;
  p99Ratio?: number;
  /** What misses its target, e.g. "req/s 0.72 < 0.80"; empty when all is met. */
  misses: string[];
}

const WRITES = new Set(['W1', 'W1h', 'W1k', 'W2', 'W3']);

export function budgetOf(scenarioId: string): Budget {
  return WRITES.has(scenarioId) ? { kind: 'write', minRpsRatio: 0.85, maxP99Ratio: 1.5 } : { kind: 'read', minRpsRatio: 0.8, maxCpuRatio: 1.25, maxP99Ratio: 1.5 };
}

interface Figures {
  rpsRatio?: number;
  app?: { p99Ms: number; cpuUsPerRequest?: number };
  base?: { p99Ms: number; cpuUsPerRequest?: number };
}

export function checkBudget(scenarioId: string, figures: Figures): BudgetCheck | undefined {
  if (figures.rpsRatio === undefined || !figures.app || !figures.base) return undefined;
  const budget = budgetOf(scenarioId);
  const cpuRatio = figures.app.cpuUsPerRequest && figures.base.cpuUsPerRequest ? figures.app.cpuUsPerRequest / figures.base.cpuUsPerRequest : undefined;
  const p99Ratio = figures.base.p99Ms > 0 ? figures.app.p99Ms / figures.base.p99Ms : undefined;
  const misses: string[] = [];
  if (figures.rpsRatio < budget.minRpsRatio) misses.push(`req/s ${figures.rpsRatio.toFixed(2)} < ${budget.minRpsRatio.toFixed(2)}`);
  if (budget.maxCpuRatio !== undefined && cpuRatio !== undefined && cpuRatio > budget.maxCpuRatio) misses.push(`CPU ${cpuRatio.toFixed(2)}× > ${budget.maxCpuRatio.toFixed(2)}×`);
  if (p99Ratio !== undefined && p99Ratio > budget.maxP99Ratio) misses.push(`p99 ${p99Ratio.toFixed(2)}× > ${budget.maxP99Ratio.toFixed(1)}×`);
  return { ...budget, rpsRatio: figures.rpsRatio, cpuRatio, p99Ratio, misses };
}

export function budgetText(check: BudgetCheck | undefined): string {
  if (!check) return 'n/a';
  return check.misses.length === 0 ? 'met' : `**missed**: ${check.misses.join(', ')}`;
}

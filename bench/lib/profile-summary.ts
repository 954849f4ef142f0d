/**
 * A CPU profile (V8's .cpuprofile, from --profile) reduced to what a reader needs first: where the process spent
 * its time per request, by package and by function (self time), with the idle time left out.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileRow {
  name: string;
  /** Self time per request, µs. */
  usPerRequest: number;
  /** Share of the busy (non-idle) time. */
  share: number;
}

export interface ProfileSummary {
  requests: number;
  /** Busy time per request in µs (everything but V8's "(idle)"). */
  busyUsPerRequest: number;
  packages: ProfileRow[];
  functions: ProfileRow[];
}

/** node_modules/<package> (scoped too); node:… internals; the service's and the baseline's own code; V8's pseudo-frames. */
export function packageOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : `(native) ${functionName || 'anonymous'}`;
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match && match[1] !== '.cache') return match[1];
  if (url.startsWith('node:')) return 'node (internals)';
  return '(own code)';
}

function location(frame: ProfileNode['callFrame']): string {
  const file = frame.url.includes('node_modules/') ? frame.url.replace(/^.*node_modules\//, '') : frame.url.replace(/^.*\/(dist|bench)\//, '$1/');
  return file ? `${file}:${frame.lineNumber + 1}` : '';
}

export function summarizeProfile(profile: CpuProfile, requests: number, top = 20): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const packages = new Map<string, number>();
  const functions = new Map<string, number>();
  let busy = 0;
  for (const [id, micros] of self) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') continue;
    busy += micros;
    const pkg = packageOf(frame);
    packages.set(pkg, (packages.get(pkg) ?? 0) + micros);
    const name = `${frame.functionName || '(anonymous)'} ${location(frame)}`.trim();
    functions.set(name, (functions.get(name) ?? 0) + micros);
  }
  const rows = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => ({ name, usPerRequest: micros / Math.max(1, requests), share: busy > 0 ? micros / busy : 0 }));
  return { requests, busyUsPerRequest: busy / Math.max(1, requests), packages: rows(packages), functions: rows(functions) };
}

export function readProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
}

export function profileMarkdown(title: string, summary: ProfileSummary): string {
  const table = (heading: string, rows: ProfileRow[]) => [
    `| ${heading} | µs/request | share |`,
    '|---|---:|---:|',
    ...rows.map((r) => `| ${r.name.replace(/\|/g, '\\|')} | ${r.usPerRequest.toFixed(1)} | ${(r.share * 100).toFixed(1)} % |`),
  ];
  return [
    `### ${title}`,
    '',
    `${summary.requests} requests; busy ${summary.busyUsPerRequest.toFixed(0)} µs per request (self time of every sampled frame but idle; ` +
      'a sampled profile counts time spent waiting in a system call, so it reads higher than the process CPU time).',
    '',
    ...table('Package (self time)', summary.packages.slice(0, 12)),
    '',
    ...table('Function (self time)', summary.functions),
    '',
  ].join('\n');
}

/** Where the health routes live (HealthController's `@Controller('health')`). */
const HEALTH_PATH = '/health';

/**
 * Whether a path (or a matched route pattern) is a health route. Load balancers poll them every few
 * seconds, so their request lines are debug, and they keep answering while the HTTP side drains.
 */
export function isHealthRoute(path: string | null): boolean {
  return path !== null && (path === HEALTH_PATH || path.startsWith(`${HEALTH_PATH}/`));
}

import { ensureAdmin, verifyPassword } from '@app/users';
import { type AppProcess, runAppScript, startAppProcess } from './support/app-process';
import { ApiClient } from './support/http';
import { TestApp, signIn, signUp, signUpAdmin, startTestApp, uniqueEmail } from './support/test-app';

const OPERATOR_PASSWORD = 'the operator chose this one';
const STRANGER_PASSWORD = 'the stranger chose this one';

interface LoginBody {
  access_token: string;
}

/** A logger that keeps what ensureAdmin says. */
function capturingLogger(): { lines: string[]; logger: { log(message: string): void; warn(message: string): void } } {
  const lines: string[] = [];
  return { lines, logger: { log: (message: string) => lines.push(`log ${message}`), warn: (message: string) => lines.push(`warn ${message}`) } };
}

describe('admin bootstrap (ADMIN_EMAIL / ADMIN_PASSWORD, npm run admin:create)', () => {
  let testApp: TestApp;
  const reservedEmail = uniqueEmail('reserved-admin');
  const databaseUrl = () => process.env.TEST_DATABASE_URL as string;

  beforeAll(async () => {
    // Configured with an admin address that no account has yet: what a fresh install (or one whose
    // database was down at startup) looks like until the admin is created.
    testApp = await startTestApp({ ADMIN_EMAIL: reservedEmail, ADMIN_PASSWORD: OPERATOR_PASSWORD });
  });
  afterAll(() => testApp.close());

  const account = (email: string) => testApp.prisma.user.findUniqueOrThrow({ where: { email }, select: { id: true, role: true, active: true, passwordHash: true, tokenVersion: true } });

  describe('a stranger registers the address first, then the operator starts the service with it', () => {
    let service: AppProcess | undefined;
    afterAll(() => service?.stop());

    it('the account is not promoted: the stranger is no admin, the operator password opens nothing, one warning says why', async () => {
      const email = uniqueEmail('corp-admin');
      expect((await testApp.api.post('/auth/register', { email, password: STRANGER_PASSWORD })).status).toBe(201);
      const before = await account(email);

      service = await startAppProcess({ databaseUrl: databaseUrl(), env: { ADMIN_EMAIL: email.toUpperCase(), ADMIN_PASSWORD: OPERATOR_PASSWORD } });
      const api = new ApiClient(service.baseUrl);

      const stranger = await api.post<LoginBody>('/auth/login', { email, password: STRANGER_PASSWORD });
      expect(stranger.status).toBe(200);
      const asStranger = api.as(stranger.body.access_token);
      expect((await asStranger.get('/auth/me')).body).toMatchObject({ email, role: 'USER' });
      expect((await asStranger.get('/admin/users')).status).toBe(403);
      expect((await api.post('/auth/login', { email, password: OPERATOR_PASSWORD })).status).toBe(401);

      // Nothing about the account changed: role, activity, password, token version.
      expect(await account(email)).toEqual(before);

      const warnings = service
        .output()
        .split('\n')
        .filter((line) => line.includes(`ADMIN_EMAIL ${email}`));
      expect(warnings).toHaveLength(1);
      const warning = JSON.parse(warnings[0]) as { level: number; msg: string };
      expect(warning.level).toBe('warn');
      expect(warning.msg).toContain('an existing account that is not an admin');
      expect(warning.msg).toContain('--promote-existing');
    });
  });

  it('with no such account, ADMIN_EMAIL creates it as an active admin with ADMIN_PASSWORD', async () => {
    const email = uniqueEmail('fresh-admin');
    expect(await ensureAdmin(testApp.prisma, email, OPERATOR_PASSWORD, { logger: capturingLogger().logger })).toBe('created');
    const login = await testApp.api.post<LoginBody>('/auth/login', { email, password: OPERATOR_PASSWORD });
    expect(login.status).toBe(200);
    expect((await testApp.api.as(login.body.access_token).get('/admin/users')).status).toBe(200);
    // A second start changes nothing, and never the password.
    expect(await ensureAdmin(testApp.prisma, email, 'another password entirely', { logger: capturingLogger().logger })).toBe('unchanged');
    expect(await verifyPassword((await account(email)).passwordHash, OPERATOR_PASSWORD)).toBe(true);
  });

  it('a restart does not reactivate an admin another admin deactivated (after a compromise)', async () => {
    const admin = await signUpAdmin(testApp);
    const compromised = await signUpAdmin(testApp);
    expect((await admin.api.patch(`/admin/users/${compromised.id}`, { active: false })).status).toBe(200);

    const { lines, logger } = capturingLogger();
    expect(await ensureAdmin(testApp.prisma, compromised.email, compromised.password, { logger })).toBe('refused');
    expect(await account(compromised.email)).toMatchObject({ role: 'ADMIN', active: false });
    expect(lines).toEqual([expect.stringMatching(/^warn ADMIN_EMAIL .* belongs to a deactivated admin account/)]);
    expect((await testApp.api.post('/auth/login', { email: compromised.email, password: compromised.password })).status).toBe(401);
  });

  it('POST /auth/register refuses the configured admin address, in any case, before the admin exists: 409, nothing created', async () => {
    const taken = await testApp.api.post('/auth/register', { email: ` ${reservedEmail.toUpperCase()} `, password: STRANGER_PASSWORD });
    expect(taken.status).toBe(409);
    expect(taken.body).toEqual({ message: 'An account with this email already exists' });
    expect(await testApp.prisma.user.count({ where: { email: reservedEmail } })).toBe(0);
    // Any other address still registers.
    expect((await testApp.api.post('/auth/register', { email: uniqueEmail(), password: STRANGER_PASSWORD })).status).toBe(201);
  });

  it('npm run admin:create refuses an existing account (exit 1) and promotes it only with --promote-existing, keeping its password', async () => {
    const colleague = await signUp(testApp, 'colleague');
    const script = 'apps/api/src/cli/admin-create.ts';
    const env = { DATABASE_URL: databaseUrl() };

    const refused = await runAppScript(script, ['--email', colleague.email, '--password', OPERATOR_PASSWORD], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${colleague.email}: refused`);
    expect(await account(colleague.email)).toMatchObject({ role: 'USER', active: true });

    const promoted = await runAppScript(script, ['--email', colleague.email, '--promote-existing'], env);
    expect(promoted.code).toBe(0);
    expect(promoted.stdout).toBe(`${colleague.email}: promoted\n`);
    expect(await account(colleague.email)).toMatchObject({ role: 'ADMIN', active: true });

    // Its own password, a new sign-in with the admin role; the tokens from before the promotion are spent.
    expect((await colleague.api.get('/auth/me')).status).toBe(401);
    expect((await testApp.api.post('/auth/refresh', { refresh_token: colleague.refreshToken })).status).toBe(401);
    const again = await signIn(testApp, colleague.email, colleague.password, colleague.id);
    expect((await again.api.get('/admin/users')).status).toBe(200);

    const unchanged = await runAppScript(script, ['--email', colleague.email, '--password', OPERATOR_PASSWORD], env);
    expect(unchanged.code).toBe(0);
    expect(unchanged.stdout).toBe(`${colleague.email}: unchanged\n`);
  }, 180_000); // three runs of the CLI, each a process to compile and start: slow on a loaded machine
});

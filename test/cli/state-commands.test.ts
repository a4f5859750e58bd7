/**
 * The commands that read and write the poller's state table, end to end: `silence add` before
 * a run of the real handler (`npm start`, same table over dynalite), which honours it; `status`
 * and `explain` reading what the run left; `silence expire`; a failing poller in `status`.
 */
import { runRecordOf } from '../../functions/core/health/run-log';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDbStateStore } from '../../functions/adapters/dynamodb/dynamodb-state-store';
import { startPlivoSandbox } from '../../sandbox/plivo-sandbox';
import {
  ACCOUNT_KEY,
  DAY_MS,
  HOUR_MS,
  observeLateness,
  toStored,
} from '../../functions/core/traffic/traffic-state';
import { demoTraffic } from '../../sandbox/traffic';
import { localRun } from '../../scripts/local-run';
import { NO_ACCOUNTS, runCommand } from '../support/cli';
import { type Dynalite, makeTestTable, startDynalite } from '../support/dynalite';
import { tempDir } from '../support/temp-dir';
import { learntTraffic } from '../support/traffic';

const dir = tempDir('zentrunk-cli-state-');
// One alert per bad call (schema defaults) and the whole request budget, so runs are quick.
const config = join(dir, 'per-call.json');
writeFileSync(config, JSON.stringify({ plivo: { maxRequestsPer5s: 300 } }));

let dynamo: Dynalite;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.close();
});

/** The environment of an operator pointing the CLI (and npm start) at a table. */
async function tableEnv(): Promise<NodeJS.ProcessEnv> {
  const table = await makeTestTable(dynamo.endpoint);
  table.client.destroy();
  return {
    ...NO_ACCOUNTS,
    STATE_TABLE_NAME: table.tableName,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  };
}

const hangupCall = () => {
  const call = demoTraffic(new Date()).find((c) => c.scenario === 'zentrunk-hangup');
  if (!call) throw new Error('the demo traffic has no zentrunk-hangup call');
  return call.callUuid;
};

describe('silence, status and explain against the state table', () => {
  it('a silence added with the CLI mutes the next run; status and explain show it; expire ends it', async () => {
    const env = await tableEnv();
    const cli = (argv: string[]) => runCommand(argv, { env });

    // Before any run: nothing to report, and nothing wrong either.
    const empty = await cli(['status', '--config', config]);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toContain('poller    no run has reported yet');
    expect(empty.stdout).toContain('cursor    none yet');

    const added = await cli([
      'silence',
      'add',
      '--matcher',
      'rule=zentrunk-hangup',
      '--for',
      '2h',
      '--comment',
      'carrier maintenance CHG-1234',
      '--author',
      'alice',
    ]);
    expect(added.code).toBe(0);
    const id = /^Silence (s-[0-9a-f]{8}) added to table /m.exec(added.stdout)?.[1];
    expect(id).toBeDefined();
    expect(added.stdout).toContain('  mutes   rule=zentrunk-hangup');
    expect(added.stdout).toMatch(/ {2}until {3}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(2 h\)/);
    expect(added.stdout).toContain('  by      alice: carrier maintenance CHG-1234');

    const listed = await cli(['silence', 'list', '--config', config]);
    expect(listed.code).toBe(0);
    const [header, row] = listed.stdout.split('\n');
    expect(header).toMatch(/^ID +STATUS +MATCHERS +STARTS +ENDS +BY +COMMENT$/);
    // Aligned: every cell starts under its heading.
    for (const [heading, cell] of [
      ['STATUS', 'active'],
      ['MATCHERS', 'rule='],
      ['BY', 'alice'],
      ['COMMENT', 'carrier'],
    ] as const) {
      expect(row?.indexOf(cell)).toBe(header?.indexOf(heading));
    }
    expect(row).toMatch(
      new RegExp(`^${id} {2}active {2}rule=zentrunk-hangup {2}.* {2}alice {2}carrier maintenance CHG-1234$`),
    );

    // The poller (npm start, the real handler) on the same table, from its next run.
    const out: string[] = [];
    const run = await localRun({
      argv: ['--once', '--json', '--config', config],
      env,
      out: (t) => out.push(t),
      err: () => {},
    });
    const summary = run.summaries[0];
    // Every zentrunk-hangup the demo traffic holds was silenced (however many it holds).
    const hangups = demoTraffic(new Date()).filter((c) =>
      c.expectedAlerts.includes('zentrunk-hangup'),
    ).length;
    expect(hangups).toBeGreaterThan(0);
    expect(summary?.alertsSilencedByRule).toEqual({ 'zentrunk-hangup': hangups });
    const sentRules = out.map(
      (line) => (JSON.parse(line) as { attributes: { rule: string } }).attributes.rule,
    );
    expect(sentRules).not.toContain('zentrunk-hangup');
    expect(sentRules).toContain('packet-loss');

    const status = await cli(['status', '--config', config]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('poller    healthy');
    expect(status.stdout).toMatch(/cursor {4}calls that ended before .* UTC are done; \d+ s behind/);
    const runRow = status.stdout.split('\n').find((line) => / completed /.test(line));
    expect(runRow).toMatch(
      new RegExp(
        `completed +${summary?.callsSeen} +${summary?.findings} +${summary?.alertsPublished} +2 +2 +\\d+\\.\\d s$`,
      ),
    );
    expect(status.stdout).toMatch(
      new RegExp(
        `Active silences\\n.*\\n  ${id} +state table +rule=zentrunk-hangup +.*alice +carrier maintenance CHG-1234`,
      ),
    );
    expect(status.stdout).toContain('Last errors\n  none in the last 1 run(s)');
    const json = JSON.parse((await cli(['status', '--json', '--config', config])).stdout);
    expect(json).toMatchObject({ healthy: true, runs: [{ status: 'completed', alertsSilenced: 2 }] });
    // The run counted every call into its trunk and the account: the traffic rules are learning.
    expect(status.stdout).toMatch(
      /^Traffic {2}settle time 15 min \(trafficRules\.settle\.maxMinutes: 100 calls are needed to measure it, \d+ recent ones seen\)\n {2}WHERE +HISTORY +TRAFFIC-DROP \(LAST SETTLED WINDOW\) +FIRING, OR NOT JUDGED YET$/m,
    );
    expect(status.stdout).toMatch(
      /^ {2}account +(under 1 h|1 h) +learning: less than a day of history +traffic-surge, spend: learning: less than a week of history for this hour \(no hourly cap set\)$/m,
    );
    expect(status.stdout).toMatch(
      /^ {2}acme\.zt\.plivo\.com +(under 1 h|1 h) +learning: less than a day of history +traffic-surge, spend: .*; new-destination: learning the countries called: 0\.0 of 7 days of history$/m,
    );
    expect(json.traffic).toMatchObject({ settle: { seconds: 900, measured: false } });
    expect(json.traffic.trunks[0]).toMatchObject({
      key: '*',
      account: true,
      rules: [
        {
          rule: 'traffic-drop',
          state: 'unjudged',
          note: 'learning: less than a day of history',
          firing: false,
        },
        { rule: 'traffic-surge', state: 'unjudged' },
        { rule: 'spend', state: 'unjudged' },
      ],
    });
    expect(json.traffic.trunks.map((t: { key: string }) => t.key)).toContain('acme.zt.plivo.com');

    // explain: the verdict, the silence in force, and the dedup record the run left.
    const explained = await cli(['explain', hangupCall(), '--config', config]);
    expect(explained.code).toBe(0);
    expect(explained.stdout).toMatch(
      /^zentrunk-hangup +FIRES critical +3020 rtp_timeout by zentrunk +by zentrunk, not 3000\/3010\/4410\/4340\/4550 +hung up by Zentrunk: 3020 rtp_timeout$/m,
    );
    expect(explained.stdout).toMatch(
      /^low-quality-score +quiet +\d\.\d +< 3, critical < 2 +\d\.\d is not below 3$/m,
    );
    expect(explained.stdout).toContain('the poller has judged this call');
    // The traffic rules on its trunk: each learning, and what it needs before it can fire.
    expect(explained.stdout).toMatch(
      /^Traffic rules \(they judge trunk acme\.zt\.plivo\.com's calls against its baseline\) {2}history (under 1 h|1 h); settle time 15 min/m,
    );
    expect(explained.stdout).toMatch(
      /^traffic-drop +learning: less than a day of history +a day of history \(then the lower of/m,
    );
    expect(explained.stdout).toMatch(
      /^new-destination +learning the countries called: 0\.0 of 7 days of history +minHistoryDays \(7\) days of the trunk's history/m,
    );
    expect(explained.stdout).toMatch(
      new RegExp(
        `zentrunk-hangup: muted by silence ${id} until .* UTC; recorded at .* UTC, not sent: silenced by ${id}`,
      ),
    );

    const expired = await cli(['silence', 'expire', id as string, '--author', 'bob']);
    expect(expired.code).toBe(0);
    expect(expired.stdout).toMatch(
      new RegExp(`^Silence ${id} expired at .* UTC by bob \\(rule=zentrunk-hangup\\)\\.`),
    );
    expect((await cli(['silence', 'list', '--config', config])).stdout).toMatch(
      /^No active or pending silences/,
    );
    const all = JSON.parse(
      (await cli(['silence', 'list', '--expired', '--json', '--config', config])).stdout,
    );
    expect(all.silences).toEqual([
      expect.objectContaining({ id, status: 'expired', createdBy: 'alice', expiredBy: 'bob' }),
    ]);
    const again = await cli(['silence', 'expire', 's-00000000', '--author', 'bob']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('error: no silence s-00000000 in table');
  });

  it('silence add refuses what the schema refuses, and asks for what is missing', async () => {
    const env = await tableEnv();
    const add = (...args: string[]) => runCommand(['silence', 'add', ...args], { env });
    const country = await add('--matcher', 'country=germany', '--for', '1h', '--comment', 'x');
    expect(country.code).toBe(2);
    expect(country.stderr).toContain(
      'matchers.countries[0]: must be an ISO 3166-1 alpha-2 country code in upper case',
    );
    expect((await add('--matcher', 'colour=red', '--for', '1h', '--comment', 'x')).stderr).toContain(
      'is not name=value with name one of rule, severity, trunk, country, direction',
    );
    expect((await add('--matcher', 'rule=packet-loss', '--comment', 'x')).stderr).toContain(
      'give how long: --for 2h',
    );
    expect((await add('--matcher', 'rule=packet-loss', '--for', '1h')).stderr).toContain('give --comment');
    expect((await add('--matcher', 'rule=packet-loss', '--for', 'soon', '--comment', 'x')).stderr).toContain(
      '--for must be a duration like 30m, 2h, 1d or 1h30m',
    );
    const anonymous = await runCommand(
      ['silence', 'add', '--matcher', 'rule=packet-loss', '--for', '1h', '--comment', 'x'],
      {
        env: { ...env, USER: undefined },
      },
    );
    expect(anonymous.code).toBe(2);
    expect(anonymous.stderr).toContain('who is silencing? give --author NAME');
  });

  it('silence add refuses operators it does not implement and silences longer than the maximum, as usage errors', async () => {
    const env = await tableEnv();
    const add = (...args: string[]) =>
      runCommand(['silence', 'add', ...args, '--comment', 'x', '--author', 'a', '--config', config], { env });
    for (const matcher of ['trunk=~.*acme.*', 'trunk!=acme.zt.plivo.com', 'trunk!~acme']) {
      const refused = await add('--matcher', matcher, '--for', '1h');
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(
        /the operator (=~|!=|!~) is not supported; a matcher is name=value, exact values only/,
      );
    }
    const tooLong = await add('--matcher', 'rule=high-rtt', '--for', '31d');
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toContain('a silence may last at most 30 days (notifications.maxSilenceDays in');
    const huge = await add('--matcher', 'rule=high-rtt', '--for', '99999999999999999999w');
    expect(huge.code).toBe(2);
    expect(huge.stderr).toContain('a silence may last at most 30 days');
    expect(huge.stderr).not.toContain('RangeError');
    const farUntil = await add('--matcher', 'rule=high-rtt', '--until', '2099-01-01');
    expect(farUntil.code).toBe(2);
    expect(farUntil.stderr).toContain('a silence may last at most 30 days');
    // Nothing was stored; a silence within the maximum still is.
    expect((await add('--matcher', 'rule=high-rtt', '--for', '30d')).code).toBe(0);
    const listed = await runCommand(['silence', 'list', '--json', '--config', config], { env });
    expect(JSON.parse(listed.stdout).silences).toHaveLength(1);
  });

  it('status exits 1 and shows the error when the poller is failing', async () => {
    const env = await tableEnv();
    // A Plivo that refuses the poller's credentials.
    const sandbox = await startPlivoSandbox({
      authId: 'MAOTHERACCOUNT00000001',
      authToken: 'other',
      calls: [],
    });
    try {
      const run = await localRun({
        argv: ['--once', '--config', config],
        env: {
          ...env,
          PLIVO_API_BASE_URL: sandbox.baseUrl,
          PLIVO_AUTH_ID: 'MAWRONG000000000000001',
          PLIVO_AUTH_TOKEN: 'wrong',
        },
        out: () => {},
      });
      expect(run.failures).toBe(1);
    } finally {
      await sandbox.close();
    }
    const status = await runCommand(['status', '--config', config], { env });
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(
      /poller {4}FAILING since .* UTC \(1 run in a row\): plivo-credentials-rejected/,
    );
    expect(status.stdout).toMatch(/ +failed +0 +0 +0 +0 +0 +\d+\.\d s/);
    expect(status.stdout).toMatch(
      /Last errors\n {2}WHEN +KIND +REASON\n {2}.* UTC {2}plivo-credentials-rejected {2}Plivo/,
    );
    expect(status.stdout).not.toContain('wrong');
  });

  it('status lists the notices SNS refused for good, with the reason', async () => {
    const env = await tableEnv();
    const table = new DynamoDbStateStore({
      tableName: env.STATE_TABLE_NAME as string,
      client: DynamoDBDocumentClient.from(
        new DynamoDBClient({
          endpoint: dynamo.endpoint,
          region: 'us-east-1',
          credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        }),
      ),
    });
    await table.deadLetterAlert('zentrunk-alerts:high-rtt#c1', {
      subject: '[zentrunk WARNING] high-rtt: RTT 420 ms | acme.zt.plivo.com',
      reason: 'InvalidParameterException: Invalid parameter: Message too long',
      rejections: 3,
      nowMs: Date.now(),
      expiresAtSec: Math.floor(Date.now() / 1000) + 3600,
    });
    const status = await runCommand(['status', '--config', config], { env });
    expect(status.stdout).toMatch(
      /Dead letters.*\n {2}SET ASIDE +NOTICE +REASON\n {2}.* UTC {2}\[zentrunk WARNING\] high-rtt: RTT 420 ms .* InvalidParameterException/,
    );
    const json = JSON.parse((await runCommand(['status', '--json', '--config', config], { env })).stdout);
    expect(json.deadLetters).toEqual([
      expect.objectContaining({ key: 'zentrunk-alerts:high-rtt#c1', rejections: 3, reported: false }),
    ]);
  });

  it("status and explain show where each trunk's traffic baseline stands: history, the last settled window, rules firing or learning", async () => {
    const env = await tableEnv();
    const table = new DynamoDbStateStore({
      tableName: env.STATE_TABLE_NAME as string,
      client: DynamoDBDocumentClient.from(
        new DynamoDBClient({
          endpoint: dynamo.endpoint,
          region: 'us-east-1',
          credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        }),
        { marshallOptions: { removeUndefinedValues: true } },
      ),
    });
    // Monday 10:32 UTC after a week of 120 calls an hour; the call's trunk has had none since
    // 10:00 and its traffic-drop fired at 10:20; another trunk was first seen 5 hours ago.
    const T0 = Date.parse('2026-11-02T00:00:00.000Z');
    const nowMs = T0 + 7 * DAY_MS + 10 * HOUR_MS + 32 * 60_000;
    const call = demoTraffic(new Date(nowMs)).find((c) => c.scenario === 'zentrunk-hangup');
    const trunk = call?.trunkDomain as string;
    const acme = learntTraffic(trunk, T0, T0 + 7 * DAY_MS + 10 * HOUR_MS, 120);
    const account = learntTraffic(ACCOUNT_KEY, T0, T0 + 7 * DAY_MS + 10 * HOUR_MS, 120);
    const young = learntTraffic(
      'globex.zt.plivo.com',
      nowMs - 5 * HOUR_MS - 32 * 60_000,
      nowMs - 32 * 60_000,
      10,
    );
    const since = new Date(nowMs - 12 * 60_000).toISOString();
    const items = [
      {
        ...acme.hot,
        incidents: {
          'traffic-drop': {
            firing: true,
            since,
            episode: 1,
            notices: 1,
            updates: 0,
            peak: 0,
            lastNotifiedAt: since,
          },
        },
      },
      acme.profile,
      // Calls listed a minute after they ended: a settle time of 2 minutes (its minimum).
      observeLateness(account.hot, new Array(150).fill(60_000), nowMs),
      account.profile,
      young.hot,
      young.profile,
    ];
    for (const item of items)
      await table.saveTraffic(toStored(item), Math.floor(Date.now() / 1000) + 400 * 86_400);
    await table.saveCursor(new Date(nowMs - 15_000).toISOString(), null);
    const cli = (argv: string[], options: { env?: NodeJS.ProcessEnv } = {}) =>
      runCommand([...argv, '--config', config], { env: options.env ?? env, now: () => new Date(nowMs) });

    const status = await cli(['status']);
    expect(status.code).toBe(0);
    const traffic = status.stdout.slice(
      status.stdout.indexOf('\nTraffic '),
      status.stdout.indexOf('\nActive silences'),
    );
    expect(traffic.split('\n').filter((line) => line !== '')).toEqual([
      'Traffic  settle time 2 min, measured from how late 150 recent calls were listed',
      expect.stringMatching(
        /^ {2}WHERE +HISTORY +TRAFFIC-DROP \(LAST SETTLED WINDOW\) +FIRING, OR NOT JUDGED YET$/,
      ),
      expect.stringMatching(
        /^ {2}account +7\.4 d +0 calls in the settled 15 minutes to 10:30 UTC, 30 expected \(weekly baseline\) +traffic-drop breaching, not firing yet$/,
      ),
      expect.stringMatching(
        /^ {2}acme\.zt\.plivo\.com +7\.4 d +0 calls in the settled 15 minutes to 10:30 UTC, 30 expected \(weekly baseline\) +traffic-drop FIRING since 2026-11-09 10:20:00 UTC$/,
      ),
      expect.stringMatching(
        /^ {2}globex\.zt\.plivo\.com +5 h +learning: less than a day of history +traffic-surge, spend: learning: less than a week of history for this hour \(no hourly cap set\); new-destination: learning the countries called: 0\.2 of 7 days of history$/,
      ),
    ]);
    // The firing incident is one of the incidents firing, with its figures.
    expect(status.stdout).toMatch(
      /Firing incidents.*\n {2}RULE +WHERE +SEVERITY +SIZE +SINCE +NOTICES\n {2}traffic-drop +trunk_domain=acme\.zt\.plivo\.com +critical +0 calls, 30 calls expected +2026-11-09 10:20:00 UTC +1, last 2026-11-09 10:20:00 UTC$/m,
    );
    const json = JSON.parse((await cli(['status', '--json'])).stdout);
    expect(json.firingTraffic).toEqual([
      {
        rule: 'traffic-drop',
        trunk,
        labels: { trunk_domain: trunk },
        severity: 'critical',
        since,
        headline: '0 calls, 30 calls expected',
        notices: 1,
        lastNotifiedAt: since,
      },
    ]);
    expect(json.traffic).toMatchObject({
      settle: { seconds: 120, measured: true, samples: 150 },
      settledTo: new Date(T0 + 7 * DAY_MS + 10 * HOUR_MS + 30 * 60_000).toISOString(),
    });
    expect(json.traffic.trunks[1]).toMatchObject({
      key: trunk,
      historyDays: 7.42,
      rules: expect.arrayContaining([
        expect.objectContaining({
          rule: 'traffic-drop',
          state: 'breach',
          firing: true,
          since,
          detail: expect.objectContaining({ observed: 0, expected: 30, basis: 'weekly' }),
        }),
      ]),
    });

    // explain: the traffic rules on the call's trunk, as status sees them.
    const explained = await cli(['explain', call?.callUuid as string]);
    expect(explained.code).toBe(0);
    expect(explained.stdout).toContain(
      `Traffic rules (they judge trunk ${trunk}'s calls against its baseline)  history 7.4 d; settle time 2 min, measured from how late 150 recent calls were listed`,
    );
    expect(explained.stdout).toMatch(
      /^traffic-drop +FIRING since 2026-11-09 10:20:00 UTC: 0 calls in the settled 15 minutes to 10:30 UTC, 30 expected \(weekly baseline\) +-$/m,
    );
    expect(explained.stdout).toMatch(
      /^traffic-surge +ok: 0 calls in the last 1[5-9] minutes, \d+ calls expected \(weekly baseline\) +-$/m,
    );
    const explainedJson = JSON.parse((await cli(['explain', call?.callUuid as string, '--json'])).stdout);
    expect(explainedJson.traffic).toMatchObject({
      trunk,
      stateTable: true,
      historyDays: 7.42,
      rules: [
        { rule: 'traffic-drop', enabled: true, state: 'breach', firing: true, since },
        { rule: 'traffic-surge', state: 'ok' },
        { rule: 'spend', state: 'ok' },
        { rule: 'new-destination', state: 'ok', settings: { minHistoryDays: 7, lookbackDays: 30 } },
      ],
    });

    // Without a state table: each rule's settings for the trunk, and what it needs before it can fire.
    const alone = await cli(['explain', call?.callUuid as string], { env: NO_ACCOUNTS });
    expect(alone.code).toBe(0);
    expect(alone.stdout).toContain(
      `Traffic rules (they judge trunk ${trunk}'s calls against its baseline; no state table: its settings, and what each rule needs before it can fire)`,
    );
    expect(alone.stdout).toMatch(
      /^traffic-drop +critical +forMinutes 5, windowMinutes 15, share 0\.5, earlyShare 0\.2, recoveryShare 0\.7, minExpectedCalls 20, forgetAfterDays 7 +a day of history \(then the lower/m,
    );
    expect(alone.stdout).toMatch(
      /^new-destination +critical +.*minHistoryDays 7 +minHistoryDays \(7\) days of the trunk's history/m,
    );
    expect(
      JSON.parse((await cli(['explain', call?.callUuid as string, '--json'], { env: NO_ACCOUNTS })).stdout)
        .traffic,
    ).toMatchObject({
      trunk,
      stateTable: false,
      rules: [
        { rule: 'traffic-drop', enabled: true, needs: expect.stringContaining('a day of history') },
        {},
        {},
        {},
      ],
    });
  });

  it("--account: status, silence and explain read (and write) that account's state only", async () => {
    const env = await tableEnv();
    const accounts = join(dir, 'accounts.json');
    writeFileSync(
      accounts,
      JSON.stringify({ plivo: { maxRequestsPer5s: 300 }, accounts: [{ name: 'default' }, { name: 'acme' }] }),
    );
    const cli = (argv: string[]) => runCommand([...argv, '--config', accounts], { env });
    const acmeStore = new DynamoDbStateStore({
      tableName: env.STATE_TABLE_NAME as string,
      poller: 'acme',
      client: DynamoDBDocumentClient.from(
        new DynamoDBClient({
          endpoint: dynamo.endpoint,
          region: 'us-east-1',
          credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        }),
      ),
    });
    await acmeStore.saveCursor(new Date(Date.now() - 60_000).toISOString(), null);
    await acmeStore.saveHealth({
      status: 'failing',
      since: new Date().toISOString(),
      kind: 'plivo-credentials-rejected',
      reason: 'Plivo rejected the credentials (HTTP 401)',
      consecutiveFailures: 2,
      notified: true,
    });

    // A run that skipped a stored item it could not read: `status` names it.
    await acmeStore.recordRun({
      ...runRecordOf({
        runId: 'r-unreadable',
        startedAt: new Date(Date.now() - 30_000),
        finishedAt: new Date(Date.now() - 29_000),
        summary: null,
        failure: null,
        unreadable: [
          { operation: 'listOutbox', item: 'outbox half-written', reason: 'the outbox entry has no message' },
        ],
      }),
    });

    const acme = await cli(['status', '--account', 'acme']);
    expect(acme.stdout).toMatch(
      /Unreadable stored items.*\n.*\n.* UTC {2}outbox half-written {2}the outbox entry has no message/,
    );
    expect(acme.code).toBe(1);
    expect(acme.stdout).toMatch(/^zentrunk-alerts status {2}table .*, account acme, /);
    expect(acme.stdout).toMatch(/poller {4}FAILING since .*: plivo-credentials-rejected, operations told/);
    const main = await cli(['status']);
    expect(main.code).toBe(0);
    expect(main.stdout).toContain('poller    no run has reported yet');
    expect(main.stdout).not.toContain('account acme');
    expect(JSON.parse((await cli(['status', '--json', '--account', 'acme'])).stdout).account).toBe('acme');

    const added = await cli([
      'silence',
      'add',
      '--account',
      'acme',
      '--matcher',
      'rule=high-jitter',
      '--for',
      '1h',
      '--comment',
      'acme only',
      '--author',
      'bob',
    ]);
    expect(added.code).toBe(0);
    const id = /^Silence (s-[0-9a-f]{8}) added to table .*, account acme$/m.exec(added.stdout)?.[1];
    expect(id).toBeDefined();
    expect((await acmeStore.listSilences()).map((silence) => silence.id)).toEqual([id]);
    expect((await cli(['silence', 'list', '--account', 'acme'])).stdout).toContain(id);
    expect((await cli(['silence', 'list'])).stdout).toMatch(/^No active or pending silences/);
    const wrongAccount = await cli(['silence', 'expire', id as string]);
    expect(wrongAccount.code).toBe(1);
    expect(wrongAccount.stderr).toContain(`no silence ${id} in table`);
    expect(
      (await cli(['silence', 'expire', id as string, '--account', 'acme', '--author', 'bob'])).code,
    ).toBe(0);

    // explain reads the dedup records, incidents and silences of the account it is given.
    const explained = await runCommand(
      ['explain', hangupCall(), '--account', 'acme', '--config', accounts, '--json'],
      { env },
    );
    expect(explained.code).toBe(0);
    expect(JSON.parse(explained.stdout).stateTable).toMatch(/, account acme$/);
  });

  it('--account refuses an account the config does not list, and asks for one when the default is not listed', async () => {
    const env = await tableEnv();
    const unknown = await runCommand(['status', '--account', 'initech', '--config', config], { env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`${config} watches no account "initech" (it watches default)`);

    const onlyAcme = join(dir, 'only-acme.json');
    writeFileSync(onlyAcme, JSON.stringify({ accounts: [{ name: 'acme' }] }));
    for (const argv of [
      ['status'],
      ['silence', 'list'],
      ['silence', 'add', '--matcher', 'rule=high-rtt', '--for', '1h', '--comment', 'x', '--author', 'a'],
    ]) {
      const result = await runCommand([...argv, '--config', onlyAcme], { env });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(
        `${onlyAcme} does not watch the default account: name one with --account (acme)`,
      );
    }
  });
});

/**
 * One Lambda execution environment for the shipped bundle, in a process of its own: loads the
 * handler named by `_HANDLER` from `LAMBDA_TASK_ROOT` (as the Node.js runtime does), then invokes
 * it once per `invoke` message with the event it is given and a context of @types/aws-lambda's
 * `Context` shape, whose remaining time runs down from the function's timeout. Replies with the
 * result or the error, and the process's own peak RSS (VmHWM: see scripts/peak-rss.mjs).
 *
 * Bundled by the test (esbuild) and started with `fork`, so the process holds only the bundle.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Handler } from 'aws-lambda';
import { localLambdaContext } from '../../functions/poller/local-context';
import { peakRssMb } from '../../scripts/peak-rss.mjs';

export type HostMessage = { type: 'invoke'; event: unknown; timeoutMs: number } | { type: 'exit' };

export type HostReply =
  | { type: 'ready'; maxRssMb: number }
  | { type: 'load-failed'; error: string }
  | {
      type: 'result';
      ok: boolean;
      result: unknown;
      error: { name: string; message: string } | null;
      ms: number;
      maxRssMb: number;
    };

const send = (reply: HostReply) => process.send?.(reply);
const env = process.env;

async function main() {
  const [file, exported] = (env._HANDLER ?? 'index.handler').split('.') as [string, string];
  let handler: Handler;
  try {
    const module = (await import(
      pathToFileURL(join(env.LAMBDA_TASK_ROOT ?? '.', `${file}.mjs`)).href
    )) as Record<string, Handler>;
    handler = module[exported] as Handler;
    if (typeof handler !== 'function') throw new Error(`${env._HANDLER} is not a function`);
  } catch (error) {
    send({ type: 'load-failed', error: String(error) });
    process.exit(1);
  }
  process.on('message', async (message: HostMessage) => {
    if (message.type === 'exit') process.exit(0);
    const started = Date.now();
    try {
      const result: unknown = await handler(
        message.event,
        localLambdaContext({ timeoutMs: message.timeoutMs }),
        () => undefined,
      );
      send({
        type: 'result',
        ok: true,
        result,
        error: null,
        ms: Date.now() - started,
        maxRssMb: peakRssMb(),
      });
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      send({
        type: 'result',
        ok: false,
        result: (error as { summary?: unknown }).summary ?? null,
        error: { name: err.name, message: err.message },
        ms: Date.now() - started,
        maxRssMb: peakRssMb(),
      });
    }
  });
  send({ type: 'ready', maxRssMb: peakRssMb() });
}

void main();

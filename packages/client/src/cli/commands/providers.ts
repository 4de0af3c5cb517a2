import type { ProviderKind } from '../../types.js';
import { type Command, type CommandContext, printJson } from '../context.js';
import { providerTable } from '../format.js';
import { EXIT, UsageError } from '../usage.js';

const KINDS: readonly ProviderKind[] = ['text', 'image'];

async function test(
  ctx: CommandContext,
  kind: string | undefined,
  name: string | undefined,
): Promise<number> {
  if (!kind || !KINDS.includes(kind as ProviderKind) || !name) {
    throw new UsageError('usage: inkpost providers test <text|image> <name>');
  }
  if (ctx.positionals.length > 3) throw new UsageError(`unexpected argument "${ctx.positionals[3]}"`);
  const result = await ctx.client.testProvider(kind as ProviderKind, name, { signal: ctx.signal });
  if (ctx.json) printJson(ctx, { kind, name, ...result });
  else
    ctx.stdout.write(
      `${kind} ${name}: ${result.ok ? 'ok' : 'FAILED'} in ${result.latencyMs} ms: ${result.message}\n`,
    );
  return result.ok ? EXIT.ok : EXIT.failed;
}

/** `providers`, or `providers test <kind> <name>`. */
export const providers: Command = async (ctx) => {
  const [sub, kind, name] = ctx.positionals;
  if (sub === 'test') return test(ctx, kind, name);
  if (sub !== undefined) throw new UsageError(`unknown providers subcommand "${sub}" (did you mean "test"?)`);
  const list = await ctx.client.providers({ signal: ctx.signal });
  if (ctx.json) printJson(ctx, list);
  else ctx.stdout.write(providerTable(list));
  return EXIT.ok;
};

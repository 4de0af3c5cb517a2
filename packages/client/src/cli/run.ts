import { readFileSync } from 'node:fs';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { InkpostClient } from '../client.js';
import { InkpostError } from '../errors.js';
import { generate, generateOptions } from './commands/generate.js';
import { download, list, listOptions, outOption, regenerate, show } from './commands/posts.js';
import { providers } from './commands/providers.js';
import type { Command, CommandContext, OutStream } from './context.js';
import { IMAGE_FILE } from './files.js';
import { EXIT, USAGE, UsageError } from './usage.js';

type Options = NonNullable<ParseArgsConfig['options']>;

const COMMANDS: Record<string, { run: Command; options: Options }> = {
  generate: { run: generate, options: generateOptions },
  list: { run: list, options: listOptions },
  show: { run: show, options: {} },
  regenerate: { run: regenerate, options: outOption },
  download: { run: download, options: outOption },
  providers: { run: providers, options: {} },
};

const COMMON: Options = { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } };

export interface CliIo {
  stdout: OutStream;
  stderr: OutStream;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Aborts the command (Ctrl+C): exit 130, the post keeps running on the server. */
  signal: AbortSignal;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/**
 * Positionals and `--images` files: `--images a.png b.png` takes every image file that follows it, so a shell
 * glob (`--images refs/*.png`) works; the topic is whatever else is left.
 */
function splitPositionals(tokens: NonNullable<ReturnType<typeof parseArgs>['tokens']>) {
  const positionals: string[] = [];
  const images: string[] = [];
  let afterImages = false;
  for (const token of tokens) {
    if (token.kind === 'option') {
      afterImages = token.name === 'images';
      if (afterImages && token.value !== undefined) images.push(token.value);
    } else if (token.kind === 'positional' && afterImages && IMAGE_FILE.test(token.value)) {
      images.push(token.value);
    } else if (token.kind === 'positional') {
      afterImages = false;
      positionals.push(token.value);
    }
  }
  return { positionals, images };
}

function parse(command: string, args: string[]) {
  const spec = COMMANDS[command];
  if (!spec) throw new UsageError(`unknown command "${command}"`);
  const parsed = parseArgs({
    args,
    options: { ...COMMON, ...spec.options },
    allowPositionals: true,
    strict: true,
    tokens: true,
  });
  const { positionals, images } = splitPositionals(parsed.tokens);
  const values = { ...parsed.values, ...(images.length > 0 ? { images } : {}) } as CommandContext['values'];
  return { spec, positionals, values };
}

async function dispatch(argv: string[], io: CliIo, setJson: (json: boolean) => void): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    (command === undefined ? io.stderr : io.stdout).write(USAGE);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (command === '--version') {
    io.stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  const { spec, positionals, values } = parse(command, args);
  if (values.help) {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  const json = values.json === true;
  setJson(json);
  const client = new InkpostClient({
    baseUrl: io.env.INKPOST_URL || 'http://127.0.0.1:3000',
    apiKey: io.env.INKPOST_API_KEY || undefined,
  });
  return spec.run({ client, positionals, values, json, ...io });
}

/** Runs one command line; resolves with the exit code (never throws). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let json = argv.includes('--json');
  try {
    return await dispatch(argv, io, (j) => {
      json = j;
    });
  } catch (err) {
    return reportError(err, io, json);
  }
}

function isParseArgsError(err: unknown): err is Error {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

function reportError(err: unknown, io: CliIo, json: boolean): number {
  if (err instanceof UsageError || isParseArgsError(err)) {
    io.stderr.write(`inkpost: ${err.message}\nRun "inkpost --help" for usage.\n`);
    return EXIT.usage;
  }
  if (io.signal.aborted) {
    io.stderr.write('\ninkpost: interrupted (work already started keeps running on the server)\n');
    return EXIT.interrupted;
  }
  if (err instanceof InkpostError) {
    const where = [
      err.code,
      err.status ? `HTTP ${err.status}` : null,
      err.requestId && `request ${err.requestId}`,
    ];
    const hint = err.isAuth ? '\nCheck INKPOST_API_KEY.' : '';
    io.stderr.write(`inkpost: ${err.message} (${where.filter(Boolean).join(', ')})${hint}\n`);
    if (json) {
      const { status, code, message, details, requestId } = err;
      io.stdout.write(
        `${JSON.stringify({ error: { status, code, message, details, requestId } }, null, 2)}\n`,
      );
    }
    return err.isAuth ? EXIT.auth : EXIT.api;
  }
  io.stderr.write(`inkpost: ${err instanceof Error ? err.message : String(err)}\n`);
  return EXIT.failed;
}

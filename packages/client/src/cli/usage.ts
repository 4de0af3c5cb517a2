/** Exit codes: scripts branch on these, so they never change meaning. */
export const EXIT = {
  ok: 0,
  /**
   * The generation ended failed, partial or cancelled; a provider test failed; the command could not finish.
   */
  failed: 1,
  usage: 2,
  /** The API answered an error, or could not be reached. */
  api: 3,
  /** 401/403: the API key is missing, unknown or not allowed. */
  auth: 4,
  interrupted: 130,
} as const;

export const USAGE = `inkpost — make Xiaohongshu-style image posts with the Inkpost API

Usage:
  inkpost generate "<topic>" [--images a.png …] [--style minimal|notebook|magazine|pastel]
                   [--aspect 3:4] [--pages N] [--copy] [--out dir] [--json]
      Create a post and render it, showing each page's progress; writes 01.png… (page order)
      and outline.md (and copy.md with --copy) to --out (default ./out/{id}; {id} becomes
      the post id).
  inkpost list [--status <status>] [--q <text>] [--limit N] [--json]
      The newest posts (status: outlining|outlined|generating|completed|partial|failed|cancelled).
  inkpost show <postId> [--json]
      One post: status, pages, usage, copy.
  inkpost regenerate <postId> <page-number> [--out dir] [--json]
      A new image for one page (numbered from 1); waits for it, and with --out writes it as NN.png.
  inkpost download <postId> [--out file.zip] [--json]
      The post as a ZIP (default ./<postId>.zip).
  inkpost providers [--json]
  inkpost providers test <text|image> <name> [--json]
      The configured providers; or a real, tiny call to one of them.

Options:
  --json        machine-readable JSON on stdout (progress, if any, goes to stderr as plain lines)
  -h, --help    this text
  --version     the CLI's version

Environment:
  INKPOST_URL       the API (default http://127.0.0.1:3000)
  INKPOST_API_KEY   sent as "Authorization: Bearer <key>" (not needed when the API runs open)

Exit codes:
  0  ok
  1  the generation ended failed, partial or cancelled (or its copy failed); a provider test failed;
     or the command could not finish locally (e.g. a file could not be written)
  2  usage error (unknown command or option, bad value, missing file)
  3  API or network error (the API answered an error, or could not be reached)
  4  auth error: the API answered 401/403 (check INKPOST_API_KEY)
  130 interrupted (Ctrl+C); the post keeps running on the server
`;

/** A mistake in the command line: exit 2 with the message and a pointer to --help. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

import { type EventsOptions, postEvents } from './events.js';
import { createPostForm } from './form.js';
import { type FetchLike, Http, type RetryPolicy } from './http.js';
import type {
  CallOptions,
  CreatePostInput,
  Health,
  ImageFile,
  InkpostEvent,
  ListPostsQuery,
  MutationOptions,
  Post,
  PostList,
  ProviderKind,
  ProviderList,
  ProviderTestResult,
  StyleList,
  UpdatePostInput,
} from './types.js';
import { type WaitForOptions, waitForPost } from './wait.js';

export interface InkpostClientOptions {
  /** Where the API answers, e.g. `http://127.0.0.1:3000` (a path prefix behind a proxy is kept). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <key>`; leave out for an API running open. */
  apiKey?: string;
  /** A fetch to use instead of the global one (instrumentation, proxies, tests). */
  fetch?: FetchLike;
  /** Send a random Idempotency-Key with every POST that starts work (default true). */
  idempotency?: boolean;
  /** Retries of safe requests on network errors and 502/503/504: a count, or the whole policy. */
  retries?: number | Partial<RetryPolicy>;
}

export interface CreatePostOptions extends MutationOptions {
  /** Reference image files: sends the post as multipart/form-data with them under `images`. */
  images?: readonly ImageFile[];
}

export interface ImageOptions extends CallOptions {
  /** An older version (default: the current one). */
  version?: number;
  size?: 'full' | 'thumb';
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 2, baseDelayMs: 300, maxDelayMs: 5_000 };

const post = (id: string) => `/v1/posts/${encodeURIComponent(id)}`;
const page = (id: string, index: number) => `${post(id)}/pages/${index}`;

/** A typed client of the Inkpost REST API for Node 20+ and browsers. */
export class InkpostClient {
  readonly baseUrl: string;
  private readonly http: Http;
  private readonly idempotency: boolean;

  constructor(opts: InkpostClientOptions) {
    if (!opts.baseUrl) throw new TypeError('InkpostClient: baseUrl is required');
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    const retry =
      typeof opts.retries === 'number'
        ? { ...DEFAULT_RETRY, attempts: opts.retries }
        : { ...DEFAULT_RETRY, ...opts.retries };
    // A bare global fetch, called unbound, throws "Illegal invocation" in browsers.
    const fetchImpl = opts.fetch ?? ((input: string, init: RequestInit) => globalThis.fetch(input, init));
    this.http = new Http({ baseUrl: this.baseUrl, apiKey: opts.apiKey, fetch: fetchImpl, retry });
    this.idempotency = opts.idempotency ?? true;
  }

  /** The absolute URL of a path the API hands out (page image URLs in a Post are relative). */
  url(path: string): string {
    return /^https?:\/\//i.test(path) ? path : this.http.url(path);
  }

  private key(opts?: MutationOptions): string | undefined {
    return opts?.idempotencyKey ?? (this.idempotency ? crypto.randomUUID() : undefined);
  }

  // ---- posts ----

  /**
   * `POST /v1/posts`: JSON, or multipart when `images` are given. Answers the new Post
   * (`outlining`/`outlined`).
   */
  createPost(input: CreatePostInput, opts: CreatePostOptions = {}): Promise<Post> {
    const images = opts.images ?? [];
    return this.http.json<Post>({
      method: 'POST',
      path: '/v1/posts',
      ...(images.length > 0 ? { form: createPostForm(input, images) } : { json: input }),
      idempotencyKey: this.key(opts),
      signal: opts.signal,
    });
  }

  getPost(postId: string, opts: CallOptions = {}): Promise<Post> {
    return this.http.json<Post>({ method: 'GET', path: post(postId), signal: opts.signal });
  }

  /**
   * `PATCH /v1/posts/:id`: a new topic and/or the whole new page list. With `ifMatch` (the `revision` the
   * edit was based on) a concurrent change fails with 412 instead of being overwritten.
   */
  updatePost(
    postId: string,
    patch: UpdatePostInput,
    opts: CallOptions & { ifMatch?: number } = {},
  ): Promise<Post> {
    const headers = opts.ifMatch === undefined ? undefined : { 'if-match': `"${opts.ifMatch}"` };
    return this.http.json<Post>({
      method: 'PATCH',
      path: post(postId),
      json: patch,
      headers,
      signal: opts.signal,
    });
  }

  deletePost(postId: string, opts: CallOptions = {}): Promise<void> {
    return this.http.empty({ method: 'DELETE', path: post(postId), signal: opts.signal });
  }

  /** One page of the tenant's posts, newest first; pass `nextCursor` back as `cursor` for the next. */
  listPosts(query: ListPostsQuery = {}, opts: CallOptions = {}): Promise<PostList> {
    return this.http.json<PostList>({ method: 'GET', path: '/v1/posts', query, signal: opts.signal });
  }

  /** Every matching post, page after page. */
  async *iteratePosts(
    query: ListPostsQuery = {},
    opts: CallOptions = {},
  ): AsyncGenerator<Post, void, undefined> {
    let cursor = query.cursor;
    do {
      const list = await this.listPosts({ ...query, cursor }, opts);
      yield* list.items;
      cursor = list.nextCursor ?? undefined;
    } while (cursor);
  }

  // ---- work ----

  /** Render images for `pages` (0-based), or every page without a completed image; cover first. */
  generate(postId: string, opts: MutationOptions & { pages?: number[] } = {}): Promise<Post> {
    const json = opts.pages ? { pages: opts.pages } : {};
    return this.work(`${post(postId)}/generate`, opts, json);
  }

  /** A new image version of one page (0-based index). */
  regeneratePage(postId: string, index: number, opts: MutationOptions = {}): Promise<Post> {
    return this.work(`${page(postId, index)}/regenerate`, opts);
  }

  retryFailed(postId: string, opts: MutationOptions = {}): Promise<Post> {
    return this.work(`${post(postId)}/retry-failed`, opts);
  }

  /** Generate copy (titles, body, tags); it arrives as `copy.completed` and in `post.copy`. */
  requestCopy(postId: string, opts: MutationOptions = {}): Promise<Post> {
    return this.work(`${post(postId)}/copy`, opts);
  }

  cancel(postId: string, opts: MutationOptions = {}): Promise<Post> {
    return this.work(`${post(postId)}/cancel`, opts);
  }

  /** Make an older image version of a page current. */
  selectVersion(postId: string, index: number, version: number, opts: CallOptions = {}): Promise<Post> {
    const path = `${page(postId, index)}/version`;
    return this.http.json<Post>({ method: 'PUT', path, json: { version }, signal: opts.signal });
  }

  private work(path: string, opts: MutationOptions, json?: unknown): Promise<Post> {
    return this.http.json<Post>({
      method: 'POST',
      path,
      json,
      idempotencyKey: this.key(opts),
      signal: opts.signal,
    });
  }

  // ---- progress ----

  /**
   * The post's live events (see EventsOptions): reconnects on its own, never repeats one, ends with the post.
   */
  events(postId: string, opts: EventsOptions = {}): AsyncGenerator<InkpostEvent, void, undefined> {
    return postEvents({ http: this.http, getPost: (id, o) => this.getPost(id, o) }, postId, opts);
  }

  /** Resolves with the Post once `until` holds (default: generation ended); built on `events`. */
  waitFor(postId: string, opts: WaitForOptions = {}): Promise<Post> {
    const deps = { events: this.events.bind(this), getPost: this.getPost.bind(this) };
    return waitForPost(deps, postId, opts);
  }

  // ---- downloads ----

  /**
   * A page image's bytes (0-based index): the current version, or `version`; `size: 'thumb'` for the
   * thumbnail.
   */
  async pageImage(postId: string, index: number, opts: ImageOptions = {}): Promise<Uint8Array> {
    const query = { version: opts.version, size: opts.size };
    const path = `${page(postId, index)}/image`;
    return (await this.http.bytes({ method: 'GET', path, query, signal: opts.signal })).bytes;
  }

  /** A reference image the post was created with. */
  async referenceImage(postId: string, n: number, opts: CallOptions = {}): Promise<Uint8Array> {
    const path = `${post(postId)}/reference-images/${n}`;
    return (await this.http.bytes({ method: 'GET', path, signal: opts.signal })).bytes;
  }

  /** The post as a ZIP: `01.png…` in page order, `outline.md`, and `copy.md` when there is copy. */
  async archive(postId: string, opts: CallOptions = {}): Promise<Uint8Array> {
    const path = `${post(postId)}/archive.zip`;
    return (await this.http.bytes({ method: 'GET', path, signal: opts.signal })).bytes;
  }

  // ---- providers and health ----

  providers(opts: CallOptions = {}): Promise<ProviderList> {
    return this.http.json<ProviderList>({ method: 'GET', path: '/v1/providers', signal: opts.signal });
  }

  /** A real, tiny call to one provider. A failing provider is `{ ok: false, message }`, not an exception. */
  testProvider(kind: ProviderKind, name: string, opts: CallOptions = {}): Promise<ProviderTestResult> {
    const path = `/v1/providers/${kind}/${encodeURIComponent(name)}/test`;
    // Not idempotent-keyed: each test is meant to be a fresh call, so it is not retried either.
    return this.http.json<ProviderTestResult>({ method: 'POST', path, signal: opts.signal });
  }

  styles(opts: CallOptions = {}): Promise<StyleList> {
    return this.http.json<StyleList>({ method: 'GET', path: '/v1/styles', signal: opts.signal });
  }

  health(opts: CallOptions = {}): Promise<Health> {
    return this.http.json<Health>({ method: 'GET', path: '/healthz', signal: opts.signal });
  }

  /** Readiness: answers `{ status: 'unavailable', checks }` (not an error) when Redis or storage is down. */
  ready(opts: CallOptions = {}): Promise<Health> {
    return this.http.json<Health>({
      method: 'GET',
      path: '/readyz',
      acceptStatuses: [503],
      signal: opts.signal,
    });
  }
}

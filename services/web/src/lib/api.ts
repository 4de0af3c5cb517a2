import type {
  ListPostsQuery,
  PatchPostBody,
  PostList,
  PostView,
  ProviderList,
  ProviderTestResult,
  SelectVersionBody,
} from '@inkpost/shared/contract';
import type { z } from 'zod';
import { authHeaders } from './api-key';

export type PostListPage = z.infer<typeof PostList>;
export type ListQuery = Omit<z.input<typeof ListPostsQuery>, 'limit'> & { limit?: number };
export type PatchBody = z.input<typeof PatchPostBody>;

export type { ProviderInfo, ProviderList } from '@inkpost/shared/contract';
export type ProviderKind = 'text' | 'image';
export type ProviderTest = z.infer<typeof ProviderTestResult>;

/** An API answer that is not 2xx, carrying the API's `{ error: { code, message } }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface Answer<T> {
  data: T;
  etag: string | null;
}

async function errorOf(res: Response): Promise<ApiError> {
  const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  return new ApiError(
    res.status,
    body?.error?.code ?? `http_${res.status}`,
    body?.error?.message ?? (res.statusText || `HTTP ${res.status}`),
  );
}

async function call<T>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer<T>> {
  const all: Record<string, string> = { accept: 'application/json', ...authHeaders(), ...headers };
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    all['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers: all, body: payload });
  } catch {
    throw new ApiError(0, 'network_error', 'The server could not be reached.');
  }
  if (!res.ok) throw await errorOf(res);
  const data = res.status === 204 ? undefined : await res.json();
  return { data: data as T, etag: res.headers.get('etag') };
}

const post = (id: string) => `/v1/posts/${encodeURIComponent(id)}`;

export const api = {
  async createPost(form: FormData): Promise<PostView> {
    return (await call<PostView>('POST', '/v1/posts', form)).data;
  },
  async getPost(id: string): Promise<PostView> {
    return (await call<PostView>('GET', post(id))).data;
  },
  async patchPost(id: string, body: PatchBody, revision: number): Promise<PostView> {
    return (await call<PostView>('PATCH', post(id), body, { 'if-match': `"${revision}"` })).data;
  },
  async generate(id: string): Promise<PostView> {
    return (await call<PostView>('POST', `${post(id)}/generate`, {})).data;
  },
  async regenerate(id: string, index: number): Promise<PostView> {
    return (await call<PostView>('POST', `${post(id)}/pages/${index}/regenerate`, {})).data;
  },
  async retryFailed(id: string): Promise<PostView> {
    return (await call<PostView>('POST', `${post(id)}/retry-failed`, {})).data;
  },
  async selectVersion(id: string, index: number, version: number): Promise<PostView> {
    const body: z.input<typeof SelectVersionBody> = { version };
    return (await call<PostView>('PUT', `${post(id)}/pages/${index}/version`, body)).data;
  },
  async writeCopy(id: string): Promise<PostView> {
    return (await call<PostView>('POST', `${post(id)}/copy`, {})).data;
  },
  async cancel(id: string): Promise<PostView> {
    return (await call<PostView>('POST', `${post(id)}/cancel`, {})).data;
  },
  async remove(id: string): Promise<void> {
    await call<void>('DELETE', post(id));
  },
  async list(query: ListQuery): Promise<PostListPage> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query))
      if (value !== undefined && value !== '') params.set(key, String(value));
    return (await call<PostListPage>('GET', `/v1/posts?${params}`)).data;
  },
  async providers(): Promise<ProviderList> {
    return (await call<ProviderList>('GET', '/v1/providers')).data;
  },
  async testProvider(kind: ProviderKind, name: string): Promise<ProviderTest> {
    const path = `/v1/providers/${kind}/${encodeURIComponent(name)}/test`;
    return (await call<ProviderTest>('POST', path, {})).data;
  },
  async styles(): Promise<string[]> {
    return (await call<{ styles: { name: string }[] }>('GET', '/v1/styles')).data.styles.map((s) => s.name);
  },
};

export const archiveUrl = (id: string) => `${post(id)}/archive.zip`;

/** Fetches a protected URL (an image or the ZIP) with the API key, as an object URL. */
export async function fetchObjectUrl(url: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { headers: authHeaders() });
  } catch {
    throw new ApiError(0, 'network_error', 'The server could not be reached.');
  }
  if (!res.ok) throw await errorOf(res);
  return URL.createObjectURL(await res.blob());
}

// Calls to the Inkpost REST API.
import { outlineText } from './outline.mjs';

export class BrokenRun extends Error {}

async function call(baseUrl, method, path, body, headers = {}) {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300)
    throw new BrokenRun(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}

export const createPost = (baseUrl, body) => call(baseUrl, 'POST', '/v1/posts', body);
export const getPost = (baseUrl, id) => call(baseUrl, 'GET', `/v1/posts/${id}`);
export const generate = (baseUrl, id) => call(baseUrl, 'POST', `/v1/posts/${id}/generate`, {});

/** The pages of a post given up front (no outline job): a cover, content pages, a summary. */
export function givenPages(n) {
  return outlineText(n)
    .split('\n<page>\n')
    .map((block) => {
      const [tag, ...rest] = block.split('\n');
      const type = tag === '[封面]' ? 'cover' : tag === '[总结]' ? 'summary' : 'content';
      return { type, content: rest.join('\n') };
    });
}

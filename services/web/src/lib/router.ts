import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { name: 'create' }
  | { name: 'post'; id: string }
  | { name: 'history' }
  | { name: 'settings' };

/** Routes live in the hash (`#/posts/<id>`), so a reload or a shared link opens the same screen. */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '').split('?')[0] ?? '';
  const post = /^\/posts\/([A-Za-z0-9_-]+)$/.exec(path);
  if (post) return { name: 'post', id: post[1]! };
  if (path === '/history') return { name: 'history' };
  if (path === '/settings') return { name: 'settings' };
  return { name: 'create' };
}

export const hrefOf = {
  create: '#/',
  history: '#/history',
  settings: '#/settings',
  post: (id: string) => `#/posts/${id}`,
};

export function navigate(href: string): void {
  window.location.hash = href;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}

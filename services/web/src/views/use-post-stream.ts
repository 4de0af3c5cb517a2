import type { PostView } from '@inkpost/shared/contract';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../lib/api';
import { authHeaders, useApiKey } from '../lib/api-key';
import { applyEvent, isActive, type StreamEvent } from '../lib/post-events';
import { readEventStream } from '../lib/sse';

export interface PostStream {
  post: PostView | null;
  error: ApiError | null;
  live: boolean;
  /** Takes a Post an action answered with, and listens again if that started work. */
  accept: (post: PostView) => void;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/**
 * The post as its event stream tells it: the snapshot first, then every change. The stream ends when nothing is
 * running; an action that starts work reconnects with Last-Event-ID, so nothing is missed or done twice.
 */
export function usePostStream(id: string): PostStream {
  const apiKey = useApiKey();
  const [post, setPost] = useState<PostView | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [live, setLive] = useState(false);
  const current = useRef<PostView | null>(null);
  const lastEventId = useRef<string | null>(null);
  // The controller of this post's session, and the one whose loop is running (at most one loop per session).
  const session = useRef<AbortController | null>(null);
  const running = useRef<AbortController | null>(null);

  const set = useCallback((next: PostView) => {
    current.current = next;
    setPost(next);
  }, []);

  const onMessage = useCallback(
    (m: { id: string | null; event: string; data: unknown }) => {
      if (m.id) lastEventId.current = m.id;
      if (m.event === 'snapshot') set(m.data as PostView);
      else if (current.current)
        set(applyEvent(current.current, { name: m.event, data: m.data } as StreamEvent));
    },
    [set],
  );

  const listen = useCallback(async () => {
    const controller = session.current;
    if (!controller || running.current === controller) return;
    const signal = controller.signal;
    running.current = controller;
    let failures = 0;
    try {
      while (!signal.aborted) {
        const headers = authHeaders();
        if (lastEventId.current) headers['last-event-id'] = lastEventId.current;
        setLive(true);
        try {
          await readEventStream(`/v1/posts/${encodeURIComponent(id)}/events`, { headers, signal, onMessage });
          failures = 0;
          if (current.current && !isActive(current.current)) return;
        } catch (err) {
          if (signal.aborted) return;
          if (err instanceof ApiError && err.status >= 400 && err.status < 500) {
            setError(err);
            return;
          }
          failures++;
        } finally {
          setLive(false);
        }
        await sleep(Math.min(500 * 2 ** failures, 10_000), signal);
      }
    } finally {
      if (running.current === controller) running.current = null;
    }
  }, [id, onMessage]);

  useEffect(() => {
    // A new post (or a new key): start from its snapshot.
    setPost(null);
    setError(null);
    current.current = null;
    lastEventId.current = null;
    const controller = new AbortController();
    session.current = controller;
    void listen();
    return () => controller.abort();
  }, [listen, apiKey]);

  const accept = useCallback(
    (next: PostView) => {
      set(next);
      if (isActive(next)) void listen();
    },
    [listen, set],
  );

  return { post, error, live, accept };
}

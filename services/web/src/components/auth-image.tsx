import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { fetchObjectUrl } from '../lib/api';
import { useApiKey } from '../lib/api-key';

// Versioned image URLs never change, so one fetch per URL is enough; bounded so a long session stays small.
const cache = new Map<string, Promise<string>>();
const CACHE_LIMIT = 150;

function objectUrl(src: string): Promise<string> {
  let url = cache.get(src);
  if (!url) {
    url = fetchObjectUrl(src);
    url.catch(() => cache.delete(src));
    cache.set(src, url);
    if (cache.size > CACHE_LIMIT) {
      const [oldest, value] = cache.entries().next().value!;
      cache.delete(oldest);
      void value.then(
        (u) => URL.revokeObjectURL(u),
        () => {},
      );
    }
  }
  return url;
}

type Props = Omit<JSX.ImgHTMLAttributes<HTMLImageElement>, 'src' | 'alt'> & {
  src: string;
  alt: string;
  fallback?: string;
};

/**
 * An image of the API. Open servers: a plain <img>. With an API key the browser cannot add the Authorization
 * header to <img>, so the bytes are fetched with it and shown from an object URL.
 */
export function AuthImage({ src, fallback, alt, ...rest }: Props) {
  const key = useApiKey();
  const [shown, setShown] = useState<string | null>(key ? null : src);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    setFailed(false);
    if (!key) {
      setShown(src);
      return;
    }
    let live = true;
    setShown(null);
    objectUrl(src).then(
      (u) => live && setShown(u),
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, [src, key]);
  if (failed && fallback && fallback !== src) return <AuthImage src={fallback} alt={alt} {...rest} />;
  if (!shown) return <span class="img-wait" aria-hidden="true" />;
  return (
    <img src={shown} alt={alt} loading="lazy" decoding="async" onError={() => setFailed(true)} {...rest} />
  );
}

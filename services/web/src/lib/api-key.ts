import { useEffect, useState } from 'preact/hooks';

const STORAGE_KEY = 'inkpost.apiKey';
const CHANGED = 'inkpost:api-key';

function read(): string {
  try {
    return localStorage.getItem(STORAGE_KEY) ?? '';
  } catch {
    return '';
  }
}

let current = read();

export function getApiKey(): string {
  return current;
}

/** Keeps the key in this browser only (localStorage); an empty key means "open server". */
export function setApiKey(key: string): void {
  current = key.trim();
  try {
    if (current) localStorage.setItem(STORAGE_KEY, current);
    else localStorage.removeItem(STORAGE_KEY);
  } catch {
    // Private mode without storage: the key lasts for this page only.
  }
  window.dispatchEvent(new Event(CHANGED));
}

export function authHeaders(): Record<string, string> {
  return current ? { authorization: `Bearer ${current}` } : {};
}

/** The key, re-rendering when Settings changes it. */
export function useApiKey(): string {
  const [key, setKey] = useState(current);
  useEffect(() => {
    const update = () => setKey(current);
    window.addEventListener(CHANGED, update);
    return () => window.removeEventListener(CHANGED, update);
  }, []);
  return key;
}

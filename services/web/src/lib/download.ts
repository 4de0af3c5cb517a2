import { fetchObjectUrl } from './api';

/** Downloads a protected file: fetched with the API key, then saved through a temporary link. */
export async function downloadWithKey(url: string, filename: string): Promise<void> {
  const objectUrl = await fetchObjectUrl(url);
  const link = document.createElement('a');
  link.href = objectUrl;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(objectUrl), 60_000);
}

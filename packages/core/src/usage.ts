import type { Estimate, PostRecord, ProviderPricing } from '@inkpost/shared';

/** Adds a cost to the post's usage; a cost in another currency than the post's first one is not mixed in. */
export function addCost(post: PostRecord, amount: number | null, currency: string | null): void {
  if (amount === null || currency === null) return;
  if (post.usage.currency !== null && post.usage.currency !== currency) return;
  post.usage.currency = currency;
  post.usage.cost = round((post.usage.cost ?? 0) + amount);
}

/** The cost of a text call from its tokens, when the provider has token prices. */
export function textCost(
  pricing: ProviderPricing | null,
  tokensIn: number,
  tokensOut: number,
): number | null {
  if (!pricing || (pricing.per1kInputTokens === null && pricing.per1kOutputTokens === null)) return null;
  return round(
    ((pricing.per1kInputTokens ?? 0) * tokensIn + (pricing.per1kOutputTokens ?? 0) * tokensOut) / 1000,
  );
}

/** What `generate` would spend now: every page without a completed image, at the image provider's price. */
export function estimateFor(post: PostRecord, pricing: ProviderPricing | null): Estimate {
  const images = post.pages.filter((p) => p.image.status !== 'completed' && !p.image.pending).length;
  const perImage = pricing?.perImage ?? null;
  return {
    images,
    cost: perImage === null ? null : round(images * perImage),
    currency: perImage === null ? null : (pricing?.currency ?? null),
  };
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

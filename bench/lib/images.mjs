// The page image the bench's provider answers: a real 1080×1440 PNG, deterministic, with photo-like entropy
// (smooth colour fields, shapes and grain) so it weighs what a generated page weighs, not a few KB of flat colour.
import { importBuilt } from './workspace.mjs';

const { encodePng } = await importBuilt('packages/testkit/dist/png.js');

export function pageImagePng(width = 1080, height = 1440, grain = 3) {
  let seed = 0x9e3779b9;
  const rand = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return ((seed >>> 0) % 1000) / 1000;
  };
  const cx = width * 0.55;
  const cy = height * 0.4;
  return encodePng(width, height, (x, y) => {
    const d = Math.hypot(x - cx, y - cy) / width;
    const g = (rand() - 0.5) * 2 * grain;
    const inCard = x > 90 && x < width - 90 && y > 900 && y < 1300;
    const r = inCard ? 250 : 240 - 120 * d + 15 * Math.sin(y / 90);
    const gr = inCard ? 246 : 180 + 40 * Math.sin(x / 140) - 60 * d;
    const b = inCard ? 240 : 150 + 80 * (y / height);
    return [r + g, gr + g, b + g, 255];
  });
}

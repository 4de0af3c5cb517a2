import { describe, expect, it } from 'vitest';
import { cardText } from './text-card-provider.js';

describe('cardText', () => {
  it('drops lines meant for image models and keeps the page text', () => {
    const content =
      '洋葱式穿衣法\n- 内层吸汗\n画面：三层衣服的示意图\n风格：清新手账风\nVisual: layered clothes';
    expect(cardText(content)).toBe('洋葱式穿衣法\n- 内层吸汗');
  });

  it('keeps lines that merely mention those words', () => {
    expect(cardText('画面感很强的一天\nStyle matters')).toBe('画面感很强的一天\nStyle matters');
  });
});

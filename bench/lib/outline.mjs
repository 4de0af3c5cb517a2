// Outline text in the format the outline parser reads: a cover, content pages and a summary, `<page>`-separated.
export function outlineText(pages) {
  const parts = ['[封面]\n一周早餐不重样｜5 分钟快手营养搭配\n上班族也能好好吃早餐'];
  for (let i = 1; i < pages - 1; i++) {
    parts.push(
      `[内容]\n第${i}天：燕麦酸奶杯\n- 燕麦 40g + 无糖酸奶 150g\n- 加一把蓝莓和坚果，前一晚做好冷藏`,
    );
  }
  parts.push('[总结]\n早餐吃好，一天都有精神！\n收藏这份清单，明天就试试吧～\n#早餐 #快手菜 #健康饮食');
  return parts.join('\n<page>\n');
}

"""Coding a dissatisfied citizen's free-text reason into a theme (for counts, never quotes).

The bulletin reports the most frequent reasons as anonymised themes only; a
citizen's own words never leave the warehouse. Coding is by keywords, checked
in the order of ``THEMES`` (first match wins; ``other`` when none matches).
The themes are the bulletin's (``bulletins.model.REASON_THEMES``).
"""

from __future__ import annotations

import unicodedata
from typing import Final

THEMES: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("integrity", ("吃拿卡要", "红包", "好处费", "索要", "收礼", "请吃饭", "关系")),
    ("fees", ("收费", "费用", "乱收", "多收", "交钱", "钱")),
    ("attitude", ("态度", "脸色", "不耐烦", "冷漠", "推诿", "凶", "骂", "不理")),
    ("repeat_visits", ("来回跑", "跑了", "多次", "好几次", "跑腿", "再来", "几趟")),
    ("waiting", ("排队", "等了", "等候", "等待", "人多")),
    ("timeliness", ("太长", "太慢", "拖", "超时", "时间长", "很久", "久", "慢", "效率")),
    ("materials", ("材料", "证明", "复印", "资料")),
    ("information", ("说不清", "不清楚", "没告知", "没说明", "解释", "一次性告知", "咨询", "电话打不通")),
    ("procedure", ("流程", "手续", "繁琐", "复杂", "环节", "盖章", "签字")),
    ("online", ("网上", "系统", "故障", "app", "小程序", "网站", "掌上", "线上", "不能用")),
    ("facilities", ("环境", "设施", "停车", "座位", "空调", "指示")),
    ("result", ("没办成", "没办好", "不予", "结果", "驳回", "没解决", "不给办")),
)
OTHER: Final = "other"


def code(reason: str | None) -> str | None:
    """The theme of one reason text (None for a blank one)."""
    if reason is None:
        return None
    text = unicodedata.normalize("NFKC", reason).strip().lower()
    if not text:
        return None
    for theme, words in THEMES:
        if any(word in text for word in words):
            return theme
    return OTHER

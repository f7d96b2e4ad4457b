from __future__ import annotations

import pytest

from channels.reasons import code


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("办理时间太长", "timeliness"),
        ("来回跑了好几次", "repeat_visits"),
        ("工作人员态度不好", "attitude"),
        ("材料要求说不清楚", "materials"),
        ("系统故障无法办理", "online"),
        ("窗口要我给好处费", "integrity"),
        ("排队排了两个小时", "waiting"),
        ("ＡＰＰ用不了", "online"),
        ("说不上来", "other"),
        ("   ", None),
        (None, None),
    ],
)
def test_reasons_are_coded_into_themes(text: str | None, theme: str | None) -> None:
    assert code(text) == theme

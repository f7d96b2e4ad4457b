"""Registered templates: rendering, the 70-character segment, the configured codes."""

from __future__ import annotations

import pytest

from channels.aliyun import AliyunConfigError
from channels.aliyun import templates as T
from channels.aliyun.provider import follow_up_roles
from channels.questionnaire import load as load_questionnaire

from .conftest import CODES, SIGN, TEMPLATES, config


def test_segments_count_ucs2_units_with_the_signature() -> None:
    assert T.segments("字" * 70) == 1
    assert T.segments("字" * 71) == 2  # 67 per part once concatenated
    assert T.segments("字" * 134) == 2
    assert T.segments("字" * 135) == 3
    assert T.units("😀") == 2 and T.segments("字" * 69 + "😀") == 2
    assert T.units(T.with_sign("民意", "好")) == 5


@pytest.mark.parametrize(
    ("unit", "category"),
    [
        ("区市场监督管理局", "营业执照办理"),
        ("区人力资源和社会保障局", "社保卡补办"),
        ("区民政局", "婚姻登记"),
        ("城关街道便民服务中心", "居住证"),
    ],
)
def test_the_first_sms_fits_one_segment_for_usual_names(unit: str, category: str) -> None:
    template, params, sms = T.choose_opening(TEMPLATES, SIGN, {"unit": unit, "category": category})
    assert template.role == "opening" and params == {"unit": unit, "category": category}
    assert sms == f"【{SIGN}】" + template.text.replace("${unit}", unit).replace(
        "${category}", category
    )
    assert T.segments(sms) == 1 and T.units(sms) <= 70
    assert "回T退订" in sms and "5非常满意" in sms


def test_a_long_unit_name_falls_back_to_the_short_opening() -> None:
    context = {"unit": "区行政审批局政务服务中心综合受理窗口", "category": "不动产登记"}
    template, params, sms = T.choose_opening(TEMPLATES, SIGN, context)
    assert template.role == "opening_short" and params == {"category": "不动产登记"}
    assert T.segments(sms) == 1
    # nothing fits one segment: the shortest text goes out, and it says so by its length
    template, _, sms = T.choose_opening(
        TEMPLATES, SIGN, {"category": "长" * 30, "unit": "区民政局"}
    )
    assert T.segments(sms) == 2 and template.role == "opening_short"


def test_values_are_checked_against_the_service_limits() -> None:
    opening = TEMPLATES["opening"]
    assert opening.variables == ("unit", "category")
    assert opening.params({}) == {"unit": "相关部门", "category": "相关业务"}
    with pytest.raises(T.TemplateError, match="35"):
        opening.params({"unit": "局" * 36, "category": "x"})
    with pytest.raises(T.TemplateError, match="缺少变量"):
        opening.render({"unit": "x"})


def test_every_template_the_provider_sends_needs_a_configured_code() -> None:
    roles = follow_up_roles(load_questionnaire())
    assert roles == ["integrity", "timeliness", "reason"]
    T.check_codes(config(), TEMPLATES, roles)  # complete: no error
    partial = {r: c for r, c in CODES.items() if r != "thanks"}
    with pytest.raises(AliyunConfigError, match="MINYI_ALIYUN_TEMPLATE_THANKS"):
        T.check_codes(config(templates=partial), TEMPLATES, roles)
    # voice templates are needed only with a caller number
    sms_only = {r: c for r, c in CODES.items() if not r.startswith("ivr_")}
    T.check_codes(config(templates=sms_only, voice_caller=None), TEMPLATES, roles)
    with pytest.raises(AliyunConfigError, match="MINYI_ALIYUN_TEMPLATE_IVR_START"):
        T.check_codes(config(templates=sms_only), TEMPLATES, roles)
    with pytest.raises(AliyunConfigError, match="misc"):
        T.check_codes(config(), TEMPLATES, [*roles, "misc"])


def test_every_sms_template_fits_one_segment_with_the_signature() -> None:
    for template in TEMPLATES.of_kind("sms"):
        sms = T.with_sign(
            SIGN, template.render(template.params({"unit": "区民政局", "category": "婚姻登记"}))
        )
        assert T.segments(sms) == 1, template.role

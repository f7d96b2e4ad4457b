"""Every word the bulletin prints, in Chinese (default) and English.

Labels may hold ``str.format`` placeholders; :func:`text` fills them. Names of
peer groups, channels and flags not listed here are shown as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

Lang = Literal["zh", "en"]
LANGS: Final[tuple[Lang, ...]] = ("zh", "en")

_MONTHS_EN: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

_ZH: Final[dict[str, str]] = {
    "title": "{district}政务服务满意度统计通报（{year}年{month}月）",
    "issuer": "{district}民意访评中心",
    "generated": "生成时间：{when}",
    "validated": "数据校验：通过",
    "data_docs": "校验报告：{path}",
    "dash": "—",
    # 一、fieldwork
    "s_fieldwork": "一、访评概况",
    "fw_cases": "当月办结办件",
    "fw_eligible": "符合访评条件",
    "fw_sampled": "抽样访评",
    "fw_responded": "有效回答",
    "fw_rr": "应答率（RR1）",
    "fw_ch_rr": "回答/联系（合计为RR1）",
    "fw_channel": "访评方式",
    "fw_contacted": "访评件数",
    "fw_total": "合计",
    # 二、district
    "s_district": "二、全区满意度",
    "district_rate": "全区满意率",
    "district_ci": "95%置信区间 {interval}",
    "district_n": "基于 {n} 个有效回答",
    # 三、peer groups
    "s_groups": "三、各类单位满意度",
    "caution": (
        "排名相邻且无标记的单位之间差异不具有统计意义。只有标注“显著高于同类”或"
        "“显著低于同类”的单位，其满意率与同类单位总体的差距超出了抽样误差所能解释的范围。"
    ),
    "group_summary": "可报告单位 {units} 个，同类总体满意率 {target}。",
    "group_overdispersed": "单位间差异大于抽样误差（过度离散，φ = {phi}），控制限已相应放宽。",
    "group_no_funnel": "该类单位数量不足，未计算漏斗图控制限，不作标记。",
    "group_none": "本类单位本月均样本不足，不排名。",
    "col_rank": "排名",
    "col_rank_interval": "排名区间",
    "col_unit": "单位",
    "col_responded": "有效回答",
    "col_sampled": "抽样数",
    "col_rr": "应答率",
    "col_rate": "满意率",
    "col_ci": "95%置信区间",
    "col_change": "较上月（百分点）",
    "col_flag": "标记",
    "col_peer_group": "类别",
    "change_note": (
        "较上月：本月与上月均可报告的单位满意率之差（百分点），未作显著性检验，"
        "小幅变化多属抽样误差。"
    ),
    "funnel_caption": (
        "漏斗图：横轴为有效样本量，纵轴为满意率；中线为同类总体满意率，"
        "实线为{outer}控制限，虚线为95%控制限。"
    ),
    "rank_caption": "排名图：圆点为满意率，横线为95%置信区间，竖虚线为同类总体满意率。",
    "axis_n_eff": "有效样本量",
    "axis_rate": "满意率",
    "peer_rate": "同类总体",
    # 四、not reportable
    "s_insufficient": "四、样本不足单位",
    "insufficient_note": (
        "以下单位本月有效回答不足 {min_n} 个，样本不足，不计算满意率、不参加排名，仅列出样本数。"
    ),
    "insufficient_none": "本月没有样本不足的单位。",
    # 五、channels
    "s_channels": "五、访评渠道构成",
    "channels_note": (
        "各可报告单位有效回答的访评方式构成。语音和电话访评的评价通常比其他方式更积极，"
        "渠道构成差异较大的单位之间比较应当慎重。"
    ),
    "channels_none": "本月没有渠道数据。",
    # 六、integrity
    "s_integrity": "六、廉政监督",
    "int_reports": "反映“吃拿卡要”问题",
    "int_units": "涉及单位",
    "int_followups": "不满意件转回访跟进",
    "int_count": "{n} 件",
    "int_unit_count": "{n} 个",
    "int_note": "本通报只公布件数，不公布反映人信息；每一件反映都须跟进核实。",
    # 七、method
    "s_method": "七、方法说明",
}

_EN: Final[dict[str, str]] = {
    "title": "{district} Government Service Satisfaction Bulletin ({month_name} {year})",
    "issuer": "{district} Public Opinion Evaluation Center",
    "generated": "Generated {when}",
    "validated": "Data validation: passed",
    "data_docs": "Validation report: {path}",
    "dash": "—",
    "s_fieldwork": "1. Fieldwork",
    "fw_cases": "Completed cases",
    "fw_eligible": "Eligible",
    "fw_sampled": "Sampled",
    "fw_responded": "Respondents",
    "fw_rr": "Response rate (RR1)",
    "fw_ch_rr": "Answered / contacted (total: RR1)",
    "fw_channel": "Channel",
    "fw_contacted": "Contacted",
    "fw_total": "Total",
    "s_district": "2. District satisfaction",
    "district_rate": "District satisfaction rate",
    "district_ci": "95% interval {interval}",
    "district_n": "from {n} respondents",
    "s_groups": "3. Satisfaction by peer group",
    "caution": (
        "Units with neighbouring ranks and no flag are not shown to differ: their order may be "
        "sampling noise. Only units flagged “significantly above/below peers” differ from "
        "their peer group by more than sampling error can explain."
    ),
    "group_summary": "{units} reportable units; peer-group rate {target}.",
    "group_overdispersed": (
        "Units differ by more than sampling error (overdispersion, φ = {phi}); "
        "the limits are widened accordingly."
    ),
    "group_no_funnel": "Too few units to compute funnel limits; no flags in this group.",
    "group_none": "No unit in this group had enough respondents this month; no ranking.",
    "col_rank": "Rank",
    "col_rank_interval": "Rank interval",
    "col_unit": "Unit",
    "col_responded": "Respondents",
    "col_sampled": "Sampled",
    "col_rr": "Response rate",
    "col_rate": "Satisfied",
    "col_ci": "95% interval",
    "col_change": "Change (pp)",
    "col_flag": "Flag",
    "col_peer_group": "Peer group",
    "change_note": (
        "Change: difference from last month in percentage points, for units reportable in "
        "both months. Not tested for significance; small changes are mostly sampling noise."
    ),
    "funnel_caption": (
        "Funnel plot: effective sample size across, satisfaction rate up; the centre line is "
        "the peer-group rate, solid curves the {outer} limits, dashed curves the 95% limits."
    ),
    "rank_caption": (
        "Ranking chart: dot = satisfaction rate, bar = 95% interval, dashed line = peer-group rate."
    ),
    "axis_n_eff": "Effective sample size",
    "axis_rate": "Satisfied",
    "peer_rate": "Peer rate",
    "s_insufficient": "4. Units with too few respondents",
    "insufficient_note": (
        "These units had fewer than {min_n} respondents this month: no rate is estimated and "
        "they are not ranked. Only their counts are shown."
    ),
    "insufficient_none": "Every unit had enough respondents this month.",
    "s_channels": "5. Channel mix",
    "channels_note": (
        "How each reportable unit's respondents were reached. Voice and telephone respondents "
        "tend to rate more positively than others; compare units with very different mixes "
        "with care."
    ),
    "channels_none": "No channel data this month.",
    "s_integrity": "6. Integrity",
    "int_reports": "Reports of staff asking for favours or fees (吃拿卡要)",
    "int_units": "Units concerned",
    "int_followups": "Dissatisfied answers followed up",
    "int_count": "{n}",
    "int_unit_count": "{n}",
    "int_note": (
        "Counts only; nothing that identifies who reported is published. "
        "Every report must be followed up."
    ),
    "s_method": "7. Method",
}

_METHOD: Final[dict[Lang, tuple[str, ...]]] = {
    "zh": (
        "抽样：每天以当日办结的办件为抽样框，按办件类别分层；在保证当日总样本量的前提下，"
        "样本在各类别之间平均分配（而不是按办件量比例分配），各类别内随机抽取。"
        "无效号码、已退订、近期已访评过的号码等不抽取。",
        "加权：每个回答按所在类别的抽样比例加权（权数 = 该类别符合条件的办件数 ÷ 抽样数），"
        "使办件少的类别不会因平均分配而被放大；再在同一类别、同一月份内作无应答调整，"
        "把未回答者的权数分摊给回答者。回答“不了解”的不计入满意率的分母。",
        "满意率：回答“非常满意”“满意”“基本满意”的加权比例，按全月抽样设计整体估计；"
        "标准误用泰勒线性化方法计算，可用 R 语言 survey 程序包独立复核。",
        "置信区间：95%置信区间表示抽样误差的范围——用同样方法反复抽样，约95%的区间会包含"
        "单位的真实满意率。区间越宽，结果越不确定；两个单位的区间大部分重叠时，"
        "不能认为二者有差别。排名区间是该单位名次的95%可能范围。",
        "漏斗图与标记：以同类单位总体满意率为中心，按每个单位的有效样本量画出95%和{outer}"
        "控制限；单位之间的真实差异大于抽样误差时（过度离散），控制限按加性方法相应放宽"
        "（Spiegelhalter 2005）。只有落在{outer}控制限之外的单位才标为“显著高于同类”或"
        "“显著低于同类”。“十佳”为满意率最高的十个可报告单位，本身不表示与其他单位有显著差异。",
        "可报告规则：当月有效回答不少于 {min_n} 个的单位才计算满意率并参加排名；"
        "不足 {min_n} 个的列为“样本不足”，只列出样本数。",
        "访评渠道：访评采用短信、自动语音和人工电话三种方式。语音和电话访评的评价往往比其他方式"
        "更积极（Elliott 等，2009），渠道构成差异很大的单位之间直接比较应当慎重。",
        "背对背：访评对被评单位“背对背”进行，被评单位不会得知是谁作出的评价；"
        "本通报不公布任何可识别个人的信息，样本不足的单位不公布满意率。",
    ),
    "en": (
        "Sampling: each day's completed service cases form the frame, stratified by case "
        "category. A guaranteed daily total is spread equally over the day's categories "
        "(not in proportion to their volume) and drawn at random within each. Invalid, "
        "opted-out and recently contacted numbers are not drawn.",
        "Weights: each answer is weighted by its category's sampling ratio (weight = eligible "
        "cases ÷ cases sampled in the category), so that small categories are not inflated by "
        "the equal allocation; then, within category and month, the weight of non-respondents "
        "is spread over respondents (nonresponse adjustment). “Don't know” answers are left "
        "out of the denominator.",
        "Satisfaction rate: the weighted share answering very satisfied, satisfied or fairly "
        "satisfied, estimated from the whole month's design; standard errors by Taylor "
        "linearisation, reproducible with R's survey package.",
        "Intervals: a 95% interval shows the range of sampling error — with the same method "
        "repeated, about 95% of such intervals contain the unit's true rate. Wider means less "
        "certain; units whose intervals largely overlap cannot be said to differ. The rank "
        "interval is the 95% range of the unit's plausible ranks.",
        "Funnel plots and flags: around the peer-group rate, the 95% and {outer} limits are "
        "drawn for each effective sample size; when units differ by more than sampling error "
        "(overdispersion) the limits are widened additively (Spiegelhalter 2005). Only units "
        "outside the {outer} limits are flagged significantly above or below their peers. "
        "“Top ten” marks the ten highest-rated reportable units and is not by itself "
        "evidence of a real difference.",
        "Reportability: a unit is rated and ranked only with at least {min_n} respondents in "
        "the month; otherwise it is listed as having too few respondents, with counts only.",
        "Channels: SMS, automated voice calls and evaluators' phone calls. Voice and telephone "
        "respondents tend to rate more positively (Elliott et al. 2009), so units with very "
        "different channel mixes should be compared with care.",
        "Anonymity (背对背): units never learn who rated them; nothing that identifies a person "
        "is published, and no rate is published for units with too few respondents.",
    ),
}

_PEER_GROUPS: Final[dict[Lang, dict[str, str]]] = {
    "zh": {"agency": "行政机关", "department": "区直部门", "window": "服务窗口", "": "未分组"},
    "en": {
        "agency": "Agencies",
        "department": "District departments",
        "window": "Service windows",
        "": "Ungrouped",
    },
}

_CHANNELS: Final[dict[Lang, dict[str, str]]] = {
    "zh": {"sms": "短信", "voice": "语音", "manual": "人工", "simulated": "模拟"},
    "en": {"sms": "SMS", "voice": "Voice", "manual": "Manual", "simulated": "Simulated"},
}

_FLAGS: Final[dict[Lang, dict[str, str]]] = {
    "zh": {"top": "十佳", "above": "显著高于同类", "below": "显著低于同类"},
    "en": {
        "top": "Top ten",
        "above": "Significantly above peers",
        "below": "Significantly below peers",
    },
}

_TABLES: Final[dict[Lang, dict[str, str]]] = {"zh": _ZH, "en": _EN}


def check_lang(lang: str) -> Lang:
    """Return ``lang`` if it is a supported language, else raise ValueError."""
    for known in LANGS:
        if lang == known:
            return known
    raise ValueError(f"unsupported language {lang!r}; use one of {', '.join(LANGS)}")


def labels(lang: Lang) -> Mapping[str, str]:
    """All labels of one language (placeholders unfilled)."""
    return _TABLES[lang]


def text(lang: Lang, key: str, **values: object) -> str:
    """One label with its placeholders filled."""
    return _TABLES[lang][key].format(**values)


def method_note(lang: Lang, *, min_n: int, outer: str) -> tuple[str, ...]:
    """The plain-language method note, one string per paragraph."""
    return tuple(p.format(min_n=min_n, outer=outer) for p in _METHOD[lang])


def title(lang: Lang, district: str, month: str) -> str:
    """The bulletin title for ``month`` (``YYYY-MM``)."""
    year, mon = int(month[:4]), int(month[5:7])
    return text(
        lang, "title", district=district, year=year, month=mon, month_name=_MONTHS_EN[mon - 1]
    )


def peer_group(lang: Lang, group: str | None) -> str:
    """A peer group's display name; unknown groups by their own name."""
    return _PEER_GROUPS[lang].get(group or "", group or "")


def channel(lang: Lang, name: str) -> str:
    """A channel's display name; unknown channels by their own name."""
    return _CHANNELS[lang].get(name, name)


def flag(lang: Lang, name: str) -> str:
    """A flag's words; unknown flags by their own name."""
    return _FLAGS[lang].get(name, name)

"""Every word of the Chinese bulletin (the main language). Keys match :mod:`bulletins.words_en`.

The main text is plain Chinese for staff and leaders; statistical terms (RR1,
置信区间, 漏斗图, 名次区间, 概率) appear only in 附件1 统计方法说明.
"""

from __future__ import annotations

from typing import Final

LABELS: Final[dict[str, str]] = {
    "title": "关于{district}{year}年{month}月政务服务\n满意度访评情况的统计通报",
    "short_title": "{district}{year}年{month}月政务服务满意度统计通报",
    "doc_number": "{prefix}〔{year}〕{serial}号",
    "signer": "签发人：{name}",
    "recipients": "{recipients}：",
    "intro": (
        "为了解群众和企业对全区行政机关、区直部门和窗口单位政务服务的评价，{year}年{month}月，"
        "我中心对当月办结的办件开展了满意度访评。现将有关情况通报如下。"
    ),
    "dash": "—",
    "sep": "、",
    "list_end": "。",
    # 一、总体情况
    "s_overall": "总体情况",
    "overall_fieldwork": (
        "本月全区办结办件{cases}件，其中符合访评条件{eligible}件。我中心按办件类别分层随机抽取"
        "{sampled}件，通过短信、自动语音和人工电话进行访评，取得有效回答{responded}件，应答率{rr}。"
    ),
    "overall_rate": "全区群众满意率为{rate}，误差范围约±{margin}个百分点。",
    "overall_rate_none": "本月有效回答不足，未计算全区满意率。",
    "change_up": "比{basis}（{earlier}）提高{pp}个百分点，变化明显",
    "change_down": "比{basis}（{earlier}）下降{pp}个百分点，变化明显",
    "change_flat": "与{basis}相比无明显变化",
    "basis_mom": "上月",
    "basis_yoy": "去年同期",
    "changes_sentence": "{parts}。",
    "table_channels": "表{n}　各访评方式完成情况",
    "fw_channel": "访评方式",
    "fw_contacted": "访评件数",
    "fw_responded": "有效回答",
    "fw_ch_rr": "回答比例",
    "fw_total": "合计",
    "categories_lead": "分办件类别看，满意率较高的是{high}，较低的是{low}。",
    "categories_lead_few": "各办件类别的满意率见表{n}。",
    "table_categories": "表{n}　各办件类别满意率",
    "cat_category": "办件类别",
    "cat_cases": "办结件数",
    "cat_sampled": "抽样件数",
    "cat_responded": "有效回答",
    "cat_rate": "满意率",
    "cat_margin": "误差范围",
    "insufficient_cell": "样本不足",
    # 二、各单位情况
    "s_units": "各单位情况",
    "units_intro": (
        "本月共{total}个单位参加访评，其中{ranked}个单位有效回答达到{min_n}个以上，参加同类单位比较；"
        "{small}个单位样本不足，暂不比较。"
    ),
    "units_adjusted": (
        "同类单位之间的比较采用近{months}个月的累计数据，并对各单位办件类别构成和访评方式构成的差异"
        "作了调整，表中“调整后满意率”即比较所用的数值（详见附件1）。"
    ),
    "units_caution": (
        "只有标明“明显低于同类”或“明显高于同类”的单位，其差距超出了偶然因素所能解释的范围；"
        "名次相邻、标明“无明显差异”的单位之间不宜区分高下。"
    ),
    "units_adjusted_1": "同类单位之间的比较对各单位办件类别构成和访评方式构成的差异作了调整，表中“调整后满意率”即比较所用的数值（详见附件1）。",
    "group_lead": "共{n}个单位参加比较，同类平均满意率{target}。",
    "group_below": "明显低于同类的有：{names}。",
    "group_no_below": "没有明显低于同类的单位。",
    "group_above": "明显高于同类的有：{names}。",
    "group_top": "十佳：{names}。",
    "group_last": "末位：{names}。",
    "group_rest": "其余单位与同类平均水平无明显差异。",
    "group_none": "本类单位本月均样本不足，不作比较。",
    "table_plain": "表{n}　{title}",
    "table_group": "表{n}　{group}满意率情况",
    "col_rank": "名次",
    "col_no": "序号",
    "col_unit": "单位",
    "col_responded": "有效回答",
    "col_rate": "本月满意率",
    "col_adjusted": "调整后满意率",
    "col_compare": "与同类比较",
    "col_mom": "较上月（百分点）",
    "col_yoy": "较去年同期（百分点）",
    "col_peer_group": "单位类别",
    "col_sampled": "抽样件数",
    "cmp_up": "上升{pp}",
    "cmp_down": "下降{pp}",
    "cmp_flat": "无明显变化",
    "s_small": "样本不足的单位",
    "small_note": "以下单位本月有效回答不足{min_n}个，暂不计算满意率、不参加比较。",
    "table_small": "表{n}　样本不足的单位",
    # 跟踪督办
    "s_followups": "跟踪督办情况",
    "followups_lead": (
        "本月不满意件转办{tickets}件，按期办结率{on_time}，超期未办结{overdue}件，回访满意率{revisit}。"
    ),
    "complaints_lead": "本月受理群众投诉{n}件。",
    "table_followups": "表{n}　各单位转办件办理情况",
    "complaints_detail": "其中短信{sms}件、电话{phone}件、网上{web}件；已答复{replied}件，超期未答复{overdue}件。",
    "appeals_lead": (
        "本月被评单位提出申诉{filed}件，经复核成立{upheld}件（相关评价已从统计中剔除），"
        "不成立{rejected}件，待复核{pending}件。"
    ),
    "polls_lead": "本月开展民意征集{n}项：{items}。",
    "poll_sample": "“{title}”（随机抽样{sampled}人，回答{responded}人）",
    "poll_open": "“{title}”（公开征集，回答{responded}人，属非概率样本，结果仅反映参与者意见）",
    "correction_title": "更正说明",
    "correction_text": (
        "本通报于{date}更正后重新印发。经申诉复核，{n}条访评回答（{grounds}）已从统计中剔除，"
        "涉及{units}个单位，其满意率、区间和排序据此重新计算。本版替代此前印发的版本。"
    ),
    "ground_not_our_case": "非本单位办件",
    "ground_wrong_person": "受访人非办事人",
    "ground_malicious": "恶意评价",
    "fu_tickets": "转办件数",
    "fu_on_time": "按期办结率",
    "fu_overdue": "超期件数",
    "fu_revisit": "回访满意率",
    # 存在的主要问题
    "s_problems": "存在的主要问题",
    "problem_reasons": "群众反映的不满意原因主要集中在：{themes}。",
    "reason_item": "{theme}（{n}件，占{share}）",
    "problem_below": "与同类单位相比，{names}{count}满意率明显偏低。",
    "below_count": "等{n}个单位",
    "problem_integrity": "群众反映工作人员“吃拿卡要”问题{reports}件，涉及{units}个单位，均须逐件核实、跟进处理。",
    "problem_overdue": "有{n}件转办件超期未办结。",
    "problem_none": "本月未发现突出问题。",
    # 工作要求
    "s_requirements": "工作要求",
    "requirements_default": (
        "各单位要对照本通报，认真查找服务中存在的不足，及时改进。\n"
        "满意率明显低于同类的单位要深入分析原因，制定改进措施，切实提升服务质量。\n"
        "对群众反映的不满意问题和“吃拿卡要”线索，有关单位要按规定及时办理、据实反馈。"
    ),
    # 附件说明、署名、版记
    "attachments": "附件：",
    "attachment_1": "统计方法说明",
    "attachment_2": "数据校验结果",
    "attachment_label": "附件{n}",
    "copy_to": "抄送：{names}。",
    "printed": "{by}",
    "printed_date": "{date}印发",
    "page": "— {n} —",
    # 附件1
    "m_sampling": "抽样与加权",
    "m_rates": "满意率与应答率",
    "m_judging": "同类单位比较",
    "m_details": "各单位比较明细",
    "m_charts": "图示",
    "m_channels": "访评方式构成",
    "m_generated": "本通报数据生成时间：{when}。",
    "d_col_months": "累计月数",
    "d_col_respondents": "累计有效回答",
    "d_col_estimate": "比较用满意率",
    "d_col_ci": "95%置信区间",
    "d_col_rank": "名次",
    "d_col_rank_interval": "名次区间",
    "d_col_p_below": "低于同类的概率",
    "d_col_evidence": "判断",
    "funnel_caption": (
        "图{n}　{group}漏斗图：横轴为有效回答数，纵轴为本月满意率；中线为同类平均满意率，"
        "虚线为95%、实线为99.8%控制限（二项分布）。标注名称的为明显低于或高于同类的单位，"
        "其余以表中序号标注。漏斗图只作示意，判断以比较模型为准。"
    ),
    "funnel_key": "序号对照：",
    "rank_caption": "图{n}　{group}排名图：圆点为比较用满意率，横线为其95%置信区间，竖虚线为同类平均；右列为名次区间。",
    "axis_respondents": "有效回答数",
    "axis_rate": "满意率",
    "peer_rate": "同类平均",
    "rank_interval_title": "名次区间",
    "channels_note": "各单位有效回答的访评方式构成。语音和电话访评的评价通常比短信更积极，比较时已作调整。",
    "table_channel_effects": "表{n}　访评方式效应",
    "ce_channel": "访评方式",
    "ce_respondents": "试验样本有效回答",
    "ce_effect": "效应（对数优势比）",
    "ce_se": "标准误",
    "ce_ci": "95%置信区间",
    "ce_reference": "{name}（参照）",
    "ce_not_estimated": "未估计",
    "ce_interval": "{lo} 至 {hi}",
    "ce_month": "{year}年{month}月",
    "ce_window": "（{first}至{last}）",
    "ce_window_1": "（{first}）",
    "ce_note": (
        "表{n}的效应由随机指定首个访评方式的那部分样本{window}估计，以{reference}为参照"
        "（对数优势比，正值表示评价更积极）；比较模型按各单位的访评方式构成，用这些效应调整其满意率。"
    ),
    # 附件2
    "v_lead": "本月数据共经过{n}组校验，其中{ok}组全部通过。阻断性校验全部通过后方可发布本通报。",
    "v_none": "本月数据已通过全部阻断性校验。",
    "v_col_suite": "校验内容",
    "v_col_checks": "检查项数",
    "v_col_rows": "数据行数",
    "v_col_result": "结果",
    "v_passed": "通过",
    "v_failed": "{n}项未通过",
    "v_failures": "未通过的检查项",
    "v_failure": "{suite}：{expectation}{column}，涉及{n}行{kind}",
    "v_blocking": "（阻断性）",
    "v_warning": "（提示性）",
    "v_column": "（字段 {column}）",
    "v_docs": "详细校验报告（可离线打开）",
}

METHOD: Final[dict[str, tuple[str, ...]]] = {
    "m_sampling": (
        "抽样：每天以当日办结的办件为抽样框，按办件类别分层；在保证当日总样本量的前提下，样本在各类别之间"
        "平均分配，各类别内按永久随机数随机抽取。无效号码、已退订、近期已访评过的号码不抽取；同一号码当日"
        "有多件办件时，随机选取一件并按件数加权。",
        "加权：每个回答按所在类别的抽样比例加权（权数 = 该类别符合条件的办件数 ÷ 抽样数），再在同一类别、"
        "同一月份内作无应答调整。回答“不了解”的不计入满意率的分母。",
    ),
    "m_rates": (
        "满意率：回答“非常满意”“满意”“基本满意”的加权比例，按全月抽样设计整体估计；标准误用泰勒线性化"
        "方法计算，95%置信区间用 Korn–Graubard 方法，可用 R 语言 survey 程序包独立复核。正文中的"
        "“误差范围”为95%置信区间半宽的近似值。",
        "应答率：按美国舆论研究协会（AAPOR）标准定义的 RR1 计算，即完成访评件数 ÷ 抽样件数"
        "（资格未知的计入分母）。表1“回答比例”为各访评方式的有效回答 ÷ 访评件数。",
        "可报告规则：当月有效回答不少于{min_n}个的单位才计算满意率并参加比较。",
        "环比、同比：变化量附有标准误（两个月独立抽样，√(se1² + se0²)），只有变化超过1.96倍标准误时"
        "才在正文中写明升降，否则写作“无明显变化”。",
    ),
    "m_judging": (
        "比较模型：单位之间的比较回答的是“该单位的服务是否真的好于或差于同类单位”，采用分层（Fay–Herriot）"
        "模型：各单位按同类组别在logit尺度上建模，单位间方差用限制性极大似然（REML）估计，并以办件类别构成"
        "（按全区各类别满意率间接标准化）和访评方式构成为协变量，在决策期内合并多个月的数据。",
        "判断标准：单位真实满意率低于同类平均{delta}个百分点以上的概率不低于95%时，判为“明显低于同类”；"
        "高于同类平均{delta}个百分点以上的概率不低于95%时，判为“明显高于同类”；其余为“无明显差异”。",
        "名次区间：由同一模型得到的该单位名次的95%可能范围。十佳按进入同类前列的概率评定；末位须"
        "末位概率不低于90%且明显低于同类。",
        "访评方式：语音和电话访评的评价通常比短信更积极（Elliott 等，2009），各方式的效应由随机分配首个"
        "访评方式的部分样本在本中心内估计，并在比较中调整。",
        "背对背：被评单位不会得知是谁作出的评价；本通报不公布任何可识别个人的信息，不满意原因只按归类后"
        "的主题公布件数。",
    ),
}

PEER_GROUPS: Final = {
    "agency": "行政机关",
    "department": "区直部门",
    "window": "服务窗口",
    "township": "镇（街道）",
    "section": "科室",
    "": "未分组",
}
CHANNELS: Final = {"sms": "短信", "voice": "自动语音", "manual": "人工电话", "simulated": "模拟"}
EVIDENCE: Final = {
    "below": "明显低于同类",
    "none": "无明显差异",
    "above": "明显高于同类",
    "top": "十佳",
    "last": "末位",
}
THEMES: Final = {
    "attitude": "服务态度不好",
    "waiting": "排队等候时间长",
    "timeliness": "办理时间长",
    "repeat_visits": "多次跑腿",
    "procedure": "手续繁琐",
    "information": "告知不清楚",
    "materials": "材料要求多",
    "online": "网上办理不便",
    "fees": "收费问题",
    "integrity": "吃拿卡要",
    "facilities": "场所设施不便",
    "result": "对办理结果不满意",
    "other": "其他",
}
SUITES: Final = {
    "cases": "办件数据",
    "sample": "抽样结果",
    "responses": "访评回答",
    "answers": "访评答复",
    "dispositions": "访评结果代码",
    "estimates": "月度估计",
    "unit_month": "单位月度结果",
    "weights": "权数",
}
EXPECTATIONS: Final = {
    "ExpectColumnValuesToNotBeNull": "不得为空",
    "ExpectColumnValuesToBeUnique": "不得重复",
    "ExpectColumnValuesToBeInSet": "取值须在规定范围内",
    "ExpectColumnValuesToBeBetween": "数值须在合理区间内",
    "ExpectColumnPairValuesAToBeGreaterThanB": "两列数值关系须正确",
    "ExpectColumnSumToBeBetween": "合计须在合理区间内",
    "ExpectTableRowCountToEqual": "行数须与预期一致",
    "ExpectTableRowCountToBeBetween": "行数须在合理区间内",
    "ExpectColumnToExist": "字段须存在",
    "ExpectColumnValuesToMatchRegex": "格式须符合规定",
    "ExpectCompoundColumnsToBeUnique": "组合键不得重复",
}
ZONE_NAMES: Final = {
    "Asia/Shanghai": "北京时间",
    "Asia/Chongqing": "北京时间",
    "Asia/Urumqi": "乌鲁木齐时间",
}

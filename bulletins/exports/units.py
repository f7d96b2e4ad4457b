"""``units.csv`` (CONTRACT, English headers) and ``units.xlsx`` (Chinese headers, title row).

One row per unit, ordered by peer group, rank (unranked last) and unit_id. For
units that are not reportable the estimate columns are empty (样本不足: counts
only), as in the bulletin. Columns: ``v_unit_month``'s (:data:`~bulletins.model.UNIT_COLUMNS`)
then ``honour``.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from bulletins import i18n
from bulletins.exports.cells import Column, csv_bytes, xlsx_bytes
from bulletins.frames import check_data, generated_local, normalised_units
from bulletins.model import HONOUR, UNIT_COLUMNS, BulletinData
from minyi import columns as c

COLUMNS: Final = (*UNIT_COLUMNS, HONOUR)

XLSX_COLUMNS: Final[tuple[Column, ...]] = (
    (c.UNIT_ID, "单位编码", "text"),
    (c.UNIT_NAME, "单位名称", "text"),
    (c.PEER_GROUP, "单位类别", "text"),
    (c.SAMPLED, "抽样件数", "int"),
    (c.RESPONDED, "有效回答", "int"),
    (c.RESPONSE_RATE, "应答率", "pct"),
    (c.SATISFACTION_RATE, "满意率", "pct"),
    (c.SE, "标准误", "float"),
    (c.CI_LOW, "95%置信区间下限", "pct"),
    (c.CI_HIGH, "95%置信区间上限", "pct"),
    (c.REPORTABLE, "是否可报告", "text"),
    (c.RANK, "名次", "int"),
    (c.RANK_LOW, "名次区间下限", "int"),
    (c.RANK_HIGH, "名次区间上限", "int"),
    (c.FLAG, "与同类比较", "text"),
    (HONOUR, "十佳", "text"),
    (c.N_EFF, "有效样本量", "float"),
)


def units_frame(data: BulletinData) -> pl.DataFrame:
    """The rows of units.csv (see the module doc)."""
    check_data(data)
    frame = normalised_units(data.units).with_columns(
        pl.col(HONOUR).cast(pl.String), pl.col(c.FLAG).cast(pl.String)
    )
    return frame.select(COLUMNS).sort([c.PEER_GROUP, c.RANK, c.UNIT_ID], nulls_last=True)


def units_csv(data: BulletinData) -> bytes:
    """units.csv: UTF-8 with BOM, English headers, text cells escaped."""
    return csv_bytes(units_frame(data))


def units_xlsx(data: BulletinData) -> bytes:
    """units.xlsx: a title row, Chinese headers and words (单位类别, 与同类比较, 十佳)."""
    frame = units_frame(data)
    mv = i18n.month_values("zh", data.month)
    rows = []
    for r in frame.iter_rows(named=True):
        r = dict(r)
        r[c.PEER_GROUP] = i18n.peer_group("zh", r[c.PEER_GROUP])
        r[c.REPORTABLE] = "是" if r[c.REPORTABLE] else "否（样本不足）"
        r[c.FLAG] = (
            i18n.evidence("zh", r[c.FLAG]) if r[c.FLAG] else ("无明显差异" if r[c.RANK] else None)
        )
        r[HONOUR] = "十佳" if r[HONOUR] else None
        rows.append(r)
    when = generated_local(data)
    return xlsx_bytes(
        rows,
        XLSX_COLUMNS,
        title=f"{data.district_name}{mv['year']}年{mv['month']}月各单位政务服务满意度",
        subtitle=f"{data.doc().issuer}　数据生成时间：{i18n.local_time('zh', when, data.timezone)}",
        sheet="各单位满意度",
        created=when,
        notes=("满意率为本月按抽样设计加权的估计；样本不足的单位不计算满意率、不排名。",),
    )

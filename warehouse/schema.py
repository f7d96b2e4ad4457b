"""The warehouse schema as an ordered list of migrations.

Each migration is a list of SQL statements applied in one transaction; the
``schema_version`` table records which have run. A warehouse made by any
earlier version is brought to ``CURRENT_VERSION`` by applying the missing
migrations in order, without losing rows. Never edit a released migration:
add a new one.
"""

from __future__ import annotations

from typing import Final

from warehouse.casework import MIGRATION as _V6

_V1: Final = [
    """CREATE TABLE config (
        key VARCHAR PRIMARY KEY,
        value VARCHAR NOT NULL)""",
    """CREATE TABLE units (
        unit_id VARCHAR PRIMARY KEY,
        unit_name VARCHAR NOT NULL,
        unit_kind VARCHAR NOT NULL,
        peer_group VARCHAR NOT NULL,
        parent_unit_id VARCHAR,
        loaded_at TIMESTAMPTZ NOT NULL)""",
    """CREATE TABLE cases (
        case_id VARCHAR PRIMARY KEY,
        unit_id VARCHAR NOT NULL,
        category VARCHAR NOT NULL,
        completed_at TIMESTAMPTZ NOT NULL,
        service_date DATE NOT NULL,
        phone_raw VARCHAR,
        phone_e164 VARCHAR,
        phone_status VARCHAR NOT NULL,
        service_item VARCHAR,
        handler_id VARCHAR,
        service_channel VARCHAR,
        content_hash VARCHAR NOT NULL,
        source_file VARCHAR,
        loaded_at TIMESTAMPTZ NOT NULL)""",
    "CREATE INDEX cases_service_date ON cases(service_date)",
    """CREATE TABLE quarantine (
        source VARCHAR NOT NULL,
        source_file VARCHAR,
        file_sha256 VARCHAR NOT NULL,
        row_number BIGINT NOT NULL,
        record VARCHAR,
        reason VARCHAR NOT NULL,
        quarantined_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (source, file_sha256, row_number))""",
    """CREATE TABLE loads (
        source VARCHAR NOT NULL,
        source_file VARCHAR NOT NULL,
        file_sha256 VARCHAR NOT NULL,
        rows_read BIGINT NOT NULL,
        rows_loaded BIGINT NOT NULL,
        rows_duplicate BIGINT NOT NULL,
        rows_quarantined BIGINT NOT NULL,
        loaded_at TIMESTAMPTZ NOT NULL)""",
    """CREATE TABLE do_not_contact (
        phone_e164 VARCHAR PRIMARY KEY,
        reason VARCHAR,
        added_at TIMESTAMPTZ NOT NULL)""",
    """CREATE TABLE opt_outs (
        phone_e164 VARCHAR PRIMARY KEY,
        channel VARCHAR,
        opted_out_at TIMESTAMPTZ NOT NULL,
        event_key VARCHAR)""",
    """CREATE TABLE ineligible (
        sample_date DATE NOT NULL,
        case_id VARCHAR NOT NULL,
        reason VARCHAR NOT NULL,
        PRIMARY KEY (sample_date, case_id))""",
    """CREATE TABLE allocations (
        sample_date DATE NOT NULL,
        stratum VARCHAR NOT NULL,
        category VARCHAR NOT NULL,
        stratum_population INTEGER NOT NULL,
        stratum_sample INTEGER NOT NULL,
        method VARCHAR NOT NULL,
        total INTEGER NOT NULL,
        minimum INTEGER NOT NULL,
        seed BIGINT NOT NULL,
        PRIMARY KEY (sample_date, stratum))""",
    """CREATE TABLE samples (
        case_id VARCHAR PRIMARY KEY,
        sample_date DATE NOT NULL,
        stratum VARCHAR NOT NULL,
        prn DOUBLE NOT NULL,
        inclusion_prob DOUBLE NOT NULL,
        design_weight DOUBLE NOT NULL,
        seed BIGINT NOT NULL)""",
    """CREATE TABLE outbox (
        attempt_id VARCHAR PRIMARY KEY,
        case_id VARCHAR NOT NULL,
        channel VARCHAR NOT NULL,
        step INTEGER NOT NULL,
        provider VARCHAR NOT NULL,
        status VARCHAR NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        sent_at TIMESTAMPTZ,
        provider_sid VARCHAR,
        error_code VARCHAR,
        error_message VARCHAR)""",
    """CREATE TABLE events (
        event_key VARCHAR PRIMARY KEY,
        provider_sid VARCHAR,
        attempt_id VARCHAR,
        case_id VARCHAR,
        channel VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        occurred_at TIMESTAMPTZ NOT NULL,
        detail VARCHAR,
        loaded_at TIMESTAMPTZ NOT NULL)""",
    """CREATE TABLE answers (
        case_id VARCHAR NOT NULL,
        item VARCHAR NOT NULL,
        value VARCHAR,
        channel VARCHAR NOT NULL,
        answered_at TIMESTAMPTZ NOT NULL,
        event_key VARCHAR NOT NULL,
        PRIMARY KEY (case_id, item))""",
    """CREATE TABLE dispositions (
        case_id VARCHAR PRIMARY KEY,
        sample_date DATE NOT NULL,
        channel VARCHAR,
        attempts INTEGER NOT NULL,
        aapor_code VARCHAR NOT NULL,
        is_final BOOLEAN NOT NULL,
        decided_at TIMESTAMPTZ NOT NULL)""",
    """CREATE TABLE followups (
        case_id VARCHAR NOT NULL,
        reason VARCHAR NOT NULL,
        unit_id VARCHAR NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        status VARCHAR NOT NULL,
        PRIMARY KEY (case_id, reason))""",
    """CREATE TABLE response_weights (
        case_id VARCHAR PRIMARY KEY,
        month VARCHAR NOT NULL,
        weight_class VARCHAR NOT NULL,
        final_weight DOUBLE NOT NULL)""",
    """CREATE TABLE unit_month (
        month VARCHAR NOT NULL,
        unit_id VARCHAR NOT NULL,
        sampled INTEGER NOT NULL,
        responded INTEGER NOT NULL,
        response_rate DOUBLE,
        satisfaction_rate DOUBLE,
        se DOUBLE,
        ci_low DOUBLE,
        ci_high DOUBLE,
        n_eff DOUBLE,
        reportable BOOLEAN NOT NULL,
        rank INTEGER,
        rank_low INTEGER,
        rank_high INTEGER,
        flag VARCHAR,
        funnel_low DOUBLE,
        funnel_high DOUBLE,
        PRIMARY KEY (month, unit_id))""",
    """CREATE TABLE funnel_month (
        month VARCHAR NOT NULL,
        peer_group VARCHAR NOT NULL,
        target DOUBLE,
        tau2 DOUBLE,
        phi DOUBLE,
        z DOUBLE,
        units INTEGER,
        PRIMARY KEY (month, peer_group))""",
    """CREATE TABLE validations (
        run_at TIMESTAMPTZ NOT NULL,
        scope VARCHAR NOT NULL,
        suite VARCHAR NOT NULL,
        success BOOLEAN NOT NULL,
        blocking BOOLEAN NOT NULL,
        evaluated BIGINT NOT NULL,
        failed VARCHAR,
        data_docs VARCHAR,
        recorded_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)""",
]

_V2: Final = [
    """CREATE TABLE response_rates (
        month VARCHAR NOT NULL,
        unit_id VARCHAR NOT NULL,   -- '*' for all units
        channel VARCHAR NOT NULL,   -- '*' for all channels
        sampled INTEGER NOT NULL,
        i INTEGER NOT NULL, p INTEGER NOT NULL, r INTEGER NOT NULL, nc INTEGER NOT NULL,
        o INTEGER NOT NULL, u INTEGER NOT NULL, ne INTEGER NOT NULL,
        rr1 DOUBLE, rr3 DOUBLE, coop1 DOUBLE, ref1 DOUBLE, con1 DOUBLE,
        PRIMARY KEY (month, unit_id, channel))""",
]

_V3: Final = [
    # a day is closed once drawn with at least one eligible case; later arrivals are 'late'
    """CREATE TABLE day_draws (
        sample_date DATE PRIMARY KEY,
        drawn_at TIMESTAMPTZ NOT NULL,
        cases INTEGER NOT NULL,
        eligible INTEGER NOT NULL,
        sampled INTEGER NOT NULL,
        strata INTEGER NOT NULL,
        total INTEGER NOT NULL,
        minimum_asked INTEGER NOT NULL,
        minimum_used INTEGER NOT NULL,
        seed BIGINT NOT NULL)""",
    """INSERT INTO day_draws
        SELECT a.sample_date, coalesce(min(s.drawn_at), current_timestamp),
               sum(a.stratum_population)
                 + (SELECT count(*) FROM ineligible i WHERE i.sample_date = a.sample_date),
               sum(a.stratum_population), sum(a.stratum_sample), count(*),
               any_value(a.total), any_value(a.minimum), any_value(a.minimum), any_value(a.seed)
        FROM allocations a
        LEFT JOIN (SELECT sample_date, min(loaded_at) AS drawn_at FROM samples
                   JOIN cases USING (case_id) GROUP BY sample_date) s USING (sample_date)
        GROUP BY a.sample_date""",
    # the fieldwork cut-off of a closed month: dispositions, weights and estimates use it
    """CREATE TABLE month_closes (
        month VARCHAR PRIMARY KEY,
        cutoff TIMESTAMPTZ NOT NULL,
        closed_at TIMESTAMPTZ NOT NULL)""",
    # the 发文字号 of each month's bulletin: the year's serial, kept when re-rendered
    """CREATE TABLE bulletin_issues (
        month VARCHAR PRIMARY KEY,
        year INTEGER NOT NULL,
        serial INTEGER NOT NULL,
        issued_at TIMESTAMPTZ NOT NULL,
        UNIQUE (year, serial))""",
    "ALTER TABLE validations ADD COLUMN rows BIGINT",
]

# Corrections of loaded cases, and the phone-quality and correction counts of every load.
_V4: Final = [
    """CREATE TABLE case_corrections (
        case_id VARCHAR NOT NULL,
        old_hash VARCHAR NOT NULL,          -- content_hash of the version loaded before
        new_hash VARCHAR NOT NULL,          -- content_hash of the version re-sent
        changed VARCHAR NOT NULL,           -- columns whose value differs, e.g. 'unit_id,completed_at'
        old_service_date DATE,
        new_service_date DATE,
        source_file VARCHAR NOT NULL,       -- the file that carried the new version
        file_sha256 VARCHAR NOT NULL,
        row_number BIGINT NOT NULL,
        applied BOOLEAN NOT NULL,           -- false: the day was drawn; cases and draw unchanged
        note VARCHAR,                       -- why it was not applied (Chinese / English)
        recorded_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (case_id, new_hash))""",
    "ALTER TABLE loads ADD COLUMN corrections_applied BIGINT NOT NULL DEFAULT 0",
    "ALTER TABLE loads ADD COLUMN corrections_recorded BIGINT NOT NULL DEFAULT 0",
    "ALTER TABLE loads ADD COLUMN phones_mobile BIGINT NOT NULL DEFAULT 0",
    "ALTER TABLE loads ADD COLUMN phones_landline BIGINT NOT NULL DEFAULT 0",
    "ALTER TABLE loads ADD COLUMN phones_blank BIGINT NOT NULL DEFAULT 0",
    "ALTER TABLE loads ADD COLUMN phones_invalid BIGINT NOT NULL DEFAULT 0",
    "ALTER TABLE loads ADD COLUMN phones_foreign BIGINT NOT NULL DEFAULT 0",
]

# Judging performance (METHODS.md "Judging performance", "Channels"; issue 11): repeat
# visitors' multiplicity, the randomised first channel, the judgement per purpose, the
# channel effects, changes over time, 十佳 and integrity rates in the month's table.
_V5: Final = [
    # m_i of a repeat visitor's chosen case: pi = n_h / (N_h m_i), d = m_i N_h / n_h
    "ALTER TABLE samples ADD COLUMN multiplicity INTEGER DEFAULT 1",
    # a 'repeat_same_day' case: the case of the same number chosen for the day
    "ALTER TABLE ineligible ADD COLUMN represented_by VARCHAR",
    # the channel experiment: a random share of the sample gets a random first channel
    """CREATE TABLE channel_assignments (
        case_id VARCHAR PRIMARY KEY,
        sample_date DATE NOT NULL,
        assigned_channel VARCHAR NOT NULL,
        offered_channels VARCHAR NOT NULL,  -- the provider's channels, e.g. 'sms,voice,manual'
        randomised_share DOUBLE NOT NULL,
        seed BIGINT NOT NULL,
        assigned_at TIMESTAMPTZ NOT NULL)""",
    "ALTER TABLE unit_month ADD COLUMN honour VARCHAR",
    "ALTER TABLE unit_month ADD COLUMN integrity_rate DOUBLE",
    # one judgement per closed month and purpose: evidence (the bulletin's, rolling
    # window), honour (十佳 over the decision period so far), last (末位, pooled window)
    """CREATE TABLE unit_judgement (
        month VARCHAR NOT NULL,
        purpose VARCHAR NOT NULL,
        first_month VARCHAR NOT NULL,
        last_month VARCHAR NOT NULL,
        unit_id VARCHAR NOT NULL,
        peer_group VARCHAR NOT NULL,
        months INTEGER NOT NULL,
        respondents INTEGER NOT NULL,
        reportable BOOLEAN NOT NULL,
        unadjusted_rate DOUBLE,
        case_mix_rate DOUBLE,
        adjusted_rate DOUBLE,
        expected_rate DOUBLE,
        channel_offset DOUBLE,
        estimate DOUBLE,
        se DOUBLE,
        ci_low DOUBLE,
        ci_high DOUBLE,
        rank INTEGER,
        rank_low INTEGER,
        rank_high INTEGER,
        p_below DOUBLE,
        p_above DOUBLE,
        evidence VARCHAR,
        top_k INTEGER,
        p_top DOUBLE,
        honour BOOLEAN NOT NULL,
        p_last DOUBLE,
        last BOOLEAN NOT NULL,
        PRIMARY KEY (month, purpose, unit_id))""",
    """CREATE TABLE channel_effects (
        month VARCHAR NOT NULL,
        channel VARCHAR NOT NULL,
        first_month VARCHAR NOT NULL,
        last_month VARCHAR NOT NULL,
        respondents INTEGER NOT NULL,
        channel_effect DOUBLE,            -- log-odds against the reference; null: not estimated
        se DOUBLE,
        reference BOOLEAN NOT NULL,
        PRIMARY KEY (month, channel))""",
    """CREATE TABLE unit_changes (
        month VARCHAR NOT NULL,
        unit_id VARCHAR NOT NULL,
        comparison VARCHAR NOT NULL,      -- month_on_month (环比) or year_on_year (同比)
        base_month VARCHAR NOT NULL,
        change DOUBLE NOT NULL,
        change_se DOUBLE NOT NULL,
        significant BOOLEAN NOT NULL,
        PRIMARY KEY (month, unit_id, comparison))""",
]

# An unpredictable, auditable draw (METHODS.md "Selection key"): the PRN key of a day is
# HMAC-SHA256(month secret, date); the month's commitment SHA-256(secret) is stored before
# the month, the secret itself only once the month is closed.
_V7: Final = [
    "ALTER TABLE day_draws ADD COLUMN prn_key VARCHAR",
    """CREATE TABLE selection_keys (
        month VARCHAR PRIMARY KEY,
        commitment VARCHAR NOT NULL,
        committed_at TIMESTAMPTZ NOT NULL,
        secret VARCHAR,
        revealed_at TIMESTAMPTZ)""",
]

MIGRATIONS: Final[tuple[tuple[int, str, list[str]], ...]] = (
    (1, "initial schema", _V1),
    (2, "AAPOR outcome rates by unit, channel and month", _V2),
    (3, "closed days: the draw log of each day", _V3),
    (4, "case corrections; phone quality and corrections in the load log", _V4),
    (5, "judging performance: multiplicity, channel experiment, judgements, changes", _V5),
    (6, "casework mirror: follow-ups, complaints, appeals, exclusions, vetoes, polls, audit", _V6),
    (7, "selection keys: HMAC day keys, month commitments revealed after close", _V7),
)

CURRENT_VERSION: Final = MIGRATIONS[-1][0]

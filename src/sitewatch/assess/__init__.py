"""Assessment: indicators, ACH (Heuer), ICD 203 estimative language, snapshots over time."""

from sitewatch.assess.ach import AchResult, AchRow, Hypothesis, Rating, analyse, grade_weight
from sitewatch.assess.case import CaseSpec, LoadReport, builtin_cases, load_case, read_case
from sitewatch.assess.engine import Assessment, Judgment, build_assessment, uncited_sentences
from sitewatch.assess.indicators import (
    Indicator,
    IndicatorLevel,
    IndicatorRule,
    IndicatorState,
    evaluate,
    indicator_history,
)
from sitewatch.assess.language import BANDS, Band, Confidence, band_for
from sitewatch.assess.model import CaseData
from sitewatch.assess.service import (
    assess,
    briefing_assessments,
    briefing_data,
    evolution,
    export_assessments,
    indicator_histories,
    plot_evolution,
)

__all__ = [
    "BANDS",
    "AchResult",
    "AchRow",
    "Assessment",
    "Band",
    "CaseData",
    "CaseSpec",
    "Confidence",
    "Hypothesis",
    "Indicator",
    "IndicatorLevel",
    "IndicatorRule",
    "IndicatorState",
    "Judgment",
    "LoadReport",
    "Rating",
    "analyse",
    "assess",
    "band_for",
    "briefing_assessments",
    "briefing_data",
    "build_assessment",
    "builtin_cases",
    "evaluate",
    "evolution",
    "export_assessments",
    "grade_weight",
    "indicator_histories",
    "indicator_history",
    "load_case",
    "plot_evolution",
    "read_case",
    "uncited_sentences",
]

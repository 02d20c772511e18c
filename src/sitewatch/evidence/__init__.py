"""Evidence: items, provenance, Admiralty grading, import."""

from sitewatch.evidence.dates import DateSpan, parse_date_span
from sitewatch.evidence.grading import DEFAULT_GRADES, default_grade, kind_for_source_type
from sitewatch.evidence.importer import EvidenceImportResult, match_sites, parse_evidence_file
from sitewatch.evidence.model import EvidenceItem, EvidenceKind, Grade

__all__ = [
    "DEFAULT_GRADES",
    "DateSpan",
    "EvidenceImportResult",
    "EvidenceItem",
    "EvidenceKind",
    "Grade",
    "default_grade",
    "kind_for_source_type",
    "match_sites",
    "parse_date_span",
    "parse_evidence_file",
]

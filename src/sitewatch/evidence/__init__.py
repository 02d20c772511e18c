"""Evidence: items, provenance, Admiralty grading, links, archived copies, import."""

from sitewatch.evidence.archive import ArchiveRecord, archive_record, sha256_file
from sitewatch.evidence.dates import DateSpan, parse_date_span
from sitewatch.evidence.grading import DEFAULT_GRADES, default_grade, kind_for_source_type
from sitewatch.evidence.imagery import OWN_IMAGERY_GRADE, imagery_observation
from sitewatch.evidence.importer import EvidenceImportResult, match_sites, parse_evidence_file
from sitewatch.evidence.links import EvidenceLink, LinkKind, check_link, corroboration_path
from sitewatch.evidence.model import EvidenceItem, EvidenceKind, Grade

__all__ = [
    "DEFAULT_GRADES",
    "OWN_IMAGERY_GRADE",
    "ArchiveRecord",
    "DateSpan",
    "EvidenceImportResult",
    "EvidenceItem",
    "EvidenceKind",
    "EvidenceLink",
    "Grade",
    "LinkKind",
    "archive_record",
    "check_link",
    "corroboration_path",
    "default_grade",
    "imagery_observation",
    "kind_for_source_type",
    "match_sites",
    "parse_date_span",
    "parse_evidence_file",
    "sha256_file",
]

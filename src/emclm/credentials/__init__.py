"""Recognition of courses: the facts a micro-credential needs (ECTS, EQF level, assessment, identity
verification, certificate, participation, quality assurance, prerequisites), extracted from the
catalogue with evidence and provenance, the micro-credential profile and the CMF check (decision 0028).

- ``recognition``: pure extraction (``extract_facts``), ``profile``, ``cmf_check``, ``CMF_CRITERIA``
- ``patterns``: the per-language phrasing
- ``store``: ``refresh`` (facts + catalogue columns), ``recognition`` (one course), ``correct``,
  ``enable_recognition`` (after every harvest batch)
"""

from emclm.credentials.store import CorrectionError, correct, enable_recognition, recognition, refresh

__all__ = ["CorrectionError", "correct", "enable_recognition", "recognition", "refresh"]

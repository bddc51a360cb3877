"""What a person reading a credential wants to see: who issued it, the achievement, its skills, and the
eleven mandatory elements of a micro-credential (Council Recommendation of 16 June 2022 on a European
approach to micro-credentials, Annex I), read from Open Badges 3.0 / ELM-style properties.

Plain data only (strings, lists): the page translates the element names and shows "not stated" for
an element the credential does not carry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ELEMENTS = (
    "learner",
    "title",
    "country",
    "awarding_body",
    "date_of_issue",
    "learning_outcomes",
    "workload",
    "level",
    "assessment",
    "participation",
    "quality_assurance",
)
ESCO_SKILL = "http://data.europa.eu/esco/skill/"


@dataclass
class Summary:
    issuer_name: str | None = None
    issuer_url: str | None = None
    achievement_name: str | None = None
    achievement_description: str | None = None
    criteria: str | None = None
    skills: list[dict] = field(default_factory=list)  # {"name", "url", "esco": bool}
    elements: dict[str, str | None] = field(default_factory=dict)


def _text(value) -> str | None:
    """A string from a string, a language map ({"en": "…"}) or an ELM ``{"@value"}`` / list of those."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list):
        parts = [t for t in (_text(v) for v in value) if t]
        return "; ".join(parts) or None
    if isinstance(value, dict):
        for key in ("@value", "en", "name", "prefLabel", "title", "label", "narrative", "id"):
            if key in value:
                return _text(value[key])
        for v in value.values():
            if isinstance(v, str):
                return v
    return None


def _first(obj: dict, *keys: str) -> str | None:
    for key in keys:
        if isinstance(obj, dict) and obj.get(key) not in (None, "", []):
            found = _text(obj[key])
            if found:
                return found
    return None


def summarise(credential: dict | None) -> Summary:
    out = Summary()
    if not isinstance(credential, dict):
        out.elements = dict.fromkeys(ELEMENTS)
        return out
    issuer = credential.get("issuer")
    issuer = issuer if isinstance(issuer, dict) else {"id": issuer}
    out.issuer_name = _first(issuer, "name", "legalName") or _text(issuer.get("id"))
    url = issuer.get("url") or issuer.get("id")
    out.issuer_url = url if isinstance(url, str) and url.startswith("https://") else None
    subject = credential.get("credentialSubject")
    subject = subject[0] if isinstance(subject, list) and subject else subject
    subject = subject if isinstance(subject, dict) else {}
    achievement = subject.get("achievement")
    achievement = achievement[0] if isinstance(achievement, list) and achievement else achievement
    achievement = achievement if isinstance(achievement, dict) else {}
    out.achievement_name = _first(achievement, "name", "title") or _first(credential, "name", "title")
    out.achievement_description = _first(achievement, "description") or _first(credential, "description")
    out.criteria = _first(achievement.get("criteria") or {}, "narrative")
    for align in achievement.get("alignment") or []:
        if not isinstance(align, dict):
            continue
        target = align.get("targetUrl") or align.get("targetCode") or ""
        name = _text(align.get("targetName")) or _text(target)
        if name:
            target = target if isinstance(target, str) else ""
            out.skills.append(
                {
                    "name": name,
                    "url": target if target.startswith("http") else None,
                    "esco": target.startswith(ESCO_SKILL),
                }
            )
    address = issuer.get("address") if isinstance(issuer.get("address"), dict) else {}
    results = subject.get("result") if isinstance(subject.get("result"), list) else []
    out.elements = {
        "learner": _first(subject, "name", "identifier", "id"),
        "title": out.achievement_name,
        "country": _first(address, "addressCountryCode", "addressCountry") or _first(issuer, "country", "location"),
        "awarding_body": out.issuer_name,
        "date_of_issue": _first(credential, "validFrom", "issuanceDate", "awardedDate")
        or _first(subject, "awardedDate"),
        "learning_outcomes": _first(achievement, "learningOutcome", "learningOutcomes")
        or ("; ".join(s["name"] for s in out.skills) or None),
        "workload": _workload(achievement),
        "level": _first(achievement, "eqfLevel", "level", "educationLevel") or _level_from_alignment(achievement),
        "assessment": _first(achievement, "assessment", "typeOfAssessment", "assessmentType")
        or _first(results[0] if results else {}, "resultDescription"),
        "participation": _first(achievement, "modeOfLearning", "learningSetting", "formOfParticipation", "mode"),
        "quality_assurance": _first(achievement, "qualityAssurance", "typeOfQualityAssurance"),
    }
    return out


def _workload(achievement: dict) -> str | None:
    credits = achievement.get("creditsAvailable")
    if isinstance(credits, int | float) and not isinstance(credits, bool):
        return f"{credits:g} ECTS"
    return _first(achievement, "creditPoint", "ects", "volumeOfLearning", "workload")


def _level_from_alignment(achievement: dict) -> str | None:
    for align in achievement.get("alignment") or []:
        if isinstance(align, dict):
            blob = " ".join(str(align.get(k, "")) for k in ("targetFramework", "targetUrl", "targetType")).lower()
            if "eqf" in blob:
                return _text(align.get("targetName")) or _text(align.get("targetCode"))
    return None

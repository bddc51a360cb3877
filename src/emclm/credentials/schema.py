"""The shape of a credential: VCDM 1.1 / 2.0 essentials, and the Open Badges 3.0 JSON shape when the
credential is an ``OpenBadgeCredential`` / ``AchievementCredential`` (required properties of
AchievementCredential, Profile, AchievementSubject and Achievement)."""

from __future__ import annotations

VC_V1 = "https://www.w3.org/2018/credentials/v1"
VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_PREFIX = "https://purl.imsglobal.org/spec/ob/v3p0/context"
OB_TYPES = {"OpenBadgeCredential", "AchievementCredential"}


def types(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def vc_version(credential: dict) -> str | None:
    ctx = types(credential.get("@context"))
    first = ctx[0] if ctx else None
    return {VC_V1: "1.1", VC_V2: "2.0"}.get(first) if isinstance(first, str) else None


def is_open_badge(credential: dict) -> bool:
    return bool(OB_TYPES & {t for t in types(credential.get("type")) if isinstance(t, str)})


def problems(credential: dict) -> list[str]:
    out: list[str] = []
    ctx = types(credential.get("@context"))
    if not ctx:
        out.append("@context is missing")
    elif not isinstance(ctx[0], str) or ctx[0] not in (VC_V1, VC_V2):
        out.append(f"@context must start with {VC_V1} or {VC_V2}, not {ctx[0]!r}")
    if not any(isinstance(c, str | dict) for c in ctx) or not all(isinstance(c, str | dict) for c in ctx):
        out.append("@context entries must be URLs or objects")
    kinds = types(credential.get("type"))
    if "VerifiableCredential" not in kinds:
        out.append("type must include VerifiableCredential")
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if not isinstance(issuer_id, str) or ":" not in issuer_id:
        out.append("issuer must be a URL or an object with an id URL")
    subject = credential.get("credentialSubject")
    if not isinstance(subject, dict | list) or not subject:
        out.append("credentialSubject is missing")
    if vc_version(credential) == "1.1" and "issuanceDate" not in credential:
        out.append("issuanceDate is required by VCDM 1.1")
    if is_open_badge(credential):
        out += _open_badge(credential, ctx, issuer, subject)
    return out


def _open_badge(credential: dict, ctx: list, issuer, subject) -> list[str]:
    out: list[str] = []
    if not any(isinstance(c, str) and c.startswith(OB_PREFIX) for c in ctx):
        out.append("Open Badge: @context must include the OB 3.0 context")
    if not isinstance(credential.get("id"), str):
        out.append("Open Badge: id (a URI) is required")
    if not isinstance(credential.get("name"), str) or not credential.get("name"):
        out.append("Open Badge: name is required")
    if not isinstance(issuer, dict):
        out.append("Open Badge: issuer must be a Profile object")
    elif "Profile" not in types(issuer.get("type")):
        out.append("Open Badge: issuer.type must include Profile")
    if not isinstance(subject, dict):
        out.append("Open Badge: credentialSubject must be one AchievementSubject object")
        return out
    if "AchievementSubject" not in types(subject.get("type")):
        out.append("Open Badge: credentialSubject.type must include AchievementSubject")
    if not subject.get("id") and not subject.get("identifier"):
        out.append("Open Badge: credentialSubject needs an id or an identifier")
    achievement = subject.get("achievement")
    if not isinstance(achievement, dict):
        out.append("Open Badge: credentialSubject.achievement is required")
        return out
    for prop in ("id", "name", "description", "criteria"):
        if not achievement.get(prop):
            out.append(f"Open Badge: credentialSubject.achievement.{prop} is required")
    if "Achievement" not in types(achievement.get("type")):
        out.append("Open Badge: credentialSubject.achievement.type must include Achievement")
    criteria = achievement.get("criteria")
    if isinstance(criteria, dict) and not (criteria.get("id") or criteria.get("narrative")):
        out.append("Open Badge: achievement.criteria needs an id or a narrative")
    return out

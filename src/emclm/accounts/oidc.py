"""Single sign-on through OpenID Connect (issue 16, decision 0029): the authorisation-code flow with PKCE.

1. :func:`start` stores a sign-on request (the SHA-256 of a random ``state``, a ``nonce``, a PKCE
   ``code_verifier``) and returns the provider's authorisation URL (``code_challenge`` = S256 of the
   verifier) and the ``state``, which the caller keeps in a short-lived HttpOnly cookie of the browser.
2. :func:`finish` takes the provider's redirect back: the ``state`` of the query must equal the browser's
   cookie and name an unexpired, unused request (consumed here: a replayed redirect is refused); the code is
   exchanged at the token endpoint with the verifier; the ID token is checked with joserfc (signature
   against the provider's JWKS, ``iss``, ``aud``/``azp``, ``exp``, ``nonce``).
3. The identity (issuer, subject) signs in as its linked account; an unknown identity is linked to the
   account of its address, created when missing, only when the provider says ``email_verified``.

Provider settings come from ``Settings.oidc_providers`` only (the client secret too). Each call to a provider
has a timeout and a size limit; discovery documents and key sets are cached for a few minutes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, timedelta
from urllib.parse import urlencode, urlsplit

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import select
from sqlalchemy.orm import Session

from emclm.accounts import store
from emclm.accounts.models import Account, Identity, OidcRequest
from emclm.accounts.store import AccountError
from emclm.config import OidcProviderSettings, get_settings
from emclm.db.base import utcnow

MAX_DOCUMENT_BYTES = 512 * 1024  # a discovery document, a key set or a token answer
CACHE_SECONDS = 300
LEEWAY_SECONDS = 60
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


class OidcError(AccountError):
    """A single sign-on that cannot go on; the message names the provider and what is wrong."""


class EmailNotVerified(OidcError):
    """The provider does not vouch for the address: no account is created or linked."""


@dataclass(frozen=True)
class Provider:
    name: str
    label: str
    issuer: str
    client_id: str
    client_secret: str
    scopes: tuple[str, ...]


def providers() -> dict[str, Provider]:
    """The configured OpenID providers (the plain-link entries of decision 0025 are not providers)."""
    out = {}
    for name, value in get_settings().oidc_providers.items():
        if not isinstance(value, OidcProviderSettings):
            continue
        if not _NAME.match(name):
            raise OidcError(f"oidc provider {name!r}: name must be 1–40 of a-z, 0-9, '_' and '-'")
        scopes = tuple(dict.fromkeys(["openid", *value.scopes]))
        out[name] = Provider(
            name=name,
            label=value.label or name,
            issuer=value.issuer.rstrip("/"),
            client_id=value.client_id,
            client_secret=value.client_secret.get_secret_value(),
            scopes=scopes,
        )
    return out


def links() -> dict[str, str]:
    """The plain single sign-on links of the sign-in page (the value format of decision 0025)."""
    return {name: value for name, value in get_settings().oidc_providers.items() if isinstance(value, str)}


def provider(name: str) -> Provider:
    found = providers().get(name)
    if found is None:
        raise OidcError(f"oidc provider {name!r}: not configured")
    return found


# --------------------------------------------------------------------------- talking to the provider


def _check_url(url: object, what: str, prov: Provider) -> str:
    """An endpoint must be https, except on the loopback interface (a provider on the same machine)."""
    if not isinstance(url, str) or not url:
        raise OidcError(f"oidc provider {prov.name}: {what} is missing")
    parts = urlsplit(url)
    loopback = parts.hostname in ("localhost", "127.0.0.1", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise OidcError(f"oidc provider {prov.name}: {what} {url!r} is not https")
    return url


def _read_json(response: httpx.Response, what: str, prov: Provider) -> dict:
    body = b""
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > MAX_DOCUMENT_BYTES:
            raise OidcError(f"oidc provider {prov.name}: {what} is larger than {MAX_DOCUMENT_BYTES} bytes")
    try:
        value = json.loads(body)
    except ValueError:
        raise OidcError(f"oidc provider {prov.name}: {what} is not JSON") from None
    if not isinstance(value, dict):
        raise OidcError(f"oidc provider {prov.name}: {what} is not a JSON object")
    return value


def _request(prov: Provider, what: str, method: str, url: str, **kwargs) -> tuple[int, dict]:
    settings = get_settings()
    headers = {"Accept": "application/json", "User-Agent": settings.http_user_agent, **kwargs.pop("headers", {})}
    try:
        with (
            httpx.Client(timeout=settings.oidc_http_timeout_s, follow_redirects=False) as client,
            client.stream(method, url, headers=headers, **kwargs) as response,
        ):
            return response.status_code, _read_json(response, what, prov)
    except httpx.HTTPError as exc:
        raise OidcError(f"oidc provider {prov.name}: {what} at {url} failed: {exc.__class__.__name__}") from None


_cache: dict[tuple[str, str], tuple[float, dict]] = {}
_cache_lock = threading.Lock()


def _cached(key: tuple[str, str], fetch, *, fresh: bool = False) -> dict:
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
    if hit and not fresh and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    value = fetch()
    with _cache_lock:
        _cache[key] = (now, value)
    return value


def discovery(prov: Provider) -> dict:
    """The provider's metadata, checked: its ``issuer`` is the configured one, its endpoints are https."""

    def fetch() -> dict:
        url = _check_url(f"{prov.issuer}/.well-known/openid-configuration", "issuer", prov)
        status, doc = _request(prov, "discovery document", "GET", url)
        if status != 200:
            raise OidcError(f"oidc provider {prov.name}: discovery document at {url} answered {status}")
        if doc.get("issuer") != prov.issuer:
            raise OidcError(
                f"oidc provider {prov.name}: discovery issuer {doc.get('issuer')!r} is not the configured {prov.issuer!r}"
            )
        for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            _check_url(doc.get(field), field, prov)
        methods = doc.get("code_challenge_methods_supported")
        if methods is not None and "S256" not in methods:
            raise OidcError(f"oidc provider {prov.name}: code_challenge_methods_supported lacks S256")
        return doc

    return _cached(("discovery", prov.issuer), fetch)


def _keys(prov: Provider, *, fresh: bool = False) -> KeySet:
    doc = discovery(prov)

    def fetch() -> dict:
        status, jwks = _request(prov, "jwks", "GET", doc["jwks_uri"])
        if status != 200 or not isinstance(jwks.get("keys"), list):
            raise OidcError(f"oidc provider {prov.name}: jwks at {doc['jwks_uri']} is not a key set ({status})")
        return jwks

    try:
        return KeySet.import_key_set(_cached(("jwks", prov.issuer), fetch, fresh=fresh))
    except (JoseError, ValueError, TypeError) as exc:
        raise OidcError(f"oidc provider {prov.name}: jwks is not usable: {exc}") from None


# --------------------------------------------------------------------------- the flow


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def start(session: Session, name: str, redirect_uri: str, next_path: str) -> tuple[str, str]:
    """Begin a sign-on at provider ``name``: the authorisation URL to send the browser to, and the ``state``
    secret for the browser's cookie. The request row is flushed (the caller commits)."""
    prov = provider(name)
    doc = discovery(prov)
    state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(64)
    now = utcnow()
    session.add(
        OidcRequest(
            state_hash=store.hash_secret(state),
            provider=prov.name,
            nonce=nonce,
            code_verifier=verifier,
            redirect_uri=redirect_uri,
            next_path=next_path,
            created_at=now,
            expires_at=now + timedelta(minutes=get_settings().oidc_request_minutes),
        )
    )
    session.flush()
    query = urlencode(
        {
            "response_type": "code",
            "client_id": prov.client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(prov.scopes),
            "state": state,
            "nonce": nonce,
            "code_challenge": _s256(verifier),
            "code_challenge_method": "S256",
        }
    )
    endpoint = doc["authorization_endpoint"]
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}", state


def _take_request(session: Session, name: str, state: str, cookie_state: str | None) -> OidcRequest:
    """The stored request of this redirect, consumed (single use)."""
    if not state or not cookie_state or not hmac.compare_digest(state.encode(), cookie_state.encode()):
        raise OidcError(f"oidc provider {name}: state does not match this browser's sign-on")
    row = session.scalars(select(OidcRequest).where(OidcRequest.state_hash == store.hash_secret(state))).first()
    if row is None or row.provider != name:
        raise OidcError(f"oidc provider {name}: state is not a sign-on started here")
    if row.consumed_at is not None:
        raise OidcError(f"oidc provider {name}: state was already used")
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
    if expires < utcnow():
        raise OidcError(f"oidc provider {name}: state has expired; start the sign-on again")
    row.consumed_at = utcnow()
    session.flush()
    return row


def _exchange(prov: Provider, row: OidcRequest, code: str) -> dict:
    doc = discovery(prov)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": row.redirect_uri,
        "code_verifier": row.code_verifier,
    }
    kwargs: dict = {}
    methods = doc.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    if not prov.client_secret:
        form["client_id"] = prov.client_id
    elif "client_secret_basic" in methods:
        kwargs["auth"] = httpx.BasicAuth(_form_escape(prov.client_id), _form_escape(prov.client_secret))
    else:
        form |= {"client_id": prov.client_id, "client_secret": prov.client_secret}
    status, answer = _request(prov, "token endpoint", "POST", doc["token_endpoint"], data=form, **kwargs)
    if status != 200:
        error = str(answer.get("error", ""))[:80]
        raise OidcError(f"oidc provider {prov.name}: token endpoint refused the code ({status} {error})")
    id_token = answer.get("id_token")
    if not isinstance(id_token, str):
        raise OidcError(f"oidc provider {prov.name}: token answer has no id_token")
    claims = validate_id_token(prov, id_token, row.nonce)
    if "email" not in claims and doc.get("userinfo_endpoint") and isinstance(answer.get("access_token"), str):
        claims = claims | _userinfo(prov, doc, answer["access_token"], claims["sub"])
    return claims


def _userinfo(prov: Provider, doc: dict, access_token: str, subject: str) -> dict:
    """The address claims from the UserInfo endpoint (a provider that keeps the ID token small, as the
    OpenID Connect core rules have it when an access token is issued). Its ``sub`` must be the ID token's."""
    url = _check_url(doc["userinfo_endpoint"], "userinfo_endpoint", prov)
    status, info = _request(prov, "userinfo", "GET", url, headers={"Authorization": f"Bearer {access_token}"})
    if status != 200:
        raise OidcError(f"oidc provider {prov.name}: userinfo answered {status}")
    if info.get("sub") != subject:
        raise OidcError(f"oidc provider {prov.name}: userinfo sub is not the id_token's")
    return {key: info[key] for key in ("email", "email_verified") if key in info}


def _form_escape(value: str) -> str:
    """RFC 6749 §2.3.1: client_secret_basic credentials are form-urlencoded before Basic encoding."""
    return urlencode({"v": value})[2:]


def validate_id_token(prov: Provider, id_token: str, nonce: str, *, now: float | None = None) -> dict:
    """The ID token's claims after checking its signature (the provider's keys; a key id not in the cached
    set fetches the set once more) and ``iss``, ``aud``/``azp``, ``exp``, ``iat``, ``sub`` and ``nonce``."""
    try:
        try:
            token = jwt.decode(id_token, _keys(prov), algorithms=list(ALGORITHMS))
        except (JoseError, ValueError) as first:
            if "kid" not in str(first).lower() and "key" not in str(first).lower():
                raise
            token = jwt.decode(id_token, _keys(prov, fresh=True), algorithms=list(ALGORITHMS))
    except (JoseError, ValueError) as exc:
        raise OidcError(
            f"oidc provider {prov.name}: id_token signature is not valid ({exc.__class__.__name__})"
        ) from None
    claims = token.claims
    now = time.time() if now is None else now
    if claims.get("iss") != prov.issuer:
        raise OidcError(f"oidc provider {prov.name}: id_token iss {claims.get('iss')!r} is not {prov.issuer!r}")
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if prov.client_id not in audiences:
        raise OidcError(f"oidc provider {prov.name}: id_token aud does not name this client")
    if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != prov.client_id:
        raise OidcError(f"oidc provider {prov.name}: id_token azp is not this client")
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or exp + LEEWAY_SECONDS < now:
        raise OidcError(f"oidc provider {prov.name}: id_token exp has passed")
    if not isinstance(iat, int | float) or iat - LEEWAY_SECONDS > now:
        raise OidcError(f"oidc provider {prov.name}: id_token iat is missing or in the future")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise OidcError(f"oidc provider {prov.name}: id_token sub is missing")
    sent = claims.get("nonce")
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), nonce.encode()):
        raise OidcError(f"oidc provider {prov.name}: id_token nonce is not the one of this sign-on")
    return claims


@dataclass(frozen=True)
class Finished:
    account: Account
    next_path: str
    created: bool  # a new account was created for this identity


def finish(session: Session, name: str, *, state: str, code: str, cookie_state: str | None) -> Finished:
    """Complete the sign-on: the account of the provider's identity (linked, or created from a verified
    address). Raises :class:`OidcError` (or :class:`EmailNotVerified`). The caller starts the session."""
    prov = provider(name)
    row = _take_request(session, name, state, cookie_state)
    session.commit()  # the request is used up even when what follows fails (no second try with it)
    if not code:
        raise OidcError(f"oidc provider {name}: code is missing from the redirect")
    claims = _exchange(prov, row, code[:2000])
    account, created = link(session, prov, claims)
    if account.disabled:
        raise OidcError(f"account {account.email}: disabled")
    return Finished(account, row.next_path, created)


def link(session: Session, prov: Provider, claims: dict) -> tuple[Account, bool]:
    """The account of the identity (issuer, subject); an identity seen first is linked to the account of its
    address (created when missing) only when ``email_verified`` is true. An existing account whose address
    was never confirmed is not taken over (someone else may have registered it with a password)."""
    subject = str(claims["sub"])[:255]
    identity = session.scalars(
        select(Identity).where(Identity.issuer == prov.issuer, Identity.subject == subject)
    ).first()
    if identity is not None:
        identity.last_login_at = utcnow()
        account = session.get(Account, identity.account_id)
        return account, False
    email = claims.get("email")
    if not isinstance(email, str) or not email:
        raise EmailNotVerified(f"oidc provider {prov.name}: id_token has no email (ask for the 'email' scope)")
    if claims.get("email_verified") is not True:
        raise EmailNotVerified(f"oidc provider {prov.name}: email {email!r} is not verified by the provider")
    address = store.normalise_email(email)
    account = store.get_account(session, address)
    created = account is None
    if account is None:
        account = store.create_account(session, address, None, verified=True)
        store.add_membership(session, account, ["learner"])
    elif account.verified_at is None:
        raise EmailNotVerified(
            f"account {address}: email is registered but not confirmed; confirm it from the mail, then sign on"
        )
    session.add(
        Identity(
            account_id=account.id,
            provider=prov.name,
            issuer=prov.issuer,
            subject=subject,
            email=address,
            created_at=utcnow(),
            last_login_at=utcnow(),
        )
    )
    session.flush()
    return account, created


def identities(session: Session, account_id: int) -> list[Identity]:
    return list(session.scalars(select(Identity).where(Identity.account_id == account_id).order_by(Identity.id)))


def sign_in(session: Session, account: Account, old_cookie: str | None = None) -> str:
    """A fresh session for the signed-on account (its cookie secret); a session cookie sent along is ended,
    never carried over (session fixation), as for password sign-in."""
    if old_cookie:
        store.end_session(session, old_cookie)
    _, cookie = store.start_session(session, account)
    return cookie

"""Every setting in one place.

Values come from environment variables prefixed ``EMCLM_`` (or a ``.env`` file), with defaults
that work on a fresh clone: an embedded SQLite database under ``./var`` and the data shipped in
``./data``. No other module reads the environment.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]


class OidcProviderSettings(BaseModel):
    """One OpenID Connect provider of ``EMCLM_OIDC_PROVIDERS`` (decision 0029)."""

    issuer: str = Field(description="The issuer URL; discovery is read from <issuer>/.well-known/openid-configuration")
    client_id: str
    client_secret: SecretStr = Field(default=SecretStr(""), description="Empty: a public client (PKCE only)")
    scopes: list[str] = Field(default_factory=lambda: ["openid", "email"])
    label: str = Field(default="", description="The button's name; default the provider's key")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EMCLM_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{REPO_ROOT / 'var' / 'emclm.sqlite3'}",
        description="SQLAlchemy URL; SQLite (default) or postgresql+psycopg://…",
    )
    data_dir: Path = Field(default=REPO_ROOT / "data", description="Shipped run-time data")
    var_dir: Path = Field(default=REPO_ROOT / "var", description="Generated state and caches")
    log_level: str = "INFO"
    host: str = "127.0.0.1"
    port: int = 8000
    sources_file: Path | None = Field(
        default=None, description="Harvest sources settings (TOML); default data/sources.toml"
    )
    file_source_roots: list[Path] = Field(
        default_factory=lambda: [REPO_ROOT / "data", REPO_ROOT / "var"],
        description="Folders a file source (catalogue or vacancy) may read from; anything else is refused "
        "(a source configured as /etc/passwd, a symlink out of these folders). data_dir and var_dir are "
        "always allowed. JSON list in EMCLM_FILE_SOURCE_ROOTS (decision 0022).",
    )
    file_source_max_bytes: int = Field(
        default=256 * 1024 * 1024,
        ge=1,
        description="Largest file a file source reads (compressed size for .gz; a catalogue source's "
        "options.max_bytes can only lower it)",
    )
    http_timeout_s: float = 30.0
    http_max_bytes: int = 50 * 1024 * 1024
    http_user_agent: str = "emclm-harvester/0.1 (+https://github.com/emclm)"
    richie_hook_secret: str = Field(default="", description="Shared secret for Richie's course-run sync hook")
    skills_encoder: str = Field(
        default="auto",
        pattern="^(auto|static|e5)$",
        description="Sentence encoder of the skill extractor: 'auto' (static piece vectors built "
        "from multilingual-e5-small for texts in en/fr/es, plus e5 on a short text whole and a long text's lead; "
        "e5 itself for other languages), 'static' (static everywhere: fastest) or 'e5' (the "
        "transformer only: slowest). See docs/decisions/0009, 0010, 0016.",
    )
    search_warm_postings: bool = Field(
        default=True,
        description="After a process's first search (and after each index change) one background "
        "thread fetches the postings of the index's most frequent terms, so that first look-ups of "
        "broad words do not pay for them (emclm.search.postings). Both engines.",
    )
    # Identity (emclm.accounts, decision 0020)
    session_idle_minutes: int = Field(default=60, ge=1, description="A session ends after this long unused")
    session_absolute_hours: int = Field(default=12, ge=1, description="A session ends this long after sign-in")
    session_cookie_name: str = "emclm_session"
    password_min_length: int = Field(default=12, ge=8)
    cookie_secure: str = Field(
        default="auto", pattern="^(auto|always|never)$", description="Secure cookies: 'auto' = when served over https"
    )
    credentials_documents_dir: Path | None = Field(
        default=None,
        description="Document cache of the credential verifier (API and /verify page): DIR/index.json maps "
        "URLs of DID documents, status lists and extra JSON-LD contexts to files in DIR. Nothing is fetched "
        "from the network (decision 0027).",
    )
    public_base_url: str = Field(default="", description="Site address for links in e-mails; default: the request's")
    verify_link_hours: int = Field(default=48, ge=1)
    reset_link_minutes: int = Field(default=60, ge=5)
    login_max_failures: int = Field(default=5, ge=1, description="Failed sign-ins per account / address per window")
    login_window_seconds: int = Field(default=900, ge=1)
    login_max_failures_per_address: int = Field(default=20, ge=1)
    oidc_providers: dict[str, OidcProviderSettings | str] = Field(
        default_factory=dict,
        description="Single sign-on providers (decision 0029), JSON: name → {issuer, client_id, client_secret, "
        "scopes, label}; a plain string value (the format of decision 0025) is only a link shown on the sign-in page",
    )
    oidc_http_timeout_s: float = Field(default=10.0, gt=0, description="Timeout of each call to an OpenID provider")
    oidc_request_minutes: int = Field(default=10, ge=1, description="How long a started single sign-on may take")
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_username: str = ""
    smtp_password: str = ""
    mail_from: str = "emclm <no-reply@localhost>"
    # Running as a service (emclm.api.observability, emclm serve --workers; decision 0026)
    log_format: str = Field(
        default="text",
        pattern="^(text|json)$",
        description="'json': one JSON object per log line with the request id, and one access record per request",
    )
    metrics_token: str = Field(default="", description="When set, GET /metrics requires it as a bearer token")
    workers: int = Field(default=1, ge=1, le=64, description="Worker processes of emclm serve (--workers)")
    # Personal data (emclm.accounts.erasure, decision 0024)
    account_retention_days: int = Field(
        default=730, ge=30, description="An account unused this long is erased by `emclm users purge-inactive`"
    )
    audit_pseudonym_key: str = Field(
        default="",
        description="HMAC key of the pseudonyms erasure writes into the audit log; empty: a random key kept "
        "in var/audit-pseudonym.key (created on first use)",
    )
    # Request hardening (emclm.api.middleware, decision 0021)
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="Largest request body of a POST (413 above)")
    max_text_body_bytes: int = Field(
        default=8 * 1_048_576, ge=1024, description="Largest body of POST /api/skills/extract (a text of up to 1 MB)"
    )
    rate_limit_enabled: bool = Field(default=True, description="Token buckets on search, skill extraction, log-in")
    rate_limit_per_minute: int = Field(default=300, ge=1, description="Sustained requests per minute per caller")
    rate_limit_burst: int = Field(default=60, ge=1, description="Requests a caller may make at once")
    trust_forwarded_proto: bool = Field(
        default=False, description="Believe X-Forwarded-Proto (behind a TLS proxy) when deciding to send HSTS"
    )
    default_languages: list[str] = Field(default_factory=lambda: ["en", "fr", "es", "de", "it", "nl", "pl", "pt"])

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def allowed_file_roots(self) -> list[Path]:
        """Where file sources may read: ``file_source_roots`` plus ``data_dir`` and ``var_dir``, resolved."""
        roots = [*self.file_source_roots, self.data_dir, self.var_dir]
        return list(dict.fromkeys(Path(r).expanduser().resolve() for r in roots))

    @property
    def esco_dir(self) -> Path:
        return self.data_dir / "esco"

    @property
    def resolved_sources_file(self) -> Path:
        return self.sources_file or (self.data_dir / "sources.toml")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

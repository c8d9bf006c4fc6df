"""Runtime settings: one frozen object read once from the environment (SPEC §5).

Everything has a default that works on a laptop, except the two secrets: outside dev mode a missing
admin token or secret key is a start-up error rather than a silently generated value, because a
generated secret key would make stored Halo secrets unreadable after a restart.
"""

from __future__ import annotations

import json
import secrets
import socket
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from streamproc.kafka.connection import KafkaConnection


class SettingsError(ValueError):
    """The environment does not describe a runnable worker; the message says what to set."""


class Settings(KafkaConnection):
    """Worker settings (environment, prefix ``STREAMPROC_``; Kafka's also as clients name them)."""

    model_config = SettingsConfigDict(
        env_prefix="STREAMPROC_", frozen=True, extra="ignore", populate_by_name=True
    )

    app_id: str = Field(
        "",
        description="Consumer group, and the namespace of every changelog and internal topic"
        " (default: the topic prefix + 'streamproc').",
    )
    instance_id: str = Field(
        "",
        description="This worker's static group membership id: a worker restarted with the same"
        " id within the session timeout gets its partitions back without a rebalance (default:"
        " an id stored in the data dir on first start).",
    )
    data_dir: Path = Field(Path("data"), description="RocksDB state directory of this worker.")
    web_port: int = Field(6066, ge=1, le=65535)
    web_bind: str = Field("127.0.0.1", description="Address the HTTP API listens on.")
    web_host: str | None = Field(
        None, description="Host name other workers use to reach this one (default: derived)."
    )
    admin_token: SecretStr | None = None
    secret_key: SecretStr | None = Field(
        None, description="Fernet key that encrypts Halo client secrets at rest."
    )
    topic_prefix: str = ""
    partitions: Annotated[int, Field(ge=1, le=1024)] = 8
    replication_factor: Annotated[int, Field(ge=1)] = Field(
        1, description="Replicas of every topic the deployment creates (3 on a managed cluster)."
    )
    min_insync_replicas: Annotated[int, Field(ge=1)] | None = Field(
        None,
        description="min.insync.replicas of the topics it creates (default: the broker's).",
    )
    compacted_topics: str = Field(
        "halopsa.integration-config",
        description="Comma-separated logical topic names kept compacted (changelogs always are).",
    )
    standby_replicas: Annotated[int, Field(ge=0)] = 1
    sweep_interval: Annotated[float, Field(gt=0)] = 60.0
    session_timeout: Annotated[float, Field(ge=6, le=300)] = Field(
        10.0,
        description="Seconds after which the group gives a silent worker's partitions to others"
        " (failover time); a worker restarted sooner keeps them (static membership).",
    )
    halo_retry_window: Annotated[float, Field(ge=0)] = Field(
        900.0, description="How long a company's lane retries a Halo outage before failing."
    )
    halo_retry_max_delay: Annotated[float, Field(gt=0)] = Field(
        60.0, description="Longest pause between two retries of one Halo action."
    )
    halo_rate_limit: Annotated[int, Field(ge=1)] = Field(
        300,
        description="Halo API requests allowed per rolling window per Halo instance (hosted Halo:"
        " 300 per 5 minutes; self-hosted instances may allow more).",
    )
    halo_rate_window: Annotated[float, Field(gt=0)] = Field(
        300.0, description="Length in seconds of Halo's rolling rate-limit window."
    )
    drift_check_interval: Annotated[float, Field(ge=1)] = Field(
        86400.0,
        description="Seconds between two drift checks of each configured company (each company"
        " at its own moment of the interval; run on the Halo instance's spare budget).",
    )
    drift_recheck_debounce: Annotated[float, Field(ge=0)] = Field(
        600.0,
        description="Least seconds between two drift checks a company's Halo errors ask for.",
    )
    producer_linger: Annotated[float, Field(ge=0)] = Field(
        0.015,
        description="Seconds the producer waits to batch records into one request (results,"
        " commands and changelogs of many companies share a request).",
    )
    lane_catch_up_linger: Annotated[float, Field(ge=0, le=5)] = Field(
        0.1,
        description="Seconds a company lane waits to gather a larger batch while it is far behind"
        " its partition's end (a backlog); 0 turns it off. A lane that keeps up never waits.",
    )
    admin_token_previous: SecretStr | None = Field(
        None,
        description="The admin token being rotated out: accepted beside admin_token until"
        " admin_token_previous_until.",
    )
    admin_token_previous_until: datetime | None = Field(
        None, description="When the previous admin token stops working (RFC 3339, with zone)."
    )
    web_read_timeout: Annotated[float, Field(gt=0, le=600)] = Field(
        20.0,
        description="Seconds a client has to send a request's headers (from connecting, or"
        " after the previous answer on a kept-alive connection) and, separately, its body."
        " Above aiohttp's 15 s client keep-alive, so workers forwarding to each other never"
        " race the server's close of an idle connection.",
    )
    auth_fail_limit: Annotated[int, Field(ge=1)] = Field(
        20, description="Failed authentications per source address per window before 429."
    )
    auth_fail_limit_company: Annotated[int, Field(ge=1)] = Field(
        60, description="Failed webhook authentications per company per window before 429."
    )
    auth_fail_window: Annotated[float, Field(gt=0)] = Field(
        60.0, description="The window of the two limits above, in seconds."
    )
    page_link_ttl: Annotated[float, Field(ge=60, le=30 * 86400)] = Field(
        900.0, description="Lifetime in seconds of the page links the API hands out."
    )
    halo_allow_private_networks: bool = Field(
        False,
        description="Allow Halo base URLs on private networks (10/8, 172.16/12, 192.168/16,"
        " fc00::/7, 100.64/10): on-premises Halo installs.",
    )
    lag_degraded_age: Annotated[float, Field(gt=0)] = Field(
        300.0,
        description="/health says degraded when an input partition's oldest unhandled record is"
        " older than this many seconds.",
    )
    lag_degraded_records: Annotated[int, Field(ge=1)] = Field(
        10_000,
        description="/health says degraded when an input partition is more records behind.",
    )
    dev_mode: bool = False
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    @model_validator(mode="after")
    def _previous_token_needs_an_end(self) -> Settings:
        previous = self.admin_token_previous
        if previous is None or not previous.get_secret_value():
            return self
        until = self.admin_token_previous_until
        if until is None:
            raise SettingsError(
                "STREAMPROC_ADMIN_TOKEN_PREVIOUS_UNTIL must be set with"
                " STREAMPROC_ADMIN_TOKEN_PREVIOUS (when the previous token stops working, e.g."
                " 2026-12-02T09:00:00Z)"
            )
        if until.tzinfo is None:
            raise SettingsError(
                "STREAMPROC_ADMIN_TOKEN_PREVIOUS_UNTIL needs a time zone (e.g. a trailing Z)"
            )
        return self

    @field_validator("min_insync_replicas", mode="before")
    @classmethod
    def _empty_is_default(cls, value: object) -> object:
        return None if value == "" else value  # compose passes unset variables as ""

    @model_validator(mode="after")
    def _insync_within_replicas(self) -> Settings:
        if self.min_insync_replicas and self.min_insync_replicas > self.replication_factor:
            raise SettingsError(
                f"STREAMPROC_MIN_INSYNC_REPLICAS={self.min_insync_replicas} is more than"
                f" STREAMPROC_REPLICATION_FACTOR={self.replication_factor}: no write could succeed"
            )
        return self

    @model_validator(mode="after")
    def _require_secrets_outside_dev(self) -> Settings:
        if self.dev_mode:
            return self
        missing = [
            name
            for name, value in (
                ("STREAMPROC_ADMIN_TOKEN", self.admin_token),
                ("STREAMPROC_SECRET_KEY", self.secret_key),
            )
            if value is None or not value.get_secret_value()
        ]
        if missing:
            raise SettingsError(
                f"{' and '.join(missing)} must be set (or STREAMPROC_DEV_MODE=1 for local use). "
                "Generate a secret key with: python -c "
                "'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
            )
        _check_fernet_key(self.secret_key)
        return self

    def topic(self, name: str) -> str:
        """The Kafka topic name for a logical SPEC §3 topic name, with the configured prefix."""
        return f"{self.topic_prefix}{name}"

    @property
    def group_id(self) -> str:
        """The app id: the consumer group, and the prefix of every changelog and faust topic.

        It defaults from the topic prefix, so that two deployments with different prefixes on
        one cluster share no group, changelog or table state (SPEC §9).
        """
        return self.app_id or f"{self.topic_prefix}streamproc"

    def member_id(self) -> str:
        """This worker's ``group.instance.id`` (static membership), stable across restarts."""
        if self.instance_id:
            return self.instance_id
        path = self.data_dir / "instance-id"
        try:
            return path.read_text().strip()
        except FileNotFoundError:
            member = f"{socket.gethostname()}-{secrets.token_hex(4)}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(member)
            return member

    def with_dev_secrets(self) -> Settings:
        """In dev mode, fill missing secrets from ``<data_dir>/dev-secrets.json`` (created once).

        Persisting them keeps stored Halo secrets readable across restarts of a dev worker.
        """
        if not self.dev_mode or (self.admin_token and self.secret_key):
            return self
        path = self.data_dir / "dev-secrets.json"
        if path.exists():
            stored = json.loads(path.read_text())
        else:
            stored = {
                "admin_token": secrets.token_urlsafe(24),
                "secret_key": Fernet.generate_key().decode(),
            }
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(json.dumps(stored))
        return self.model_copy(
            update={
                "admin_token": self.admin_token or SecretStr(stored["admin_token"]),
                "secret_key": self.secret_key or SecretStr(stored["secret_key"]),
            }
        )


def _check_fernet_key(key: SecretStr | None) -> None:
    try:
        Fernet(key.get_secret_value() if key else "")
    except (ValueError, TypeError) as exc:
        raise SettingsError(
            "STREAMPROC_SECRET_KEY is not a valid Fernet key (32 url-safe base64-encoded bytes)"
        ) from exc


def load_settings() -> Settings:
    """Read settings from the environment; raises :class:`SettingsError` with a clear message."""
    try:
        return Settings().with_dev_secrets()
    except SettingsError:
        raise
    except ValueError as exc:  # pydantic ValidationError; re-raise without echoing secret values
        raise SettingsError(f"invalid settings: {_describe(exc)}") from None


def _describe(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return str(exc)
    return "; ".join(
        f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg'].removeprefix('Value error, ')}"
        for e in errors()
    )

"""No secret in the repository; settings come from the environment or a config file."""
from __future__ import annotations

import re
import subprocess
from dataclasses import fields
from pathlib import Path

import pytest

from newsgraph.errors import ConfigError
from newsgraph.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[2]

KEY_LIKE = {
    "private key": re.compile("-----BEGIN ([A-Z]+ )?" + "PRIVATE KEY-----"),
    "AWS access key id": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{40,})\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "OpenAI-style key": re.compile(r"\bsk-[A-Za-z0-9_-]{32,}"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "Prefect API key": re.compile(r"\bpnu_[A-Za-z0-9]{36}\b"),
    "credentials in a URL": re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@'\"{}]+:[^/\s@'\"{}]{6,}@[\w.-]+"),
    "assigned secret": re.compile(r"(?i)\b(password|passwd|secret|token|api[_-]?key|access[_-]?key)\b\s*[:=]\s*"
                                  r"['\"][A-Za-z0-9+/=_\-]{12,}['\"]"),
}


def tracked_files() -> list[Path]:
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [REPO / p for p in out.decode().split("\0") if p]


def test_no_key_like_string_in_tracked_files() -> None:
    found = []
    for path in tracked_files():
        if not path.is_file() or path.stat().st_size > 5_000_000:
            continue
        data = path.read_bytes()
        if b"\0" in data[:4096]:
            continue  # binary (images)
        text = data.decode("utf-8", "replace")
        for what, pattern in KEY_LIKE.items():
            for m in pattern.finditer(text):
                found.append(f"{path.relative_to(REPO)}:{text.count(chr(10), 0, m.start()) + 1}: {what}: {m.group(0)[:40]}")
    assert found == []


def test_no_credential_file_is_tracked() -> None:
    names = {p.name for p in tracked_files()}
    for bad in (".env", "id_rsa", "id_ed25519", "credentials", ".netrc", ".pgpass", "secrets.toml"):
        assert bad not in names


def test_settings_come_from_the_environment_and_a_config_file(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('store = "http://127.0.0.1:7879"\nfetch_timeout = 3.5\n')
    s = load_settings({"NEWSGRAPH_DATA_DIR": str(tmp_path), "NEWSGRAPH_WIKIDATA_API": ""})
    assert s.store == "http://127.0.0.1:7879" and s.fetch_timeout == 3.5 and s.wikidata_api == ""
    s = load_settings({"NEWSGRAPH_DATA_DIR": str(tmp_path), "NEWSGRAPH_STORE": "embedded"})
    assert s.store == "embedded"  # the environment wins over the file
    (tmp_path / "config.toml").write_text('pasword = "x"\n')
    with pytest.raises(ConfigError, match="unknown setting"):
        load_settings({"NEWSGRAPH_DATA_DIR": str(tmp_path)})


def test_no_setting_has_a_credential_default() -> None:
    for f in fields(Settings):
        if any(w in f.name for w in ("password", "token", "secret", "key")):
            assert not f.default, f.name


@pytest.mark.parametrize("what, sample", [
    ("private key", "-----BEGIN RSA " + "PRIVATE KEY-----"),
    ("AWS access key id", "AKIA" + "ABCDEFGHIJKLMNOP"),
    ("GitHub token", "ghp_" + "a1" * 18),
    ("credentials in a URL", "postgresql://newsgraph:" + "s3cretpass" + "@127.0.0.1:5432/prefect"),
    ("assigned secret", "api_key = '" + "Zx9" * 6 + "'"),
])
def test_the_patterns_catch_what_they_name(what: str, sample: str) -> None:
    assert KEY_LIKE[what].search(sample)

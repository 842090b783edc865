"""``tenantcheck init --openapi SPEC`` and ``tenantcheck profile check PROFILE --openapi SPEC``.

The first writes a profile and an environment drafted from an OpenAPI document (``tenantcheck.config.openapi``)
and proves the draft loads; the second lists the document's operations a profile does not cover, so a
profile does not silently fall behind the API it describes.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from tenantcheck.config.openapi import METHODS, Draft, draft_profile, load_spec, render, toml_value
from tenantcheck.config.profile import load_profile
from tenantcheck.errors import ConfigError

PARAMS = re.compile(r"\{[^}]+\}")


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "api"


def write_environment(draft: Draft, spec: dict[str, Any], profile: str) -> str:
    """The environment draft: the document's first http(s) server (else ``${API_BASE_URL}``), the
    provisioning the profile can do, the denial statuses."""
    servers = [str(server.get("url", "")) for server in spec.get("servers") or []]
    url = next((url for url in servers if url.startswith(("http://", "https://"))), "${API_BASE_URL}")
    provisioning = draft.profile.get("provisioning") or {}
    method = "signup" if "signup" in provisioning else "admin-api" if "admin" in provisioning else "header"
    title = (spec.get("info") or {}).get("title", profile)
    lines = [f"# Environment drafted by `tenantcheck init --openapi`: where the {profile} API runs.",
             f"description = {toml_value(f'drafted from {title}')}", f"profile = {toml_value(profile)}", "",
             "[target]", f"base_url = {toml_value(url)}" + ("  # TODO: set API_BASE_URL, or write the URL"
                                                              if url.startswith("$") else ""), "",
             "[provisioning]", f"method = {toml_value(method)}"]
    if method == "admin-api":
        lines.append('admin_token = "${TENANTCHECK_ADMIN_TOKEN}"  # TODO: the admin API\'s token')
    if method == "header":
        lines[-1] += "  # TODO: no sign-up or admin API found; with keys, list tenants (method = \"static\")"
    lines += ["", "[policy]", f"deny_statuses = {toml_value(draft.profile['defaults']['deny_statuses'])}", "",
              "[safety]", "requests_per_second = 50", "max_concurrency = 8", ""]
    return "\n".join(lines)


def init_from_openapi(options: argparse.Namespace) -> int:
    """Draft, write, check that both files load, and say what to review."""
    spec = load_spec(options.openapi)
    name = options.profile or slug(str((spec.get("info") or {}).get("title", "api")))
    draft = draft_profile(spec, name)
    root: Path = options.dir
    profile_path = root / "profiles" / f"{name}.toml"
    env_name = options.env if options.env != "preview" else name
    env_path = root / "environments" / f"{env_name}.toml"
    drafts = ((profile_path, render(draft, options.openapi)), (env_path, write_environment(draft, spec, name)))
    for path, text in drafts:
        if path.exists() and not options.force:
            raise ConfigError(f"init: {path} exists; pass --force to overwrite it")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    load_profile(str(profile_path))  # a draft that does not load is a bug of the drafter: say so now
    resources = draft.profile.get("resources") or {}
    print(f"tenantcheck init: wrote {profile_path} and {env_path}")
    print(f"  {len(resources)} resource(s) ({', '.join(resources) or 'none'}), {draft.mapped} operation(s) mapped, "
          f"{len(draft.skipped)} skipped, {len(draft.todos)} TODO(s) to review in {profile_path}")
    for skipped in draft.skipped:
        print(f"  skipped: {skipped}")
    print(f"next: review the TODOs, then tenantcheck run --env {env_path}")
    return 0


def operation_keys(spec: dict[str, Any]) -> dict[str, str]:
    """The document's operations as ``METHOD /path/{}`` (parameter names do not matter) -> as written."""
    return {f"{method.upper()} {PARAMS.sub('{}', path)}": f"{method.upper()} {path}"
            for path, item in (spec.get("paths") or {}).items() for method in METHODS if (item or {}).get(method)}


def check_profile(options: argparse.Namespace) -> int:
    """Exit 0 when the profile covers every operation of the document, 1 (and the list) otherwise."""
    profile = load_profile(options.profile)
    spec = load_spec(options.openapi)
    covered = {f"{op.method} {PARAMS.sub('{}', op.path.split('?', 1)[0])}" for op in profile.operations.values()}
    missing = [written for key, written in operation_keys(spec).items() if key not in covered]
    total = len(operation_keys(spec))
    print(f"profile {profile.name}: covers {total - len(missing)} of {total} operation(s) of {options.openapi}")
    for written in missing:
        print(f"  not covered: {written}")
    return 1 if missing else 0


def add_profile_commands(commands: Any) -> None:
    profile = commands.add_parser("profile", help="check a profile against the API's OpenAPI document")
    sub = profile.add_subparsers(dest="profile_command", required=True, metavar="COMMAND")
    check = sub.add_parser("check", help="list the document's operations the profile does not cover (exit 1)")
    check.add_argument("profile", metavar="PROFILE", help="profile name or TOML path")
    check.add_argument("--openapi", required=True, metavar="SPEC", help="OpenAPI document: a file or an http(s) URL")
    check.set_defaults(handler=check_profile)

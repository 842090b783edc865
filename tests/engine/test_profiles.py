"""Both shipped profiles resolve to the operations the suites need."""

from __future__ import annotations

from tenantcheck.config.profile import load_profile


def test_pom_bolt_profile_describes_the_contract() -> None:
    profile = load_profile("pom-bolt")
    assert profile.identity.mode == "token" and profile.identity.scheme == "bearer"
    assert profile.defaults.deny_statuses == [403]
    assert profile.operation("projects.list").items == "projects"  # type: ignore[union-attr]
    get = profile.operation("files.read")
    assert get is not None
    assert get.render_path({"project_id": "p1", "file_path": "docs/a b.md"}) == "/api/projects/p1/files/docs/a%20b.md"
    search = profile.operation("api.search")
    assert search is not None and search.render_path({"query": "a&b"}) == "/api/search?q=a%26b"
    assert profile.provisioning.admin is not None and profile.provisioning.admin.key_field == "api_key"


def test_header_profile_has_bare_lists_and_404_denials() -> None:
    profile = load_profile("pom-bolt-header")
    assert profile.identity.mode == "header"
    assert profile.defaults.deny_statuses == [404]
    assert all(profile.operation(name).items is None  # type: ignore[union-attr]
               for name in ("projects.list", "deployments.list", "files.list", "api.search", "api.access_logs"))


def test_body_template_keeps_types() -> None:
    profile = load_profile("pom-bolt")
    create = profile.operation("projects.create")
    assert create is not None
    body = create.render_body({"name": "N", "description": "D"})
    assert body == {"name": "N", "description": "D", "metadata": {"source": "tenantcheck"}}


def test_missing_operation_is_absent_not_an_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "small.toml"
    path.write_text('name = "small"\n[resources.projects]\nlist = { method = "GET", path = "/projects" }\n')
    profile = load_profile(str(path))
    assert profile.operation("projects.list") is not None
    assert profile.operation("projects.get") is None
    assert profile.operation("files.read") is None


def test_pom_bolt_today_describes_the_application_as_it_is() -> None:
    from tenantcheck.families import main_read, object_access, upserts

    profile = load_profile("pom-bolt-today")
    assert profile.identity.mode == "header" and profile.identity.tenant_bearer
    assert profile.identity.tenant_headers == ["X-Tenant-ID", "X-Bolt-Tenant-ID"]
    projects = profile.resources["projects"]
    assert projects.create is not None and projects.create.body_format == "form"
    assert projects.list is not None and projects.list.items is None  # a bare array
    assert projects.getter is None and projects.update is None and projects.delete is None  # absent, so n/a
    # the sync endpoint: an upsert naming ids and an owner, so all three attacks apply
    assert [target.variant for target in upserts(profile)] == ["overwrite", "overwrite-as-owner", "plant"]
    assert [target.operation for target in main_read(profile)] == ["projects.list"]  # no read by id
    assert [target.operation for target in object_access(profile)] == ["projects.download"]
    assert "/api/debug-project-by-id?id={id}" in profile.surface.paths


def test_upsert_without_an_owner_value_is_attacked_by_id_only(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tenantcheck.families import upserts

    path = tmp_path / "sync.toml"
    path.write_text('name = "sync"\n[resources.books]\nfields = { title = "public" }\n'
                    'upsert = { method = "PUT", path = "/books/bulk", body = [{ id = "{id}", title = "{title}" }] }\n')
    assert [target.variant for target in upserts(load_profile(str(path)))] == ["overwrite"]

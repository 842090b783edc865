"""Backup and restore: a round trip brings back exactly the backed-up state (D1 and KV), and the two restore
flaws break it the way they say. Each test has its own target: restore replaces the whole database."""

from __future__ import annotations


def backup(target):
    response = target.admin.post("/admin/backup")
    assert response.status_code == 201, response.text
    assert set(response.json()) == {"backup_id"}
    return response.json()["backup_id"]


def restore(target, backup_id):
    response = target.admin.post("/admin/restore", json={"backup_id": backup_id})
    assert response.status_code == 200, response.text


def seed(target):
    a, b = target.tenant("a"), target.tenant("b")
    pa, pb = a.project(), b.project()
    a.file(pa["id"], "index.html", "a-before")
    b.file(pb["id"], "index.html", "b-before")
    return a, b, pa, pb


def test_round_trip_undoes_every_change_after_the_backup(fresh_target):
    target = fresh_target()
    a, b, pa, pb = seed(target)
    assert [p["id"] for p in a.client.get("/api/projects").json()["projects"]] == [pa["id"]]  # cached now
    backup_id = backup(target)
    assert (target.ref.data_dir / "backups" / backup_id / "d1.sqlite").is_file()

    a.file(pa["id"], "index.html", "a-after")
    a.file(pa["id"], "new.txt", "new")
    extra = a.project()
    assert b.client.delete(f"/api/projects/{pb['id']}").status_code == 204
    late = target.tenant("late")
    a.client.get("/api/projects")
    assert target.kv_keys("CACHE", f"{a.tenant_id}:")  # a cached answer that the restore makes stale
    restore(target, backup_id)
    assert target.kv_keys("CACHE") == []  # the response cache is flushed on restore

    assert [p["id"] for p in a.client.get("/api/projects").json()["projects"]] == [pa["id"]]
    assert a.client.get(f"/api/projects/{extra['id']}").status_code == 404
    assert a.client.get(f"/api/projects/{pa['id']}/files/index.html").text == "a-before"
    assert a.client.get(f"/api/projects/{pa['id']}/files/new.txt").status_code == 404
    assert b.client.get(f"/api/projects/{pb['id']}").json() == pb
    assert b.client.get(f"/api/projects/{pb['id']}/files/index.html").text == "b-before"
    assert late.client.get("/api/projects").status_code == 401  # a tenant made after the backup is gone
    assert target.kv_keys("FILES", f"{a.tenant_id}:") == [f"{a.tenant_id}:{pa['id']}:index.html"]
    owners = target.sql("SELECT DISTINCT tenant_id FROM projects WHERE id IN (?, ?)", (pa["id"], pb["id"]))
    assert sorted(owners) == sorted([(a.tenant_id,), (b.tenant_id,)])


def test_restore_drops_owner_gives_every_row_to_the_default_tenant(fresh_target):
    target = fresh_target(flaws={"restore-drops-owner"})
    a, b, pa, pb = seed(target)
    restore(target, backup(target))
    for table in ("projects", "deployments", "file_metadata", "search_index"):
        assert {row[0] for row in target.sql(f"SELECT DISTINCT tenant_id FROM {table}")} <= {"default"}
    assert a.client.get(f"/api/projects/{pa['id']}").status_code == 403
    assert target.kv_keys("FILES", f"{a.tenant_id}:") == [f"{a.tenant_id}:{pa['id']}:index.html"]  # KV intact


def test_restore_drops_files_brings_back_d1_but_not_kv(fresh_target):
    target = fresh_target(flaws={"restore-drops-files"})
    a, b, pa, pb = seed(target)
    backup_id = backup(target)
    a.file(pa["id"], "index.html", "a-after")
    extra = a.project()
    restore(target, backup_id)
    assert a.client.get(f"/api/projects/{extra['id']}").status_code == 404  # D1 restored
    meta = a.client.get(f"/api/projects/{pa['id']}/files").json()["files"][0]
    content = a.client.get(f"/api/projects/{pa['id']}/files/index.html").text
    assert (meta["size"], content) == (len("a-before"), "a-after")  # but KV kept today's content


def test_unknown_backup_and_admin_only(fresh_target, code):
    target = fresh_target()
    missing = target.admin.post("/admin/restore", json={"backup_id": "bak_0000000000000000"})
    assert missing.status_code == 404 and code(missing) == "not_found"
    tenant = target.tenant("a")
    assert tenant.client.post("/admin/backup").status_code == 401
    assert target.anon.post("/admin/restore", json={"backup_id": "x"}).status_code == 401

"""How a check decides: the catalog's oracles as functions over replies.

- control: the owner sees its own object (else the check is inconclusive, never passed);
- denial: a cross-tenant request gets a status the environment's policy accepts;
- state: after a write or delete attempt the owner's object is unchanged and still there;
- ownership: objects and list items carry their owner's tenant id;
- canary: automatic, on every response (see ``tenantcheck.engine.http``);
- evidence: a check passes only on a refusal or on victim data that could have shown a leak
  (``tenantcheck.findings.Evidence``): ``control`` and ``denied`` state it, ``victims_hold_data`` for reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from tenantcheck.config.profile import Operation
from tenantcheck.engine.checks import Check
from tenantcheck.engine.http import Reply
from tenantcheck.engine.world import Obj, World
from tenantcheck.errors import Inconclusive, NotApplicable

REFUSALS = frozenset({400, 401, 403, 404, 422})


def ok(reply: Reply) -> bool:
    return 200 <= reply.status < 300


def control(world: World, owner: str, operation: str, values: dict[str, Any], *, expect: str,
            path_suffix: str = "") -> Reply:
    """Positive control: ``owner`` calls ``operation`` and finds ``expect`` in the answer (polled)."""
    op = world.operation(operation)
    reply = world.poll(lambda: world.actor(owner).call(op, {**world.values_base(owner), **values},
                                                       path_suffix=path_suffix),
                       lambda r: ok(r) and expect in r.text)
    if not ok(reply) or expect not in reply.text:
        waited = world.settings.env.policy.consistency_window
        raise Inconclusive(
            f"positive control failed: {owner} could not see its own object through {operation} "
            f"(status {reply.status}{f', after polling {waited:g}s' if waited else ''})"
        )
    world.recorder.rest_on("data", f"positive control: {owner} saw its own marked data through {operation}")
    return reply


def denied(world: World, check: Check, reply: Reply, *, what: str, refusals: frozenset[int] | None = None,
           operation: Operation | None = None) -> None:
    """Denial oracle: the status is one the policy accepts (the operation's own ``deny_statuses`` where it
    names them); a 2xx means the attempt went through."""
    own = operation.deny_statuses if operation is not None else None
    accepted = set(own or world.settings.deny_statuses) | set(refusals or ())
    if reply.status in accepted:
        check.rests_on("refusal", f"{what} was refused with {reply.status}")
        return
    if reply.unavailable:
        raise Inconclusive(f"{what}: the target answered {reply.status}")
    who = check.subject.attacker or "anonymous"
    victim = check.subject.victim or "another tenant"
    if ok(reply):
        check.fail(oracle="denial", severity="critical", replies=[reply],
                   title=f"{who} was served {what} of {victim} (status {reply.status}, expected a denial)",
                   detail=f"expected one of {sorted(accepted)}")
    check.fail(oracle="denial", severity="medium", replies=[reply],
               title=f"{who} got {reply.status} for {what} of {victim}, not a denial the policy accepts",
               detail=f"accepted: {sorted(accepted)}; a different answer discloses existence or breaks the contract")


def unchanged(world: World, check: Check, owner: str, operation: str, values: dict[str, Any], *,
              extract: Callable[[Reply], Any], expected: Any, attempt: Reply, what: str) -> None:
    """State oracle: the owner re-reads (whatever the attempt got); the object is there and unchanged."""
    op = world.operation(operation)
    reread = world.actor(owner).call(op, {**world.values_base(owner), **values})
    if reread.unavailable:
        raise Inconclusive(f"re-read of {what} failed: {reread.status}")
    if reread.status == 401:
        raise Inconclusive(f"the owner's re-read of {what} was refused 401 (even after renewing its credential): "
                           "its identity no longer works, so the state cannot be judged")
    if not ok(reread):
        lost = "deleted" if reread.status in (404, 410) else "took away"
        check.fail(oracle="state", severity="critical", replies=[attempt, reread],
                   title=f"{check.subject.attacker} {lost} {what} of {owner}",
                   detail=f"the attempt got {attempt.status}; the owner's re-read got {reread.status}")
    found = extract(reread)
    if found != expected:
        check.fail(oracle="state", severity="critical", replies=[attempt, reread],
                   title=f"{check.subject.attacker} changed {what} of {owner}",
                   detail=f"the attempt got {attempt.status}; before: {expected!r}; after: {found!r}")


def object_state(world: World, resource: str) -> Callable[[Reply], Any]:
    """What a write could change, as the owner's read shows it: the object (its ``state_fields``), or the
    content of a text answer."""
    spec = world.spec(resource)
    getter = world.operation(f"{resource}.{spec.getter}")

    def extract(reply: Reply) -> Any:
        if getter.response != "json":
            return reply.text
        body = reply.object(getter) or {}
        return {name: body.get(name) for name in spec.state_fields} if spec.state_fields else body

    return extract


def owner_field_is(world: World, check: Check, reply: Reply, item: Any, owner: str, *, what: str,
                   resource: str) -> None:
    """Ownership oracle: an object's owner field (when the profile names one) is ``owner``'s tenant id."""
    spec = world.settings.profile.resource(resource)
    field = spec.owner_field if spec else None
    if field is None or not isinstance(item, dict) or field not in item:
        return
    expected = world.tenant_id(owner)
    if item[field] != expected:
        check.fail(oracle="ownership", severity="high", replies=[reply],
                   title=f"{what} created by {owner} is owned by another tenant id",
                   detail=f"{field} = {item[field]!r}, expected {expected!r}")


def items_of(check: Check, reply: Reply, world: World, operation: str) -> list[Any]:
    """A list answer's items; a wrong shape or a failed request makes the check inconclusive."""
    if not ok(reply):
        raise Inconclusive(f"{operation} answered {reply.status}: {reply.text[:200]}")
    items = reply.items(world.operation(operation))
    if items is None:
        raise Inconclusive(f"{operation} did not answer the profile's list shape: {reply.text[:200]}")
    return items


def planted_data(world: World, victim: str, resource: str, unseeded: Exception) -> str:
    """Where the run seeded nothing (it writes nothing, or its creates failed): the victim's pre-existing
    data, shown by the marker the environment says the operator planted in it, in the victim's own list."""
    marker = world.planted.get(victim)
    if marker is None:
        raise Inconclusive(f"{victim} owns nothing this read could reveal ({unseeded}); in a run that writes "
                           "nothing, plant a marker in its data and name it in [[provisioning.tenants]] marker")
    listing = f"{resource}.list"
    if world.settings.profile.operation(listing) is None:
        raise Inconclusive(f"{victim}'s planted marker cannot be checked: the profile has no {listing}")
    if marker not in world.read(victim, listing, {}).text:
        raise Inconclusive(f"{victim} owns nothing this read could reveal: its own list does not show the "
                           f"marker the environment names for it ({marker})")
    return f"{victim}'s planted data (its own list shows {marker})"


def victims_hold_data(world: World, check: Check, victims: Iterable[str], resource: str | None = None) -> None:
    """Evidence for a read that no one refuses (a list, a search, a probe, logs): every victim owns seeded
    data of ``resource`` (the main one by default) carrying its marker that the read could have shown.
    Without it the check is inconclusive: a clean answer from a target holding nothing of the victim's
    proves nothing."""
    resource = resource or world.main
    held: list[str] = []
    for victim in victims:
        try:
            held.append(f"{victim}'s {world.seeded(victim, resource).describe()}")
        except (Inconclusive, NotApplicable) as error:
            held.append(planted_data(world, victim, resource, error))
    check.rests_on("data", f"marked data of the victims was there to leak: {', '.join(held) or 'none'}")


ABSENT = object()  # what ``state_of`` sees of an object its owner can no longer find


def state_of(world: World, owner: str, obj: Obj, *, listed: bool = False) -> tuple[Reply, Any]:
    """The owner's view of ``obj`` for the state oracle: its read through the getter, else (or with
    ``listed``, when the resource has a list) its item in the owner's list; ``ABSENT`` when it is not
    there. A read the target cannot answer, or a refused identity, makes the check inconclusive."""
    spec = world.spec(obj.resource)
    can_list = spec.list is not None and spec.parent is None
    if spec.getter is not None and not (listed and can_list):
        name = f"{obj.resource}.{spec.getter}"
        reply = world.actor(owner).call(world.operation(name), {**world.values_base(owner), **obj.address})
    elif can_list:
        name = f"{obj.resource}.list"
        reply = world.actor(owner).call(world.operation(name), world.values_base(owner))
    else:
        raise NotApplicable(f"the profile can neither read nor list {obj.resource}: its state cannot be re-read")
    if reply.unavailable or reply.status == 401:
        raise Inconclusive(f"{owner}'s re-read of its {obj.resource} through {name} answered {reply.status}")
    if not ok(reply):
        return reply, ABSENT
    if not name.endswith(".list"):
        return reply, object_state(world, obj.resource)(reply)
    for item in reply.items(world.operation(name)) or []:
        if isinstance(item, dict) and str(item.get(spec.id_field)) == obj.id:
            return reply, {key: item.get(key) for key in spec.state_fields} if spec.state_fields else item
    return reply, ABSENT

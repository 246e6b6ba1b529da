"""Users. Company-level in GHL: one account per email across the agency, a member of the locations listed
in roles.locationIds. Reads and writes need the agency token."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, Field, ValidationInfo, WithJsonSchema, field_validator

from ghlops.identity import Identity
from ghlops.kinds.base import (
    Entry,
    Kind,
    LiveObject,
    Model,
    Resolver,
    Scope,
    expect_list,
    index_live,
    natural,
    require_str,
)
from ghlops.kinds.user_scopes import USER_SCOPES
from ghlops.plan.diff import field_changes, managed_fields
from ghlops.plan.model import Action, Change, FieldChange, Section, Stage
from ghlops.request import Auth, Ref, Request, SecretInput

if TYPE_CHECKING:
    from ghlops.state import LocationDesired

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_UNRESOLVED = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")
_SCOPES = frozenset(USER_SCOPES)
PAGE_SIZE = 100


class UserType(StrEnum):
    account = "account"
    agency = "agency"


class Role(StrEnum):
    admin = "admin"
    user = "user"


class Language(StrEnum):
    en_US = "en_US"
    es = "es"
    fr_CA = "fr_CA"
    fr_FR = "fr_FR"
    nl = "nl"
    de = "de"
    pt_PT = "pt_PT"
    pt_BR = "pt_BR"
    it = "it"
    sv = "sv"
    da = "da"
    fi = "fi"
    no = "no"


class Permissions(Model):
    campaignsEnabled: bool | None = None
    campaignsReadOnly: bool | None = None
    contactsEnabled: bool | None = None
    workflowsEnabled: bool | None = None
    workflowsReadOnly: bool | None = None
    triggersEnabled: bool | None = None
    funnelsEnabled: bool | None = None
    websitesEnabled: bool | None = None
    opportunitiesEnabled: bool | None = None
    dashboardStatsEnabled: bool | None = None
    bulkRequestsEnabled: bool | None = None
    appointmentsEnabled: bool | None = None
    reviewsEnabled: bool | None = None
    onlineListingsEnabled: bool | None = None
    phoneCallEnabled: bool | None = None
    conversationsEnabled: bool | None = None
    assignedDataOnly: bool | None = None
    adwordsReportingEnabled: bool | None = None
    membershipEnabled: bool | None = None
    facebookAdsReportingEnabled: bool | None = None
    attributionsReportingEnabled: bool | None = None
    settingsEnabled: bool | None = None
    tagsEnabled: bool | None = None
    leadValueEnabled: bool | None = None
    marketingEnabled: bool | None = None
    agentReportingEnabled: bool | None = None
    botService: bool | None = None
    socialPlanner: bool | None = None
    bloggingEnabled: bool | None = None
    invoiceEnabled: bool | None = None
    affiliateManagerEnabled: bool | None = None
    contentAiEnabled: bool | None = None
    refundsEnabled: bool | None = None
    recordPaymentEnabled: bool | None = None
    cancelSubscriptionEnabled: bool | None = None
    paymentsEnabled: bool | None = None
    communitiesEnabled: bool | None = None
    exportPaymentsEnabled: bool | None = None


# PermissionsDto's documented defaults (users created without permissions get exactly these).
PERMISSION_DEFAULTS: Mapping[str, bool] = {
    "campaignsEnabled": True,
    "campaignsReadOnly": False,
    "contactsEnabled": True,
    "workflowsEnabled": True,
    "workflowsReadOnly": False,
    "triggersEnabled": True,
    "funnelsEnabled": True,
    "websitesEnabled": False,
    "opportunitiesEnabled": True,
    "dashboardStatsEnabled": True,
    "bulkRequestsEnabled": True,
    "appointmentsEnabled": True,
    "reviewsEnabled": True,
    "onlineListingsEnabled": True,
    "phoneCallEnabled": True,
    "conversationsEnabled": True,
    "assignedDataOnly": False,
    "adwordsReportingEnabled": False,
    "membershipEnabled": False,
    "facebookAdsReportingEnabled": False,
    "attributionsReportingEnabled": False,
    "settingsEnabled": True,
    "tagsEnabled": True,
    "leadValueEnabled": True,
    "marketingEnabled": True,
    "agentReportingEnabled": True,
    "botService": False,
    "socialPlanner": True,
    "bloggingEnabled": True,
    "invoiceEnabled": True,
    "affiliateManagerEnabled": True,
    "contentAiEnabled": True,
    "refundsEnabled": True,
    "recordPaymentEnabled": True,
    "cancelSubscriptionEnabled": True,
    "paymentsEnabled": True,
    "communitiesEnabled": True,
    "exportPaymentsEnabled": True,
}


def _scope(value: str, info: ValidationInfo) -> str:
    """One of the scope names GHL accepts (users.json CreateUserDto.scopes): any other gets a 422 from GHL on the
    write, after a plan that looked fine (issue 13, section 7), so it is refused at validate time.

    Offline validation (``context={"offline": True}``) checks shape, not values it cannot know: a name still
    holding an unset ``${VAR}`` passes there, as it would pass ``validate`` once the variable is set to a scope.
    """
    if value in _SCOPES:
        return value
    if isinstance(info.context, Mapping) and info.context.get("offline") and _UNRESOLVED.search(value):
        return value
    close = difflib.get_close_matches(value, USER_SCOPES, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    # All 189 names don't fit one error line: the ones for the same resource, else the nearest few.
    resource = re.split(r"[./]", value, maxsplit=1)[0]
    related = [s for s in USER_SCOPES if re.split(r"[./]", s, maxsplit=1)[0] == resource]
    shown = related or difflib.get_close_matches(value, USER_SCOPES, n=5, cutoff=0.0)
    which = f"GHL's {resource} scopes" if related else "the nearest GHL scopes"
    raise ValueError(
        f"{value!r} is not a scope GHL accepts{hint}; {which}: {', '.join(shown)} "
        "(all of them: users.json CreateUserDto.scopes, or the scopes enum in `ghlops schema`)"
    )


UserScope = Annotated[str, AfterValidator(_scope), WithJsonSchema({"type": "string", "enum": list(USER_SCOPES)})]


class User(Entry):
    email: str = Field(description="Login email; the natural key. GHL cannot change it.")
    firstName: str = Field(min_length=1, description="First name.")
    lastName: str = Field(min_length=1, description="Last name.")
    phone: str | None = Field(default=None, description="Phone number.")
    type: UserType = Field(default=UserType.account, description="account (sub-account user) or agency.")
    role: Role = Field(default=Role.user, description="admin or user.")
    permissions: Permissions | None = Field(default=None, description="Feature permissions.")
    scopes: list[UserScope] | None = Field(default=None, description="Scopes (sent on write; GHL does not list them).")
    platformLanguage: Language | None = Field(default=None, description="UI language.")
    passwordEnv: str | None = Field(
        default=None,
        description="Environment variable holding the initial password; without it a strong random one is "
        "generated for the create call and never printed or stored.",
    )

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not _EMAIL.match(value):
            raise ValueError(f"'{value}' is not an email address")
        return value


class Users(Kind[User]):
    name = "users"
    label = "user"
    model = User
    immutable = frozenset()  # email is the key; a different email is a different user
    write_only = frozenset({"scopes"})
    # GHL answers a user without a phone when its phone is empty (an empty phone is read back as none), so a
    # manifest's phone: "" would otherwise be a change on every plan (issue 13, section 7).
    not_readable = frozenset({"phone"})
    delete_warning = "the user loses access to every location and their assignments are orphaned"
    section_description = "Users who belong to this location."
    template_description = "Users who belong to every location using this."
    document_order = 40
    scope = Scope.COMPANY
    auth = Auth.AGENCY
    page_size = PAGE_SIZE
    stored_as = "user"
    key_field = "email"

    def key(self, obj: User) -> str:
        return obj.email.casefold()

    def display(self, obj: User) -> str:
        return obj.email

    def key_for_name(self, obj: User, name: str) -> str:
        return name.casefold()

    def search_request(self, company_id: str, skip: int) -> Request:
        return Request(
            "GET",
            ("/users/search",),
            auth=Auth.AGENCY,
            params=(("companyId", company_id), ("skip", str(skip)), ("limit", str(PAGE_SIZE))),
        )

    def parse_search(self, body: Any) -> tuple[list[Mapping[str, Any]], int | None]:
        users = expect_list(body, "users")
        count = body.get("count")
        return users, int(count) if isinstance(count, int | float) else None

    def parse_list(self, body: Any) -> list[Mapping[str, Any]]:
        return self.parse_search(body)[0]

    def list_page(self, scope_id: str, offset: int, parent: LiveObject[Any] | None = None) -> Request:
        return self.search_request(scope_id, offset)

    def parse_page(self, body: Any) -> tuple[list[Mapping[str, Any]], int | None]:
        return self.parse_search(body)

    def required_env(self, entry: User) -> list[tuple[str, str, str]]:
        return [("passwordEnv", entry.passwordEnv, "the user's initial password")] if entry.passwordEnv else []

    def reference_problem(self, value: str) -> str | None:
        return None if _EMAIL.match(value) else "is not an email address"

    def export_entry(self, data: dict[str, Any], live: LiveObject[User], notes: list[str]) -> Any:
        permissions = data.get("permissions")
        if isinstance(permissions, dict):
            for key, default in PERMISSION_DEFAULTS.items():
                if permissions.get(key) is default:
                    del permissions[key]
            if not permissions:
                del data["permissions"]
        return data

    def locations_of(self, live: LiveObject[User]) -> list[str]:
        return location_ids(live.raw)

    # -- applying --------------------------------------------------------------------------------------
    def already_exists(self, status: int | None, message: str) -> bool:
        # Another run (a parallel shard declaring the same user) created it since the plan was made.
        return status == 400 and "already exists" in message.casefold()

    def adopt_request(self, create: Request, found: LiveObject[User]) -> Request:
        """The existing user made what the create would have made it: same fields, plus the planned locations.

        The membership is the union of the user's current locations and the planned ones, so a parallel run's
        additions are kept; the password is never touched (the user already has one)."""
        sent = create.body if isinstance(create.body, Mapping) else {}
        body = {k: v for k, v in sent.items() if k not in ("companyId", "email", "password")}
        current = location_ids(found.raw)
        planned = [str(i) for i in sent.get("locationIds") or []]
        body["locationIds"] = current + [i for i in planned if i not in current]
        return Request("PUT", ("/users/", found.id), version=create.version, auth=create.auth, body=body)

    def deletion_queued(self, body: Any) -> bool:
        # "Queued deleting ... Will take effect in a few minutes" (users.json).
        message = body.get("message") if isinstance(body, Mapping) else None
        return isinstance(message, str) and "queued" in message.casefold()

    def parse_live(self, raw: Mapping[str, Any], resolver: Resolver) -> dict[str, Any]:
        # Real users carry many permission keys beyond the documents (opportunitiesBulkActionsEnabled,
        # certificatesEnabled, ...), `scopes` as an array, dateAdded, totpEnabled, traceId: all kept in the raw
        # answer, the unknown permissions sent back on every update (see update_user_request).
        roles = raw.get("roles") if isinstance(raw.get("roles"), Mapping) else {}
        assert isinstance(roles, Mapping)
        data: dict[str, Any] = {
            "email": require_str(raw, "email"),
            "firstName": raw.get("firstName") or "-",
            "lastName": raw.get("lastName") or "-",
        }
        for name in ("phone", "permissions", "platformLanguage"):
            if raw.get(name) not in (None, ""):
                data[name] = raw[name]
        if roles.get("type"):
            data["type"] = roles["type"]
        if roles.get("role"):
            data["role"] = roles["role"]
        return data

    def is_gone(self, raw: Mapping[str, Any]) -> bool:
        """A user whose deletion GHL has queued: still listed for a few minutes after DELETE ("Queued deleting
        ... Will take effect in a few minutes"), marked deleted; the reader treats it as gone."""
        return raw.get("deleted") is True

    def create_request(self, location_id: str, desired: User, resolver: Resolver) -> Request:
        raise NotImplementedError("users are created company-wide: use create_user_request")

    def create_user_request(
        self, company_id: str, desired: User, location_ids: Sequence[str], resolver: Resolver
    ) -> Request:
        body: dict[str, Any] = {
            "companyId": company_id,
            "firstName": desired.firstName,
            "lastName": desired.lastName,
            "email": desired.email,
            "password": SecretInput(desired.passwordEnv),
            "type": str(desired.type),
            "role": str(desired.role),
            "locationIds": list(location_ids),
        }
        for name in desired.managed_fields():
            if name not in body and getattr(desired, name) is not None:
                body[name] = self.compare_value(name, desired, resolver)
        return Request(
            "POST",
            ("/users/",),
            auth=Auth.AGENCY,
            body=body,
            binds=Ref("users", desired.email.casefold()),
            id_field=("id",),
        )

    def update_request(
        self, location_id: str, live: LiveObject[User], desired: User, fields: Sequence[str], resolver: Resolver
    ) -> Request:
        return self.update_user_request(live, desired, fields, None, resolver)

    def update_user_request(
        self,
        live: LiveObject[User],
        desired: User | None,
        fields: Sequence[str],
        location_ids: Sequence[str] | None,
        resolver: Resolver,
    ) -> Request:
        body: dict[str, Any] = {}
        if desired is not None:
            for name in fields:
                body[name] = self.compare_value(name, desired, resolver)
            if isinstance(body.get("permissions"), dict) and isinstance(live.raw.get("permissions"), Mapping):
                # Permissions ghlops doesn't know are sent back as GHL holds them, never reset by an update.
                body["permissions"] = {**live.raw["permissions"], **body["permissions"]}
            if "role" in body or "type" in body:
                # GHL validates role against type, so a role change carries both.
                body.setdefault("type", str(desired.type) if "type" in desired.model_fields_set else live.obj.type)
                body.setdefault("role", str(desired.role) if "role" in desired.model_fields_set else live.obj.role)
        if location_ids is not None:
            body["locationIds"] = list(location_ids)
        return Request("PUT", ("/users/", live.id), auth=Auth.AGENCY, body=body)

    def delete_request(self, location_id: str, live: LiveObject[User]) -> Request:
        return Request("DELETE", ("/users/", live.id), auth=Auth.AGENCY)

    # -- planning (users are company-level: planned once per company, not per location) ------------------
    def plan_company(
        self,
        company_id: str,
        locations: Sequence[LocationDesired],
        live: Sequence[LiveObject[User]],
        names_by_id: Mapping[str, str],
        me: Identity,
        referenced: Mapping[str, set[str]],
    ) -> tuple[Section, dict[str, list[str]]]:
        """User changes of one company, and per location the live members no manifest declares (unmanaged).

        ``referenced`` holds, per location, the users its other entries name (calendar team members): a user
        named in a location must belong to it, so a declared user's membership follows."""
        return _plan_users(company_id, locations, live, names_by_id, me, referenced)


def _plan_users(
    company_id: str,
    locations: Sequence[LocationDesired],
    live: Sequence[LiveObject[User]],
    names_by_id: Mapping[str, str],
    me: Identity,
    referenced: Mapping[str, set[str]],
) -> tuple[Section, dict[str, list[str]]]:
    resolver = Resolver()
    for u in live:
        resolver.add(KIND.name, KIND.key(u.obj), u.id)
    declared: dict[str, User] = {}
    wanted: dict[str, list[str]] = {}
    for d in locations:
        for user in d.of(KIND.name):
            key = KIND.key(user)
            declared.setdefault(key, user)
            _add(wanted, key, d.location_id)
    for d in locations:
        for key in sorted(referenced.get(d.location_id, set())):
            if key in declared:
                _add(wanted, key, d.location_id)
    index, errors = index_live(KIND, live)
    scope = [d.location_id for d in locations]
    pruned = {d.location_id for d in locations if KIND.name in d.prune}

    def names(ids: Sequence[str]) -> list[str]:
        return [names_by_id.get(i, i) for i in ids]

    # Users a location removed from its templates while they were `protect: true`: prune never removes them.
    guarded = {d.location_id: d.protected.get(KIND.name, frozenset()) for d in locations}

    def unprotected(key: str, email: str, removed: list[str]) -> list[str]:
        blocked = [i for i in removed if key in guarded.get(i, frozenset())]
        errors.extend(f"user {email!r} is protected and would be removed from location {n}" for n in names(blocked))
        return [i for i in removed if i not in blocked]

    notes: list[str] = []
    first: list[tuple[Change, tuple[str, ...]]] = []
    last: list[tuple[Change, tuple[str, ...]]] = []
    for key, user in declared.items():
        locs = wanted[key]
        current = index.get(key)
        if current is None:
            change = _create_user(user, company_id, locs, resolver)
            first.append((change, tuple(names(locs))))
            continue
        now = location_ids(current.raw)
        added = [i for i in locs if i not in now]
        removed = unprotected(key, user.email, [i for i in now if i in pruned and i not in locs])
        fields = list(field_changes(KIND, user, current, resolver))
        unreadable = KIND.unreadable(user, current, managed_fields(user))
        notes.extend(KIND.unreadable_note(f) for f in unreadable)
        fields = [f for f in fields if f.field not in unreadable]
        if fields or added:
            joined = now + added
            membership = [FieldChange("locations", names(now), names(joined))] if added else []
            first.append(
                (
                    Change(
                        action=Action.UPDATE,
                        kind=KIND.name,
                        key=key,
                        display=user.email,
                        object_id=current.id,
                        fields=(*fields, *membership),
                        requests=(
                            KIND.update_user_request(
                                current,
                                user,
                                [f.field for f in fields] + unreadable,
                                joined if added else None,
                                resolver,
                            ),
                        ),
                        stage=Stage.USERS_FIRST,
                    ),
                    tuple(names(added or [i for i in locs])),
                )
            )
            now = joined
        if removed:
            last.append((_shrink(current, now, removed, names), tuple(names(removed))))
    unmanaged: dict[str, list[str]] = {}
    for key, current in index.items():
        if key in declared:
            continue
        now = location_ids(current.raw)
        in_scope = [i for i in now if i in scope]
        removed = unprotected(key, current.obj.email, [i for i in in_scope if i in pruned])
        for i in in_scope:
            if i not in pruned:
                unmanaged.setdefault(i, []).append(current.obj.email)
        if removed:
            last.append((_shrink(current, now, removed, names), tuple(names(removed))))
    ordered = first + sorted(last, key=lambda pair: natural(pair[0].display))
    errors.extend(_lockouts([c for c, _ in ordered], index, me))
    return (
        Section(
            name="users",
            scope_id=company_id,
            changes=tuple(c for c, _ in ordered),
            errors=tuple(errors),
            is_company=True,
            touches=tuple(t for _, t in ordered),
            notes=tuple(dict.fromkeys(notes)),
        ),
        unmanaged,
    )


def _lockouts(changes: Sequence[Change], index: Mapping[str, LiveObject[User]], me: Identity) -> list[str]:
    """Deleting or demoting the user whose token runs ghlops would lock the run out of its own account."""
    if not me.known:
        return []
    errors = []
    for change in changes:
        live = index.get(change.key)
        is_me = (me.email is not None and change.key == me.email) or (
            live is not None and me.user_id is not None and live.id == me.user_id
        )
        if not is_me:
            continue
        if change.action is Action.DELETE:
            errors.append(f"refusing to delete user {change.display}: it is the user whose token runs ghlops")
        demoted = [f for f in change.fields if f.field == "role" and f.old == "admin" and f.new != "admin"]
        demoted += [f for f in change.fields if f.field == "type" and f.old == "agency" and f.new != "agency"]
        if demoted:
            errors.append(f"refusing to demote user {change.display}: it is the user whose token runs ghlops")
    return errors


def _add(wanted: dict[str, list[str]], key: str, location_id: str) -> None:
    ids = wanted.setdefault(key, [])
    if location_id not in ids:
        ids.append(location_id)


def _create_user(user: User, company_id: str, location_ids: Sequence[str], resolver: Resolver) -> Change:
    request = KIND.create_user_request(company_id, user, location_ids, resolver)
    return Change(
        action=Action.CREATE,
        kind=KIND.name,
        key=KIND.key(user),
        display=user.email,
        fields=tuple(
            FieldChange(f, None, KIND.compare_value(f, user, resolver))
            for f in user.managed_fields()
            if getattr(user, f) is not None
        ),
        requests=(request,),
        stage=Stage.USERS_FIRST,
        creates=Ref(KIND.name, KIND.key(user)),
    )


def _shrink(current: LiveObject[User], now: list[str], removed: list[str], names: Any) -> Change:
    """Remove memberships; delete the account only when it would belong to no location at all."""
    remaining = [i for i in now if i not in removed]
    if not remaining and current.obj.type == UserType.account:
        return Change(
            action=Action.DELETE,
            kind=KIND.name,
            key=KIND.key(current.obj),
            display=current.obj.email,
            object_id=current.id,
            fields=(FieldChange("locations", names(now), []),),
            requests=(KIND.delete_request("", current),),
            warnings=(f"deleting a user: {KIND.delete_warning}",),
            stage=Stage.USERS_LAST,
        )
    return Change(
        action=Action.UPDATE,
        kind=KIND.name,
        key=KIND.key(current.obj),
        display=current.obj.email,
        object_id=current.id,
        fields=(FieldChange("locations", names(now), names(remaining)),),
        requests=(KIND.update_user_request(current, None, [], remaining, Resolver()),),
        stage=Stage.USERS_LAST,
    )


def location_ids(raw: Mapping[str, Any]) -> list[str]:
    """The locations a live user belongs to."""
    roles = raw.get("roles")
    if not isinstance(roles, Mapping):
        return []
    ids = roles.get("locationIds")
    return [str(i) for i in ids] if isinstance(ids, list) else []


KIND = Users()

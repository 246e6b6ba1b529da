"""Users. Company-level in GHL: one account per email across the agency, a member of the locations listed
in roles.locationIds. Reads and writes need the agency token."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from pydantic import Field, field_validator

from ghlops.kinds.base import Entry, Kind, LiveObject, Model, Resolver, expect_list, require_str
from ghlops.request import Auth, Ref, Request, SecretInput

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
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


class User(Entry):
    email: str = Field(description="Login email; the natural key. GHL cannot change it.")
    firstName: str = Field(min_length=1, description="First name.")
    lastName: str = Field(min_length=1, description="Last name.")
    phone: str | None = Field(default=None, description="Phone number.")
    type: UserType = Field(default=UserType.account, description="account (sub-account user) or agency.")
    role: Role = Field(default=Role.user, description="admin or user.")
    permissions: Permissions | None = Field(default=None, description="Feature permissions.")
    scopes: list[str] | None = Field(default=None, description="Scopes (sent on write; GHL does not list them).")
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
    delete_warning = "the user loses access to every location and their assignments are orphaned"

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


def location_ids(raw: Mapping[str, Any]) -> list[str]:
    """The locations a live user belongs to."""
    roles = raw.get("roles")
    if not isinstance(roles, Mapping):
        return []
    ids = roles.get("locationIds")
    return [str(i) for i in ids] if isinstance(ids, list) else []


KIND = Users()

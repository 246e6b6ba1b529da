"""Bodies of the Users API: CreateUserDto and UpdateUserDto."""

from __future__ import annotations

from typing import Annotated

from pydantic import PlainValidator

from ghlops.sandbox.dto.user_catalog import USER_SCOPES
from ghlops.sandbox.validation import Dto, Email, Name, one_of

UserType = Annotated[str, PlainValidator(one_of("agency", "account"))]
UserRole = Annotated[str, PlainValidator(one_of("admin", "user"))]
Scope = Annotated[str, PlainValidator(one_of(*USER_SCOPES))]
PlatformLanguage = Annotated[
    str,
    PlainValidator(one_of("en_US", "es", "fr_CA", "fr_FR", "nl", "de", "pt_PT", "pt_BR", "it", "sv", "da", "fi", "no")),
]


class Permissions(Dto):
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
    # Not in PermissionsDto, but GHL answers with them (user_catalog.EXTRA_PERMISSIONS) and takes them back.
    opportunitiesBulkActionsEnabled: bool | None = None
    certificatesEnabled: bool | None = None
    mediaStorageEnabled: bool | None = None
    reportingEnabled: bool | None = None
    adPublishingEnabled: bool | None = None
    adPublishingReadOnly: bool | None = None
    wordpressEnabled: bool | None = None
    customMenuLinkReadOnly: bool | None = None
    customMenuLinkWrite: bool | None = None
    gokollabEnabled: bool | None = None


class CreateUser(Dto):
    companyId: str
    firstName: Name
    lastName: Name
    email: Email
    password: Name
    phone: str | None = None
    type: UserType
    role: UserRole
    locationIds: list[str]
    permissions: Permissions | None = None
    scopes: list[Scope] | None = None
    scopesAssignedToOnly: list[Scope] | None = None
    profilePhoto: str | None = None
    twilioPhone: dict[str, str] | None = None
    platformLanguage: PlatformLanguage | None = None


class UpdateUser(Dto):
    firstName: Name | None = None
    lastName: Name | None = None
    email: Email | None = None
    password: Name | None = None
    phone: str | None = None
    type: UserType | None = None
    role: UserRole | None = None
    companyId: str | None = None
    locationIds: list[str] | None = None
    permissions: Permissions | None = None
    scopes: list[Scope] | None = None
    scopesAssignedToOnly: list[Scope] | None = None
    profilePhoto: str | None = None
    twilioPhone: dict[str, str] | None = None
    platformLanguage: PlatformLanguage | None = None

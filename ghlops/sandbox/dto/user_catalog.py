"""What GHL gives and takes in a user: the scope names (kept with the users kind) and the permission defaults."""

from __future__ import annotations

# The names live with the users kind, so the sandbox refuses exactly what the manifest check refuses.
from ghlops.kinds.user_scopes import USER_SCOPES

__all__ = ["DEFAULT_PERMISSIONS", "EXTRA_PERMISSIONS", "USER_SCOPES"]

# PermissionsDto defaults: what a user gets for every permission the request leaves out.
DEFAULT_PERMISSIONS: dict[str, bool] = {
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

# Permission keys real GHL answers with beyond PermissionsDto, all on for a new user, and accepts back on writes
# (a client that read a user sends them again). Seen in recorded GET /users/{userId} and /users/search answers
# published in public repositories; GoHighLevel/highlevel-api-docs #300 and #82: the documents are incomplete.
EXTRA_PERMISSIONS: dict[str, bool] = {
    "opportunitiesBulkActionsEnabled": True,
    "certificatesEnabled": True,
    "mediaStorageEnabled": True,
    "reportingEnabled": True,
    "adPublishingEnabled": True,
    "adPublishingReadOnly": True,
    "wordpressEnabled": True,
    "customMenuLinkReadOnly": True,
    "customMenuLinkWrite": True,
    "gokollabEnabled": True,
}

"""Bodies of the Calendar Notifications API (calendars.json): CreateCalendarNotificationDTO (POST takes an array of
them) and UpdateCalendarNotificationsDTO."""

from __future__ import annotations

from typing import Annotated

from pydantic import PlainValidator

from ghlops.sandbox.validation import Dto, Number, one_of

RECEIVER_TYPES = ("contact", "guest", "assignedUser", "emails", "phoneNumbers", "business")
CHANNELS = ("email", "inApp", "sms", "whatsapp")
NOTIFICATION_TYPES = ("booked", "confirmation", "cancellation", "reminder", "followup", "reschedule")
#: The keyword selectedUsers takes besides user ids (CreateCalendarNotificationDTO.selectedUsers).
SUB_ACCOUNT_ADMIN = "sub_account_admin"

ReceiverType = Annotated[str, PlainValidator(one_of(*RECEIVER_TYPES))]
Channel = Annotated[str, PlainValidator(one_of(*CHANNELS))]
NotificationType = Annotated[str, PlainValidator(one_of(*NOTIFICATION_TYPES))]


class Schedule(Dto):
    """SchedulesDTO: both properties are optional in the document."""

    timeOffset: Number | None = None
    unit: str | None = None


class _NotificationCommon(Dto):
    isActive: bool | None = None
    templateId: str | None = None
    body: str | None = None
    subject: str | None = None
    afterTime: list[Schedule] | None = None
    beforeTime: list[Schedule] | None = None
    additionalEmailIds: list[str] | None = None
    additionalPhoneNumbers: list[str] | None = None
    selectedUsers: list[str] | None = None
    fromAddress: str | None = None
    fromName: str | None = None
    fromNumber: str | None = None


class CreateNotification(_NotificationCommon):
    receiverType: ReceiverType
    channel: Channel
    notificationType: NotificationType


class UpdateNotification(_NotificationCommon):
    """Every property optional; ``deleted`` (soft delete) exists on the update DTO only."""

    receiverType: ReceiverType | None = None
    channel: Channel | None = None
    notificationType: NotificationType | None = None
    deleted: bool | None = None

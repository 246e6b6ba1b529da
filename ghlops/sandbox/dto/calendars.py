"""Bodies of the Calendars API: CalendarCreateDTO and CalendarUpdateDTO with their nested objects."""

from __future__ import annotations

from typing import Annotated

from pydantic import PlainValidator

from ghlops.sandbox.validation import Dto, Name, Number, bounded, number_one_of, one_of

CALENDAR_TYPES = ("round_robin", "event", "class_booking", "collective", "service_booking", "personal")

Unit = Annotated[str, PlainValidator(one_of("mins", "hours"))]
EventType = Annotated[
    str,
    PlainValidator(one_of("RoundRobin_OptimizeForAvailability", "RoundRobin_OptimizeForEqualDistribution")),
]
CalendarType = Annotated[str, PlainValidator(one_of(*CALENDAR_TYPES))]
WidgetType = Annotated[str, PlainValidator(one_of("default", "classic"))]
BookingAfterUnit = Annotated[str, PlainValidator(one_of("hours", "days", "weeks", "months"))]
BookingForUnit = Annotated[str, PlainValidator(one_of("days", "weeks", "months"))]
FormSubmitType = Annotated[str, PlainValidator(one_of("RedirectURL", "ThankYouMessage"))]
GuestType = Annotated[str, PlainValidator(one_of("count_only", "collect_detail"))]
AvailabilityType = Annotated[float, PlainValidator(number_one_of(0, 1))]
Priority = Annotated[float, PlainValidator(number_one_of(0, 0.5, 1))]
MeetingLocationType = Annotated[
    str, PlainValidator(one_of("custom", "zoom", "gmeet", "phone", "address", "teams", "booker"))
]
LocationKind = Annotated[
    str,
    PlainValidator(
        one_of(
            "custom",
            "zoom_conference",
            "google_conference",
            "inbound_call",
            "outbound_call",
            "physical",
            "booker",
            "ms_teams_conference",
        )
    ),
]
Weekday = Annotated[float, PlainValidator(bounded(0, 6))]
HourOfDay = Annotated[float, PlainValidator(bounded(0, 23))]
Minute = Annotated[float, PlainValidator(bounded(0, 60))]
RecurrenceCount = Annotated[float, PlainValidator(bounded(None, 24))]


class CalendarNotification(Dto):
    type: Annotated[str, PlainValidator(one_of("email"))] | None = None
    shouldSendToContact: bool
    shouldSendToGuest: bool
    shouldSendToUser: bool
    shouldSendToSelectedUsers: bool
    selectedUsers: str


class LocationConfiguration(Dto):
    kind: LocationKind
    location: str | None = None
    # Not in the spec, but GHL answers with them and a client that read a team sends them back: GHL's PUT
    # replaces the whole team, so dropping them unlinks the member's Zoom meeting (issue 9; recorded answers).
    position: Number | None = None
    zoomOauthId: str | None = None
    meetingId: str | None = None


class TeamMember(Dto):
    userId: str
    priority: Priority | None = None
    meetingLocationType: MeetingLocationType | None = None
    meetingLocation: str | None = None
    isPrimary: bool | None = None
    locationConfigurations: list[LocationConfiguration] | None = None
    # Off-spec keys of real team members, accepted back for the same reason as above. ``isZoomAdded`` is a
    # string ("true"/"false") in GHL's answers, not a boolean.
    selected: bool | None = None
    isZoomAdded: str | None = None
    zoomOauthId: str | None = None


class Hour(Dto):
    openHour: HourOfDay
    openMinute: Minute
    closeHour: HourOfDay
    closeMinute: Minute


class OpenHour(Dto):
    daysOfTheWeek: list[Weekday]
    hours: list[Hour]


class Recurring(Dto):
    freq: Annotated[str, PlainValidator(one_of("DAILY", "WEEKLY", "MONTHLY"))] | None = None
    count: RecurrenceCount | None = None
    bookingOption: Annotated[str, PlainValidator(one_of("skip", "continue", "book_next"))] | None = None
    bookingOverlapDefaultStatus: Annotated[str, PlainValidator(one_of("confirmed", "new"))] | None = None


class Availability(Dto):
    date: str
    hours: list[Hour]
    deleted: bool | None = None


class UpdateAvailability(Availability):
    id: str | None = None


class LookBusyConfiguration(Dto):
    enabled: bool
    LookBusyPercentage: Number


class _CalendarCommon(Dto):
    """Properties CalendarCreateDTO and CalendarUpdateDTO share."""

    notifications: list[CalendarNotification] | None = None
    groupId: str | None = None
    teamMembers: list[TeamMember] | None = None
    eventType: EventType | None = None
    description: str | None = None
    slug: str | None = None
    widgetSlug: str | None = None
    widgetType: WidgetType | None = None
    eventTitle: str | None = None
    eventColor: str | None = None
    meetingLocation: str | None = None
    locationConfigurations: list[LocationConfiguration] | None = None
    slotDuration: Number | None = None
    slotDurationUnit: Unit | None = None
    slotInterval: Number | None = None
    slotIntervalUnit: Unit | None = None
    slotBuffer: Number | None = None
    preBuffer: Number | None = None
    preBufferUnit: Unit | None = None
    appoinmentPerSlot: Number | None = None
    appoinmentPerDay: Number | None = None
    allowBookingAfter: Number | None = None
    allowBookingAfterUnit: BookingAfterUnit | None = None
    allowBookingFor: Number | None = None
    allowBookingForUnit: BookingForUnit | None = None
    openHours: list[OpenHour] | None = None
    enableRecurring: bool | None = None
    recurring: Recurring | None = None
    formId: str | None = None
    stickyContact: bool | None = None
    isLivePaymentMode: bool | None = None
    autoConfirm: bool | None = None
    shouldSendAlertEmailsToAssignedMember: bool | None = None
    alertEmail: str | None = None
    googleInvitationEmails: bool | None = None
    allowReschedule: bool | None = None
    allowCancellation: bool | None = None
    shouldAssignContactToTeamMember: bool | None = None
    shouldSkipAssigningContactForExisting: bool | None = None
    notes: str | None = None
    pixelId: str | None = None
    formSubmitType: FormSubmitType | None = None
    formSubmitRedirectURL: str | None = None
    formSubmitThanksMessage: str | None = None
    availabilityType: AvailabilityType | None = None
    guestType: GuestType | None = None
    consentLabel: str | None = None
    calendarCoverImage: str | None = None
    lookBusyConfig: LookBusyConfiguration | None = None
    isActive: bool | None = None


class CreateCalendar(_CalendarCommon):
    locationId: str
    name: Name
    calendarType: CalendarType | None = None
    # The create DTO alone knows slot buffer units.
    slotBufferUnit: Unit | None = None
    availabilities: list[Availability] | None = None


class UpdateCalendar(_CalendarCommon):
    """No ``locationId`` and no ``calendarType``: a calendar cannot move or change type after creation."""

    name: Name | None = None
    availabilities: list[UpdateAvailability] | None = None

"""Names the dialplan and the Python code share, defined once.

The renderer passes this module to every template as ``names`` (``{{ names.X }}``),
and the code that reads Asterisk's events imports the same constants: a context, a
user event, a channel variable or a result word is never typed twice.
"""

from __future__ import annotations

import enum

# ---- contexts -----------------------------------------------------------------------
FROM_PSTN = "from-pstn"  # callers from the trunk: the entry numbers only
AGENTS = "agents"  # what desk phones may dial: feature codes, lamps
AGENTS_LOCAL = "agents-local"  # queue members: Local channels that ring a desk phone
FEATURE = "hotline-feature"  # feature codes at work
CALL_END = "hotline-call-end"  # hangup handler on the caller's channel
WRAP_UP_HANDLER = "hotline-wrap-up"  # hangup handler on the member leg (R4)
CALENDAR = "hotline-calendar"  # Gosub'd with today's date: sets DAY_KIND_VAR, HOLIDAY_VAR
OUTBOUND_TRUNK = "outbound-trunk"  # the PJSIP endpoint for departments and callbacks
CONNECT = "hotline-connect"  # R8: an answered member leg reads the job number to the caller
VOICEMAIL = "hotline-voicemail"  # leave a message for a callback: Goto(VOICEMAIL,s,1)
VOICEMAIL_DONE = "hotline-voicemail-done"  # hangup handler: emits EVENT_VOICEMAIL
OUTBOUND_INBOUND = "hotline-outbound-in"  # what a packet from the outbound trunk reaches: hang-up
PLAN_CONTEXT_PREFIX = "hl-v"  # a published plan version's contexts: hl-v<N>-<node id>
# app_queue's exit context (queues.conf ``context=``): a keep-your-place key pressed while
# queued leaves the queue here, which sends the caller back to their own version's node
QUEUE_EXIT = "hotline-queue-exit"
# the folder under Asterisk's config dir that the publisher writes (entry, calendar, one
# file per kept plan version); extensions.conf includes every ``*.conf`` in it
PLANS_DIR = "hotline-plans"
# in PLANS_DIR, the live plan's queue announcements; queues.conf includes it, and
# extensions.conf's "*.conf" include does not match it
PLANS_QUEUES_FILE = "queues.inc"
# ---- desk phones an admin adds (deskphones/): published like the dial plans -------------
# the folder under Asterisk's config dir the phone publisher writes: pjsip.conf includes
# PHONES_PJSIP_FILE, extensions.conf PHONES_DIALPLAN_FILE (neither matches the plans' *.conf)
PHONES_DIR = "hotline-phones"
PHONES_PJSIP_FILE = "pjsip.inc"
PHONES_DIALPLAN_FILE = "extensions.inc"
# each published phone's Local extension (agents-local includes it) and its lamp (the
# phone's device state as a hint; agents includes it, so a phone may watch another's lamp)
PHONES_LOCAL = "hotline-phones-local"
PHONES_LAMPS = "hotline-phones-lamps"
# the digest realm Asterisk challenges published phones with; each phone's stored
# MD5(extension:realm:password) is only good for this realm (the row keeps its own)
PHONE_REALM = "hotline"
# ---- callbacks (issue 11): dispatched agent first through the inbound queue -------------
# Originate Channel: CALLBACK_CHANNEL (Local/s@CALLBACK_QUEUE/n); its ;2 half joins the queue with
# QUEUE_PRIO = CALLBACK_PRIORITY (below the inbound callers'), so only an idle agent gets
# it; once an agent answers, the ;1 half runs CALLBACK_AGENT: the case prompt, the agent's
# confirmation (a key, or the API setting CALLBACK_CONFIRMED_VAR), then the citizen is
# dialled through the outbound trunk with 12333 as the calling number
CALLBACK_QUEUE = "hotline-callback-queue"
CALLBACK_AGENT = "hotline-callback-agent"
CALLBACK_PRIORITY = -10  # inbound callers have app_queue's default, 0
CALLBACK_ATTEMPT_VAR = "HL_CB_ATTEMPT"  # the attempt id (= the Originate's ChannelId)
CALLBACK_NUMBER_VAR = "HL_CB_NUMBER"  # the citizen's number, digits only (checked)
CALLBACK_AGENT_VAR = "HL_CB_AGENT"  # on the ;1 half: the job number of the agent who took it
CALLBACK_CONFIRMED_VAR = "HL_CB_CONFIRMED"  # 1: the agent confirmed (key or API)
CALLBACK_CONFIRM_KEY = "1"  # the agent presses it to dial the citizen (R12)
# optional Originate variables: the confirm wait and the citizen's ring time in seconds
# (digits; the rendered settings callback_confirm_timeout_s / callback_ring_timeout_s
# otherwise), so a changed setting applies without re-rendering the dialplan
CALLBACK_CONFIRM_S_VAR = "HL_CB_CONFIRM_S"
CALLBACK_RING_S_VAR = "HL_CB_RING_S"
# the Originate's Channel: a fixed extension, so no id is ever matched as a dialplan
# pattern (the attempt id travels in CALLBACK_ATTEMPT_VAR and as the ChannelId)
CALLBACK_CHANNEL = f"Local/s@{CALLBACK_QUEUE}/n"
# A callback with an owner is offered to its owner first: for that offer the owner's member
# joins OWNER_QUEUE (only then: app_queue compares every member of every queue on each
# device-state change), at a penalty that is the agent's own slot (agents.owner_slot,
# unique); the callback's ;2 half waits there with QUEUE_MIN_PENALTY = QUEUE_MAX_PENALTY
# = the owner's slot, so app_queue offers it to that member alone (and, with
# joinempty=penalty, not at all while the owner is signed out), for CALLBACK_OWNER_WAIT_VAR
# seconds; then it joins the inbound queue like any callback. The inbound queue's weight
# is higher, so a member with inbound callers waiting is offered those first.
OWNER_QUEUE = "hotline-owners"
CALLBACK_OWNER_SLOT_VAR = "HL_CB_OWNER_SLOT"  # the owner's slot (digits), absent: anyone
CALLBACK_OWNER_WAIT_VAR = "HL_CB_OWNER_WAIT"  # seconds offered to the owner alone
OWNER_SLOT_MAX = 999_999_999  # app_queue's penalty is an int; the dialplan takes 9 digits
CALLBACK_DONE = "hotline-callback-done"  # hangup handler of the agent half: the result
# EVENT_CALLBACK's Step words, and the DialStatus of an attempt whose citizen was never
# dialled (no confirmation in time, or the agent hung up first)
CALLBACK_STEP_AGENT = "agent"
CALLBACK_STEP_CONFIRMED = "confirmed"
CALLBACK_STEP_RESULT = "result"
CALLBACK_STEP_LEFT = "left"  # the queue half left the queue unanswered (QueueStatus)
CALLBACK_NOT_CONFIRMED = "NOTCONFIRMED"
# R11a: the desk phone's escalation code during a call runs this (features.conf's
# applicationmap, enabled on the desk phone's leg only through DYNAMIC_FEATURES)
ESCALATE_FEATURE = "hl-escalate"
ESCALATE = "hotline-escalate"  # Gosub'd by ESCALATE_FEATURE: emits EVENT_ESCALATE
ESCALATE_DURING = "during"  # EVENT_ESCALATE's When: pressed during an answered call
ESCALATE_AFTER = "after"  # dialled as a feature code after the call
# R11b: the agent console transfers the caller to a department: the service sets
# TRANSFER_NUMBER_VAR (digits, checked) on the caller's channel, then redirects it to
# TRANSFER, which dials that number through OUTBOUND_TRUNK
TRANSFER = "hotline-department-transfer"
TRANSFER_NUMBER_VAR = "HL_DEPT_NUMBER"
# keep your place: Gosub'd with the caller's number, reads it back digit by digit
KEEP_PLACE_CONFIRM = "hotline-keep-place"
QUEUE_JOINED_VAR = "HL_QUEUED_AT"  # epoch seconds the caller joined the queue node

# ---- voicemail (voicemail.conf): the callers' messages that become callbacks (R12) ------
VOICEMAIL_CONTEXT = "hotline"  # voicemail.conf's context
VOICEMAIL_BOX = "callbacks"  # the one box: VoiceMail(callbacks@hotline,s)

# ---- user events (AMI ``UserEvent``) ----------------------------------------------------
EVENT_ENTRY = "HotlineEntry"
# "Greeting done" (EVENT_GREETING, CEL_GREETING_DONE): the IVR hands the caller to a
# destination (a queue, voicemail or a department's transfer); Status is the last prompt's
# PLAYBACKSTATUS. A call that ends before it was abandoned in the IVR ("in the greeting").
# A caller may reach more than one destination (queue timeout → voicemail): readers take
# the first.
EVENT_GREETING = "HotlineGreeting"
EVENT_QUEUE_RESULT = "QueueResult"
EVENT_FEATURE = "AgentFeature"
EVENT_NODE = "HotlineNode"  # a caller entered a node: Node, Version, PromptLanguage (not
# "Language": every event's channel snapshot has that header, the channel's own "en")
EVENT_VOICEMAIL = "VoicemailLeft"  # a message was left (asterisk.md §3)
# a queued caller asked to be called back: Queue, Position, JoinedAt (epoch seconds the
# caller joined the queue: the callback's priority), Number (the caller ID, digits only)
EVENT_KEEP_PLACE = "HotlineKeepPlace"
# a callback attempt's steps: Attempt, Step (agent | confirmed | result), Agent,
# DialStatus, Cause (the citizen leg's DIALSTATUS and HANGUPCAUSE)
EVENT_CALLBACK = "HotlineCallback"
# an agent escalated the call's question (R11a): Endpoint (the desk phone), When
# (ESCALATE_DURING with the call's Linkedid, or ESCALATE_AFTER: the agent's last call)
EVENT_ESCALATE = "HotlineEscalate"

# ---- CEL -----------------------------------------------------------------------------------
# the event types cel.conf records: exactly those the readers use (calls/cel.py, the
# backfill's rebuild; callback/attempts.py, a crashed attempt judged) — each CEL row is
# work in Asterisk's one CEL thread, the first thing to fall behind under load
CEL_EVENTS = (
    "CHAN_START",
    "ANSWER",
    "HANGUP",
    "BRIDGE_ENTER",
    "APP_START",
    "USER_DEFINED",
    "BLINDTRANSFER",
    "LINKEDID_END",
)
CEL_APPS = ("queue",)  # APP_START of Queue only (the caller joined the queue)

# Asterisk appends each CEL row to a file (cel_custom, one CSV record a row: no database
# round trip in its one CEL thread); calls/cel_loader.py moves the file aside and COPYs
# it into the ``cel`` table in batches. The file's name in the spool folder, and its
# fields in order: (cel_custom's field name, the ``cel`` table's column).
CEL_SPOOL_FILE = "cel.csv"
CEL_SPOOL_FIELDS = (
    ("eventenum", "eventtype"),  # USER_DEFINED for a user event, its name in userdeftype
    ("eventtime", "eventtime"),  # <epoch seconds>.<6 digits of microseconds>
    ("usereventname", "userdeftype"),
    ("name", "cid_name"),
    ("num", "cid_num"),
    ("ani", "cid_ani"),
    ("rdnis", "cid_rdnis"),
    ("dnid", "cid_dnid"),
    ("exten", "exten"),
    ("context", "context"),
    ("channame", "channame"),
    ("appname", "appname"),
    ("appdata", "appdata"),
    ("accountcode", "accountcode"),
    ("peeraccount", "peeraccount"),
    ("uniqueid", "uniqueid"),
    ("linkedid", "linkedid"),
    ("amaflags", "amaflags"),
    ("userfield", "userfield"),
    ("peer", "peer"),
    ("eventextra", "extra"),
)

# CEL user events (``CELGenUserEvent``)
CEL_GREETING_DONE = "HOTLINE_GREETING_DONE"
CEL_CALL_END = "HOTLINE_CALL_END"
CEL_NODE = "HOTLINE_NODE"  # extra: <version>/<node id>/<language>, the menu path's step
# extra: agent=<job number>; on a callback attempt's ;1 half once an agent took it, so a
# crashed dispatcher's successor knows the agent of an attempt that already ended
CEL_CALLBACK_AGENT = "HOTLINE_CALLBACK_AGENT"

# ---- channel variables -------------------------------------------------------------------
RESULT_VAR = "HOTLINE_RESULT"  # the service's answer to a feature code
RESULT_PROMPT_PREFIX = "agent-"  # the phone then plays <prefix><result word>
LANGUAGE_VAR = "HL_LANG"  # the caller's prompt language (R14), set by language nodes
VERSION_VAR = "HL_VERSION"  # the plan version the caller started in
DAY_KIND_VAR = "HL_DAY"  # working | rest | holiday | make_up, set by CALENDAR
HOLIDAY_VAR = "HL_HOLIDAY"  # the holiday's key (ivr/calendar.py), empty on other days
TRIES_VAR = "HL_TRIES"  # a menu's count of plays so far (set by the menu only)
QUEUE_NODE_VAR = "HL_QUEUE_NODE"  # while queued: the queue node's context (QUEUE_EXIT reads it)
# R8 on (unset or 1) or off (0). The member leg reads it when it dials the desk phone,
# so the compiled plan sets it inheritable: Set(__HL_ANNOUNCE=0)
ANNOUNCE_VAR = "HL_ANNOUNCE"

# ---- prompts the dialplan plays by name (<prompts_dir>/<language>/<name>.wav) ------------
PROMPT_DEFAULT_LANGUAGE = "zh"  # Mandarin's folder (dialplan.model.DEFAULT_LANGUAGE, R14)
PROMPT_HELLO = "hello"  # R8: 您好,
PROMPT_WISH_PREFIX = "wish-"  # R7: wish-<holiday key>, e.g. 新年好,
PROMPT_DIGIT_PREFIX = "digit-"  # digit-0 … digit-9: a job number, read digit by digit
PROMPT_AGENT_SERVING = "agent-serving"  # R8: 号咨询员为您服务,请讲。
PROMPT_HOLD_REMINDER = "hold-reminder"  # R9: 我正在为您查询,请稍等。
HOLD_MOH_CLASS = "hotline-hold"  # R9: the desk phones' moh_suggest; reminds every 30 s
PROMPT_CALLBACK_CASE = "callback-case"  # the agent, as a callback reaches them (R12)
PROMPT_KEEP_PLACE = "keep-place"  # the caller who keeps their place, before their number
PROMPT_ESCALATED = "agent-escalated"  # the desk phone, after the escalation code

# ---- FastAGI (the desk phone's sign-in: job number and PIN never cross the AMI bus) ----
AGI_SIGN_IN = "sign-in"  # the route: AGI(agi://<agi_host>:<agi_port>/sign-in,<endpoint>)

# ---- pause reasons Asterisk stores with a member -------------------------------------
AUTO_PAUSE = "Auto-Pause"  # app_queue's own, when a member missed a call (R3)
PAUSE_WRAP_UP = "wrap_up"  # the member leg's hangup handler, as an answered call ends (R4)

# ---- feature-code words (the ``Code`` of an AgentFeature event) --------------------------
CODE_LOGIN = "login"
CODE_LOGOUT = "logout"
CODE_IDLE = "idle"
CODE_BUSY = "busy"


def plan_context(version: int, node_id: str) -> str:
    """The context of node ``node_id`` in published plan ``version``."""
    return f"{PLAN_CONTEXT_PREFIX}{version}-{node_id}"


def plan_marker(version: int) -> str:
    """Plan ``version``'s first context: the entry jumps here, and the publisher checks
    that Asterisk has it (node ids hold no ``-``, so no node's context can be named so)."""
    return f"{PLAN_CONTEXT_PREFIX}{version}"


def voicemail_mailbox() -> str:
    """The mailbox callers leave messages in: ``<box>@<context>``."""
    return f"{VOICEMAIL_BOX}@{VOICEMAIL_CONTEXT}"


def member_interface(extension: str) -> str:
    """The queue member that rings desk phone ``extension`` (a Local channel)."""
    return f"Local/{extension}@{AGENTS_LOCAL}/n"


def state_interface(extension: str) -> str:
    """The device whose state app_queue reads for that member (``ringinuse=no``)."""
    return f"PJSIP/{extension}"


def lamp_device(job_number: str) -> str:
    """What the service shows on an agent's BLF lamp: a custom device state (idle,
    wrap-up, busy, signed out)."""
    return f"Custom:agent{job_number}"


def lamp_extension(job_number: str) -> str:
    """The hint a BLF key watches for an agent (in ``AGENTS``)."""
    return f"agent{job_number}"


def pause_device(queue: str, extension: str) -> str:
    """app_queue's device state of the member at desk phone ``extension`` in ``queue``:
    INUSE while the member is paused there, NOT_INUSE otherwise (asterisk.md §2)."""
    return f"Queue:{queue}_pause_{member_interface(extension)}"


def lamp_hint(job_number: str, phone: str | None, queue: str | None = None) -> str:
    """The devices behind an agent's lamp: the service's custom state and, while the
    agent is signed in, the session's desk phone (ringing, in use) and its member's
    pause in ``queue`` (in use: wrap-up, and under busy) — states Asterisk shows by
    itself, which the service never sets (agent_state/hints.py)."""
    custom = lamp_device(job_number)
    if phone is None:
        return custom
    devices = [custom, state_interface(phone)]
    if queue is not None:
        devices.append(pause_device(queue, phone))
    return "&".join(devices)


# an extra hint the service adds next to the agents' phone hints: gone, a dialplan
# reload wiped them all (dynamic extensions live in memory only, asterisk.md §5)
LAMP_HINTS_MARK = "lamp-hints-mark"


class FeatureResult(enum.Enum):
    """The service's answer to a feature code; the phone plays ``agent-<value>``."""

    SIGNED_IN = "signed_in"
    SIGNED_IN_BUSY = "signed_in_busy"
    SIGNED_OUT = "signed_out"
    SIGN_OUT_PENDING = "sign_out_pending"
    IDLE = "idle"
    BUSY = "busy"
    WRONG_PIN = "wrong_pin"
    NOT_ALLOWED = "not_allowed"
    UNAVAILABLE = "unavailable"
    LOCKED_OUT = "locked_out"  # too many wrong PINs from this phone: try again later
    TRY_LATER = "try_later"  # too many sign-ins at once: the service is shedding them
    PHONE_TAKEN = "phone_taken"  # another agent is signed in at this desk phone


def result_prompt(result: FeatureResult) -> str:
    """The prompt file a phone hears for ``result``."""
    return RESULT_PROMPT_PREFIX + result.value

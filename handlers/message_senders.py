"""Who sends each BPMN message a case can wait for, and so through which way in it may arrive.

A message is the word of whoever it comes from: the reporter's answer to a question, their verdict on
how the case was handled, a contractor's report. Staff never send these on someone else's behalf
(a handler rating their own case, or reporting a contractor's work done): each comes only through its
sender's own channel. A staff-recorded message would need its own name in the model, saying who
recorded it; none of the current processes has one.
"""
from __future__ import annotations

from typing import Optional

# name -> (sender, the channel it comes through), in the words the API's error uses.
SENDERS: dict[str, tuple[str, str]] = {
    "feedback": ("the reporter", "the feedback link in the closing mail"),
    "reporter_reaction": ("the reporter", "a reply to the question mail (the info mailbox)"),
    "citizen_reply": ("the citizen", "a reply to the answer mail (the info mailbox)"),
    "contractor_report": ("the contractor", "the contractor portal link in the order mail"),
}
# Messages staff may deliver through POST /api/v1/cases/<ref>/messages: none of the models has one today.
STAFF_MESSAGES: frozenset[str] = frozenset()


def refusal_for_staff(name: str) -> Optional[str]:
    """Why staff may not deliver message `name`, or None when they may."""
    if name in STAFF_MESSAGES:
        return None
    sender, channel = SENDERS.get(name, ("someone else", "its own channel"))
    return f"'{name}' is sent by {sender} and arrives only through {channel}; staff cannot send it for them"

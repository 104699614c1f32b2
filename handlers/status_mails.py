"""The `notify.reporter` operator: the status mails to the reporter (and the reporters of merged cases)."""
from __future__ import annotations

from typing import Any

from engine import registry
from engine.registry import ServiceContext
from engine.settings import settings
from engine.timeline import add_event
from notifications.outbox import queue_mail, tracking_url

from .calendar import CITY_TZ
from .case_followers import follower_filter, follower_tracking_url
from .feedback_links import feedback_url, make_token, window_days
from .merged_cases import readable_by, status_mail_recipients


@registry.service("notify.reporter")
def notify_reporter(ctx: ServiceContext, template: str) -> dict:
    """Queue the status mail `template` for the reporter (and merged reporters); note when nobody can be mailed.

    Who gets which mail is decided in handlers/merged_cases.py: the reporter of a merged duplicate gets
    the original's progress under their own reference, tracking link and feedback link, never the
    original's; what is meant for the original's reporter alone (a question) stays theirs.
    """
    case = ctx.case
    public_text = {"afgesloten": ctx.data.get("public_text"), "doorverwezen": ctx.data.get("public_text"),
                   "informatie_gevraagd": ctx.data.get("question"),
                   "gesloten_gehouden": ctx.data.get("reason")}.get(template)
    sent, failing, followed = [], [], 0
    thread = mail_thread(ctx.data) if case.kind == "mail" else {}
    recipients = status_mail_recipients(case, template, ctx.new_case)
    merged = any(not r.own for r in recipients)
    for recipient in recipients:
        reporter, own_case = recipient.reporter, recipient.case
        if not reporter.email:
            continue
        if reporter.email_failed_at is not None:  # a mail to it bounced: do not keep mailing a dead address
            failing.append(recipient)
            continue
        if recipient.follower is not None:  # "Ik meld hetzelfde": their own link, no feedback question
            queue_mail(case, reporter.email, template, language=reporter.language,
                       data=follower_mail_data(template, case, recipient.follower, public_text))
            followed += 1
            continue
        data = {"tracking_url": tracking_url(own_case, reporter.language), "name": reporter.name,
                "public_text": readable_by(public_text, case, own_case) if merged else public_text}
        if not recipient.own:
            data["merged"] = True
        if template == "heropend":
            data["thanks"] = recipient.thanks
        if template == "afgesloten":  # the feedback question: a signed token for this closing, per reporter's case
            token = make_token(own_case)
            data["feedback_yes_url"] = feedback_url(token, True, reporter.language)
            data["feedback_no_url"] = feedback_url(token, False, reporter.language)
            data["feedback_days"] = window_days(own_case)  # the model's feedback window, as the mail names it
        queue_mail(own_case, reporter.email, template, language=reporter.language, data={**data, **thread})
        if recipient.own:
            sent.append(reporter.email)
        else:  # on the merged case's own timeline: its reporter was mailed about the original's progress
            add_event(own_case, "mail_queued", note=f"Mail '{template}' over {case.reference} klaargezet",
                      data={"template": template, "original": case.reference})
    if sent:
        add_event(case, "mail_queued", note=f"Mail '{template}' klaargezet", data={"template": template,
                                                                                   "count": len(sent)})
    if followed:
        add_event(case, "mail_queued", note=f"Mail '{template}' klaargezet voor {followed} volger(s)",
                  data={"template": template, "followers": followed})
    for recipient in failing:
        add_event(recipient.case, "mail_skipped", note=failing_address_note(
            template, recipient.reporter, follower=recipient.follower is not None),
                  data={"template": template, "reason": "email_failed"})
    if not sent and not any(r.own for r in failing) and not case.anonymous:  # anonymous: nobody to mail, no failure
        add_event(case, "mail_skipped", note=f"Mail '{template}' niet verstuurd: geen e-mailadres van de melder")
    return {"queued": len(sent)}


def mail_thread(data: dict[str, Any]) -> dict[str, Any]:
    """For a case that came in by mail: send from the info address, in the citizen's thread (as its answers do)."""
    thread = [i for i in data.get("thread_ids") or [data.get("message_id")] if i]
    info = settings().info_address
    result = {"in_reply_to": thread[-1] if thread else None, "references": " ".join(thread[-10:]) or None}
    if info:  # without an info address the general sender (and its Reply-To) stays
        result["from_address"] = info
    return result


def follower_mail_data(template: str, case: Any, follower: Any, public_text: Any) -> dict[str, Any]:
    """A status mail's data for a follower: their own tracking link and name, the public text without any other
    reporter's or follower's name and contact data; no feedback links (the question is for the case's reporter)."""
    data = {"tracking_url": follower_tracking_url(follower), "name": follower.reporter.name,
            "public_text": follower_filter(case, follower)(public_text), "follower": True}
    if template == "heropend":
        data["thanks"] = False
    return data


def failing_address_note(template: str, reporter: Any, own: bool = True, follower: bool = False) -> str:
    """The timeline note for a mail not sent because the address bounced (no address: every role reads it)."""
    day = reporter.email_failed_at.astimezone(CITY_TZ).strftime("%d/%m/%Y")
    whose = "een volger" if follower else "de melder" if own else "een melder van een dubbele melding"
    return f"Mail '{template}' niet verstuurd aan {whose}: e-mailadres werkt niet (bounce op {day})"

"""Every connection between features, in one place: blinker signals, connected in ``app.py``.

Imports point one way (core <- accounts <- units <- learning <- quizzes <- certificates <- contests
<- reports). When a package must set off, or ask for, something that only a package to its right
knows, it sends one of these signals and ``app.py`` connects the right package's receiver. Two kinds:

- **Events** tell what happened. They are sent inside the request's transaction, before the
  view commits, so what a receiver writes commits or rolls back with the change itself.
  Receivers return nothing.
- **Questions** ask for something. Each receiver answers, or returns None when it has nothing to
  say; the sender reads the answers through ``answers`` or ``first_answer``. The order of
  receivers is not defined, so a question never depends on it.

Each signal's ``doc`` names its sender (the first argument of ``send``) and its keyword arguments.
"""
from typing import Any

from blinker import NamedSignal, Namespace

_signals = Namespace()

# Events
topic_completed = _signals.signal("topic-completed", doc="""A passed final attempt completed a topic
(quizzes.services._complete). Sender: the TopicCompletion. Receiver: certificates issues the certificate.""")
attempt_finished = _signals.signal("attempt-finished", doc="""finish() closed an attempt with its guarded
UPDATE, which no ORM flush sees. Sender: the Attempt. Receivers: reports keeps member_topics current,
contests keeps the participant's standings current.""")
members_moved = _signals.signal("members-moved", doc="""A bulk UPDATE (the member import) moved members to
other units. Sender: the list of their ids. Receiver: reports moves their member_topics rows along.""")
unit_created = _signals.signal("unit-created", doc="""A unit was created. Sender: the Unit. Receiver: learning
places the topics that waited for this federation's code.""")

# Questions
login_user = _signals.signal("login-user", doc="""Which account does this identifier name, beyond usernames
(accounts.services.find_user)? Sender: the identifier as typed (NFKC, stripped). Answer: a User or None.
Receiver: units (a member's phone or card number).""")
unit_by_code = _signals.signal("unit-by-code", doc="""Which unit has this code (a role granted over a unit,
accounts)? Sender: the code as typed. Answer: the Unit or None. Receiver: units.""")
final_quiz = _signals.signal("final-quiz", doc="""The topic's published final quiz, if any (learning's
"Làm bài kiểm tra ngay" link). Sender: the Topic. Answer: the Quiz or None. Receiver: quizzes.""")
topic_panels = _signals.signal("topic-panels", doc="""What other features show beside each topic on
learning's pages ("Việc học của tôi", a topic). Sender: the user; keyword arguments: member (or None),
topics (a list), now. Answer: {topic id: {name: value}}, merged per topic; the templates read
``quiz_status`` (quizzes) and ``certificate`` (certificates). Each receiver answers for all topics at once.""")
attempt_extras = _signals.signal("attempt-extras", doc="""What a feature built on the attempt engine adds to
an attempt's pages: another submit address, a prediction question, a link back, a contest's result.
Sender: the Attempt. Answer: a dict or None. Receiver: contests.""")
review_withheld = _signals.signal("review-withheld", doc="""Questions of a finished attempt whose answers
its review must not show yet (quizzes.services.review). Sender: the Attempt; keyword argument: now.
Answer: a set of bank question ids. Receiver: contests (a round still open or to come can draw them).""")
answer_key_hidden = _signals.signal("answer-key-hidden", doc="""Whether this person may not see the right
answers of a question bank now (the editor's bank pages and export, a quiz's statistics: those pages answer
404). Sender: the Topic; keyword arguments: user, now. Answer: True to hide, or None. Receiver: contests (a
contestant, while a round of their contest drawing from the bank can still be played).""")
home_redirect = _signals.signal("home-redirect", doc="""Where "/" sends this signed-in person instead of
the home page, if anywhere. Sender: the user. Answer: an address or None. Receiver: contests (a
contestant lands on their contests).""")
home_panels = _signals.signal("home-panels", doc="""What other features put on the home page. Sender: the
user (perhaps anonymous); keyword argument: now. Answer: {name: value}, merged into the template's
context; home.html reads ``contest_cards``. Receiver: contests.""")
report_columns = _signals.signal("report-columns", doc="""Columns a feature adds to the completion report,
its exports, the API and the period report sent up. Sender: the Unit; keyword argument: period. Answer: a
reports.services.ColumnGroup (shown in the order of their keys). Receiver: lamtheo (the year's làm-theo figures).""")
navigation = _signals.signal("navigation", doc="""What the menu of every page needs from other features.
Sender: the signed-in user. Answer: {name: value}, merged; base.html reads ``only_a_contestant``.
Receiver: contests. Sent once per rendered page by a context processor (core.templating).""")


def answers(signal: NamedSignal, sender: Any, **kwargs: Any) -> list[Any]:
    """The answers of a question's receivers, leaving out those that had nothing to say."""
    return [value for _, value in signal.send(sender, **kwargs) if value is not None]


def first_answer(signal: NamedSignal, sender: Any, **kwargs: Any) -> Any:
    """The answer of a question that at most one receiver can answer (a lookup), or None."""
    found = answers(signal, sender, **kwargs)
    return found[0] if found else None


def merged(signal: NamedSignal, sender: Any, **kwargs: Any) -> dict:
    """The receivers' dict answers merged into one."""
    result: dict = {}
    for value in answers(signal, sender, **kwargs):
        result.update(value)
    return result

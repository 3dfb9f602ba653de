"""The ranking rule, as plain functions over plain values.

Per round, a participant's best attempt counts. Attempts and participants are ordered by:
highest score, then the prediction closest to the real figure and the shortest duration
(in the order the organiser chose), then the earliest submission, then the lowest id, so
that two exact ties still come out the same way every time.
"""
from dataclasses import dataclass
from datetime import datetime

from contests.models import DURATION_THEN_PREDICTION

NO_PREDICTION = 10**12  # a missing prediction is as far off as can be


@dataclass(frozen=True)
class Result:
    participant_id: int
    attempt_id: int
    score: int
    prediction: int | None
    duration_seconds: int
    finished_at: datetime


@dataclass(frozen=True)
class Standing:
    participant_id: int
    score: int
    prediction_error: int
    duration_seconds: int
    finished_at: datetime
    rounds: int


def error(prediction: int | None, actual: int | None) -> int:
    if prediction is None or actual is None:
        return NO_PREDICTION if actual is not None else 0
    return abs(prediction - actual)


def _key(score: int, prediction_error: int, duration: int, finished_at: datetime, tie: int, tie_break: str):
    middle = (duration, prediction_error) if tie_break == DURATION_THEN_PREDICTION else (prediction_error, duration)
    return (-score, *middle, finished_at, tie)


def best_per_participant(results: list[Result], actual: int | None, tie_break: str) -> dict[int, Result]:
    best: dict[int, Result] = {}
    for result in results:
        current = best.get(result.participant_id)
        if current is None or _result_key(result, actual, tie_break) < _result_key(current, actual, tie_break):
            best[result.participant_id] = result
    return best


def _result_key(result: Result, actual: int | None, tie_break: str):
    return _key(result.score, error(result.prediction, actual), result.duration_seconds, result.finished_at,
                result.attempt_id, tie_break)


def rank_round(results: list[Result], actual: int | None, tie_break: str) -> list[Result]:
    """One line per participant, their best attempt, best first."""
    best = best_per_participant(results, actual, tie_break)
    return sorted(best.values(), key=lambda r: _result_key(r, actual, tie_break))


def rank_overall(rounds: list[tuple[list[Result], int | None]], tie_break: str) -> list[Standing]:
    """Sum of each participant's best per round; tie-breaks summed the same way."""
    totals: dict[int, Standing] = {}
    for results, actual in rounds:
        for result in best_per_participant(results, actual, tie_break).values():
            before = totals.get(result.participant_id)
            if before is None:
                totals[result.participant_id] = Standing(result.participant_id, result.score,
                                                         error(result.prediction, actual), result.duration_seconds,
                                                         result.finished_at, 1)
            else:
                totals[result.participant_id] = Standing(
                    result.participant_id, before.score + result.score,
                    before.prediction_error + error(result.prediction, actual),
                    before.duration_seconds + result.duration_seconds,
                    max(before.finished_at, result.finished_at), before.rounds + 1)
    return sorted(totals.values(), key=lambda s: _key(s.score, s.prediction_error, s.duration_seconds,
                                                      s.finished_at, s.participant_id, tie_break))


def mask_name(full_name: str) -> str:
    """"Nguyễn Văn Hùng" -> "Nguyễn V. H.": the family name, then initials."""
    parts = full_name.split()
    if len(parts) <= 1:
        return full_name[:1] + "." if full_name else ""
    return " ".join([parts[0]] + [part[0] + "." for part in parts[1:]])

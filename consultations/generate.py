"""Synthetic consultation records for benchmarks, per compound: ≈5 needs, 2 topics along the seven steps,
3 meetings (most with minutes), a vote on one topic (closed, passed or failed) and ≈2 residents' problems.
Loaded with COPY, in chunks of compounds; memory stays flat."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from consultations.choices import (
    Channel,
    MatterType,
    MeetingKind,
    MeetingStatus,
    NeedCategory,
    ProblemStatus,
    Step,
    VoteResult,
    VoteStatus,
)
from consultations.models import Meeting, Need, ResidentProblem, Topic, Vote
from projects.generate import generator_user
from renovation_portal.bulkload import copy_dicts, next_id

CHUNK_COMPOUNDS = 5_000


def generate(ctx) -> None:
    rng = random.Random(ctx.seed + 2)
    now = timezone.now()
    author = generator_user().pk
    ids = {model: next_id(model) for model in (Need, Topic, Meeting, Vote, ResidentProblem)}
    steps, channels, categories = list(Step.values), list(Channel.values), list(NeedCategory.values)
    counts = dict.fromkeys(("needs", "topics", "meetings", "votes", "problems"), 0)
    report = ctx.progress("compounds consulted", len(ctx.compounds))

    def take(model):
        value = ids[model]
        ids[model] += 1
        return value

    for offset in range(0, len(ctx.compounds), CHUNK_COMPOUNDS):
        chunk = ctx.compounds[offset : offset + CHUNK_COMPOUNDS]
        topics, votes = [], []
        for compound_id, *_rest in chunk:
            for _ in range(2):
                step = rng.choice(steps)
                topics.append(
                    {
                        "id": take(Topic),
                        "compound_id": compound_id,
                        "title": "加装电梯与停车位改造",
                        "step": step,
                        "created_by_id": author,
                        "created_at": now,
                        "updated_at": now,
                        "feedback": "已公示" if step == Step.PUBLIC_FEEDBACK else "",
                        "feedback_published_at": now if step == Step.PUBLIC_FEEDBACK else None,
                    }
                )
            passed = rng.random() < 0.8
            closed_at = now - timedelta(days=rng.randint(10, 300))
            votes.append(
                {
                    "id": take(Vote),
                    "topic_id": topics[-1]["id"],
                    "title": "是否同意改造方案",
                    "matter_type": MatterType.values[0],
                    "status": VoteStatus.CLOSED,
                    "result": VoteResult.PASSED if passed else VoteResult.FAILED_APPROVAL,
                    "organiser_id": author,
                    "opened_at": closed_at - timedelta(days=14),
                    "closed_at": closed_at,
                    "created_at": closed_at - timedelta(days=20),
                    "updated_at": now,
                }
            )
        counts["topics"] += copy_dicts(Topic, topics, now=now)
        counts["votes"] += copy_dicts(Vote, votes, now=now)

        def needs(chunk=chunk):
            for compound_id, *_rest in chunk:
                for _ in range(rng.randint(3, 7)):
                    yield {
                        "id": take(Need),
                        "compound_id": compound_id,
                        "channel": rng.choice(channels),
                        "category": rng.choice(categories),
                        "content": "希望改造雨污管网、增加停车位",
                        "recorded_by_id": author,
                        "created_at": now,
                        "updated_at": now,
                    }

        def meetings(chunk=chunk):
            for compound_id, *_rest in chunk:
                for _ in range(3):
                    held = now - timedelta(days=rng.randint(1, 400))
                    published = rng.random() < 0.85
                    present = rng.randint(8, 40)  # a head count without sign-ins: the others present
                    yield {
                        "id": take(Meeting),
                        "compound_id": compound_id,
                        "kind": MeetingKind.TEA_MEETING,
                        "held_at": held,
                        "place": "党群服务中心",
                        "convener_id": author,
                        "attendance": present,
                        "guests": present,
                        "status": MeetingStatus.PUBLISHED if published else MeetingStatus.SCHEDULED,
                        "minutes": "议定事项见附件" if published else "",
                        "minutes_published_at": held + timedelta(days=1) if published else None,
                        "created_at": held,
                        "updated_at": now,
                    }

        def problems(chunk=chunk):
            for compound_id, *_rest in chunk:
                for _ in range(rng.randint(1, 3)):
                    raised = now - timedelta(days=rng.randint(1, 300))
                    status = rng.choice(ProblemStatus.values)
                    answered = raised + timedelta(hours=rng.randint(1, 96)) if status != ProblemStatus.OPEN else None
                    yield {
                        "id": take(ResidentProblem),
                        "compound_id": compound_id,
                        "description": "施工噪音扰民",
                        "status": status,
                        "answer": "已协调施工时间" if answered else "",
                        "answered_at": answered,
                        "resolved_at": answered if status == ProblemStatus.RESOLVED else None,
                        "created_by_id": author,
                        "created_at": raised,
                        "updated_at": now,
                    }

        counts["needs"] += copy_dicts(Need, needs(), now=now)
        counts["meetings"] += copy_dicts(Meeting, meetings(), now=now)
        counts["problems"] += copy_dicts(ResidentProblem, problems(), now=now)
        report(offset + len(chunk))
    ctx.say("  " + ", ".join(f"{n:,} {what}" for what, n in counts.items()))

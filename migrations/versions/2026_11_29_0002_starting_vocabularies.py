"""starting vocabularies

Revision ID: 0002_starting_vocabularies
Revises: 0001_initial_schema
Create Date: 2026-11-29

The open vocabularies start with the terms the seed texts need; more are added through
`POST /v1/vocabularies`, never by migration.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0002_starting_vocabularies"
down_revision: str | None = "0001_initial_schema"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TERMS: dict[str, dict[str, str]] = {
    "predicate": {
        "recognition": "A state recognises another entity (as a state, government, …).",
        "severing_of_relations": "Diplomatic or other relations are cut.",
        "obligation": "An instrument requires or demands an action, often by a deadline.",
        "prohibition": "An instrument forbids an action.",
        "labour_deployment": "Workers are sent to, or kept in, another jurisdiction.",
        "talks": "Parties discuss a matter.",
        "trade_cooperation": "Trade or economic cooperation between parties.",
        "designation": "An authority designates (lists) a person or entity for sanctions.",
        "statement": "A party says something, reported as said.",
        "justification": "A party gives its reasons for an action.",
        "accusation": "A party accuses another of something.",
        "sanctions_evasion": "Activity that evades or helps evade sanctions.",
        "revenue_generation": "Activity that earns revenue for a sanctioned party.",
        "control": "A party owns, manages or controls an entity.",
        "front_company": "A party creates or uses a company that hides who is behind an activity.",
        "penalty": "A penalty or restriction (fine, imprisonment, loss of access) for some conduct.",
    },
    "modality": {
        "occurred": "It happened.",
        "planned": "It is planned to happen.",
        "discussed": "It was discussed, not decided.",
        "demanded": "Someone demanded it.",
        "required": "An instrument requires it.",
        "prohibited": "An instrument forbids it.",
        "promised": "Someone promised it.",
        "hoped": "Someone said they hoped for it.",
        "alleged": "Someone alleges it.",
        "denied": "Someone denies it.",
        "expected": "It is expected or predicted.",
        "possible": "It may happen under stated conditions (a legal power or penalty), not that it did.",
    },
    "role": {
        "agent": "Who does or did it.",
        "recipient": "Who receives it.",
        "subject": "Whom or what it is about.",
        "claimant": "Who makes the claim (says it).",
        "addressee": "To whom it is said or addressed.",
        "reporter": "Who reported it.",
        "issuer": "Who issued the instrument or designation.",
        "target": "Whom it is directed against.",
        "beneficiary": "Who benefits.",
        "supporter": "Who backed it.",
        "location": "Where it happened.",
        "participant": "Who takes part (in talks, cooperation, an agreement).",
    },
    "actor_kind": {
        "state": "A sovereign state.",
        "international_organisation": "An intergovernmental organisation or its organ.",
        "organisation": "A non-state organisation.",
        "company": "A company or other business.",
        "person": "A natural person.",
        "de_facto_authority": "An authority without general recognition (e.g. DPR, LPR).",
        "media_outlet": "A news organisation or state media.",
        "government_body": "A ministry, agency or department of a state.",
        "region": "A geographic region.",
    },
    "source_kind": {
        "news_article": "A news report.",
        "state_media_report": "A report of state media (e.g. KCNA).",
        "legal_instrument": "A resolution, law, order or regulation.",
        "official_list": "A sanctions or other official list.",
        "press_release": "A press release.",
        "government_advisory": "Guidance or an advisory issued by a government.",
    },
    "id_scheme": {
        "un_sc": "UN Security Council Consolidated List reference number (e.g. KPi.076).",
        "ofac": "OFAC SDN entity number.",
        "wikidata": "Wikidata item id (QID).",
        "iso3166": "ISO 3166-1 alpha-2 country code.",
        "lei": "Legal Entity Identifier.",
    },
}

vocabulary_term = sa.table(
    "vocabulary_term",
    sa.column("vocabulary", sa.String),
    sa.column("term", sa.String),
    sa.column("description", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    now = datetime(2026, 11, 29, tzinfo=UTC)
    op.bulk_insert(
        vocabulary_term,
        [
            {"vocabulary": vocabulary, "term": term, "description": description, "created_at": now}
            for vocabulary, terms in TERMS.items()
            for term, description in terms.items()
        ],
    )


def downgrade() -> None:
    for vocabulary, terms in TERMS.items():
        op.execute(
            vocabulary_term.delete().where(
                vocabulary_term.c.vocabulary == vocabulary, vocabulary_term.c.term.in_(list(terms))
            )
        )

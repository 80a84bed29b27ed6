"""A deterministic generator of realistic claims, for tests and benchmarks.

The same seed gives the same data: actors with aliases (strong and weak, with diacritics,
apostrophe styles and other scripts), legal instruments, sanctions programs, sources whose
held text is made of the sentences the claims quote (so every evidence span really is
`text[start:end]`), and claims of many predicates and modalities with dates of several
kinds and precisions. Only terms of the starting vocabularies are used, so generated
claims pass the same checks as written ones (`GeneratedClaim.body()` is a valid create
body). Load it fast with `devtools.bulk.load`, or through the services one by one.
"""

import hashlib
import random
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

EPOCH_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z: ids are UUIDv7 counted from here

ActorLink = tuple[str, str]  # (actor_id, role)
DateValue = tuple[str, str]  # (kind, ISO prefix)
Span = tuple[str, int, int, str, str]  # (source_id, start, end, quote, stance)
Citation = tuple[str, str | None]  # (instrument_id, provision)


@dataclass
class GeneratedActor:
    id: str
    kind: str
    name: str
    aliases: list[dict[str, Any]] = field(default_factory=list)
    external_ids: list[tuple[str, str]] = field(default_factory=list)

    def body(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "aliases": self.aliases,
            "external_ids": [{"scheme": s, "value": v} for s, v in self.external_ids],
        }


@dataclass
class GeneratedInstrument:
    id: str
    symbol: str
    title: str
    adopted: str
    issuer_id: str
    url: str

    def body(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "title": self.title,
            "adopted": self.adopted,
            "issuer_id": self.issuer_id,
            "url": self.url,
        }


@dataclass
class GeneratedSource:
    id: str
    kind: str
    title: str
    publisher: str
    author: str | None
    url: str
    language: str
    published: str
    text: str

    def body(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "title": self.title,
            "publisher": self.publisher,
            "author": self.author,
            "url": self.url,
            "language": self.language,
            "published": self.published,
            "text": self.text,
        }

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


@dataclass
class GeneratedClaim:
    id: str
    predicate: str
    statement: str
    modality: str
    status: str
    confidence: float | None
    retraction_reason: str | None = None
    programs: list[str] = field(default_factory=list)
    actors: list[ActorLink] = field(default_factory=list)
    dates: list[DateValue] = field(default_factory=list)
    evidence: list[Span] = field(default_factory=list)
    instruments: list[Citation] = field(default_factory=list)

    def body(self) -> dict[str, Any]:
        """A create body: a claim is created draft or published, so a disputed or retracted
        one is created published (its transition would follow)."""
        return {
            "predicate": self.predicate,
            "statement": self.statement,
            "modality": self.modality,
            "status": "draft" if self.status == "draft" else "published",
            "confidence": self.confidence,
            "programs": self.programs,
            "actors": [{"actor_id": a, "role": r} for a, r in self.actors],
            "dates": [{"kind": k, "value": v} for k, v in self.dates],
            "evidence": [
                {"source_id": s, "start": b, "end": e, "quote": q, "stance": st}
                for s, b, e, q, st in self.evidence
            ],
            "instruments": [{"instrument_id": i, "provision": p} for i, p in self.instruments],
        }


@dataclass
class Dataset:
    actors: list[GeneratedActor] = field(default_factory=list)
    instruments: list[GeneratedInstrument] = field(default_factory=list)
    sources: list[GeneratedSource] = field(default_factory=list)
    claims: list[GeneratedClaim] = field(default_factory=list)


# Reference data: real names, so queries read like an analyst's.

STATES = [
    # (name, iso, capital, nationality, aliases)
    (
        "North Korea",
        "KP",
        "Pyongyang",
        "North Korean",
        ["DPRK", "Democratic People's Republic of Korea", "Korea, North", "Corée du Nord"],
    ),
    ("Russia", "RU", "Moscow", "Russian", ["Russian Federation", "Россия"]),
    ("Ukraine", "UA", "Kyiv", "Ukrainian", ["Україна"]),
    ("Syria", "SY", "Damascus", "Syrian", ["Syrian Arab Republic"]),
    ("China", "CN", "Beijing", "Chinese", ["People's Republic of China", "PRC"]),
    ("Iran", "IR", "Tehran", "Iranian", ["Islamic Republic of Iran"]),
    ("United States", "US", "Washington", "American", ["USA", "United States of America"]),
    ("Belarus", "BY", "Minsk", "Belarusian", ["Republic of Belarus"]),
]
NATIONALITIES = {state[0]: state[3] for state in STATES}
AUTHORITIES = [
    ("Donetsk People's Republic", ["DPR", "DNR", "Donetskaya Narodnaya Respublika"]),
    ("Luhansk People's Republic", ["LPR", "LNR", "Lugansk People’s Republic", "Luhansk"]),
]
BODIES = [
    (
        "UN Security Council",
        "international_organisation",
        ["UNSC", "Security Council", "Conseil de sécurité"],
    ),
    ("Office of Foreign Assets Control", "government_body", ["OFAC"]),
    ("Korean Central News Agency", "media_outlet", ["KCNA"]),
    ("Reuters", "media_outlet", []),
]
PEOPLE = [
    ("Kim Jong Un", ["KIM Jong-un", "Kim Čong-un"]),
    ("Denis Pushilin", ["Denis Pušilin", "PUSHILIN, Denis"]),
    ("Vladimir Putin", ["Putin"]),
    ("Leonid Pasechnik", ["Leonid Pasečnik"]),
]
# fmt: off
COMPANY_HEADS = ["Korea", "Chosun", "Namgang", "Taesong", "Mansudae", "Ryugyong", "Haegumgang",
                 "Sobaeksu", "Rason", "Kumsan", "Primorsky", "Volga", "Amur", "Baikal", "Nakhodka"]
COMPANY_TRADES = ["Trading", "Shipping", "Mining", "Construction", "Overseas", "Export",
                  "Fisheries", "Logistics", "Textile", "Timber", "Petroleum", "Energy"]
COMPANY_FORMS = ["Corporation", "General Company", "Co. Ltd", "LLC", "JSC", "Group"]
FIRST_NAMES = ["Ri", "Pak", "Choe", "Jang", "Han", "Kang", "Yun", "Sergei", "Olga", "Dmitri",
               "Anastasia", "José", "Zoë", "Mikhail", "Søren", "Renée"]
LAST_NAMES = ["Song Chol", "Myong Guk", "Il Su", "Ivanov", "Petrova", "Kovalenko", "Müller",
              "Đorđević", "O'Neill", "Nuñez", "Kim", "Hyon Chol"]
RESOLUTIONS = [("1718", 2006), ("1874", 2009), ("2094", 2013), ("2270", 2016),
               ("2321", 2016), ("2371", 2017), ("2375", 2017), ("2397", 2017)]
ORDERS = [("13660", 2014), ("13685", 2014), ("13722", 2016), ("14024", 2021)]
PROGRAMS = ["DPRK", "DPRK2", "DPRK3", "DPRK4", "UKRAINE-EO13660", "UKRAINE-EO13685",
            "RUSSIA-EO14024", "SYRIA"]
COMMODITIES = ["coal", "refined petroleum", "iron ore", "seafood", "textiles", "timber",
               "machinery", "luxury vehicles", "arms", "crude oil"]
PLACES = ["Vladivostok", "Nakhodka", "Rason", "Nampo", "Donetsk", "Luhansk", "Dandong",
          "Khabarovsk", "Mariupol", "Sevastopol"]
# fmt: on
PUBLISHERS = [
    ("Reuters", "news_article"),
    ("Associated Press", "news_article"),
    ("NK News", "news_article"),
    ("Yonhap", "news_article"),
    ("KCNA", "state_media_report"),
    ("TASS", "state_media_report"),
    ("United Nations", "legal_instrument"),
    ("U.S. Department of the Treasury", "press_release"),
    ("U.S. Department of State", "government_advisory"),
]
MONTHS = [date(2000, month, 1).strftime("%B") for month in range(1, 13)]
FILLER = [
    "The report could not be independently verified.",
    "Officials did not respond to requests for comment.",
    "The ministry declined to give further details.",
    "Analysts said the move was largely symbolic.",
    "The statement was carried by state media.",
    "Diplomats said talks would continue next month.",
]


class Generator:
    """Generates one dataset; `claims()` may be called again for more claims (new sources,
    same actors and instruments) with ids that keep increasing."""

    def __init__(self, seed: int, epoch_ms: int = EPOCH_MS) -> None:
        self.random = random.Random(seed)
        self.clock_ms = epoch_ms
        self.actors: list[GeneratedActor] = []
        self.instruments: list[GeneratedInstrument] = []
        self._ofac = 20_000 + self.random.randrange(1000)
        self._un = 0
        self._by_kinds: dict[tuple[str, ...], list[GeneratedActor]] = {}

    def new_id(self) -> str:
        """A UUIDv7 from the generator's clock and random bits: unique, time-ordered."""
        self.clock_ms += 1
        bits = self.random.getrandbits(74)
        value = (self.clock_ms << 80) | (0x7 << 76) | ((bits >> 62) << 64)
        value |= (0b10 << 62) | (bits & ((1 << 62) - 1))
        return str(uuid.UUID(int=value))

    # Reference data.

    def reference(self, companies: int = 60, people: int = 40) -> Dataset:
        actor = self._actor
        for name, iso, capital, _, aliases in STATES:
            actor("state", name, aliases, weak=[capital], ids=[("iso3166", iso)])
        for name, aliases in AUTHORITIES:
            actor("de_facto_authority", name, aliases)
        for name, kind, aliases in BODIES:
            actor(kind, name, aliases)
        for name, aliases in PEOPLE:
            actor("person", name, aliases)
        seen = {a.name for a in self.actors}
        while companies > 0:
            r = self.random
            name = f"{r.choice(COMPANY_HEADS)} {r.choice(COMPANY_TRADES)} {r.choice(COMPANY_FORMS)}"
            if name in seen:
                continue
            seen.add(name)
            initials = "".join(word[0] for word in name.split()[:2]).upper()
            ids = [("ofac", self._next_ofac())]
            if r.random() < 0.5:
                self._un += 1
                ids.append(("un_sc", f"KPe.{self._un:03d}"))
            actor("company", name, [name.upper()], weak=[initials + " Co"], ids=ids)
            companies -= 1
        while people > 0:
            name = f"{self.random.choice(FIRST_NAMES)} {self.random.choice(LAST_NAMES)}"
            if name in seen:
                continue
            seen.add(name)
            family = name.split(" ", 1)[1]
            actor(
                "person",
                name,
                [f"{family.upper()}, {name.split()[0]}"],
                ids=[("ofac", self._next_ofac())],
            )
            people -= 1
        unsc, treasury = (
            self._named("UN Security Council"),
            self._named("Office of Foreign Assets Control"),
        )
        for number, year in RESOLUTIONS:
            self.instruments.append(
                GeneratedInstrument(
                    self.new_id(),
                    f"S/RES/{number} ({year})",
                    f"Resolution {number} ({year})",
                    f"{year}-{self.random.randrange(1, 13):02d}",
                    unsc.id,
                    f"https://undocs.org/S/RES/{number}({year})",
                )
            )
        for number, year in ORDERS:
            self.instruments.append(
                GeneratedInstrument(
                    self.new_id(),
                    f"EO {number}",
                    f"Executive Order {number}",
                    str(year),
                    treasury.id,
                    f"https://ofac.treasury.gov/eo-{number}",
                )
            )
        return Dataset(actors=list(self.actors), instruments=list(self.instruments))

    def _actor(
        self,
        kind: str,
        name: str,
        aliases: list[str],
        weak: list[str] | None = None,
        ids: list[tuple[str, str]] | None = None,
    ) -> None:
        listed = [{"name": alias, "strength": "strong"} for alias in aliases]
        listed += [{"name": alias, "strength": "weak"} for alias in weak or []]
        self.actors.append(GeneratedActor(self.new_id(), kind, name, listed, ids or []))

    def _next_ofac(self) -> str:
        self._ofac += self.random.randrange(1, 40)
        return str(self._ofac)

    def _named(self, name: str) -> GeneratedActor:
        return next(actor for actor in self.actors if actor.name == name)

    def _of_kind(self, *kinds: str, other_than: GeneratedActor | None = None) -> GeneratedActor:
        if kinds not in self._by_kinds:
            self._by_kinds[kinds] = [a for a in self.actors if a.kind in kinds]
        while True:
            actor = self.random.choice(self._by_kinds[kinds])
            if actor is not other_than:
                return actor

    # Claims, with the sources that hold their evidence.

    def claims(self, count: int, per_source: int = 6) -> Dataset:
        if not self.actors:
            self.reference()
        dataset = Dataset()
        while len(dataset.claims) < count:
            self._source(dataset, min(per_source, count - len(dataset.claims)))
        return dataset

    def _source(self, dataset: Dataset, claims: int) -> None:
        r = self.random
        publisher, kind = r.choice(PUBLISHERS)
        published = date(2015, 1, 1) + timedelta(days=r.randrange(3650))
        source_id = self.new_id()
        parts: list[str] = []
        offset = 0
        made: list[GeneratedClaim] = []
        for _ in range(claims):
            if r.random() < 0.5:
                filler = r.choice(FILLER) + " "
                parts.append(filler)
                offset += len(filler)
            claim, sentence = self._claim(published)
            claim.evidence.append(
                (source_id, offset, offset + len(sentence), sentence, self._stance())
            )
            parts.append(sentence + " ")
            offset += len(sentence) + 1
            made.append(claim)
        text = "".join(parts).rstrip()
        title = f"{made[0].statement[:80].rstrip('.')} - {publisher}"
        dataset.sources.append(
            GeneratedSource(
                source_id,
                kind,
                title,
                publisher,
                r.choice([None, "Josh Smith", "Hyonhee Shin", "Guy Faulconbridge", "Colin Zwirko"]),
                f"https://example.org/{published.year}/{source_id}",
                "en",
                published.isoformat(),
                text,
            )
        )
        dataset.claims.extend(made)

    def _stance(self) -> str:
        return self.random.choices(["supports", "mentions", "contradicts"], [8, 1, 1])[0]

    def _status(self) -> tuple[str, str | None]:
        status = self.random.choices(
            ["published", "disputed", "draft", "retracted"], [80, 8, 7, 5]
        )[0]
        return status, "The source was misread." if status == "retracted" else None

    def _prefix(self, day: date) -> str:
        precision = self.random.choices(["day", "month", "year"], [5, 4, 1])[0]
        return {"day": day.isoformat(), "month": day.isoformat()[:7], "year": str(day.year)}[
            precision
        ]

    def _claim(self, published: date) -> tuple[GeneratedClaim, str]:
        r = self.random
        status, reason = self._status()
        claim = GeneratedClaim(
            id=self.new_id(),
            predicate="",
            statement="",
            modality="",
            status=status,
            confidence=round(r.uniform(0.4, 1.0), 2) if r.random() < 0.8 else None,
            retraction_reason=reason,
        )
        happened = published - timedelta(days=r.randrange(1, 400))
        claim.dates.append(("reported", published.isoformat()))
        when = f"{MONTHS[happened.month - 1]} {happened.year}"
        template = r.randrange(8)
        if template == 0:
            instrument = r.choice(self.instruments[: len(RESOLUTIONS)])
            state = self._of_kind("state")
            deadline = date(instrument_year(instrument) + 2, 12, 1)
            paragraph = r.randrange(2, 30)
            nationals = NATIONALITIES.get(state.name, "foreign")
            sentence = (
                f"Resolution {instrument.symbol} demanded that all countries repatriate all "
                f"{nationals} labourers by {MONTHS[deadline.month - 1]} {deadline.year}."
            )
            claim.statement = (
                f"{instrument.symbol} requires states to repatriate {nationals} workers."
            )
            claim.predicate, claim.modality = "obligation", "required"
            claim.actors += [
                (self._named("UN Security Council").id, "issuer"),
                (state.id, "subject"),
            ]
            claim.dates += [("deadline", deadline.isoformat()[:7]), ("adopted", instrument.adopted)]
            claim.instruments.append((instrument.id, f"para {paragraph}"))
            claim.programs.append(r.choice(["DPRK3", "DPRK4"]))
        elif template == 1:
            agent = self._of_kind("state")
            recipient = self._of_kind("de_facto_authority", "state", other_than=agent)
            sentence = (
                f"In {when}, {agent.name} recognised the {recipient.name} as an independent state."
            )
            claim.statement = f"{agent.name} recognised {recipient.name} in {when}."
            claim.predicate, claim.modality = "recognition", "occurred"
            claim.actors += [(agent.id, "agent"), (recipient.id, "recipient")]
            claim.dates.append(("occurred", happened.isoformat()[:7]))
        elif template == 2:
            agent = self._of_kind("state")
            other = self._of_kind("state", other_than=agent)
            sentence = (
                f"{agent.name} severed diplomatic relations with {other.name} on "
                f"{happened:%d %B %Y}."
            )
            claim.statement = f"{agent.name} severed relations with {other.name}."
            claim.predicate, claim.modality = "severing_of_relations", "occurred"
            claim.actors += [(agent.id, "agent"), (other.id, "recipient")]
            claim.dates.append(("occurred", happened.isoformat()))
        elif template == 3:
            one = self._of_kind("state")
            two = self._of_kind("de_facto_authority", "state", other_than=one)
            workers, place = r.randrange(50, 5000), r.choice(PLACES)
            modality = r.choice(["discussed", "planned", "alleged"])
            sentence = (
                f"Officials from {one.name} and {two.name} have {modality} sending {workers} "
                f"labourers to {place}."
            )
            claim.statement = (
                f"{one.name} and {two.name} {modality} a labour deployment to {place}."
            )
            claim.predicate, claim.modality = "labour_deployment", modality
            claim.actors += [(one.id, "participant"), (two.id, "participant")]
            claim.dates.append(("start", self._prefix(happened)))
            claim.programs.append("DPRK3")
        elif template == 4:
            company, commodity = self._of_kind("company"), r.choice(COMMODITIES)
            instrument = r.choice(self.instruments[: len(RESOLUTIONS)])
            sentence = (
                f"{company.name} allegedly shipped {commodity} to {r.choice(PLACES)} in {when}, "
                f"in breach of resolution {instrument.symbol}."
            )
            claim.statement = (
                f"{company.name} shipped {commodity} in breach of {instrument.symbol}."
            )
            claim.predicate, claim.modality = "sanctions_evasion", "alleged"
            claim.actors.append((company.id, "agent"))
            claim.dates.append(("occurred", self._prefix(happened)))
            claim.instruments.append((instrument.id, None))
            claim.programs.append(r.choice(["DPRK", "DPRK2"]))
        elif template == 5:
            target = self._of_kind("company", "person")
            order, program = r.choice(self.instruments[len(RESOLUTIONS) :]), r.choice(PROGRAMS)
            sentence = (
                f"The Treasury designated {target.name} under {order.symbol} on "
                f"{happened:%d %B %Y}, adding it to the {program} program."
            )
            claim.statement = f"OFAC designated {target.name} under {order.symbol}."
            claim.predicate, claim.modality = "designation", "occurred"
            claim.actors += [
                (self._named("Office of Foreign Assets Control").id, "issuer"),
                (target.id, "target"),
            ]
            claim.dates += [("effective", happened.isoformat())]
            claim.instruments.append((order.id, "sec. 1(a)"))
            claim.programs.append(program)
        elif template == 6:
            speaker = self._of_kind("person")
            addressee = self._of_kind("person", "state", other_than=speaker)
            sentence = (
                f'{speaker.name} wrote to {addressee.name} promising "equally beneficial '
                f'bilateral cooperation" in {when}, KCNA reported.'
            )
            claim.statement = f"{speaker.name} promised cooperation to {addressee.name}."
            claim.predicate, claim.modality = "statement", "promised"
            claim.actors += [
                (speaker.id, "claimant"),
                (addressee.id, "addressee"),
                (self._named("Korean Central News Agency").id, "reporter"),
            ]
            claim.dates.append(("occurred", happened.isoformat()[:7]))
        else:
            one = self._of_kind("state", "de_facto_authority")
            two = self._of_kind("state", other_than=one)
            end = happened + timedelta(days=r.randrange(1, 90))
            topic = r.choice(["trade", "energy", "transport links", "fisheries", "tourism"])
            sentence = (
                f"Delegations of {one.name} and {two.name} held talks on {topic} in "
                f"{r.choice(PLACES)} from {happened:%d %B} to {end:%d %B %Y}."
            )
            claim.statement = f"{one.name} and {two.name} held talks on {topic}."
            claim.predicate, claim.modality = "talks", "occurred"
            claim.actors += [(one.id, "participant"), (two.id, "participant")]
            claim.dates += [("start", happened.isoformat()), ("end", end.isoformat())]
        return claim, sentence


def instrument_year(instrument: GeneratedInstrument) -> int:
    return int(instrument.adopted[:4])


def generate(seed: int, claims: int) -> Dataset:
    """Reference data and `claims` claims from `seed`, as one dataset."""
    generator = Generator(seed)
    dataset = generator.reference()
    more = generator.claims(claims)
    dataset.sources, dataset.claims = more.sources, more.claims
    return dataset

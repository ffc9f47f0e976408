"""Word lists the verdict engine uses when no marker scripts the outcome.

Clearly harmful phrases flag in every model class; borderline words (ambiguous in context)
make the cheaper Haiku class flag at low confidence while Sonnet and Opus clear. A few
Spanish, French, German and Portuguese phrases per category keep multilingual tests honest.
Data only.
"""

from __future__ import annotations

import re

from moderation_dev.simulator.markers import Severity

# category -> ((phrase, severity), ...); matched case-insensitively on word boundaries.
HARMFUL: dict[str, tuple[tuple[str, Severity], ...]] = {
    "harassment": (
        ("worthless idiot", "medium"),
        ("nobody likes you", "medium"),
        ("pathetic loser", "medium"),
        ("eres un inútil", "medium"),
        ("espèce de crétin", "medium"),
        ("du vollidiot", "medium"),
    ),
    "harassment/threatening": (
        ("i will find you", "high"),
        ("watch your back", "medium"),
        ("you will regret this", "medium"),
        ("te voy a encontrar", "high"),
        ("je vais te retrouver", "high"),
    ),
    "hate": (
        ("subhuman", "high"),
        ("go back to your country", "medium"),
        ("those people are vermin", "high"),
        ("son una plaga", "high"),
        ("untermensch", "high"),
    ),
    "hate/threatening": (("exterminate them all", "high"), ("purge them", "high")),
    "illicit": (
        ("buy cocaine", "high"),
        ("fake passports for sale", "high"),
        ("stolen credit cards", "high"),
        ("vendo cocaína", "high"),
        ("drogen kaufen", "medium"),
    ),
    "illicit/violent": (("hire a hitman", "high"), ("build a pipe bomb", "high")),
    "self-harm": (
        ("i want to die", "high"),
        ("hurt myself", "medium"),
        ("quiero morir", "high"),
        ("je veux mourir", "high"),
        ("quero morrer", "high"),
    ),
    "self-harm/intent": (("kill myself", "high"), ("end my life tonight", "high")),
    "self-harm/instructions": (("how to cut deeper", "high"),),
    "sexual": (("explicit nude photos", "medium"), ("send nudes", "medium")),
    "sexual/minors": (("sexualized minor", "high"),),
    "violence": (
        ("i will kill you", "high"),
        ("beat you to death", "high"),
        ("stab him", "high"),
        ("te voy a matar", "high"),
        ("je vais te tuer", "high"),
        ("ich bringe dich um", "high"),
    ),
    "violence/graphic": (("blood and guts everywhere", "medium"), ("dismembered body", "high")),
    "spam": (
        ("buy now", "low"),
        ("click here", "low"),
        ("free money", "medium"),
        ("crypto giveaway", "medium"),
        ("gana dinero rápido", "medium"),
        ("argent facile", "medium"),
    ),
}

# Ambiguous words: Haiku flags them (low severity, low confidence), Sonnet/Opus clear them.
BORDERLINE: dict[str, tuple[str, ...]] = {
    "violence": ("kill", "shoot", "fight", "destroy", "matar", "tuer"),
    "harassment": ("stupid", "idiot", "loser", "dumb", "idiota", "dummkopf"),
    "hate": ("hate", "odio", "haine"),
    "illicit": ("drunk", "weed", "high as a kite"),
    "self-harm": ("so tired of everything", "cansado de todo"),
    "sexual": ("sexy", "hot pics"),
}

# personal_data is found by pattern rather than by word.
PERSONAL_DATA: tuple[tuple[re.Pattern[str], Severity], ...] = (
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+"), "medium"),
    (re.compile(r"\+?\d[\d -]{8,}\d"), "medium"),
    (re.compile(r"\b(?:\d{4}[ -]?){3}\d{4}\b"), "high"),
)


def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """A case-insensitive whole-word pattern for a phrase."""
    return re.compile(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)", re.IGNORECASE)

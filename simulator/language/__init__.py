"""The shared language layer: normalisation, intent detection and time expressions (ja, en).

Used by the scripted customer, the LLM engine's state machine and the heuristic scorer.
Every span returned here indexes the ORIGINAL text, so `text == original[start:end]`.
"""

from simulator.language.intents import (KEYWORD, Analysis, TIME_INTENTS, IntentDetector, IntentHit, check_pattern,
                                        detector_for)
from simulator.language.normalize import (SUPPORTED_LANGUAGES, NormalizedText, Span, kanji_number, normalize,
                                          normalize_mapped)
from simulator.language.timeexpr import TimeExpression, find_time_expressions

__all__ = [
    "Analysis", "KEYWORD", "SUPPORTED_LANGUAGES", "TIME_INTENTS", "IntentDetector", "IntentHit", "NormalizedText", "Span",
    "TimeExpression", "check_pattern", "detector_for", "find_time_expressions", "kanji_number", "normalize",
    "normalize_mapped",
]

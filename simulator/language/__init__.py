"""The shared language layer: how the simulator hears a trainee (ja, en).

`reader.Reader` is the pipeline (sentences -> times -> features -> act and intents -> scenario
intents); `intents.IntentDetector` turns its readings into hits for the engines and the
scorer. Every span returned here indexes the ORIGINAL text, so `text == original[start:end]`.
"""

from simulator.language.intents import KEYWORD, TIME_INTENTS, IntentDetector, IntentHit, check_pattern, detector_for
from simulator.language.normalize import (SUPPORTED_LANGUAGES, NormalizedText, Span, kanji_number, normalize,
                                          normalize_mapped)
from simulator.language.reader import Reader, Reading, SentenceReading
from simulator.language.timeexpr import TimeExpression, find_time_expressions

__all__ = [
    "KEYWORD", "SUPPORTED_LANGUAGES", "TIME_INTENTS", "IntentDetector", "IntentHit", "NormalizedText", "Reader",
    "Reading", "SentenceReading", "Span", "TimeExpression", "check_pattern", "detector_for", "find_time_expressions",
    "kanji_number", "normalize", "normalize_mapped",
]

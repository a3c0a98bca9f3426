"""`python -m simulator.language`: build the reader's models now (else the first use builds them)."""

from simulator.language.model import cache_path, model_for

for lang in ("ja", "en"):
    m = model_for(lang)
    print(f"reader model {lang}: {len(m.vocab_names)} features, cached in {cache_path(lang)}")

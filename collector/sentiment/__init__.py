"""CX-tuned comment sentiment: ``score(text) -> Sentiment``.

Built on TextBlob's PatternAnalyzer, blended with rules over the VADER
lexicon and a customer-experience vocabulary (see :mod:`.scorer`).
``VERSION`` is stored with every scored response.

Pure text in, numbers out: imports nothing else of collector.
"""

from collector.sentiment.lines import score_lines
from collector.sentiment.scorer import VERSION, Sentiment, score

__all__ = ["VERSION", "Sentiment", "score", "score_lines"]

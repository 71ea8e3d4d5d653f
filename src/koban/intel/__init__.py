"""The threat-intel store: indicators with sources, entities, programmes, attribution and dates."""

from koban.intel.indicators import IndicatorType, guess_type, normalise
from koban.intel.store import IntelStore, Match

__all__ = ["IndicatorType", "IntelStore", "Match", "guess_type", "normalise"]

"""Synthetic Exchange evidence (EVTX writer, scenarios with ground truth); no import side effects."""

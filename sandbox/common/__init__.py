"""Pieces every network emulator shares: tokens, faults, logs, rate limits, OAuth pages."""

"""Phased rollouts: ramp plans, pauses, stepping stones and emergency stops."""

"""Làm theo Bác: units' yearly plans, members' commitments, exemplary models and people, the 19/5 review."""

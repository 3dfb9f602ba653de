"""Làm theo: yearly plans, members' commitments, exemplary models and people, the 19/5 review."""

"""Làm theo Bác: units' yearly plans, members' commitments, the 19/5 review and its commendations."""

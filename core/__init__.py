"""Shared kernel: extensions, clock, text folding, permissions, audit log, error pages."""

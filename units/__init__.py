"""The union tree and its history, members, member import, headcounts."""
